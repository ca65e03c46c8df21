"""No Python callback runs inside polars on the app's paths (issue 15, item 1).

A ``map_elements`` callback is run by polars' thread pool, whose workers then wait for
the GIL; a thread pickling a frame holds the GIL while it waits for that pool, and the
server froze. The replacements must say exactly what the callbacks said.
"""

from __future__ import annotations

import ast
import random
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from rfm_app import charts
from rfm_app.treemap import treemap_chart

ROOT = Path(__file__).absolute().parents[2]
CALLBACKS = {"map_elements", "map_batches", "map_rows", "map_groups", "apply"}


def _sources() -> list[Path]:
    files = [ROOT / "streamlit_app.py"]
    for folder in ("rfm", "rfm_app", "pages"):
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return files


def test_no_python_callbacks_in_library_or_app_code() -> None:
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CALLBACKS
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}(...)")
    assert not found, "per-row Python callbacks: " + ", ".join(found)


def test_the_stripped_characters_are_pythons_whitespace() -> None:
    python = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert python == charts._WHITESPACE


def _variants(names: list[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    spaces = list(charts._WHITESPACE)
    out: list[str] = []
    for name in names:
        pad = "".join(rng.choices(spaces, k=rng.randint(0, 2)))
        pad2 = "".join(rng.choices(spaces, k=rng.randint(0, 2)))
        out += [name, name.upper(), name.lower(), name.title(), f"{pad}{name}{pad2}"]
        out.append(f"{pad}{name.swapcase()}{pad2}")
        out.append(name[:-1])  # near misses map to nothing
    return out


def _mapped(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"country": values}, schema={"country": pl.String})
    return frame.select(charts.map_names(pl.col("country")))["country"].to_list()


def test_map_names_says_what_map_name_said() -> None:
    # The old per-row function is the oracle: every atlas name and alias, in every case
    # and padded with every kind of whitespace str.strip() removes.
    names = sorted(charts.atlas_names()) + sorted(charts.COUNTRY_ALIASES)
    values = _variants(names, seed=0)
    expected = [charts.map_name(value) for value in values]
    assert _mapped([*values, None]) == [*expected, None]
    assert sum(value is not None for value in expected) > len(names) * 4  # it found most


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_map_names_agrees_with_map_name_on_any_text(values: list[str]) -> None:
    assert _mapped(list(values)) == [charts.map_name(value) for value in values]


def _exact_percent(share: float) -> str:
    # Independent of str.format: the exact binary value of share * 100, rounded half-even.
    return f"{Decimal(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)}%"


def test_treemap_share_texts_are_exact_percentages() -> None:
    rng = random.Random(1)
    shares = [rng.random() for _ in range(300)]
    shares += [k / 2000 for k in range(0, 2001, 7)] + [1 / 2000, 3 / 2000, 0.12345, 0.99995]
    table = pl.DataFrame(
        {
            "segment": [f"s{i}" for i in range(len(shares))],
            "customers": [1 + i % 5 for i in range(len(shares))],
            "share": shares,
        }
    )
    spec = treemap_chart(table).to_dict()
    rows = next(iter(spec["datasets"].values()))
    shown = {row["name"]: row["share_text"] for row in rows}
    for name, share in zip(table["segment"], shares, strict=True):
        assert shown[name] == _exact_percent(share), (name, share)
    # 1/2000 is a case polars' own round() gets wrong ("0.0%"): the text must say 0.1%.
    assert _exact_percent(1 / 2000) == "0.1%"
