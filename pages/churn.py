"""Churn & CLV: who is still a customer, what they will spend, and how well we know it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import polars.selectors as cs
import streamlit as st

import rfm
from rfm.forecast import LIKELY_CHURNED, horizon_days
from rfm_app import charts, keys, pipeline, session
from rfm_app import format as fmt
from rfm_app.pipeline import Failure
from rfm_app.widgets import (
    analysis_page,
    customer_link,
    download_buttons,
    plain,
    show_failure,
    with_status,
)

TOP_BARS = 15
"""Bar charts by country, category or retailer show this many, the largest."""
HORIZONS = {3: "3 months", 6: "6 months", 12: "12 months", 24: "24 months"}
PARAMETER_NOTES = {
    "r": "Shape of how purchase rates differ between customers: small r means a few "
    "customers buy far more often than the rest.",
    "alpha": "Scale of those purchase rates, in days: an active customer buys about r / alpha "
    "times a day on average.",
    "a": "With b, shapes the chance that a customer leaves after a purchase; "
    "a / (a + b) is the average chance.",
    "b": "Large b relative to a means most customers are unlikely to drop out after any "
    "one purchase.",
    "s": "With beta, shapes how long customers stay: small s means lifetimes differ a lot "
    "between customers.",
    "beta": "Scale of customer lifetimes, in days: the average customer stays about "
    "beta / (s - 1) days when s > 1.",
    "p": "Shape of one customer's spend per purchase day: higher p means steadier spending "
    "from visit to visit.",
    "q": "Shape of how typical spend differs between customers: lower q means a few big "
    "spenders stand apart.",
    "gamma": "Scale of typical spend (currency): the average spend per purchase day is "
    "p x gamma / (q - 1).",
}
MODEL_LABELS = {
    "best": "Best on the model check (recommended)",
    "bg/nbd": "BG/NBD",
    "mbg/nbd": "MBG/NBD",
    "pareto/nbd": "Pareto/NBD",
}

result = analysis_page("Churn & CLV")  # first: it routes a legacy direct run
currency = session.currency()

left, right = st.columns([2, 3])
with left:
    months = st.segmented_control(
        "Forecast horizon",
        list(HORIZONS),
        format_func=HORIZONS.__getitem__,
        default=6,
        key=keys.CHURN_HORIZON,
        help="How far ahead of the as-of date expected purchases, revenue and units are forecast.",
    )
months = int(months or 6)
with right:
    model = st.selectbox(
        "Purchase model",
        list(pipeline.MODEL_CHOICES),
        format_func=MODEL_LABELS.__getitem__,
        key=keys.CHURN_MODEL,
        help="By default the forecasts use the model that forecast the last part of this "
        "history best (the model check at the bottom of the page).",
    )

models = with_status(
    lambda: pipeline.fitted_models(model),
    running="Comparing the purchase models on a holdout period and fitting the spend model…",
    failed="The models could not be fitted",
    done=lambda fitted: (
        f"{fitted.model_name} and Gamma-Gamma fitted on "
        f"{fmt.count(fitted.customers.height)} customers"
    ),
)
if isinstance(models, Failure):
    show_failure(
        models,
        where="The churn and lifetime-value models need customers with "
        "repeat purchases; widen the filters or use a longer history.",
    )
first_day, last_day = result.coverage
check = pipeline.model_check(model)
holdout = None if check is None or isinstance(check, Failure) else check.holdout_days
# The choice's reason speaks of the model check's own periods: say which they are, as
# the forecast's fit below covers the whole history.
checked = (
    ""
    if check is None or isinstance(check, Failure)
    else f"Model check, fitted on "
    f"{fmt.days_between(first_day, check.calibration_end, of='orders')} and checked on "
    f"the next {fmt.days_between(check.calibration_end + dt.timedelta(days=1), check.holdout_end)}: "
)
st.info(
    f"**Forecasts use {models.model_name}.** {checked}{plain(fmt.readable_numbers(models.why))}",
    icon=":material/model_training:",
)
horizon = HORIZONS[months]
st.caption(
    f"**Fitted on** {fmt.days_between(first_day, last_day, of='orders')}: "
    f"{fmt.plural(models.customers.height, 'customer')}, measured as of {result.as_of}. "
    f"**Forecasts** cover the next {horizon} after the as-of date {result.as_of}."
)
estimable = models.diagnosis.churn_estimable
if not estimable:
    st.warning(
        f"**Churn cannot be estimated from this history.** "
        f"{plain(fmt.readable_numbers(models.diagnosis.message))} "
        "Churn probabilities below are not estimates and are not shown; expected purchases "
        "and revenue assume everyone stays.",
        icon=":material/help:",
    )
if estimable and models.model_name == "BG/NBD" and models.one_time_buyers:
    st.caption(
        f"BG/NBD lets customers leave only after a repeat purchase, so the "
        f"{fmt.count(models.one_time_buyers)} customers who bought on one day only all count "
        "as still active (churn 0%), however long ago they bought. Choose MBG/NBD or "
        "Pareto/NBD above to let them drop out."
    )
for text in rfm.horizon_warnings(
    history_days=max(models.history_days, 1),
    horizon_days=horizon_days(months),
    holdout_days=holdout,
):
    st.warning(plain(text), icon=":material/schedule:")
penalized = [
    f"{name} ({fitted.penalizer:g})"
    for name, fitted in ((models.model_name, models.purchase), ("Gamma-Gamma", models.spend))
    if fitted.penalizer
]
if penalized:
    st.caption(
        f"Fitted with a small penalizer: {', '.join(penalized)}. Without one the parameters "
        "ran off to infinity on this data; the penalty keeps them finite."
    )
if models.left_out:
    st.caption(
        f"{fmt.count(models.left_out)} customers whose repeat purchases net to zero or less "
        "(e.g. everything returned) are left out of the forecast."
    )

picked = charts.picked_segments(st.session_state.get(keys.CHURN_SEGMENT_CHART))
tables = pipeline.forecast_tables(months, model, picked)
if isinstance(tables, Failure):
    show_failure(tables)
everyone = pipeline.forecast_tables(months, model)
if isinstance(everyone, Failure):
    show_failure(everyone)
totals = everyone.totals
has_units = totals.expected_units is not None
cols = st.columns(4)
cols[0].metric("Customers modelled", fmt.count(totals.customers), border=True)
cols[1].metric(
    "Likely churned",
    fmt.percent(totals.share_likely_churned) if estimable else "n/a",
    border=True,
    help=f"Share of customers with a churn probability of {LIKELY_CHURNED:.0%} or more."
    if estimable
    else "This history shows no sign of customers leaving; see the note above.",
)
cols[2].metric(
    f"Expected revenue, {horizon}",
    fmt.money(totals.expected_revenue, currency, decimals=0),
    border=True,
    help=f"Expected purchase days x expected spend per purchase day, over the {horizon} "
    f"after {result.as_of}.",
)
cols[3].metric(
    f"Expected units, {horizon}",
    fmt.count(totals.expected_units) if totals.expected_units is not None else "–",
    border=True,
    help=None if has_units else "Add a `quantity` column to forecast units.",
)

with st.expander("Download every customer with their forecast", icon=":material/download:"):
    st.caption(
        "One row per customer: segment, scores, activity, cluster, P(alive), churn band, "
        f"expected purchases, revenue and units over {horizon}, and CLV (1% a month "
        "discount). Money in cents, probabilities as percentages; safe to open in a "
        "spreadsheet."
    )
    # Built only when a button is clicked (+140 MiB while built for 1M lines), not on
    # every visit.
    build = pipeline.customer_table_builder(months, model)
    if isinstance(build, Failure):
        st.warning(plain(build.for_analyst), icon=":material/warning:")
    else:
        download_buttons(build, stem="customers_with_forecast", key=keys.CHURN_CUSTOMER_TABLE)

st.subheader("Churn risk by segment", anchor=False)
by_segment = everyone.by_segment
focus = tables.customers
focus_label = ", ".join(picked) if picked else "all customers in view"
left, right = st.columns(2)
with left:
    if estimable:
        st.caption(
            "Click a segment (shift-click for several) to focus the charts below on it; "
            "click the background to clear."
        )
        risk_format = fmt.percent_axis(by_segment["avg_churn_probability"].max())  # type: ignore[arg-type]
        st.altair_chart(
            charts.segment_picker(
                by_segment,
                value="avg_churn_probability",
                title="Average churn probability",
                value_format=risk_format,
            ),
            width="stretch",
            on_select="rerun",
            key=keys.CHURN_SEGMENT_CHART,
        )
    else:
        st.info("No churn figures: this history cannot tell who has left.", icon=":material/help:")
with right:
    if estimable:
        st.altair_chart(charts.band_mix(by_segment), width="stretch", height=380)
        low, high = rfm.models.DEFAULT_BAND_THRESHOLDS
        st.caption(
            f"Churn risk bands: Low below {low:.0%}, Medium {low:.0%}–{high:.0%}, High "
            f"{high:.0%} or more (probability the customer has already stopped buying)."
        )
if estimable:
    st.markdown(f"**P(alive) distribution** — {plain(focus_label)}")
    st.altair_chart(
        charts.histogram(
            charts.histogram_table(focus["p_alive"], bins=20, lower=0.0, upper=1.0),
            title="Probability the customer is still active",
            value_format=".0%",
        ),
        width="stretch",
    )

st.subheader(f"Revenue opportunity: expected over the next {horizon}", anchor=False)
st.caption(
    f"Showing {plain(focus_label)}. A customer who bought in several places or "
    "categories is split across them by past purchase value."
)
revenue_title = fmt.money_title("Expected revenue", currency)
tabs = st.tabs(["By segment", "By country", "By category", "By retailer"])
for tab, column in zip(tabs, ("segment", "country", "category", "retailer"), strict=True):
    with tab:
        if column == "segment":
            table, top = by_segment, None
        elif column in tables.by_column:
            table, top = tables.by_column[column], TOP_BARS
        else:
            st.info(
                f"Add a `{column}` column to see the expected revenue by {column}.",
                icon=":material/info:",
            )
            continue
        left, right = st.columns(2)
        left.altair_chart(
            charts.customer_bars(
                table, category=column, value="expected_revenue", title=revenue_title, top=top
            ),
            width="stretch",
        )
        if has_units:
            right.altair_chart(
                charts.expected_units_bars(table, category=column, top=top), width="stretch"
            )
        elif column == "segment":
            right.info("Add a `quantity` column to forecast units.", icon=":material/info:")
        if top is not None and table.height > top:
            st.caption(f"Top {top} of {table.height} by expected revenue.")

st.subheader(
    f"Expected revenue and units per customer over the next {horizon}, by location", anchor=False
)
location = next((c for c in ("country", "region", "city") if c in tables.by_column), None)
if location is None:
    st.info(
        "Add a `country` (or `region`, `city`) column to see this table.", icon=":material/info:"
    )
else:
    table = tables.by_column[location]
    columns = [location, "customers", "avg_expected_revenue", "expected_revenue"]
    if has_units:
        columns[3:3] = ["avg_expected_units"]
    st.dataframe(
        # Rounded for display only: the grid would otherwise show three decimals.
        table.select(columns).with_columns(
            pl.col("expected_revenue").round(0), cs.starts_with("avg_").round(2)
        ),
        hide_index=True,
        width="stretch",
        column_config={
            location: st.column_config.TextColumn(location.capitalize()),
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "avg_expected_revenue": st.column_config.NumberColumn(
                f"Avg expected revenue per customer ({currency})", format="localized"
            ),
            "avg_expected_units": st.column_config.NumberColumn(
                "Avg expected units per customer", format="localized"
            ),
            "expected_revenue": st.column_config.NumberColumn(
                f"Total expected revenue ({currency})", format="localized"
            ),
        },
        key=keys.CHURN_LOCATION_TABLE,
    )

st.subheader("High-value customers most at risk", anchor=False)
if not estimable:
    st.info("Not shown: churn cannot be estimated from this history.", icon=":material/help:")
at_risk_shown = estimable
st.caption(
    "Top 20 % by past net revenue with a churn probability of 50 % or more, "
    "ranked by revenue at risk (past revenue x churn probability)."
)
at_risk = tables.at_risk
shown = [
    c
    for c in (
        "customer_id",
        "segment",
        "monetary",
        "frequency",
        "recency_days",
        "churn_probability",
        "expected_revenue",
        "revenue_at_risk",
    )
    if c in at_risk.columns
]
if not at_risk_shown:
    pass
elif at_risk.height == 0:
    st.success(
        "No high-value customer has a churn probability of 50 % or more.",
        icon=":material/verified:",
    )
else:
    listed = (
        at_risk.select(shown)
        .head(200)
        .with_columns(pl.col("monetary", "expected_revenue", "revenue_at_risk").round(2))
    )
    selected = st.dataframe(
        listed,
        hide_index=True,
        width="stretch",
        column_config={
            "customer_id": "Customer",
            "segment": "Segment",
            "monetary": st.column_config.NumberColumn(
                f"Net revenue to date ({currency})", format="localized"
            ),
            "frequency": st.column_config.NumberColumn("Orders to date"),
            "recency_days": st.column_config.NumberColumn("Days since last order"),
            "churn_probability": st.column_config.ProgressColumn(
                "Churn probability", min_value=0.0, max_value=1.0, format="percent"
            ),
            "expected_revenue": st.column_config.NumberColumn(
                f"Expected revenue, next {horizon} ({currency})", format="localized"
            ),
            "revenue_at_risk": st.column_config.NumberColumn(
                f"Revenue at risk ({currency})", format="localized"
            ),
        },
        key=keys.CHURN_AT_RISK_TABLE,
        on_select="rerun",
        selection_mode="single-row",
    )
    customer_link(selected, listed)
    st.caption(
        f"{fmt.count(at_risk.height)} customers"
        + (" (first 200 shown; the download has all)." if at_risk.height > 200 else ".")
    )
    download_buttons(at_risk.select(shown), stem="at_risk_customers", key=keys.CHURN_DOWNLOAD)

st.subheader("What the model parameters mean", anchor=False)
left, right = st.columns(2)
for side, model_name, params, errors, boundary in (
    (
        left,
        f"{models.model_name}: purchases and churn",
        models.purchase.params_,
        models.purchase.standard_errors_,
        models.diagnosis.boundary_params,
    ),
    (
        right,
        "Gamma-Gamma: spend per purchase day",
        models.spend.params_,
        models.spend.standard_errors_,
        (),  # Gamma-Gamma refuses a fit at the boundary (ConvergenceError)
    ),
):
    lines = [f"**{model_name}**", ""]
    ses = errors.as_dict()
    for name, value in params.as_dict().items():
        estimate = fmt.parameter_estimate(value, ses.get(name), at_boundary=name in boundary)
        lines.append(f"- `{name}` {estimate}: {PARAMETER_NOTES.get(name, '')}")
    side.markdown("\n".join(lines))
st.caption(
    f"Estimates ± one standard error, fitted by maximum likelihood on "
    f"{fmt.days_between(first_day, last_day, of='orders')}; time in days."
)
if models.diagnosis.degenerate:
    st.caption(f"Diagnosis of this fit: {plain(fmt.readable_numbers(models.diagnosis.message))}")

st.subheader("Model check: predicted vs actual on a holdout period", anchor=False)
if check is None:
    st.info(
        f"No model check on this history: {plain(models.check_failure or '')}",
        icon=":material/info:",
    )
elif isinstance(check, Failure):
    st.warning(
        f"The model check could not run: {plain(check.for_analyst)}", icon=":material/warning:"
    )
else:
    holdout_start = check.calibration_end + dt.timedelta(days=1)
    st.caption(
        f"{models.model_name} **fitted on** "
        f"{fmt.days_between(first_day, check.calibration_end, of='orders')} "
        f"from {fmt.plural(check.customers, 'customer')}, **checked on** the next "
        f"{fmt.days_between(holdout_start, check.holdout_end)} against what those "
        "customers actually bought then (on or before the as-of date). The forecasts above "
        "use a second fit on the whole history."
    )
    for sentence in check.accuracy.sentences:
        st.markdown(f"- {plain(sentence)}")
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(
            charts.calibration_chart(check.by_frequency, model=models.model_name),
            width="stretch",
        )
    with right:
        if models.choice is not None:
            scores = models.choice.scores.select(
                "model",
                "rmse",
                "mae",
                pl.col("log_likelihood").round(0),
                pl.when(pl.col("error").is_not_null())
                .then(pl.lit("did not fit"))
                .when(~pl.col("churn_estimable"))
                .then(pl.lit("sees no drop-out"))
                .otherwise(pl.lit(""))
                .alias("note"),
            )
            st.dataframe(
                scores,
                hide_index=True,
                width="stretch",
                column_config={
                    "model": "Model",
                    "rmse": st.column_config.NumberColumn(
                        "Holdout RMSE",
                        format="%.3f",
                        help="Root-mean-square error of each customer's purchase days in "
                        "the holdout (lower is better).",
                    ),
                    "mae": st.column_config.NumberColumn(
                        "Holdout MAE",
                        format="%.3f",
                        help="Mean absolute error of each customer's purchase days in the "
                        "holdout (lower is better).",
                    ),
                    "log_likelihood": st.column_config.NumberColumn(
                        "Log-likelihood (fit period)",
                        format="localized",
                        help="How well each model describes the fit period (higher is "
                        "better); the choice goes by the holdout RMSE.",
                    ),
                    "note": st.column_config.TextColumn("Note"),
                },
                key=keys.CHURN_MODEL_SCORES,
            )
            if models.choice.indistinguishable:
                st.caption(
                    "The candidates forecast the holdout about equally well "
                    f"({', '.join(models.choice.tied)}): the data cannot tell them apart."
                )
    by_group = check.accuracy.by_group
    if by_group is not None:
        st.markdown("**By segment** (segments at the calibration end)")
        st.dataframe(
            by_group,
            hide_index=True,
            width="stretch",
            column_config={
                "segment": "Segment",
                "customers": st.column_config.NumberColumn("Customers", format="localized"),
                "predicted_purchases": st.column_config.NumberColumn(
                    "Predicted purchase days", format="%.0f"
                ),
                "actual_purchases": st.column_config.NumberColumn(
                    "Actual purchase days", format="%.0f"
                ),
                "purchases_error_pct": st.column_config.NumberColumn(
                    "Error (purchase days)", format="percent"
                ),
                "predicted_revenue": st.column_config.NumberColumn(
                    "Predicted revenue", format=f"{currency}%,.0f"
                ),
                "actual_revenue": st.column_config.NumberColumn(
                    "Actual revenue", format=f"{currency}%,.0f"
                ),
                "revenue_error_pct": st.column_config.NumberColumn(
                    "Error (revenue)", format="percent"
                ),
            },
        )
