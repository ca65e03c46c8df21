"""Movement: who moved between segments since an earlier date, and how cohorts keep buying."""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl
import streamlit as st

from rfm.movement import NEW_IN_PERIOD, RETURNS_ONLY
from rfm_app import charts, keys, pipeline, session, tables
from rfm_app import filters as view_filters
from rfm_app import format as fmt
from rfm_app.pipeline import Failure
from rfm_app.widgets import analysis_page, download_buttons, plain, show_failure

COHORT_PERIODS: Final = {"1w": "Week", "1mo": "Month", "1q": "Quarter"}

result = analysis_page("Movement")  # first: it routes a legacy direct run
currency = session.currency()
first_day, _ = result.coverage
later = result.as_of
latest_earlier = max(first_day, later - dt.timedelta(days=1))

left, right = st.columns([1, 2], vertical_alignment="bottom")
with left:
    earlier = st.date_input(
        "Compare with the segments as of",
        value=pipeline.default_earlier(later, first_day),
        min_value=first_day,
        max_value=latest_earlier,
        key=keys.MOVEMENT_SINCE,
        bind="query-params",
        format="YYYY-MM-DD",
        help="The earlier date. The later date is the view's as-of date.",
    )
with right:
    scale = st.toggle(
        "Score the later date on the earlier date's scale",
        key=keys.MOVEMENT_EDGES,
        help=(
            "Off (default): each date is scored among its own customers, so both sides are "
            "the segments every page shows for that date. On: the later date is scored on "
            "the earlier date's score bins, one fixed scale on which a base that drifts away "
            "shows as movement down."
        ),
    )
if not isinstance(earlier, dt.date):
    st.info("Pick the earlier date to compare with.", icon=":material/calendar_month:")
    st.stop()
earlier = min(max(earlier, first_day), latest_earlier)
st.caption(
    f"Segments as of **{earlier}** against segments as of **{later}**, the view's as-of "
    "date (set it on the Data page)."
)
if view_filters.current().segments:
    st.info(
        "The segment filter is not applied on this page: movement is shown between all "
        "segments, so you can see where the chosen segments' customers came from and went.",
        icon=":material/info:",
    )

moved = pipeline.movement(earlier, edges="earlier" if scale else "own")
if isinstance(moved, Failure):
    show_failure(moved)

changes = dict(moved.customers.group_by("change").len().iter_rows())
up, down, same, new = (int(changes.get(name, 0)) for name in ("up", "down", "same", "new"))
columns = st.columns(4)
columns[0].metric("Moved up", fmt.count(up), border=True)
columns[1].metric("Moved down", fmt.count(down), border=True)
columns[2].metric("Stayed", fmt.count(same), border=True)
columns[3].metric("New since", fmt.count(new), border=True)
summary = (
    f"Since {earlier}, {fmt.plural(down, 'customer')} moved down and {fmt.count(up)} up; "
    f"{fmt.count(same)} stayed in their segment and {fmt.count(new)} bought for the first time."
)
st.markdown(summary)
later_returns = int(
    moved.totals.filter(pl.col("segment") == RETURNS_ONLY)["later_customers"].sum() or 0
)
if later_returns:
    st.caption(
        f"“{RETURNS_ONLY}”: {fmt.plural(later_returns, 'customer')} with only returns up to "
        f"{later}; they are not counted as customers of the view."
    )

st.subheader("Where customers went", anchor=False)
st.caption(
    "Left: segments at the earlier date; right: at the later date. Band width = customers; "
    f"“{NEW_IN_PERIOD}” are customers whose first order came after the earlier date."
)
st.altair_chart(
    charts.migration_flow(
        moved.transitions,
        states=moved.states,
        earlier_label=str(earlier),
        later_label=str(later),
    ),
    width="stretch",
)

st.subheader("Transition matrix", anchor=False)
st.caption("Each cell: customers, and their share of the row (the segment at the earlier date).")
st.altair_chart(
    charts.transition_heatmap(
        moved.transitions,
        states=moved.states,
        earlier_label=str(earlier),
        later_label=str(later),
    ),
    width="stretch",
)
with st.expander("Segment sizes at both dates"):
    st.dataframe(
        moved.totals.filter((pl.col("earlier_customers") > 0) | (pl.col("later_customers") > 0)),
        hide_index=True,
        width="stretch",
        key=keys.MOVEMENT_TOTALS,
        column_config={
            "segment": st.column_config.TextColumn("Segment", pinned=True),
            "earlier_customers": st.column_config.NumberColumn(
                f"Customers {earlier}", format="localized"
            ),
            "later_customers": st.column_config.NumberColumn(
                f"Customers {later}", format="localized"
            ),
            "net_change": st.column_config.NumberColumn("Net change", format="%+d"),
            "stayed": st.column_config.NumberColumn("Stayed", format="localized"),
            "moved_in": st.column_config.NumberColumn("Moved in", format="localized"),
            "moved_out": st.column_config.NumberColumn("Moved out", format="localized"),
        },
    )
    st.caption(
        f"“{NEW_IN_PERIOD}” is listed under {earlier} for the customers whose first order "
        f"came after it: they were not customers yet. Both date columns add up to the "
        f"same {fmt.count(int(moved.totals['later_customers'].sum()))}: the same people, "
        "counted at each date."
    )

st.subheader("Customers behind a cell", anchor=False)
# The biggest move down is the list a marketing team asks for first.
downs = moved.transitions.join(
    moved.customers.filter(pl.col("change") == "down")
    .select(pl.col("previous_segment").alias("from_segment"), pl.col("segment").alias("to_segment"))
    .unique(),
    on=["from_segment", "to_segment"],
    how="semi",
).sort("customers", descending=True)
start = downs.row(0, named=True) if downs.height else moved.transitions.row(0, named=True)
from_states = list(moved.states)
to_states = [state for state in moved.states if state != NEW_IN_PERIOD]
pick_from, pick_to = st.columns(2)
from_segment = pick_from.selectbox(
    f"Segment {earlier}",
    from_states,
    index=from_states.index(start["from_segment"]),
    key=keys.MOVEMENT_FROM,
)
to_segment = pick_to.selectbox(
    f"Segment {later}",
    to_states,
    index=to_states.index(start["to_segment"]),
    key=keys.MOVEMENT_TO,
)
cell = moved.between(str(from_segment), str(to_segment))
if cell.height == 0:
    st.info(
        f"No customer moved from {plain(from_segment)} to {plain(to_segment)}.",
        icon=":material/info:",
    )
else:
    st.caption(
        f"{fmt.plural(cell.height, 'customer')} in {plain(from_segment)} on {earlier} and in "
        f"{plain(to_segment)} on {later}, most valuable first; revenue is net since {earlier}."
    )
    money = tables.money_format(currency)
    st.dataframe(
        cell.select(
            "customer_id",
            "previous_segment",
            "segment",
            "monetary",
            "revenue",
            "recency_days",
            "frequency",
            "previous_rfm_score",
            "rfm_score",
            "change",
            "segment_since",
        ),
        hide_index=True,
        width="stretch",
        column_config={
            **tables.customer_columns(currency),
            "previous_segment": st.column_config.TextColumn(f"Segment {earlier}"),
            "segment": st.column_config.TextColumn(f"Segment {later}"),
            "change": st.column_config.TextColumn("Change"),
            "segment_since": st.column_config.DateColumn("In segment since", format="YYYY-MM-DD"),
            "revenue": st.column_config.NumberColumn(f"Revenue since {earlier}", format=money),
            "previous_rfm_score": st.column_config.TextColumn(f"RFM score {earlier}"),
            "rfm_score": st.column_config.TextColumn(f"RFM score {later}"),
        },
    )
    stem = f"customers_{from_segment}_to_{to_segment}".lower().replace(" ", "_")
    download_buttons(cell, stem=stem, key=keys.MOVEMENT_DOWNLOAD)

st.subheader("Cohort retention", anchor=False)
every = st.segmented_control(
    "Cohorts by",
    list(COHORT_PERIODS),
    format_func=COHORT_PERIODS.__getitem__,
    default="1mo",
    key=keys.MOVEMENT_COHORT_EVERY,
)
every = str(every or "1mo")
retention = pipeline.cohorts(every)
if isinstance(retention, Failure):
    show_failure(retention)
unit = COHORT_PERIODS[every]
st.caption(
    f"Customers grouped by the {unit.lower()} of their first purchase; each cell is the share "
    f"of the cohort buying in that {unit.lower()}. Empty cells are not observed yet (after "
    f"{retention.as_of}); the last {unit.lower()} may be partial."
)
st.altair_chart(charts.cohort_heatmap(retention.table, every_label=unit), width="stretch")
if retention.returns_only_customers:
    st.caption(
        f"{fmt.plural(retention.returns_only_customers, 'customer')} with only returns are "
        "in no cohort."
    )
