"""Every page shows the one view's numbers: read them off the pages and compare.

Issue 11's contradiction: with an as-of date of 2021-12-31 on the sample, Overview said
1,476 customers while the Customers page's country table said 3,000 (it counted every
transaction, also those after the as-of date). Here the as-of date is set on the Data
page, as an analyst would, and each page's figures are read back from what it drew.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import sample_transactions

AS_OF = dt.date(2021, 12, 31)


@pytest.fixture(scope="module")
def view() -> rfm.AnalysisView:
    return rfm.analysis_view(sample_transactions(), as_of=AS_OF)


@pytest.fixture
def at_as_of(app: AppTest) -> AppTest:
    app.date_input(key=keys.DATA_AS_OF).set_value(AS_OF)
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _frame(at: AppTest, column: str) -> pl.DataFrame:
    """The first dataframe on the page that has ``column``."""
    for element in at.dataframe:
        if column in element.value.columns:
            return pl.from_pandas(element.value)
    raise AssertionError(f"no table with a {column!r} column on the page")


def test_the_view_is_cut_at_the_as_of_date(view: rfm.AnalysisView) -> None:
    # The premise: these figures differ from the whole file's, so the pages can disagree.
    whole = rfm.analysis_view(sample_transactions())
    assert view.kpis().customers < whole.kpis().customers
    assert view.transactions["order_date"].dt.date().max() <= AS_OF


def test_overview_shows_the_view_kpis(
    at_as_of: AppTest, view: rfm.AnalysisView, read_metrics: Callable[[AppTest], dict[str, str]]
) -> None:
    at_as_of.switch_page("pages/overview.py").run()
    shown = read_metrics(at_as_of)
    kpi = view.kpis()
    assert shown["Customers"] == fmt.count(kpi.customers)
    assert shown["Orders"] == fmt.count(kpi.orders)
    assert shown["Revenue"] == fmt.money(kpi.revenue, "$")
    assert shown["Measured as of"] == str(AS_OF)


def test_segments_table_adds_up_to_the_kpis(at_as_of: AppTest, view: rfm.AnalysisView) -> None:
    at_as_of.switch_page("pages/segments.py").run()
    assert not at_as_of.exception
    table = _frame(at_as_of, "segment")
    kpi = view.kpis()
    assert table["customers"].sum() == kpi.customers
    assert table["revenue"].sum() + kpi.returns_only_revenue == pytest.approx(kpi.revenue)
    # Orders as the view counts them (purchase orders; customers with only returns have
    # none): the segment table's orders column adds up to the KPI.
    assert table["orders"].sum() == kpi.orders


def test_segment_orders_add_up_to_the_overview_orders(
    at_as_of: AppTest,
    view: rfm.AnalysisView,
    read_metrics: Callable[[AppTest], dict[str, str]],
) -> None:
    # Both read off the pages, as a person would compare them.
    at_as_of.switch_page("pages/overview.py").run()
    overview = read_metrics(at_as_of)
    at_as_of.switch_page("pages/segments.py").run()
    table = _frame(at_as_of, "segment")
    assert fmt.count(int(table["orders"].sum())) == overview["Orders"]
    # And the page says so beside the table, revenue included.
    said = " ".join(c.value for c in at_as_of.caption)
    assert f"In all: {overview['Customers']} customers, {overview['Orders']} orders" in said
    if view.counts.returns_only:
        assert f"the Overview's {overview['Revenue']}" in said
    else:
        assert f"{overview['Revenue']} of revenue: the Overview's figures" in said


def test_customers_page_country_table_counts_the_view(
    at_as_of: AppTest, view: rfm.AnalysisView
) -> None:
    # Every sample customer has one country, so the country rows add up to the KPI.
    countries = view.transactions.group_by("customer_id").agg(pl.col("country").n_unique())
    assert countries["country"].max() == 1
    at_as_of.switch_page("pages/customers.py").run()
    assert not at_as_of.exception, [e.value for e in at_as_of.exception]
    table = _frame(at_as_of, "country")
    kpi = view.kpis()
    assert table["customers"].sum() == kpi.customers
    # Revenue is shown rounded to whole units per row.
    assert abs(table["revenue"].sum() - kpi.revenue) <= 0.5 * table.height


def _chart_dates(at: AppTest) -> list[dt.date]:
    """Every date in the data of every chart on the page (Arrow datasets)."""
    found: list[dt.date] = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frame = pl.from_arrow(pa.ipc.open_stream(dataset.data.data).read_all())
            assert isinstance(frame, pl.DataFrame)
            for name, dtype in frame.schema.items():
                if dtype in (pl.Date, pl.Datetime):
                    found += frame[name].cast(pl.Date).drop_nulls().to_list()
    return found


def test_no_chart_has_data_after_the_as_of_date(at_as_of: AppTest) -> None:
    for page in ("pages/overview.py", "pages/customers.py"):
        at_as_of.switch_page(page).run()
        dates = _chart_dates(at_as_of)
        assert dates, f"{page}: no dated chart data found, so the check would be empty"
        assert max(dates) <= AS_OF, page


def test_chart_check_sees_later_data_without_an_as_of(app: AppTest) -> None:
    # The check above can fail: without an as-of date the sample runs to 2023.
    app.switch_page("pages/overview.py").run()
    assert max(_chart_dates(app)) > AS_OF


def test_segment_table_says_where_returns_only_revenue_went(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    # By hand: A and B bought (orders 1 and 2, $40); C only returned goods (-$5), so the
    # Overview's revenue is $35 while the segment table holds $40.
    data = b"order_id,customer_id,order_date,amount\n1,A,2024-01-05,10.00\n"
    data += b"2,B,2024-02-01,30.00\nC3,C,2024-02-10,-5.00\n"
    upload(app, "returns.csv", data)
    app.switch_page("pages/segments.py").run()
    assert not app.exception, [e.value for e in app.exception]
    said = " ".join(c.value for c in app.caption)
    assert "In all: 2 customers, 2 orders and $40.00 of revenue" in said
    assert "1 customer with only returns in the period (no orders, -$5.00)" in said
    assert "revenue is the Overview's $35.00" in said
