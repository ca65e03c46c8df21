"""rfm.demographics against pandas group-bys of the same sample, and small hand cases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

import rfm
from rfm.datasets import load_sample
from rfm.demographics import breakdown, monthly_activity, revenue_by_cohort, revenue_by_tenure
from rfm.errors import DataError


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return load_sample()


@pytest.mark.parametrize("by", ["country", "category", "payment_method", "gender"])
def test_breakdown_matches_pandas(sample: pl.DataFrame, by: str) -> None:
    got = breakdown(sample, by=by)
    frame = sample.to_pandas()
    is_return = (frame["amount"] < 0) | frame["is_return"]
    frame["gross"] = frame["amount"].where(~is_return, 0.0).clip(lower=0)
    frame["returned"] = frame["amount"].where(is_return, 0.0).abs()
    expected = frame.groupby(by).agg(
        customers=("customer_id", "nunique"),
        orders=("order_id", "nunique"),
        revenue=("amount", "sum"),
        gross=("gross", "sum"),
        returned=("returned", "sum"),
        quantity=("quantity", "sum"),
    )
    assert got.height == len(expected)
    for row in got.iter_rows(named=True):
        ref = expected.loc[row[by]]
        assert row["customers"] == ref["customers"]
        assert row["orders"] == ref["orders"]
        assert row["revenue"] == pytest.approx(ref["revenue"])
        assert row["quantity"] == pytest.approx(ref["quantity"])
        assert row["return_rate"] == pytest.approx(ref["returned"] / ref["gross"])
    assert got["revenue"].is_sorted(descending=True)


def test_breakdown_by_age_group_is_in_age_order(sample: pl.DataFrame) -> None:
    got = breakdown(sample, by="age_group")
    frame = sample.to_pandas()
    bins = pd.cut(
        frame["age"],
        [0, 25, 35, 45, 55, 65, 200],
        right=False,
        labels=["Under 25", "25-34", "35-44", "45-54", "55-64", "65+"],
    )
    expected = frame.groupby(bins, observed=True)["amount"].sum()
    assert got["age_group"].to_list() == [str(name) for name in expected.index]
    assert got["revenue"].to_list() == pytest.approx(expected.to_list())


def test_breakdown_top_and_missing_column(sample: pl.DataFrame) -> None:
    assert breakdown(sample, by="category", top=3).height == 3
    with pytest.raises(DataError, match="needs the column"):
        breakdown(sample.drop("theme"), by="theme")
    with pytest.raises(DataError, match="needs the column"):
        breakdown(sample.drop("age"), by="age_group")


def test_tenure_bands_match_pandas(sample: pl.DataFrame) -> None:
    summary = rfm.summarize(sample)
    got = revenue_by_tenure(summary)
    frame = summary.to_pandas()
    bins = pd.cut(frame["tenure_days"], [0, 90, 182, 365, 730, 1095, 10**6], right=False)
    expected = frame.groupby(bins, observed=True)["monetary"].agg(["size", "sum"])
    assert got["customers"].to_list() == expected["size"].to_list()
    assert got["revenue"].to_list() == pytest.approx(expected["sum"].to_list())
    assert got["customers"].sum() == summary.height


def test_cohorts_use_signup_date_else_first_purchase() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_date": [
                dt.datetime(2024, 4, 5),
                dt.datetime(2024, 9, 1),
                dt.datetime(2024, 2, 2),
            ],
            "amount": [10.0, 5.0, 7.0],
            "signup_date": [dt.date(2023, 12, 31), dt.date(2023, 12, 31), dt.date(2024, 1, 1)],
        }
    )
    got = revenue_by_cohort(tx, every="1y")
    assert got.select("cohort", "customers", "revenue", "cohort_source").rows() == [
        (dt.date(2023, 1, 1), 1, 15.0, "signup_date"),
        (dt.date(2024, 1, 1), 1, 7.0, "signup_date"),
    ]
    got = revenue_by_cohort(tx.drop("signup_date"), every="1mo")
    assert got.select("cohort", "revenue").rows() == [
        (dt.date(2024, 2, 1), 7.0),
        (dt.date(2024, 4, 1), 15.0),
    ]
    with pytest.raises(DataError, match="'every' parameter"):
        revenue_by_cohort(tx, every="1w")


def test_monthly_activity_matches_pandas(sample: pl.DataFrame) -> None:
    got = monthly_activity(sample)
    frame = sample.to_pandas()
    frame = frame[(frame["amount"] >= 0) & ~frame["is_return"]]
    month = frame["order_date"].dt.to_period("M")
    expected = frame.groupby(month).agg(
        orders=("order_id", "nunique"), customers=("customer_id", "nunique")
    )
    assert got["orders"].to_list() == expected["orders"].to_list()
    assert got["customers"].to_list() == expected["customers"].to_list()


def test_crosstab_matches_pandas(sample: pl.DataFrame) -> None:
    from rfm.demographics import crosstab

    customers = rfm.segment(rfm.score(rfm.summarize(sample)))
    customers = customers.with_columns(
        pl.when(pl.col("frequency") > 3).then(pl.lit("many")).otherwise(pl.lit("few")).alias("band")
    )
    got = crosstab(customers, rows="band", columns="segment")
    expected = pd.crosstab(customers["band"].to_pandas(), customers["segment"].to_pandas())
    assert got.height == expected.size
    for row in got.iter_rows(named=True):
        assert row["customers"] == expected.loc[row["band"], row["segment"]]
    assert got["customers"].sum() == customers.height
    with pytest.raises(DataError, match="crosstab needs the column"):
        crosstab(customers, rows="cluster", columns="segment")
