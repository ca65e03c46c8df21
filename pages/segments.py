"""Segments: who is in each segment, what to do about them, and lists to download."""

from __future__ import annotations

import streamlit as st

from rfm import breakdowns
from rfm_app import charts, keys, session
from rfm_app.widgets import download_buttons, require_analysis, source_caption

st.title("Segments", anchor=False)
result = require_analysis()
currency = session.currency()
money = f"{currency}%,.2f"
source_caption()

st.subheader("Segment table", anchor=False)
st.dataframe(
    result.segments,
    hide_index=True,
    width="stretch",
    height=36 * (result.segments.height + 1) + 4,
    key="segments.table",
    column_config={
        "segment": st.column_config.TextColumn("Segment", pinned=True),
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "share": st.column_config.ProgressColumn(
            "Share of customers", format="percent", min_value=0.0, max_value=1.0),
        "revenue": st.column_config.NumberColumn("Revenue", format=money),
        "revenue_share": st.column_config.NumberColumn("Share of revenue", format="percent"),
        "avg_recency_days": st.column_config.NumberColumn("Avg recency (days)", format="%.0f"),
        "avg_frequency": st.column_config.NumberColumn("Avg orders", format="%.1f"),
        "avg_monetary": st.column_config.NumberColumn("Avg spend", format=money),
        "description": st.column_config.TextColumn("Who they are", width="large"),
        "action": st.column_config.TextColumn("Recommended action", width="large"),
    },
)
download_buttons(result.segments, stem="segment_table",
                 key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}table")

st.subheader("R × FM grid", anchor=False)
st.caption("Each cell is a combination of recency score and frequency-monetary score; "
           "the colour is its segment and the number its customers.")
st.altair_chart(charts.rfm_grid(result.grid, order=result.segments["segment"].to_list()), width="stretch", key="segments.grid")

st.subheader("Top customers", anchor=False)
top_n = st.slider("How many", min_value=5, max_value=100, value=20, step=5,
                  key=keys.SEGMENTS_TOP_N)
by_spend, by_score = st.tabs(["By spend", "By RFM score"])
shown = ["customer_id", "segment", "rfm_score", "recency_days", "frequency", "monetary"]
with by_spend:
    top = breakdowns.top_customers(result.customers, by="spend", n=top_n).select(shown)
    st.dataframe(top, hide_index=True, width="stretch", key="segments.top_spend")
    download_buttons(top, stem="top_customers_by_spend",
                     key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}top_spend")
with by_score:
    top = breakdowns.top_customers(result.customers, by="rfm_score", n=top_n).select(shown)
    st.dataframe(top, hide_index=True, width="stretch", key="segments.top_score")
    download_buttons(top, stem="top_customers_by_rfm_score",
                     key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}top_score")

st.subheader("Customer explorer", anchor=False)
names = result.segments["segment"].to_list()
chosen = st.multiselect("Segments", names, default=names[:1], key=keys.SEGMENTS_EXPLORER,
                        placeholder="Choose segments")
customers = result.customers.filter(result.customers["segment"].is_in(chosen))
st.caption(f"{customers.height:,} customers")
st.dataframe(customers, hide_index=True, width="stretch", key="segments.explorer_table")
download_buttons(customers, stem="customers_" + "_".join(n.lower().replace(" ", "_")
                                                         for n in chosen)[:80],
                 key=f"{keys.SEGMENTS_DOWNLOAD_PREFIX}explorer")
