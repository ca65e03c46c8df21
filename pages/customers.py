"""Customers: who they are, where they are, what and how they buy."""

from __future__ import annotations

import polars as pl
import streamlit as st

from rfm_app import charts, keys, pipeline, session
from rfm_app import format as fmt
from rfm_app.chart_cache import draw_chart
from rfm_app.pipeline import Failure
from rfm_app.widgets import analysis_page, partial_caption, plain, show_failure


def missing(columns: str, what: str) -> None:
    """Say which column would enable a section."""
    st.info(f"Add {columns} column to see {what}.", icon=":material/info:")


result = analysis_page("Customers")  # first: it routes a legacy direct run
currency = session.currency()
money = fmt.money_title("Net revenue", currency)

st.subheader("Customers by segment", anchor=False)
st.caption(
    "Click a segment (shift-click for several) to focus every chart on this page on "
    "it; click the background to clear."
)
event = draw_chart(
    charts.segment_picker,
    result.segments,
    value="customers",
    title="Customers",
    on_select="rerun",
    key=keys.CUSTOMERS_SEGMENT_CHART,
)
picked = charts.picked_segments(event)
found = pipeline.customer_tables(picked)
if isinstance(found, Failure):
    show_failure(found)
customers = found.customers
if picked:
    st.info(
        f"Focused on {plain(', '.join(picked))}: {fmt.count(customers.height)} customers.",
        icon=":material/filter_center_focus:",
    )
by = found.by_line_column

left, right = st.columns(2)
with left:
    st.subheader("Age groups", anchor=False)
    if "age_group" in by:
        table = by["age_group"]
        draw_chart(
            charts.vbars,
            table,
            category="age_group",
            value="customers",
            title="Customers",
            category_title="Age group",
        )
    else:
        missing("an `age` or `birth_date`", "age groups")
with right:
    st.subheader("Gender", anchor=False)
    if "gender" in by:
        table = by["gender"]
        draw_chart(charts.customer_bars, table, category="gender", value="revenue", title=money)
    else:
        missing("a `gender`", "the gender split")

st.subheader("Where customers are", anchor=False)
# One country (a domestic shop): the map says nothing, so show its states, regions or cities.
local = next((c for c in ("state", "region", "city") if c in by), None)
one_country = "country" in by and by["country"].height == 1
if local is not None and ("country" not in by or one_country):
    table = by[local]
    where = f" in {plain(by['country']['country'][0])}" if one_country else ""
    st.caption(f"Customers and net revenue by {local}{where}.")
    left, right = st.columns(2)
    draw_chart(
        charts.customer_bars,
        table,
        category=local,
        value="revenue",
        title=money,
        top=15,
        where=left,
    )
    draw_chart(
        charts.customer_bars,
        table,
        category=local,
        value="customers",
        title="Customers",
        top=15,
        where=right,
    )
elif "country" in by:
    table = by["country"].with_columns(charts.map_names(pl.col("country")).alias("map_country"))
    measure = st.segmented_control(
        "Colour by", ["Revenue", "Customers"], default="Revenue", key=keys.CUSTOMERS_MAP_MEASURE
    )
    value, title, value_format = (
        ("customers", "Customers", ",.0f") if measure == "Customers" else ("revenue", money, ",.0f")
    )
    left, right = st.columns([5, 3])
    draw_chart(
        charts.world_map, table, value=value, title=title, value_format=value_format, where=left
    )
    with right:
        st.dataframe(
            table.select("country", "customers", pl.col("revenue").round(0)),
            hide_index=True,
            column_config={
                "country": "Country",
                "customers": st.column_config.NumberColumn("Customers", format="localized"),
                "revenue": st.column_config.NumberColumn(money, format="localized"),
            },
            key=keys.CUSTOMERS_COUNTRY_TABLE,
        )
    unmapped = table.filter(pl.col("map_country").is_null())["country"].to_list()
    if unmapped:
        st.caption(
            f"Not on the map (name not recognised or too small at this scale): "
            f"{plain(', '.join(unmapped))}."
        )
else:
    missing("a `country`", "the map of revenue and customers by country")

left, right = st.columns(2)
with left:
    st.subheader("Payment methods", anchor=False)
    if "payment_method" in by:
        table = by["payment_method"]
        draw_chart(
            charts.hbars,
            table,
            category="payment_method",
            value="orders",
            title="Orders",
            category_title="Payment method",
            extra_tooltip=[("revenue", money, ",.2f")],
        )
    else:
        missing("a `payment_method`", "payment methods")
with right:
    st.subheader("What they buy", anchor=False)
    kinds = [c for c in ("category", "department", "theme") if c in by]
    if kinds:
        for tab, column in zip(st.tabs([c.capitalize() for c in kinds]), kinds, strict=True):
            with tab:
                table = by[column].head(10)
                draw_chart(
                    charts.customer_bars, table, category=column, value="revenue", title=money
                )
    else:
        missing("a `category`, `department` or `theme`", "top products")

st.subheader("Returns", anchor=False)
st.caption("Returned value as a share of gross sales.")
left, right = st.columns(2)
for column, side in (("category", left), ("gender", right)):
    with side:
        if column in by:
            table = by[column].sort("return_rate", descending=True, nulls_last=True)
            draw_chart(
                charts.hbars,
                table,
                category=column,
                value="return_rate",
                title="Returned value / gross sales",
                value_format=".1%",
                category_title=column.capitalize(),
                color="#d4603f",
                extra_tooltip=[("returned_value", "Returned value", ",.2f")],
            )
        else:
            missing(f"a `{column}`", f"returns by {column}")

left, right = st.columns(2)
with left:
    st.subheader("Revenue by tenure", anchor=False)
    table = found.tenure
    draw_chart(
        charts.vbars,
        table,
        category="tenure",
        value="revenue",
        title=money,
        category_title="Time since first purchase",
    )
with right:
    st.subheader("Revenue by signup cohort", anchor=False)
    draw_chart(charts.cohort_bars, found.cohorts, value="revenue", title=money, every="1q")
    if found.cohort_source != "signup date":
        st.caption("No `signup_date` column: cohorts are by first purchase.")

left, right = st.columns(2)
with left:
    st.subheader("Recency", anchor=False)
    draw_chart(
        charts.histogram,
        charts.histogram_table(customers["recency_days"], bins=24),
        title="Days since last purchase",
    )
with right:
    st.subheader("Monthly purchase frequency", anchor=False)
    draw_chart(
        charts.monthly_line,
        found.monthly,
        value="orders_per_customer",
        title="Orders per buying customer",
        value_format=".2f",
    )
    partial_caption(found.monthly)

st.subheader("Spend vs recency", anchor=False)
points = charts.sample_points(customers)
if points.height < customers.height:
    st.caption(
        f"A random sample of {fmt.count(points.height)} of {fmt.count(customers.height)} customers."
    )
draw_chart(charts.spend_vs_recency, points, currency=currency)
