"""The Movement page and the Overview's period-over-period deltas (issue 13): figures read
off the page equal the library's on the same view, the earlier date lives in the URL, and
the page draws on data without the optional columns."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm.movement import NEW_IN_PERIOD, RETURNS_ONLY
from rfm_app import charts, keys
from rfm_app import format as fmt
from rfm_app.pipeline import default_earlier
from tests.app.analytics_helpers import minimal_csv, sample_transactions, texts
from tests.app.conftest import metrics, open_page

PAGE = "pages/movement.py"
EARLIER = dt.date(2023, 6, 30)


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def _frame(at: AppTest, column: str) -> pl.DataFrame:
    """The one table on the page that has ``column``."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return pl.from_pandas(found[0])


def _changes(moved: rfm.SegmentMigration) -> dict[str, int]:
    return dict(moved.customers.group_by("change").len().iter_rows())


@pytest.fixture(scope="module")
def sample_page() -> AppTest:
    """The Movement page on the sample, opened from a link with the earlier date."""
    at = open_page(PAGE, since=EARLIER.isoformat())
    _clean(at)
    return at


@pytest.fixture(scope="module")
def sample_view() -> rfm.AnalysisView:
    return rfm.analysis_view(sample_transactions())


def test_the_earlier_date_is_read_from_the_link(sample_page: AppTest) -> None:
    assert sample_page.date_input(key=keys.MOVEMENT_SINCE).value == EARLIER
    assert any(md.value.startswith(f"Since {EARLIER},") for md in sample_page.markdown)


def test_the_counts_of_moves_are_the_library_migration_of_the_view(
    sample_page: AppTest, sample_view: rfm.AnalysisView
) -> None:
    moved = rfm.segment_migration(
        sample_view.transactions, earlier=EARLIER, later=sample_view.as_of
    )
    shown = metrics(sample_page)
    changes = _changes(moved)
    assert shown["Moved up"] == fmt.count(changes["up"])
    assert shown["Moved down"] == fmt.count(changes["down"])
    assert shown["Stayed"] == fmt.count(changes["same"])
    assert shown["New since"] == fmt.count(changes["new"])
    # Everyone is in exactly one of the four: they add up to the customers seen.
    assert sum(changes.values()) == sample_view.counts.seen


def test_the_transition_totals_are_the_views_segments(
    sample_page: AppTest, sample_view: rfm.AnalysisView
) -> None:
    totals = _frame(sample_page, "later_customers")
    later = dict(totals.select("segment", "later_customers").iter_rows())
    returns_only = later.pop(RETURNS_ONLY, 0)
    # The later column is the view's own segmentation, customer for customer count.
    view_sizes = dict(sample_view.customers.group_by("segment").len().iter_rows())
    assert {k: v for k, v in later.items() if v} == view_sizes
    assert sum(later.values()) == sample_view.customers.height
    assert returns_only == sample_view.counts.returns_only
    # Rows and columns hold the same customers; the earlier side is the snapshot at EARLIER.
    assert totals["earlier_customers"].sum() == totals["later_customers"].sum()
    earlier_view = rfm.analysis_view(sample_transactions(), as_of=EARLIER)
    earlier = dict(totals.select("segment", "earlier_customers").iter_rows())
    new = earlier.pop(NEW_IN_PERIOD)
    earlier.pop(RETURNS_ONLY, None)
    assert {k: v for k, v in earlier.items() if v} == dict(
        earlier_view.customers.group_by("segment").len().iter_rows()
    )
    # New in period: customers whose every line is after the earlier date.
    assert new == earlier_view.counts.after_as_of_only


def test_a_cells_list_is_the_librarys_between(
    sample_page: AppTest, sample_view: rfm.AnalysisView
) -> None:
    moved = rfm.segment_migration(
        sample_view.transactions, earlier=EARLIER, later=sample_view.as_of
    )
    at = sample_page
    at.selectbox(key=keys.MOVEMENT_FROM).set_value("Champions")
    at.selectbox(key=keys.MOVEMENT_TO).set_value("Loyal Customers").run()
    _clean(at)
    shown = _frame(at, "previous_segment")
    expected = moved.between("Champions", "Loyal Customers")
    assert expected.height > 0
    assert shown["customer_id"].to_list() == expected["customer_id"].to_list()
    assert shown["monetary"].to_list() == pytest.approx(expected["monetary"].to_list())
    assert set(shown["previous_segment"]) == {"Champions"}
    assert set(shown["segment"]) == {"Loyal Customers"}
    # The cell's size is the transition table's.
    cell = moved.transitions.filter(
        pl.col("from_segment") == "Champions", pl.col("to_segment") == "Loyal Customers"
    )
    assert shown.height == cell["customers"].item()
    # A cell nobody moved through says so instead of an empty table.
    pairs = set(moved.transitions.select("from_segment", "to_segment").iter_rows())
    empty = next((a, b) for a in rfm.SEGMENTS for b in rfm.SEGMENTS if (a, b) not in pairs)
    at.selectbox(key=keys.MOVEMENT_FROM).set_value(empty[0])
    at.selectbox(key=keys.MOVEMENT_TO).set_value(empty[1]).run()
    assert moved.between(*empty).height == 0
    assert any(f"No customer moved from {empty[0]} to {empty[1]}" in t for t in texts(at.info))


def test_the_default_earlier_date_is_a_quarter_before_the_as_of_date(
    sample_view: rfm.AnalysisView,
) -> None:
    at = open_page(PAGE)
    _clean(at)
    # The sample runs 2020-01-01 to 2023-12-31; the view's as-of date is 2024-01-01.
    assert at.date_input(key=keys.MOVEMENT_SINCE).value == dt.date(2023, 10, 1)
    assert default_earlier(sample_view.as_of, sample_view.first_day) == dt.date(2023, 10, 1)


def test_a_link_outside_the_data_falls_back_to_the_default() -> None:
    at = open_page(PAGE, since="2031-01-01")
    _clean(at)
    assert at.date_input(key=keys.MOVEMENT_SINCE).value == dt.date(2023, 10, 1)


def test_default_earlier_stays_inside_short_data() -> None:
    # Two weeks of data: not two months, so one week back; two days: halfway.
    assert default_earlier(dt.date(2024, 1, 15), dt.date(2024, 1, 1)) == dt.date(2024, 1, 8)
    assert default_earlier(dt.date(2024, 1, 3), dt.date(2024, 1, 1)) == dt.date(2024, 1, 2)
    assert default_earlier(dt.date(2024, 12, 31), dt.date(2024, 1, 1)) == dt.date(2024, 9, 30)


def test_the_sidebar_filters_narrow_the_movement() -> None:
    at = open_page(PAGE, since=EARLIER.isoformat(), country="France")
    _clean(at)
    view = rfm.analysis_view(sample_transactions(), filters=rfm.Filters.of(country=("France",)))
    moved = rfm.segment_migration(view.transactions, earlier=EARLIER, later=view.as_of)
    assert metrics(at)["Moved down"] == fmt.count(_changes(moved)["down"])
    totals = _frame(at, "later_customers")
    assert totals.filter(pl.col("segment") != RETURNS_ONLY)["later_customers"].sum() == (
        view.customers.height
    )
    assert view.customers.height < rfm.analysis_view(sample_transactions()).customers.height


@pytest.mark.parametrize("every", ["1w", "1q"])
def test_other_cohort_periods_draw(sample_page: AppTest, every: str) -> None:
    sample_page.segmented_control(key=keys.MOVEMENT_COHORT_EVERY).set_value(every).run()
    _clean(sample_page)


def test_the_page_draws_on_data_without_optional_columns(
    minimal_page: Callable[[str], AppTest],
) -> None:
    at = minimal_page(PAGE)
    transactions = rfm.read_transactions(io.BytesIO(minimal_csv())).transactions
    view = rfm.analysis_view(transactions)
    earlier = default_earlier(view.as_of, view.first_day)
    assert at.date_input(key=keys.MOVEMENT_SINCE).value == earlier
    moved = rfm.segment_migration(view.transactions, earlier=earlier, later=view.as_of)
    shown = metrics(at)
    changes = _changes(moved)
    assert shown["Moved down"] == fmt.count(changes.get("down", 0))
    assert shown["New since"] == fmt.count(changes.get("new", 0))
    totals = _frame(at, "later_customers")
    assert totals.filter(pl.col("segment") != RETURNS_ONLY)["later_customers"].sum() == (
        view.customers.height
    )


# --- the Overview's period over period ---------------------------------------------------------

QUARTER = (dt.date(2023, 7, 1), dt.date(2023, 9, 30))
PREVIOUS = (dt.date(2023, 3, 31), dt.date(2023, 6, 30))  # the 92 days before


def _signed(change: float, relative: float | None, size: str) -> str:
    sign = "-" if change < 0 else "+"
    return f"{sign}{size}" + ("" if relative is None else f" ({relative:+.1%})")


def test_overview_deltas_are_the_change_against_the_previous_period() -> None:
    at = open_page("pages/overview.py", dates=[QUARTER[0].isoformat(), QUARTER[1].isoformat()])
    _clean(at)
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    sample = sample_transactions()
    current = rfm.analysis_view(sample, filters=rfm.Filters.of(date_range=QUARTER)).kpis()
    # Independently: the previous period is the view of the same filters on its dates.
    previous = rfm.analysis_view(sample, filters=rfm.Filters.of(date_range=PREVIOUS)).kpis()
    comparison = rfm.period_over_period(
        rfm.analysis_view(sample).transactions, as_of=QUARTER[1], days=92
    )
    assert (comparison.previous_start, comparison.previous_end) == PREVIOUS
    table = {m: (c, r) for m, _, _, c, r in comparison.table.iter_rows()}
    for label, measure, now, before, money in [
        ("Customers", "customers", current.customers, previous.customers, False),
        ("Orders", "orders", current.orders, previous.orders, False),
        ("Revenue", "revenue", current.revenue, previous.revenue, True),
    ]:
        change, relative = table[measure]
        assert change == pytest.approx(now - before)
        size = fmt.money(abs(change)) if money else fmt.number(abs(change), decimals=0)
        assert shown[label][1] == _signed(change, relative, size)
        # The headline value is the current period's, so the delta is about it.
        assert shown[label][0] == (fmt.money(now) if money else fmt.count(now))
    assert current.returns_only_customers  # the quarter has returns-only customers
    assert comparison.current.revenue == pytest.approx(current.revenue)
    captions = texts(at.caption)
    assert any(f"Change vs {PREVIOUS[0]} – {PREVIOUS[1]}" in c for c in captions)


def test_overview_without_dates_has_no_deltas_and_says_how_to_get_them() -> None:
    at = open_page("pages/overview.py")
    _clean(at)
    assert all(not m.delta for m in at.metric)
    assert any("Pick order dates in the sidebar" in c for c in texts(at.caption))


# --- the chart builders ------------------------------------------------------------------------


def test_the_flow_chart_bands_fill_their_nodes_exactly(sample_view: rfm.AnalysisView) -> None:
    moved = rfm.segment_migration(
        sample_view.transactions, earlier=EARLIER, later=sample_view.as_of
    )
    nodes, points = charts._flow_layout(moved.transitions, moved.states)
    sizes = dict(moved.totals.select("segment", "earlier_customers").iter_rows())
    earlier = nodes.filter(pl.col("side") == "earlier")
    assert dict(earlier.select("state", "customers").iter_rows()) == {
        k: v for k, v in sizes.items() if v
    }
    # Every band starts inside its from-node and ends inside its to-node; the bands of a
    # node tile it without gaps or overlaps (their heights add up to the node's).
    ends = points.filter(pl.col("step").is_in([0, points["step"].max()]))
    for side, column in [("earlier", "from_segment"), ("later", "to_segment")]:
        step = 0 if side == "earlier" else points["step"].max()
        bands = ends.filter(pl.col("step") == step)
        for state, top, bottom in (
            nodes.filter(pl.col("side") == side).select("state", "top", "bottom").iter_rows()
        ):
            mine = bands.filter(pl.col(column) == state).sort("y")
            assert mine["y"].min() == pytest.approx(top)
            assert mine["y2"].max() == pytest.approx(bottom)
            assert mine["y"][1:].to_list() == pytest.approx(mine["y2"][:-1].to_list())


def test_the_cohort_heatmap_leaves_unobserved_periods_empty(
    sample_view: rfm.AnalysisView,
) -> None:
    retention = rfm.cohort_retention(sample_view.transactions, every="1q")
    chart = charts.cohort_heatmap(retention.table, every_label="Quarter").to_dict()
    drawn = next(iter(chart["datasets"].values()))
    observed = retention.table.filter(pl.col("retention").is_not_null())
    assert len(drawn) == observed.height < retention.table.height
    assert {row["cohort_label"] for row in drawn} >= {"2020-Q1", "2023-Q4"}
