"""Customer: one customer's orders and returns, scores and segment, P(alive) over their
history and what they are expected to spend. Opened from any customer list, or with
``?customer=<id>`` in the address."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

import rfm
from rfm import tables as report_tables
from rfm_app import charts, keys, pipeline, session
from rfm_app import format as fmt
from rfm_app.pipeline import Failure
from rfm_app.widgets import analysis_page, customer_link, plain, show_failure, with_status

MONTHS = 6
"""The horizon of the expected value shown (as on the Churn & CLV page's default)."""
MODEL_LABELS = {
    "best": "Best on the model check (recommended)",
    "bg/nbd": "BG/NBD",
    "mbg/nbd": "MBG/NBD",
    "pareto/nbd": "Pareto/NBD",
}

analysis_page("Customer")  # first: it routes a legacy direct run
currency = session.currency()

left, right = st.columns([2, 3])
with left:
    typed = st.text_input(
        "Customer id",
        key=keys.CUSTOMER,
        bind="query-params",
        placeholder="Type a customer id",
        help="The address bar keeps the id, so a link to this page opens this customer.",
    )
with right:
    model = st.selectbox(
        "Purchase model",
        list(pipeline.MODEL_CHOICES),
        format_func=MODEL_LABELS.__getitem__,
        key=keys.CUSTOMER_MODEL,
        help="The model behind P(alive) and the expected value, as on the Churn & CLV page.",
    )
customer_id = (typed or "").strip()

if not customer_id:
    st.info(
        "Type a customer id above, or pick a customer from a list here or on the "
        "**Segments** and **Churn & CLV** pages.",
        icon=":material/person_search:",
    )
    view = pipeline.current_view()
    if isinstance(view, Failure):
        show_failure(view)
    top = report_tables.top_customers(view.customers, by="spend", n=20).select(
        "customer_id", "segment", "recency_days", "frequency", "monetary"
    )
    st.markdown("**Top 20 customers by spend**")
    event = st.dataframe(
        top,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=keys.CUSTOMER_LINES,
    )
    customer_link(event, top)
    st.stop()

history = pipeline.customer_history(customer_id)
if isinstance(history, Failure):
    show_failure(history, where="Pick a customer from a list on the **Segments** page.")
row = history.row

st.subheader(f"Customer {plain(customer_id)}", anchor=False)
headline = st.columns([2, 1, 1])
headline[0].metric("Segment", str(row["segment"]), border=True)
headline[1].metric(
    "Activity",
    str(row["activity"]),
    border=True,
    help="How long since the last purchase: Active (recently), Inactive, Museum (longest ago).",
)
headline[2].metric(
    "R / F / M scores",
    f"{row['r_score']} / {row['f_score']} / {row['m_score']}",
    border=True,
    help=f"RFM score {row['rfm_score']}: recency, frequency and monetary scores, "
    "1 (lowest) to 5 (highest) among the customers in view.",
)
about = rfm.SEGMENTS.get(str(row["segment"]))
if about is not None:
    st.caption(f"{plain(about.description)} Recommended: {plain(about.action)}")
cols = st.columns(4)
cols[0].metric("Days since last order", fmt.count(row["recency_days"]), border=True)
cols[1].metric("Orders", fmt.count(row["frequency"]), border=True)
cols[2].metric(
    "Net spend",
    fmt.money(row["monetary"], currency),
    border=True,
    help="Purchases minus returns, on or before the as-of date.",
)
cols[3].metric("Customer for", fmt.plural(int(row["tenure_days"]), "day"), border=True)
st.caption(
    f"First purchase {row['first_purchase']:%Y-%m-%d}, last {row['last_purchase']:%Y-%m-%d}; "
    f"{fmt.plural(int(row['purchase_days']), 'purchase day')}; measured on {history.as_of}."
)

st.subheader("Orders and returns", anchor=False)
timeline = history.timeline()
# A return may predate the first purchase; both charts share one time axis.
start: dt.date = min(timeline["date"].min(), row["first_purchase"].date())
days = (start, history.as_of)
st.altair_chart(charts.order_timeline(timeline, currency=currency, days=days), width="stretch")
returned = timeline.filter(pl.col("kind") == "return")
st.caption(
    f"{fmt.plural(history.lines.height, 'line')}: purchases above the axis, "
    + (
        f"returns below ({fmt.money(float(returned['amount'].sum()), currency)} on "
        f"{fmt.plural(returned.height, 'day')})."
        if returned.height
        else "no returns."
    )
)
with st.expander("The customer's lines"):
    st.dataframe(history.lines, hide_index=True, width="stretch")

st.subheader("Still a customer?", anchor=False)
models = with_status(
    lambda: pipeline.fitted_models(model),
    running="Fitting the purchase and spend models…",
    failed="The models could not be fitted",
    done=lambda fitted: f"{fitted.model_name} and Gamma-Gamma fitted",
)
if isinstance(models, Failure):
    st.warning(
        f"No churn or expected value for this data: {plain(models.for_analyst)}",
        icon=":material/warning:",
    )
    st.stop()
estimable = models.diagnosis.churn_estimable
if not estimable:
    st.warning(
        f"**Churn cannot be estimated from this history.** {plain(models.diagnosis.message)} "
        "P(alive) and churn probabilities are not estimates and are not shown; expected "
        "purchases and revenue assume the customer stays.",
        icon=":material/help:",
    )
else:
    path = pipeline.customer_alive(customer_id, model)
    if isinstance(path, Failure):
        st.warning(plain(path.for_analyst), icon=":material/warning:")
    else:
        st.altair_chart(
            charts.alive_path(path, model=models.model_name, days=days), width="stretch"
        )
        st.caption(
            f"Probability the customer was still active on each day, under {models.model_name}"
            " with this data's parameters; dashed lines are the days they bought. It falls "
            "while they do not buy, faster for a customer who used to buy often."
        )

forecast = pipeline.forecast(MONTHS, model)
if isinstance(forecast, Failure):
    show_failure(forecast)
mine = forecast.filter(pl.col("customer_id") == customer_id)
if mine.height == 0:
    st.info(
        "This customer's repeat purchases net to zero or less (e.g. everything returned), "
        "so the spend model leaves them out: no expected value.",
        icon=":material/info:",
    )
    st.stop()
expected = mine.row(0, named=True)
horizon = f"{MONTHS} months"
cols = st.columns(4)
cols[0].metric(
    f"Purchase days, {horizon}",
    fmt.number(expected["expected_purchases"]),
    border=True,
    help=f"Expected number of days with a purchase in the next {horizon}.",
)
cols[1].metric(
    f"Expected revenue, {horizon}",
    fmt.money(expected["expected_revenue"], currency),
    border=True,
    help="Expected purchase days x expected spend per purchase day.",
)
cols[2].metric(
    "Churn probability",
    fmt.percent(expected["churn_probability"]) if estimable else "not estimable",
    border=True,
    help="Probability the customer has already stopped buying (1 - P(alive) today).",
)
cols[3].metric(
    "Churn risk",
    str(expected["churn_band"]) if estimable else "not estimable",
    border=True,
    help=f"Chance of no purchase in the next {horizon}: "
    + (fmt.percent(expected["no_purchase_probability"]) if estimable else "not estimable")
    + ".",
)
st.caption(f"Forecasts use {models.model_name}. {plain(models.why)}")
