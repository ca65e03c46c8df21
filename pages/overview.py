"""Overview: headline KPIs, the segment treemap and the main breakdowns."""

from __future__ import annotations

import streamlit as st

import rfm
from rfm_app import charts, pipeline, session
from rfm_app import format as fmt
from rfm_app.chart_cache import draw_chart
from rfm_app.routing import ensure_router
from rfm_app.treemap import treemap_chart
from rfm_app.widgets import partial_caption, require_analysis, revenue_help, source_caption

ensure_router()  # first: a legacy direct run of this file goes through the router

st.title("Overview", anchor=False)
result = require_analysis()
currency = session.currency()
kpi = result.kpis
source_caption()

# Each headline KPI against the period of the same length before the view's dates.
comparison = pipeline.period_comparison()
compared = (
    comparison
    if isinstance(comparison, rfm.PeriodComparison)
    and (comparison.previous.customers or comparison.previous.orders)
    else None
)
changes = (
    {}
    if compared is None
    else {
        m: (c, r)
        for m, c, r in compared.table.select("measure", "change", "relative_change").iter_rows()
    }
)


def delta(measure: str, *, money: bool = False, decimals: int = 0) -> str | None:
    """The change of ``measure`` against the previous period, signed, with the relative
    change when the previous figure is not zero (None: no comparison)."""
    change, relative = changes.get(measure, (None, None))
    if change is None:
        return None
    sign = "-" if change < 0 else "+"
    size = fmt.money(abs(change), currency) if money else fmt.number(abs(change), decimals=decimals)
    return f"{sign}{size}" + ("" if relative is None else f" ({relative:+.1%})")


first = st.columns(4)
first[0].metric("Customers", fmt.count(kpi.customers), delta=delta("customers"), border=True)
first[1].metric("Orders", fmt.count(kpi.orders), delta=delta("orders"), border=True)
first[2].metric(
    "Revenue",
    fmt.money_metric(kpi.revenue, currency),
    delta=delta("revenue", money=True),
    border=True,
    help=revenue_help(kpi, currency),
)
first[3].metric(
    "Quantity",
    fmt.count(kpi.quantity),
    delta=delta("quantity"),
    border=True,
    help=None
    if kpi.quantity is not None
    else "Map a quantity column on the Data page to see units.",
)
second = st.columns(4)
second[0].metric(
    "Average order value",
    fmt.money(kpi.avg_order_value, currency),
    delta=delta("avg_order_value", money=True),
    border=True,
)
second[1].metric(
    "Orders per customer",
    fmt.number(kpi.orders_per_customer),
    delta=delta("orders_per_customer", decimals=2),
    border=True,
)
second[2].metric(
    "Active customers",
    fmt.percent(kpi.share_active),
    border=True,
    help=f"Bought within the last {kpi.active_days} days.",
    height="stretch",  # as tall as the metrics with a delta beside it
)
second[3].metric(
    "Measured as of",
    str(result.as_of),
    border=True,
    help="Recency is counted up to this date (set it on the Data page).",
    height="stretch",
)
if compared is not None:
    note = (
        f" The data start on {result.coverage[0]}, after the previous period began: "
        "its figures are low."
        if compared.previous_is_partial
        else ""
    )
    st.caption(
        f"Change vs {compared.previous_start} – {compared.previous_end}, the period of the "
        f"same length before {compared.current_start} – {compared.current_end}.{note}"
    )
elif comparison is None:
    st.caption("Changes against the previous period are not shown with a segment filter.")
elif not isinstance(comparison, pipeline.Failure):
    st.caption(
        "Pick order dates in the sidebar (e.g. the last quarter) to compare them with the "
        "period of the same length before."
    )

st.subheader("Segments", anchor=False)
st.caption("Tile area = number of customers. Hover a tile for details.")
draw_chart(treemap_chart, result.segments)

left, right = st.columns(2)
with left:
    st.subheader("RFM score distribution", anchor=False)
    draw_chart(
        charts.score_histogram,
        result.scores,
        score="rfm_total",
        title="Total RFM score (R + F + M)",
    )
with right:
    st.subheader("Activity status", anchor=False)
    draw_chart(charts.activity_bars, result.activity, value="customers", title="Customers")
    st.caption("Active: bought in the last 90 days · Inactive: 91–365 days · Museum: longer ago.")

left, right = st.columns(2)
with left:
    st.subheader("Revenue by segment", anchor=False)
    draw_chart(
        charts.bar_by_segment,
        result.by_segment,
        value="revenue",
        title=fmt.money_title("Net revenue", currency),
    )
    if kpi.returns_only_customers:
        st.caption(
            f"“(returns only)”: returns by {fmt.count(kpi.returns_only_customers)} customers "
            "with no purchase in the period; part of the revenue KPI."
        )
with right:
    st.subheader("Quantity by segment", anchor=False)
    if kpi.quantity is not None:
        draw_chart(charts.bar_by_segment, result.by_segment, value="quantity", title="Units")
    else:
        st.info(
            "Map a **quantity** column on the Data page to see units by segment.",
            icon=":material/info:",
        )

st.subheader("Revenue over time", anchor=False)
by_month, by_year = st.tabs(["By month", "By year"])
for tab, table, unit in ((by_month, result.monthly, "yearmonth"), (by_year, result.yearly, "year")):
    with tab:
        draw_chart(
            charts.period_trend,
            table,
            period="period",
            value="revenue",
            title=fmt.money_title("Net revenue", currency),
            time_unit=unit,
        )
partial_caption(result.monthly, result.yearly)

left, right = st.columns(2)
with left:
    st.subheader("Gender by segment", anchor=False)
    if result.gender is not None:
        draw_chart(
            charts.stacked_share_by_segment,
            result.gender,
            group="gender",
            value="customers",
            group_title="Gender",
            segments=result.segments["segment"].to_list(),
        )
    else:
        st.info(
            "Map a **gender** column on the Data page to see this split.", icon=":material/info:"
        )
with right:
    st.subheader("Orders per customer", anchor=False)
    draw_chart(
        charts.category_bars,
        result.frequency,
        category="orders",
        value="customers",
        title="Customers",
        category_title="Orders in the period",
    )
