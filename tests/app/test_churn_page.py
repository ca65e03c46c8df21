"""Churn & CLV page: its figures equal the models fitted by the library on the same view;
a file without optional columns degrades with messages naming them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm.filters import Filters
from rfm.forecast import at_risk_customers, customer_forecast, horizon_days
from rfm.view import analysis_view
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import sample_transactions, texts
from tests.app.conftest import metrics, open_page

PAGE = "pages/churn.py"


def _library_forecast(filters: Filters, months: int) -> pl.DataFrame:
    customers = analysis_view(sample_transactions(), filters=filters).customers
    customers = customers.filter(
        pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    )
    return customer_forecast(
        customers,
        purchase_model=rfm.BetaGeo().fit(customers),
        spend_model=rfm.GammaGamma().fit(customers),
        horizon_days=horizon_days(months),
    )


@pytest.fixture(scope="module")
def france() -> AppTest:
    return open_page(PAGE, country="France")


def test_renders_without_errors(france: AppTest) -> None:
    assert not france.exception, [e.value for e in france.exception]
    assert not france.error, texts(france.error)
    assert "Model check: predicted vs actual purchases" in texts(france.subheader)


def test_figures_equal_the_library_on_the_filtered_view(france: AppTest) -> None:
    expected = _library_forecast(Filters.of(country=("France",)), 6)
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
    expected = _library_forecast(Filters.of(country=("France",)), 6)
    assert table["customers"].tolist() == [expected.height]
    assert table["expected_revenue"].iloc[0] == pytest.approx(
        round(float(expected["expected_revenue"].sum())), abs=0.5
    )


def test_at_risk_table_lists_high_value_likely_churned_customers(france: AppTest) -> None:
    table = france.dataframe[1].value
    expected = at_risk_customers(_library_forecast(Filters.of(country=("France",)), 6), top=None)
    assert table["customer_id"].tolist() == expected["customer_id"].head(200).to_list()
    assert (table["churn_probability"] >= 0.5).all()


def test_a_longer_horizon_forecasts_more(france: AppTest) -> None:
    france.segmented_control(key=keys.CHURN_HORIZON).set_value(12).run()
    assert not france.exception
    expected = _library_forecast(Filters.of(country=("France",)), 12)
    assert metrics(france)["Expected revenue, 12 months"] == fmt.money(
        float(expected["expected_revenue"].sum()), decimals=0
    )


def test_model_check_names_the_best_model(france: AppTest) -> None:
    # Pareto/NBD is compared by default and can be switched off.
    france.toggle(key=keys.CHURN_PARETO).set_value(False).run()
    assert set(france.dataframe[-1].value["model"]) == {"BG/NBD", "MBG/NBD"}
    france.toggle(key=keys.CHURN_PARETO).set_value(True).run()
    assert not france.exception
    shown = metrics(france)
    assert "Holdout error (purchase days)" in shown
    scores = france.dataframe[-1].value
    assert set(scores["model"]) == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert scores["mae"].is_monotonic_increasing
    assert f"{scores['mae'].iloc[0]:.3f}" == shown["Holdout error (purchase days)"]


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


def test_steady_buyers_still_get_a_forecast(app: AppTest, upload: Callable[..., AppTest]) -> None:
    data, n_customers = _steady_buyers_csv()
    upload(app, "steady.csv", data)
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    assert metrics(app)["Customers modelled"] == fmt.count(n_customers)
    note = [c for c in texts(app.caption) if "small penalizer" in c]
    assert len(note) == 1
    assert "BG/NBD" in note[0]
    assert "Gamma-Gamma" in note[0]
    check = app.dataframe[-1].value
    # Judged as the forecast uses them (penalised), every model has a holdout score.
    assert check["mae"].notna().all()
    assert "note" not in check.columns
