"""rfm.forecast: per-customer forecasts equal the models' own predictions; breakdowns add
up and match a pandas re-computation; at-risk selection by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import rfm
from rfm.datasets import load_sample
from rfm.errors import DataError
from rfm.forecast import (
    at_risk_customers,
    customer_forecast,
    default_calibration_end,
    forecast_by,
    forecast_by_segment,
    forecast_totals,
    horizon_days,
)

BG = {"r": 0.9, "alpha": 60.0, "a": 1.4, "b": 5.0}
GG = {"p": 6.0, "q": 4.0, "gamma": 30.0}


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return load_sample()


@pytest.fixture(scope="module")
def forecast(sample: pl.DataFrame) -> pl.DataFrame:
    customers = rfm.segment(rfm.score(rfm.summarize(sample)))
    return customer_forecast(
        customers,
        purchase_model=rfm.BetaGeo.from_params(BG),
        spend_model=rfm.GammaGamma.from_params(GG),
        horizon_days=182.625,
    )


def test_horizon_of_six_months() -> None:
    assert horizon_days(6) == pytest.approx(182.625)
    with pytest.raises(DataError, match="must be a number > 0"):
        horizon_days(0)


def test_customer_forecast_equals_the_models(sample: pl.DataFrame, forecast: pl.DataFrame) -> None:
    summary = rfm.summarize(sample)
    bg = rfm.BetaGeo.from_params(BG)
    alive = bg.p_alive(summary)
    value = rfm.expected_value(
        summary,
        purchase_model=bg,
        spend_model=rfm.GammaGamma.from_params(GG),
        horizon_days=182.625,
    )
    joined = forecast.join(alive, on="customer_id", suffix="_model").join(
        value, on="customer_id", suffix="_model"
    )
    # Each summarize runs polars' parallel sums anew, so the last bits may differ.
    for name in ("p_alive", "expected_revenue", "expected_units"):
        gap = (joined[name] - joined[f"{name}_model"]).abs() / joined[f"{name}_model"].abs().clip(
            1e-300
        )
        assert gap.max() < 1e-9
    assert ((forecast["p_alive"] + forecast["churn_probability"]) - 1).abs().max() < 1e-12
    assert "segment" in forecast.columns


def test_by_segment_matches_pandas(forecast: pl.DataFrame) -> None:
    got = forecast_by_segment(forecast)
    frame = forecast.to_pandas()
    expected = frame.groupby("segment").agg(
        customers=("customer_id", "size"),
        churn=("churn_probability", "mean"),
        revenue=("expected_revenue", "sum"),
    )
    for row in got.iter_rows(named=True):
        ref = expected.loc[row["segment"]]
        assert row["customers"] == ref["customers"]
        assert row["avg_churn_probability"] == pytest.approx(ref["churn"])
        assert row["expected_revenue"] == pytest.approx(ref["revenue"])
    assert got["revenue_share"].sum() == pytest.approx(1.0)
    assert got["expected_revenue"].is_sorted(descending=True)


@pytest.mark.parametrize("by", ["country", "category", "retailer"])
def test_breakdowns_add_up_to_the_total(
    sample: pl.DataFrame, forecast: pl.DataFrame, by: str
) -> None:
    got = forecast_by(forecast, sample, by=by)
    for name in ("expected_revenue", "expected_units", "expected_purchases"):
        assert got[name].sum() == pytest.approx(forecast[name].sum(), rel=1e-9)
    assert set(got[by]) == set(sample[by].unique())


def test_allocation_by_purchase_share_by_hand() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "order_date": [dt.datetime(2024, 1, 1)] * 5,
            "amount": [30.0, 10.0, -30.0, 5.0, 0.0],
            "category": ["Toys", "Books", "Books", "Books", None],
        }
    )
    forecast = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "expected_purchases": [4.0, 1.0, 1.0],
            "expected_revenue": [100.0, 10.0, 2.0],
        }
    )
    got = forecast_by(forecast, tx, by="category")
    # a: 30 of 40 gross in Toys -> 75, 10 of 40 in Books -> 25 (the return is not a purchase);
    # b: all in Books; c bought for 0, so its single line decides.
    assert got.select("category", "expected_revenue", "customers").rows() == [
        ("Toys", 75.0, 1),
        ("Books", 35.0, 2),
        ("(unknown)", 2.0, 1),
    ]
    assert got.filter(pl.col("category") == "Books")["avg_expected_revenue"].item() == 17.5


def test_at_risk_by_hand() -> None:
    forecast = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "monetary": [10.0, 100.0, 200.0, 300.0, 400.0],
            "churn_probability": [0.99, 0.9, 0.4, 0.6, 0.5],
        }
    )
    # 60 % quantile of monetary (linear) = 240: d and e qualify on value, both on churn.
    got = at_risk_customers(forecast, value_quantile=0.6, min_churn_probability=0.5)
    assert got.select("customer_id", "revenue_at_risk").rows() == [("e", 200.0), ("d", 180.0)]
    assert at_risk_customers(forecast, value_quantile=0.0, top=1)["customer_id"].to_list() == ["e"]


def test_at_risk_errors() -> None:
    frame = pl.DataFrame({"monetary": [1.0], "churn_probability": [0.5]})
    with pytest.raises(DataError, match=r"'value_quantile' parameter .* must be in \[0, 1\]"):
        at_risk_customers(frame, value_quantile=2)
    with pytest.raises(DataError, match="needs a 'monetary' column"):
        at_risk_customers(frame.drop("monetary"))
    with pytest.raises(DataError, match="'top' parameter"):
        at_risk_customers(frame, top=0)


def test_missing_columns_are_named() -> None:
    forecast = pl.DataFrame({"customer_id": ["a"], "expected_revenue": [1.0]})
    with pytest.raises(DataError, match="needs a 'segment' column"):
        forecast_by_segment(forecast)
    tx = pl.DataFrame({"customer_id": ["a"], "amount": [1.0]})
    with pytest.raises(DataError, match="needs a 'retailer' column in the transactions"):
        forecast_by(forecast, tx, by="retailer")


def test_default_calibration_end() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "b"],
            "amount": [1.0, 1.0],
            "order_date": [dt.datetime(2020, 1, 1), dt.datetime(2023, 12, 31)],
        }
    )
    # A four-year history: the holdout is capped at a year.
    assert default_calibration_end(tx) == dt.date(2022, 12, 31)
    assert default_calibration_end(tx, holdout_days=31) == dt.date(2023, 11, 30)
    with pytest.raises(DataError, match="'holdout_days' parameter"):
        default_calibration_end(tx, holdout_days=5000)
    short = tx.with_columns(pl.lit(dt.datetime(2024, 1, 1)).alias("order_date"))
    with pytest.raises(DataError, match="spanning at least 3 days"):
        default_calibration_end(short)


def test_forecast_totals_against_plain_sums(forecast: pl.DataFrame) -> None:
    totals = forecast_totals(forecast)
    probabilities = forecast["churn_probability"].to_list()
    assert totals.customers == len(probabilities)
    assert totals.share_likely_churned == pytest.approx(
        sum(p >= 0.5 for p in probabilities) / len(probabilities)
    )
    assert totals.expected_revenue == pytest.approx(sum(forecast["expected_revenue"].to_list()))
    assert totals.expected_units == pytest.approx(sum(forecast["expected_units"].to_list()))
    with pytest.raises(
        DataError, match="forecast_totals needs a customer forecast. Missing: churn_probability"
    ):
        forecast_totals(forecast.drop("churn_probability"))
