"""App-side builders: the treemap layout, chart specs and number formats."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from rfm_app import format as fmt
from rfm_app.palette import SEGMENT_COLORS, text_color_on
from rfm_app.treemap import HEIGHT, WIDTH, treemap_chart, treemap_layout
from rfm_app.widgets import plain


def test_treemap_tiles_fill_the_box_in_proportion() -> None:
    sizes = [495, 403, 388, 353, 228, 216, 202, 115, 110, 73, 0]
    names = [f"s{i}" for i in range(len(sizes))]
    layout = treemap_layout(names, sizes)
    assert layout.height == 10  # the empty segment gets no tile
    areas = (layout["x2"] - layout["x"]) * (layout["y2"] - layout["y"])
    total = sum(sizes)
    for name, area in zip(layout["name"], areas, strict=True):
        assert area == pytest.approx(WIDTH * HEIGHT * sizes[names.index(name)] / total)
    assert areas.sum() == pytest.approx(WIDTH * HEIGHT)
    assert layout["x"].min() >= 0 and layout["x2"].max() <= WIDTH + 1e-9
    assert layout["y"].min() >= 0 and layout["y2"].max() <= HEIGHT + 1e-9
    rects = layout.rows(named=True)
    for a, b in itertools.combinations(rects, 2):
        overlap_x = min(a["x2"], b["x2"]) - max(a["x"], b["x"])
        overlap_y = min(a["y2"], b["y2"]) - max(a["y"], b["y"])
        assert overlap_x <= 1e-9 or overlap_y <= 1e-9


def test_treemap_layout_of_nothing_is_empty() -> None:
    assert treemap_layout(["a"], [0]).height == 0


def test_treemap_chart_labels_name_count_and_share() -> None:
    table = pl.DataFrame(
        {"segment": ["Champions", "Lost"], "customers": [3, 1], "share": [0.75, 0.25]}
    )
    spec = treemap_chart(table).to_dict()
    rows = next(iter(spec["datasets"].values()))
    labels = {row["name"]: row["label"] for row in rows}
    assert labels["Champions"] == "Champions\n3 customers\n75.0%"
    assert labels["Lost"] == "Lost\n1 customer\n25.0%"
    fills = {row["name"]: row["fill"] for row in rows}
    assert fills["Champions"] == SEGMENT_COLORS["Champions"]


def test_label_ink_contrasts_with_the_tile() -> None:
    assert text_color_on("#ffffff") != "#ffffff"
    assert text_color_on("#1a6b3c") == "#ffffff"
    assert text_color_on("#f2c14e") == "#1f1f1f"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: fmt.count(1234567), "1,234,567"),
        (lambda: fmt.count(None), "–"),
        (lambda: fmt.money(-12.5, "€"), "-€12.50"),
        (lambda: fmt.money(823562.734), "$823,562.73"),
        (lambda: fmt.percent(0.1234), "12.3%"),
        (lambda: fmt.number(5 / 3), "1.67"),
        (lambda: fmt.size(226), "226 B"),
        (lambda: fmt.size(3_181_566), "3.2 MB"),
        (lambda: fmt.plural(1, "row"), "1 row"),
        (lambda: fmt.plural(20753, "row"), "20,753 rows"),
        (lambda: fmt.money_title("Revenue", ""), "Revenue"),
    ],
)
def test_formats(call: object, expected: str) -> None:
    assert call() == expected  # type: ignore[operator]


def test_plain_escapes_markdown_and_html() -> None:
    text = plain("<script>alert(1)</script> **bold** [x](http://e) :red[y]")
    assert "<script>" not in text
    assert "\\*\\*bold\\*\\*" in text
    assert "\\[x\\]\\(http" in text
    assert "\\:red\\[y\\]" in text


@pytest.mark.parametrize(
    ("top", "expected"),
    [(0.6, ".0%"), (0.1, ".0%"), (0.045, ".1%"), (0.01, ".1%"), (0.004, ".2%"), (None, ".0%")],
)
def test_percent_axis_has_enough_decimals_for_distinct_ticks(
    top: float | None, expected: str
) -> None:
    # A 0-4.5 % axis ticks every 0.5 %: whole percents would read "0% 1% 1% 2% ...".
    assert fmt.percent_axis(top) == expected
