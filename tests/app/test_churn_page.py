"""Churn & CLV page: its figures equal the models fitted by the library on the same view;
a file without optional columns degrades with messages naming them."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm.filters import Filters
from rfm.forecast import (
    at_risk_customers,
    customer_forecast,
    default_calibration_end,
    horizon_days,
)
from rfm.view import analysis_view
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import sample_transactions, texts
from tests.app.conftest import metrics, open_page

PAGE = "pages/churn.py"


def _library(filters: Filters, months: int) -> tuple[str, pl.DataFrame]:
    """The library's own choice and forecast on the same view: the page must show them."""
    view = analysis_view(sample_transactions(), filters=filters)
    customers = view.customers.filter(
        pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    )
    choice = rfm.choose_purchase_model(
        view.transactions,
        as_of=view.as_of,
        calibration_end=default_calibration_end(view.transactions),
        holdout_end=view.last_day,
    )
    return choice.name, customer_forecast(
        customers,
        purchase_model=choice.fit(customers),
        spend_model=rfm.GammaGamma().fit(customers),
        horizon_days=horizon_days(months),
    )


@pytest.fixture(scope="module")
def france() -> AppTest:
    return open_page(PAGE, country="France")


def test_renders_without_errors(france: AppTest) -> None:
    assert not france.exception, [e.value for e in france.exception]
    assert not france.error, texts(france.error)
    assert "Model check: predicted vs actual on a holdout period" in texts(france.subheader)


def test_figures_equal_the_library_on_the_filtered_view(france: AppTest) -> None:
    name, expected = _library(Filters.of(country=("France",)), 6)
    said = " ".join(texts(france.info)).replace("\\", "")
    assert f"Forecasts use {name}." in said, "the page names the model the forecasts use"
    shown = metrics(france)
    assert shown["Customers modelled"] == fmt.count(expected.height)
    assert shown["Expected revenue, 6 months"] == fmt.money(
        float(expected["expected_revenue"].sum()), decimals=0
    )
    assert shown["Expected units, 6 months"] == fmt.count(float(expected["expected_units"].sum()))
    assert shown["Likely churned"] == fmt.percent(
        float((expected["churn_probability"] >= 0.5).mean())
    )
    # Fewer customers than the whole sample: the filter reached the models.
    assert expected.height < sample_transactions()["customer_id"].n_unique()


def test_location_table_is_the_library_allocation(france: AppTest) -> None:
    table = france.dataframe[0].value  # expected revenue per customer by country
    assert table.iloc[:, 0].tolist() == ["France"]
    _, expected = _library(Filters.of(country=("France",)), 6)
    assert table["customers"].tolist() == [expected.height]
    assert table["expected_revenue"].iloc[0] == pytest.approx(
        round(float(expected["expected_revenue"].sum())), abs=0.5
    )


def test_at_risk_table_lists_high_value_likely_churned_customers(france: AppTest) -> None:
    table = france.dataframe[1].value
    _, forecast = _library(Filters.of(country=("France",)), 6)
    expected = at_risk_customers(forecast, top=None)
    assert table["customer_id"].tolist() == expected["customer_id"].head(200).to_list()
    assert (table["churn_probability"] >= 0.5).all()


def test_a_longer_horizon_forecasts_more(france: AppTest) -> None:
    france.segmented_control(key=keys.CHURN_HORIZON).set_value(12).run()
    assert not france.exception
    _, expected = _library(Filters.of(country=("France",)), 12)
    assert metrics(france)["Expected revenue, 12 months"] == fmt.money(
        float(expected["expected_revenue"].sum()), decimals=0
    )
    france.segmented_control(key=keys.CHURN_HORIZON).set_value(6).run()


def test_model_check_compares_three_models_in_purchase_days_and_money(france: AppTest) -> None:
    scores = next(f.value for f in france.dataframe if "rmse" in f.value.columns)
    assert set(scores["model"]) == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert (
        scores["rmse"].is_monotonic_increasing
        or scores["rmse"].iloc[0] <= scores["rmse"].min() * 1.01
    )
    said = " ".join(m.value for m in france.markdown).replace("\\", "")
    assert "purchase days" in said and "happened" in said
    assert "Predicted revenue" in said
    by_segment = next(f.value for f in france.dataframe if "purchases_error_pct" in f.value.columns)
    assert by_segment["customers"].sum() > 0


def test_the_analyst_can_override_the_model(france: AppTest) -> None:
    france.selectbox(key=keys.CHURN_MODEL).set_value("pareto/nbd").run()
    assert not france.exception, [e.value for e in france.exception]
    said = " ".join(texts(france.info)).replace("\\", "")
    assert "Forecasts use Pareto/NBD." in said and "chosen by you" in said
    france.selectbox(key=keys.CHURN_MODEL).set_value("best").run()


def test_without_optional_columns_the_page_says_what_to_add(
    minimal_page: Callable[[str], AppTest],
) -> None:
    app = minimal_page(PAGE)
    notes = " ".join(texts(app.info))
    for column in ("country", "category", "retailer", "quantity"):
        assert f"`{column}`" in notes
    assert metrics(app)["Expected units, 6 months"] == "–"


def _steady_buyers_csv() -> tuple[bytes, int]:
    # 50 customers buying on random days over 500 days, none dropping out, all
    # drawing their spend per order from one distribution: unpenalised, the BG/NBD dropout and the
    # Gamma-Gamma spread parameters run off to the boundary on such a log.
    rng = random.Random(7)
    start = dt.date(2021, 3, 1)
    lines, customers = ["customer,date,amount"], set()
    for _ in range(1000):
        customer = f"c{rng.randint(1, 50)}"
        customers.add(customer)
        day = start + dt.timedelta(days=rng.randint(0, 500))
        lines.append(f"{customer},{day.isoformat()},{rng.uniform(5, 300):.2f}")
    return "\n".join(lines).encode(), len(customers)


def test_steady_buyers_are_said_to_show_no_churn(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    # Nobody drops out in this log: the page must say churn cannot be estimated and not
    # present churn figures, but still forecast purchases.
    data, n_customers = _steady_buyers_csv()
    upload(app, "steady.csv", data)
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    shown = metrics(app)
    assert shown["Customers modelled"] == fmt.count(n_customers)
    warned = " ".join(texts(app.warning)).replace("\\", "")
    assert "Churn cannot be estimated from this history" in warned
    assert shown["Likely churned"] == "n/a"
    assert shown["Expected revenue, 6 months"].startswith("$")
    # The drop-out parameters ran to their boundary: they read as people write numbers,
    # the one pushed towards 0 as "≈ 0", each with the note (issue 12: "a = 1.301e-05").
    parameters = "\n".join(m.value for m in app.markdown if "\n- `" in m.value)
    assert parameters, "no parameter list on the page"
    assert not re.search(r"\de[+-]?\d", parameters), parameters
    assert "≈ 0 (at the boundary" in parameters
    # Nor do the library's sentences about the fit, as the page shows them.
    shown = texts(app.info) + texts(app.warning) + texts(app.caption)
    assert not [text for text in shown if re.search(r"\de[+-]?\d", text)]


def test_a_short_history_warns_about_the_horizon(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    # Five weeks of history and a 6-month forecast.
    rng = random.Random(3)
    start = dt.date(2024, 1, 1)
    lines = ["customer,date,amount"]
    for _ in range(600):
        day = start + dt.timedelta(days=rng.randint(0, 34))
        lines.append(f"c{rng.randint(1, 120)},{day.isoformat()},{rng.uniform(5, 90):.2f}")
    upload(app, "short.csv", "\n".join(lines).encode())
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    warned = " ".join(texts(app.warning)).replace("\\", "")
    assert "reaches further ahead than the" in warned


def _said(at: AppTest) -> str:
    return " ".join(texts(at.caption) + texts(at.markdown)).replace("\\", "").replace("**", "")


def test_every_period_on_the_page_says_what_it_is(france: AppTest) -> None:
    # The forecast fit, the model check's fit and its holdout are three different
    # stretches of time; each length is stated with what it is and its dates.
    view = analysis_view(sample_transactions(), filters=Filters.of(country=("France",)))
    calibration_end = default_calibration_end(view.transactions)
    fit_days = (view.last_day - view.first_day).days + 1
    check_days = (calibration_end - view.first_day).days + 1
    holdout_days = (view.last_day - calibration_end).days
    said = _said(france)
    # By hand for French sample customers: four years to fit, three years + one to check.
    assert (fit_days, check_days, holdout_days) == (1461, 1095, 366)
    assert f"Fitted on 4 years of orders ({view.first_day} to {view.last_day})" in said
    assert f"Forecasts cover the next 6 months after the as-of date {view.as_of}" in said
    assert f"fitted on 3 years of orders ({view.first_day} to {calibration_end})" in said
    holdout_start = calibration_end + dt.timedelta(days=1)
    assert f"checked on the next 12 months ({holdout_start} to {view.last_day})" in said
    # The reason for the model choice quotes the check's own periods: it names them.
    info = " ".join(texts(france.info)).replace("\\", "").replace("**", "")
    assert (
        f"Model check, fitted on 3 years of orders ({view.first_day} to {calibration_end}) "
        f"and checked on the next 12 months ({holdout_start} to {view.last_day}): "
    ) in info


def test_the_customer_download_is_built_only_when_clicked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page registers the download's functions without building the table; each one,
    run outside the script (as Streamlit runs it, in another thread), builds the table
    of the page's own forecast."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred: dict[str, Callable[[], object]] = {}
    register = MediaFileManager.add_deferred

    def remember(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        deferred[str(kwargs.get("file_name"))] = data_callable
        return register(self, data_callable, *args, **kwargs)

    built: list[int] = []
    library_table = rfm.customer_table

    def counted(*args: Any, **kwargs: Any) -> pl.DataFrame:
        built.append(1)
        return library_table(*args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    monkeypatch.setattr(rfm, "customer_table", counted)
    at = open_page(PAGE, country="France")
    assert not at.exception, [e.value for e in at.exception]
    assert built == [], "the page built the download table before any click"
    data = deferred["customers_with_forecast.parquet"]()
    assert isinstance(data, bytes)
    assert built == [1]
    table = pl.read_parquet(io.BytesIO(data))
    _, expected = _library(Filters.of(country=("France",)), 6)
    assert table.height == expected.height
    assert float(table["expected_revenue"].sum()) == pytest.approx(
        float(expected["expected_revenue"].sum())
    )
    csv = deferred["customers_with_forecast.csv"]()
    assert built == [1, 1]
    assert isinstance(csv, str | bytes)
    text = csv.decode("utf-8-sig") if isinstance(csv, bytes) else csv.lstrip("\ufeff")
    assert len(text.strip().splitlines()) == expected.height + 1  # header and one line each
