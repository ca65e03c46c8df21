"""Clusters: data-driven customer groups (KMeans on log-scaled R, F, M)."""

from __future__ import annotations

import streamlit as st

from rfm.tables import crosstab
from rfm_app import charts, keys, pipeline, session
from rfm_app import format as fmt
from rfm_app.pipeline import Failure
from rfm_app.widgets import (
    analysis_page,
    download_buttons,
    plain,
    require_customers,
    show_failure,
    with_status,
)

AUTOMATIC = "Automatic (best silhouette)"
CHOOSE = "Choose k"

result = analysis_page("Clusters")  # first: it routes a legacy direct run
currency = session.currency()
st.caption(
    "KMeans groups customers with similar recency, frequency and spend (log-scaled and "
    "standardised), without the fixed thresholds of the RFM segments."
)

left, right = st.columns([2, 3])
mode = left.radio(
    "Number of clusters", [AUTOMATIC, CHOOSE], horizontal=True, key=keys.CLUSTERS_MODE
)
k: int | None = None
if mode == CHOOSE:
    k = int(right.slider("k", min_value=2, max_value=8, value=4, key=keys.CLUSTERS_K))

found = with_status(
    lambda: pipeline.clusters(k),
    running="Clustering customers…",
    failed="Clustering failed",
    done=lambda result: f"{result.k} clusters of {fmt.count(result.labels.height)} customers",
)
if isinstance(found, Failure):
    show_failure(found, where="Widen the filters so that more customers are in view.")

profiles = found.profiles
names = profiles["cluster_name"].to_list()

st.subheader("How many clusters?", anchor=False)
automatic_scores = pipeline.clusters(None)
if isinstance(automatic_scores, Failure):
    st.warning(plain(automatic_scores.message), icon=":material/warning:")
else:
    st.altair_chart(charts.k_selection(automatic_scores.scores, chosen=found.k), width="content")
    best = automatic_scores.k
    st.caption(
        f"Silhouette is highest at k = {best}"
        + (" (used)." if found.k == best else f"; you chose k = {found.k}.")
        + " Inertia always falls as k grows; look for where it stops falling fast."
    )

st.subheader("Cluster profiles", anchor=False)
st.dataframe(
    profiles.select(
        "cluster_name",
        "customers",
        "share",
        "recency_days_median",
        "frequency_median",
        "monetary_median",
        "revenue",
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "cluster_name": st.column_config.TextColumn("Cluster", width="medium"),
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "share": st.column_config.NumberColumn("Share", format="percent"),
        "recency_days_median": st.column_config.NumberColumn(
            "Median days since last purchase", format="%.0f"
        ),
        "frequency_median": st.column_config.NumberColumn("Median orders", format="%.1f"),
        "monetary_median": st.column_config.NumberColumn(
            f"Median net revenue ({currency})", format="%.2f"
        ),
        "revenue": st.column_config.NumberColumn(f"Revenue ({currency})", format="localized"),
    },
    key=keys.CLUSTERS_PROFILES,
)

customers = require_customers().join(found.labels, on="customer_id", how="inner")
left, right = st.columns([3, 2])
with left:
    st.subheader("Customers by cluster", anchor=False)
    points = charts.sample_points(customers)
    if points.height < customers.height:
        st.caption(
            f"A random sample of {fmt.count(points.height)} of "
            f"{fmt.count(customers.height)} customers."
        )
    st.altair_chart(charts.cluster_scatter(points, names=names, currency=currency), width="stretch")
with right:
    st.subheader("Revenue by cluster", anchor=False)
    st.altair_chart(
        charts.customer_bars(
            profiles,
            category="cluster_name",
            value="revenue",
            title=fmt.money_title("Net revenue", currency),
            category_title="Cluster",
        ),
        width="stretch",
    )

st.subheader("Clusters and RFM segments", anchor=False)
st.caption(
    "Customers in each cluster by RFM segment: where the two views agree and "
    "where a cluster cuts across segments."
)
segments = [
    name
    for name in result.segments["segment"].to_list()
    if name in set(customers["segment"].to_list())
]
table = crosstab(customers, rows="cluster_name", columns="segment")
st.altair_chart(charts.crosstab(table, rows=names, columns=segments), width="stretch")

st.subheader("Download cluster membership", anchor=False)
download_buttons(
    customers.select(
        "customer_id", "cluster", "cluster_name", "segment", "recency_days", "frequency", "monetary"
    ).sort("cluster", "customer_id"),
    stem="clusters",
    key=keys.CLUSTERS_DOWNLOAD,
)
