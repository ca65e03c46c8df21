"""Segments: who is in each segment, what to do about them, and lists to download."""

from __future__ import annotations

from typing import Literal

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rfm import tables as report_tables
from rfm_app import charts, keys, session, tables
from rfm_app import format as fmt
from rfm_app.routing import ensure_router
from rfm_app.widgets import (
    customer_link,
    download_buttons,
    require_analysis,
    require_customers,
    source_caption,
)

ensure_router()  # first: a legacy direct run of this file goes through the router

st.title("Segments", anchor=False)
result = require_analysis()
segmented = require_customers()
currency = session.currency()
money = tables.money_format(currency)
columns = tables.customer_columns(currency)
source_caption()

st.subheader("Segment table", anchor=False)
populated = result.segments.filter(pl.col("customers") > 0)
empty = result.segments.filter(pl.col("customers") == 0)["segment"].to_list()
st.dataframe(
    # Shares as percentages with one decimal, as the treemap labels them.
    populated.with_columns(pl.col("share", "revenue_share") * 100),
    hide_index=True,
    width="stretch",
    height=35 * (populated.height + 1) + 3,
    column_config={
        "segment": st.column_config.TextColumn("Segment", pinned=True),
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "share": st.column_config.ProgressColumn(
            "Share of customers", format="%.1f%%", min_value=0.0, max_value=100.0
        ),
        "orders": st.column_config.NumberColumn(
            "Orders",
            format="localized",
            help="Purchase orders in the period; a cancellation invoice is a return, not an "
            "order. Adds up to the Overview's orders.",
        ),
        "revenue": st.column_config.NumberColumn(
            "Revenue",
            format=money,
            help="Net: purchases minus returns, on or before the as-of date.",
        ),
        "revenue_share": st.column_config.NumberColumn("Share of revenue", format="%.1f%%"),
        "avg_recency_days": st.column_config.NumberColumn(
            "Avg days since last order", format="%.0f"
        ),
        "avg_frequency": st.column_config.NumberColumn("Avg orders per customer", format="%.1f"),
        "avg_monetary": st.column_config.NumberColumn("Avg revenue per customer", format=money),
        "description": st.column_config.TextColumn("Who they are", width="large"),
        "action": st.column_config.TextColumn("Recommended action", width="large"),
    },
)
if empty:
    st.caption(f"No customers in: {', '.join(empty)}.")
# The columns add up to the Overview's figures; say so, with what is outside the table.
in_all = (
    f"In all: {fmt.plural(int(populated['customers'].sum()), 'customer')}, "
    f"{fmt.plural(int(populated['orders'].sum()), 'order')} and "
    f"{fmt.money(float(populated['revenue'].sum()), currency)} of revenue"
)
kpis = result.kpis
if kpis.returns_only_customers:
    st.caption(
        f"{in_all}. Not in any segment: {fmt.plural(kpis.returns_only_customers, 'customer')} "
        f"with only returns in the period (no orders, "
        f"{fmt.money(kpis.returns_only_revenue, currency)}); with them, revenue is the "
        f"Overview's {fmt.money(kpis.revenue, currency)}. The Data page lists them."
    )
else:
    st.caption(f"{in_all}: the Overview's figures.")
download_buttons(result.segments, stem="segment_table", key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}table")

st.subheader("R × FM grid", anchor=False)
st.caption(
    "Each cell is a combination of recency score and frequency-monetary score; "
    "the colour is its segment and the number its customers."
)
st.altair_chart(
    charts.rfm_grid(result.grid, order=result.segments["segment"].to_list()), width="stretch"
)

st.subheader("Top customers", anchor=False)
top_n = st.slider("How many", min_value=5, max_value=100, value=20, step=5, key=keys.SEGMENTS_TOP_N)
by_spend, by_score = st.tabs(["By spend", "By RFM score"])
shown = ["customer_id", "segment", "rfm_score", "recency_days", "frequency", "monetary"]
TopBy = Literal["spend", "rfm_score"]
tops: tuple[tuple[DeltaGenerator, TopBy, str], ...] = (
    (by_spend, "spend", keys.SEGMENTS_TOP_SPEND_TABLE),
    (by_score, "rfm_score", keys.SEGMENTS_TOP_SCORE_TABLE),
)
for tab, by, table_key in tops:
    with tab:
        top = report_tables.top_customers(segmented, by=by, n=top_n).select(shown)
        picked = st.dataframe(
            top,
            hide_index=True,
            width="stretch",
            column_config=columns,
            on_select="rerun",
            selection_mode="single-row",
            key=table_key,
        )
        customer_link(picked, top)
        download_buttons(
            top,
            stem=f"top_customers_by_{by}",
            key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}top_{by.removeprefix('rfm_')}",
        )

st.subheader("Customer explorer", anchor=False)
names = result.segments["segment"].to_list()
chosen = st.multiselect(
    "Segments", names, default=names[:1], key=keys.SEGMENTS_EXPLORER, placeholder="Choose segments"
)
in_segments = segmented.filter(segmented["segment"].is_in(chosen))
st.caption(fmt.plural(in_segments.height, "customer"))
st.dataframe(in_segments, hide_index=True, width="stretch", column_config=columns)
download_buttons(
    in_segments,
    stem="customers_" + "_".join(n.lower().replace(" ", "_") for n in chosen)[:80],
    key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}explorer",
)
