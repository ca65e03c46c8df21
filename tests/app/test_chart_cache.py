"""Charts drawn from the shared spec cache are the charts ``st.altair_chart`` drew.

``rfm_app.chart_cache.draw_chart`` builds an Altair chart once per distinct input for
every session and sends the stored spec with ``st.vega_lite_chart``. What reaches the
browser must not change: the same spec text, the same Arrow datasets, the same theme and
width. The oracle is Streamlit's own ``st.altair_chart`` of the same chart, run in the
same script.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from rfm_app import charts
from rfm_app.chart_cache import SpecCache, fingerprint, shared_spec

_PAIRS_SCRIPT = """
import polars as pl
import streamlit as st

from rfm_app import charts
from rfm_app.chart_cache import draw_chart
from rfm_app.treemap import treemap_chart

segments = pl.DataFrame(
    {
        "segment": ["Champions", "Loyal", "At risk"],
        "customers": [120, 80, 40],
        "share": [0.5, 1 / 3, 1 / 6],
        "revenue": [9000.5, 4000.25, 800.0],
    }
)
months = pl.DataFrame(
    {
        "period": pl.date_range(pl.date(2023, 1, 1), pl.date(2023, 4, 1), "1mo", eager=True),
        "revenue": [10.0, 12.5, 9.0, 3.0],
        "partial": [False, False, False, True],
    }
)
countries = pl.DataFrame(
    {
        "country": ["France", "UK", "Atlantis"],
        "customers": [3, 2, 1],
        "revenue": [30.0, 20.0, 10.0],
    }
).with_columns(charts.map_names(pl.col("country")).alias("map_country"))

# Each pair: st.altair_chart first, then draw_chart of the same builder and arguments.
st.altair_chart(treemap_chart(segments), width="stretch")
draw_chart(treemap_chart, segments)
st.altair_chart(charts.bar_by_segment(segments, value="revenue", title="Revenue ($)"), width="stretch")
draw_chart(charts.bar_by_segment, segments, value="revenue", title="Revenue ($)")
st.altair_chart(
    charts.period_trend(months, period="period", value="revenue", title="R", time_unit="yearmonth"),
    width="stretch",
)
draw_chart(charts.period_trend, months, period="period", value="revenue", title="R", time_unit="yearmonth")
st.altair_chart(charts.world_map(countries, value="revenue", title="Revenue"), width="stretch")
left, right = st.columns(2)
draw_chart(charts.world_map, countries, value="revenue", title="Revenue", where=left)
st.altair_chart(
    charts.segment_picker(segments, value="customers", title="Customers"),
    width="stretch",
    on_select="rerun",
    key="picker_a",
)
event = draw_chart(
    charts.segment_picker,
    segments,
    value="customers",
    title="Customers",
    on_select="rerun",
    key="picker_b",
)
st.write(sorted(event["selection"]))  # the selection state comes back, as before
"""


def _charts(at: AppTest) -> list[object]:
    return [element.proto for element in at.get("vega_lite_chart")]


@pytest.fixture(scope="module")
def drawn() -> list[object]:
    at = AppTest.from_string(_PAIRS_SCRIPT, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return _charts(at)


def test_each_chart_is_sent_as_st_altair_chart_sent_it(drawn: list[object]) -> None:
    assert len(drawn) == 10
    for index in range(0, len(drawn), 2):
        expected, got = drawn[index], drawn[index + 1]
        assert got.spec == expected.spec, index  # type: ignore[attr-defined]
        assert [(d.name, d.data.data) for d in got.datasets] == [  # type: ignore[attr-defined]
            (d.name, d.data.data)
            for d in expected.datasets  # type: ignore[attr-defined]
        ], index
        assert got.data.data == expected.data.data, index  # type: ignore[attr-defined]
        assert got.theme == expected.theme == "streamlit", index  # type: ignore[attr-defined]
        assert list(got.selection_mode) == list(expected.selection_mode), index  # type: ignore[attr-defined]


def test_the_world_map_fetches_the_atlas_by_url(drawn: list[object]) -> None:
    spec = json.loads(drawn[7].spec)  # type: ignore[attr-defined]
    # Both layers (grey land, coloured countries) draw the atlas Altair lifted to the top.
    assert spec["data"] == {
        "url": charts.ATLAS_URL,
        "format": {"type": "topojson", "feature": "countries"},
    }
    assert all("data" not in layer for layer in spec["layer"])
    assert len(drawn[7].spec) < 5_000  # type: ignore[attr-defined]  # the atlas is 105 KB


def test_sessions_share_one_spec_per_distinct_input() -> None:
    calls: list[int] = []

    def counted(table: pl.DataFrame, *, value: str, title: str) -> object:
        calls.append(table.height)
        return charts.bar_by_segment(table, value=value, title=title)

    def table(revenue: float) -> pl.DataFrame:  # built anew each time, as each session does
        return pl.DataFrame({"segment": ["A", "B"], "revenue": [revenue, 2.0]})

    first = shared_spec(counted, table(1.0), value="revenue", title="Revenue")  # type: ignore[arg-type]
    again = shared_spec(counted, table(1.0), value="revenue", title="Revenue")  # type: ignore[arg-type]
    other = shared_spec(counted, table(1.5), value="revenue", title="Revenue")  # type: ignore[arg-type]
    retitled = shared_spec(counted, table(1.0), value="revenue", title="Net")  # type: ignore[arg-type]
    assert again is first
    assert other is not first and retitled is not first
    assert calls == [2, 2, 2]
    assert "'Net'" in repr(retitled["encoding"])


@pytest.mark.parametrize(
    "changed",
    [
        pl.DataFrame({"segment": ["A", "B"], "revenue": [1.0, 2.5]}),  # a value
        pl.DataFrame({"segment": ["B", "A"], "revenue": [2.0, 1.0]}),  # the order
        pl.DataFrame({"segment": ["A", "B"], "sales": [1.0, 2.0]}),  # a column name
        pl.DataFrame({"segment": ["A", "B"], "revenue": [1, 2]}),  # a dtype
        pl.DataFrame({"segment": ["A", "B", "C"], "revenue": [1.0, 2.0, None]}),  # a row
    ],
)
def test_a_fingerprint_changes_with_the_data(changed: pl.DataFrame) -> None:
    base = pl.DataFrame({"segment": ["A", "B"], "revenue": [1.0, 2.0]})
    assert fingerprint(base) == fingerprint(base.clone())
    assert fingerprint(changed) != fingerprint(base)


def test_a_fingerprint_tells_plain_values_and_containers_apart() -> None:
    values = [1, 1.0, "1", True, None, [1], (1,), {"a": 1}, {"a": "1"}, ("a", 1), ["a", 1]]
    assert len({fingerprint(value) for value in values}) == len(values)
    assert fingerprint(pl.Series("a", [1])) != fingerprint(pl.Series("b", [1]))


def test_an_unknown_argument_type_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot fingerprint a object"):
        fingerprint(object())
    with pytest.raises(TypeError, match="cannot fingerprint a set"):
        fingerprint({"a"})


def test_the_cache_keeps_its_byte_and_entry_bounds() -> None:
    cache = SpecCache(max_entries=3, max_bytes=1_000)
    big = {"datasets": {"d": b"x" * 600}}
    assert cache.get_or_build("big", lambda: big) is big
    cache.get_or_build("big2", lambda: {"datasets": {"d": b"y" * 600}})
    assert cache.keys() == ["big2"]  # both do not fit in 1,000 bytes: the older went
    huge = {"datasets": {"d": b"z" * 2_000}}
    assert cache.get_or_build("huge", lambda: huge) is huge  # drawn, but never stored
    assert cache.keys() == ["big2"]
    for name in "abcd":
        cache.get_or_build(name, lambda: {"mark": "bar"})
    assert cache.keys() == ["b", "c", "d"]


def test_a_crowd_asking_for_a_missing_spec_builds_it_once() -> None:
    cache = SpecCache()
    calls: list[int] = []
    start = threading.Barrier(8)

    def build() -> dict[str, object]:
        calls.append(1)
        time.sleep(0.05)  # a slow build: the other threads ask meanwhile
        return {"mark": "bar"}

    def ask() -> dict[str, object]:
        start.wait(timeout=30)
        return cache.get_or_build("chart", build)

    with ThreadPoolExecutor(8) as pool:
        specs = list(pool.map(lambda _: ask(), range(8)))
    assert len(calls) == 1
    assert all(spec is specs[0] for spec in specs)


def test_a_failed_build_is_not_stored_and_is_tried_again() -> None:
    cache = SpecCache()

    def broken() -> dict[str, object]:
        raise ValueError("no chart")

    with pytest.raises(ValueError, match="no chart"):
        cache.get_or_build("chart", broken)
    assert cache.get_or_build("chart", lambda: {"mark": "bar"}) == {"mark": "bar"}
