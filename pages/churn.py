"""Churn & CLV: who is still a customer, what they will spend, and how well we know it."""

from __future__ import annotations

import polars as pl
import polars.selectors as cs
import streamlit as st

from rfm.forecast import (
    LIKELY_CHURNED,
    at_risk_customers,
    forecast_by,
    forecast_by_segment,
    forecast_totals,
)
from rfm_app import charts, keys, pipeline, session
from rfm_app import format as fmt
from rfm_app.pipeline import Failure
from rfm_app.widgets import analysis_page, download_buttons, plain, show_failure, with_status

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
    "p": "Shape of one customer's spend per purchase day: higher p means steadier spending "
    "from visit to visit.",
    "q": "Shape of how typical spend differs between customers: lower q means a few big "
    "spenders stand apart.",
    "gamma": "Scale of typical spend (currency): the average spend per purchase day is "
    "p x gamma / (q - 1).",
}
MODEL_NAMES = {
    "BetaGeo": "BG/NBD",
    "ModifiedBetaGeo": "MBG/NBD",
    "ParetoNBD": "Pareto/NBD",
}

result = analysis_page("Churn & CLV")  # first: it routes a legacy direct run
currency = session.currency()

months = st.segmented_control(
    "Forecast horizon",
    list(HORIZONS),
    format_func=HORIZONS.__getitem__,
    default=6,
    key=keys.CHURN_HORIZON,
    help="How far ahead expected purchases, revenue and units are forecast.",
)
months = int(months or 6)

models = with_status(
    pipeline.fitted_models,
    running="Fitting the churn model (BG/NBD) and the spend model (Gamma-Gamma)…",
    failed="The models could not be fitted",
    done=lambda fitted: f"Models fitted on {fmt.count(fitted.customers.height)} customers",
)
if isinstance(models, Failure):
    show_failure(
        models,
        where="The churn and lifetime-value models need customers with "
        "repeat purchases; widen the filters or use a longer history.",
    )
forecast = pipeline.forecast(months)
if isinstance(forecast, Failure):
    show_failure(forecast)
penalized = [
    f"{name} ({model.penalizer:g})"
    for name, model in (("BG/NBD", models.purchase), ("Gamma-Gamma", models.spend))
    if model.penalizer
]
if penalized:
    st.caption(
        f"Fitted with a small penalizer: {', '.join(penalized)}. Without one the parameters "
        "ran off to infinity on this data (almost no customers seem to drop out, or spend "
        "hardly differs between customers); the penalty keeps them finite."
    )
if models.left_out:
    st.caption(
        f"{fmt.count(models.left_out)} customers whose repeat purchases net to zero or less "
        "(e.g. everything returned) are left out of the forecast."
    )

horizon = HORIZONS[months]
totals = forecast_totals(forecast)
has_units = totals.expected_units is not None
cols = st.columns(4)
cols[0].metric("Customers modelled", fmt.count(totals.customers), border=True)
cols[1].metric(
    "Likely churned",
    fmt.percent(totals.share_likely_churned),
    border=True,
    help=f"Share of customers with a churn probability of {LIKELY_CHURNED:.0%} or more.",
)
cols[2].metric(
    f"Expected revenue, {horizon}",
    fmt.money(totals.expected_revenue, currency, decimals=0),
    border=True,
    help="Expected purchase days x expected spend per purchase day.",
)
cols[3].metric(
    f"Expected units, {horizon}",
    fmt.count(totals.expected_units) if totals.expected_units is not None else "–",
    border=True,
    help=None if has_units else "Add a `quantity` column to forecast units.",
)

st.subheader("Churn risk by segment", anchor=False)
st.caption(
    "Click a segment (shift-click for several) to focus the charts below on it; "
    "click the background to clear."
)
by_segment = forecast_by_segment(forecast)
order = [
    name
    for name in result.segments["segment"].to_list()
    if name in set(by_segment["segment"].to_list())
]
by_segment = by_segment.join(
    pl.DataFrame({"segment": order, "order": range(len(order))}), on="segment"
).sort("order")
risk_format = fmt.percent_axis(by_segment["avg_churn_probability"].max())  # type: ignore[arg-type]
left, right = st.columns(2)
with left:
    event = st.altair_chart(
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
picked = charts.picked_segments(event)
focus = forecast.filter(pl.col("segment").is_in(list(picked))) if picked else forecast
focus_label = ", ".join(picked) if picked else "all customers in view"
with right:
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
transactions = pipeline.current_view()
if isinstance(transactions, Failure):
    show_failure(transactions)
tx = transactions.transactions
revenue_title = fmt.money_title("Expected revenue", currency)
tabs = st.tabs(["By segment", "By country", "By category", "By retailer"])
for tab, column in zip(tabs, ("segment", "country", "category", "retailer"), strict=True):
    with tab:
        if column == "segment":
            table, top = forecast_by_segment(focus), None
        elif column in tx.columns:
            table, top = forecast_by(focus, tx, by=column), TOP_BARS
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
location = next((c for c in ("country", "region", "city") if c in tx.columns), None)
if location is None:
    st.info(
        "Add a `country` (or `region`, `city`) column to see this table.", icon=":material/info:"
    )
else:
    table = forecast_by(focus, tx, by=location)
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
st.caption(
    "Top 20 % by past net revenue with a churn probability of 50 % or more, "
    "ranked by revenue at risk (past revenue x churn probability)."
)
at_risk = at_risk_customers(focus, top=None)
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
if at_risk.height == 0:
    st.success(
        "No high-value customer has a churn probability of 50 % or more.",
        icon=":material/verified:",
    )
else:
    st.dataframe(
        at_risk.select(shown)
        .head(200)
        .with_columns(pl.col("monetary", "expected_revenue", "revenue_at_risk").round(2)),
        hide_index=True,
        width="stretch",
        column_config={
            "customer_id": "Customer",
            "segment": "Segment",
            "monetary": st.column_config.NumberColumn(
                f"Net revenue ({currency})", format="localized"
            ),
            "frequency": st.column_config.NumberColumn("Orders"),
            "recency_days": st.column_config.NumberColumn("Recency (days)"),
            "churn_probability": st.column_config.ProgressColumn(
                "Churn probability", min_value=0.0, max_value=1.0, format="percent"
            ),
            "expected_revenue": st.column_config.NumberColumn(
                f"Expected, {horizon} ({currency})", format="localized"
            ),
            "revenue_at_risk": st.column_config.NumberColumn(
                f"Revenue at risk ({currency})", format="localized"
            ),
        },
        key=keys.CHURN_AT_RISK_TABLE,
    )
    st.caption(
        f"{fmt.count(at_risk.height)} customers"
        + (" (first 200 shown; the download has all)." if at_risk.height > 200 else ".")
    )
    download_buttons(at_risk.select(shown), stem="at_risk_customers", key=keys.CHURN_DOWNLOAD)

st.subheader("What the model parameters mean", anchor=False)
left, right = st.columns(2)
for side, model_name, params, errors in (
    (
        left,
        "BG/NBD: purchases and churn",
        models.purchase.params_,
        models.purchase.standard_errors_,
    ),
    (
        right,
        "Gamma-Gamma: spend per purchase day",
        models.spend.params_,
        models.spend.standard_errors_,
    ),
):
    lines = [f"**{model_name}**", ""]
    ses = errors.as_dict()
    for name, value in params.as_dict().items():
        error = ses.get(name)
        spread = f" ± {error:.2g}" if error is not None else ""
        lines.append(f"- `{name}` = **{value:,.4g}**{spread}: {PARAMETER_NOTES.get(name, '')}")
    side.markdown("\n".join(lines))
st.caption("Estimates ± one standard error, fitted by maximum likelihood; time in days.")

st.subheader("Model check: predicted vs actual purchases", anchor=False)
pareto = st.toggle(
    "Also compare Pareto/NBD",
    value=True,
    key=keys.CHURN_PARETO,
    help="BG/NBD and MBG/NBD are always compared; switch Pareto/NBD off to save a few seconds on very large data.",
)
with st.spinner("Fitting the purchase models on a calibration period…"):
    check = pipeline.model_check(pareto=pareto)
if isinstance(check, Failure):
    st.warning(f"The model check could not run: {plain(check.message)}", icon=":material/warning:")
else:
    best = check.evaluations[check.best]
    best_name = MODEL_NAMES.get(check.best, check.best)
    st.caption(
        f"Fitted on the {fmt.count(check.customers)} customers seen up to "
        f"{check.calibration_end}; compared with what they actually bought in the "
        f"{check.holdout_days} days to {check.holdout_end}."
    )
    left, right = st.columns([2, 1])
    with left:
        st.altair_chart(
            charts.calibration_chart(best.by_frequency, model=best_name), width="stretch"
        )
    with right:
        st.metric(
            "Holdout error (purchase days)",
            f"{best.mae:.3f}",
            border=True,
            help=f"Mean absolute error of the best model, {best_name}: the average over "
            "customers of |predicted - actual| purchase days in the holdout.",
        )
        scores = check.scores.with_columns(pl.col("model").replace(MODEL_NAMES)).select(
            "model",
            "mae",
            pl.col("log_likelihood").round(0),
            # A model that failed to fit has no scores: say why rather than "None".
            pl.when(pl.col("mae").is_null())
            .then(pl.lit("did not converge"))
            .otherwise(pl.lit(""))
            .alias("note"),
        )
        if not scores["mae"].is_null().any():
            scores = scores.drop("note")
        st.dataframe(
            scores,
            hide_index=True,
            width="stretch",
            column_config={
                "model": "Model",
                "mae": st.column_config.NumberColumn("Holdout MAE", format="%.4f"),
                "log_likelihood": st.column_config.NumberColumn(
                    "Log-likelihood", format="localized"
                ),
                "note": st.column_config.TextColumn("Note"),
            },
            key=keys.CHURN_MODEL_SCORES,
        )
        st.caption(
            f"Best forecaster on this data: **{best_name}** (lowest holdout error). "
            "The forecasts above use BG/NBD."
            + (
                f" Every model fitted with penalizer {check.penalizer:g}."
                if check.penalizer
                else ""
            )
        )
