"""Customer page: ``?customer=<id>`` opens one customer of the sample; the figures equal
the library's on the same view; an unknown id gets a message, not a traceback; customer
lists link to the page."""

from __future__ import annotations

from functools import cache
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm.forecast import customer_forecast, default_calibration_end, horizon_days
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import sample_transactions, texts
from tests.app.conftest import Uploader, metrics, open_page
from tests.app.test_churn_page import _steady_buyers_csv

PAGE = "pages/customer.py"


@cache
def _view() -> rfm.AnalysisView:
    return rfm.analysis_view(sample_transactions())


@cache
def _customer_id() -> str:
    """A repeat buyer with a return, so every part of the page has something to show."""
    view = _view()
    returners = view.transactions.filter(pl.col("amount") < 0)["customer_id"].unique()
    chosen = view.customers.filter(
        pl.col("customer_id").is_in(returners.to_list()) & (pl.col("purchase_days") >= 4)
    ).sort("customer_id")
    return str(chosen["customer_id"][0])


def _library_forecast() -> pl.DataFrame:
    """The library's own model choice and 6-month forecast on the same view."""
    view = _view()
    customers = view.customers.filter(
        pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    )
    choice = rfm.choose_purchase_model(
        view.transactions,
        as_of=view.as_of,
        calibration_end=default_calibration_end(view.transactions),
        holdout_end=view.last_day,
    )
    return customer_forecast(
        customers,
        purchase_model=choice.fit(customers),
        spend_model=rfm.GammaGamma().fit(customers),
        horizon_days=horizon_days(6),
    )


@pytest.fixture(scope="module")
def opened() -> AppTest:
    return open_page(PAGE, customer=_customer_id())


def _chart_frames(at: AppTest) -> list[pl.DataFrame]:
    frames = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frame = pl.from_arrow(pa.ipc.open_stream(dataset.data.data).read_all())
            assert isinstance(frame, pl.DataFrame)
            frames.append(frame)
    return frames


def test_opens_the_customer_in_the_url(opened: AppTest) -> None:
    assert not opened.exception, [e.value for e in opened.exception]
    assert not opened.error, texts(opened.error)
    assert opened.text_input(key=keys.CUSTOMER).value == _customer_id()
    assert f"Customer {_customer_id()}" in texts(opened.subheader)


def test_scores_and_figures_equal_the_views_row(opened: AppTest) -> None:
    row = _view().customers.filter(pl.col("customer_id") == _customer_id()).row(0, named=True)
    shown = metrics(opened)
    assert shown["Segment"] == row["segment"]
    assert shown["Activity"] == row["activity"]
    assert shown["R / F / M scores"] == f"{row['r_score']} / {row['f_score']} / {row['m_score']}"
    assert f"{row['r_score']}{row['f_score']}{row['m_score']}" == row["rfm_score"]
    assert shown["Days since last order"] == fmt.count(row["recency_days"])
    assert shown["Orders"] == fmt.count(row["frequency"])
    assert shown["Net spend"] == fmt.money(row["monetary"])


def test_timeline_adds_up_to_net_spend(opened: AppTest) -> None:
    row = _view().customers.filter(pl.col("customer_id") == _customer_id()).row(0, named=True)
    timeline = next(f for f in _chart_frames(opened) if "kind" in f.columns)
    assert timeline["amount"].sum() == pytest.approx(row["monetary"])
    assert set(timeline["kind"]) == {"purchase", "return"}
    assert timeline.filter(pl.col("kind") == "purchase").height == row["purchase_days"]


def test_expected_value_and_p_alive_equal_the_library(opened: AppTest) -> None:
    expected: dict[str, Any] = (
        _library_forecast().filter(pl.col("customer_id") == _customer_id()).row(0, named=True)
    )
    shown = metrics(opened)
    assert shown["Expected revenue, 6 months"] == fmt.money(expected["expected_revenue"])
    assert shown["Purchase days, 6 months"] == fmt.number(expected["expected_purchases"])
    assert shown["Churn probability"] == fmt.percent(expected["churn_probability"])
    path = next(f for f in _chart_frames(opened) if "p_alive" in f.columns)
    # The P(alive) line runs from the first purchase to the as-of date, ending at today's.
    row = _view().customers.filter(pl.col("customer_id") == _customer_id()).row(0, named=True)
    assert path.height == row["tenure_days"] + 1
    assert path["p_alive"][-1] == pytest.approx(expected["p_alive"], rel=1e-9)
    assert path["purchase"].sum() == row["purchase_days"]


def test_unknown_customer_gets_a_clear_message() -> None:
    at = open_page(PAGE, customer="no-such-customer")
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(texts(at.error)).replace("\\", "")
    assert "Customer 'no-such-customer' is not in this view" in said
    assert not at.metric  # no figures for a customer that does not exist


def test_without_an_id_a_list_links_to_customers(app: AppTest) -> None:
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    listed = app.dataframe(key=keys.CUSTOMER_LINES).value
    assert listed.shape[0] == 20


def test_churn_not_estimable_is_said_and_not_shown(app: AppTest, upload: Uploader) -> None:
    # Nobody drops out in this log: as on Churn & CLV, no P(alive) line and no churn
    # figures, but the expected value is still shown.
    data, _ = _steady_buyers_csv()
    upload(app, "steady.csv", data)
    app.switch_page(PAGE).run()
    app.text_input(key=keys.CUSTOMER).set_value("c1").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    warned = " ".join(texts(app.warning)).replace("\\", "")
    assert "Churn cannot be estimated from this history" in warned
    shown = metrics(app)
    assert shown["Churn probability"] == "not estimable"
    assert shown["Expected revenue, 6 months"].startswith("$")
    assert not [f for f in _chart_frames(app) if "p_alive" in f.columns]
