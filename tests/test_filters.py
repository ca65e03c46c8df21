"""rfm.filters: each filter against a hand-written or pandas selection of the same rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm.datasets import load_sample
from rfm.errors import DataError
from rfm.filters import (
    AGE_GROUPS,
    Filters,
    age_group,
    apply_filters,
    filter_options,
    filter_transactions,
)


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return load_sample()


def _tx() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "d"],
            "order_date": [
                dt.datetime(2024, 1, 1, 9),
                dt.datetime(2024, 1, 31, 23, 59),
                dt.datetime(2024, 2, 1),
                dt.datetime(2024, 1, 15),
                dt.datetime(2024, 3, 1),
                dt.datetime(2024, 3, 2),
            ],
            "amount": [10.0, 20.0, 5.0, 7.0, -7.0, 3.0],
            "country": ["France", "France", "Chile", "Chile", None, "Peru"],
            "gender": ["F", "F", "M", "F", "F", "M"],
            "age": [24, 25, 64, 65, 65, None],
        }
    )


def test_age_groups_boundaries_are_lower_inclusive() -> None:
    frame = pl.DataFrame({"age": [0, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, 99, None]})
    got = frame.select(age_group(frame.columns))["age_group"].to_list()
    assert got == [
        "Under 25",
        "Under 25",
        "25-34",
        "25-34",
        "35-44",
        "35-44",
        "45-54",
        "45-54",
        "55-64",
        "55-64",
        "65+",
        "65+",
        None,
    ]


def test_age_from_birth_date_counts_whole_years_at_the_order_day() -> None:
    frame = pl.DataFrame(
        {
            "birth_date": [dt.date(2000, 3, 10), dt.date(2000, 3, 10), dt.date(1999, 3, 11)],
            "order_date": [
                dt.datetime(2025, 3, 9),
                dt.datetime(2025, 3, 10),
                dt.datetime(2024, 3, 10),
            ],
        }
    )
    # 24 (day before the 25th birthday), 25 (on it), 24 (day before the 25th birthday).
    got = frame.select(age_group(frame.columns))["age_group"].to_list()
    assert got == ["Under 25", "25-34", "Under 25"]


def test_no_age_column_gives_none() -> None:
    assert age_group(["customer_id", "amount"]) is None


def test_empty_filters_keep_everything() -> None:
    tx = _tx()
    assert not Filters().active
    assert_frame_equal(filter_transactions(tx), tx)


def test_date_range_includes_both_end_days() -> None:
    got = filter_transactions(_tx(), date_range=(dt.date(2024, 1, 31), dt.date(2024, 2, 1)))
    assert got["amount"].to_list() == [20.0, 5.0]


def test_countries_genders_and_ages_combine_with_and() -> None:
    got = filter_transactions(_tx(), countries=["France", "Chile"], genders=["F"])
    assert got["amount"].to_list() == [10.0, 20.0, 7.0]
    got = filter_transactions(_tx(), age_groups=["65+"])
    assert got["amount"].to_list() == [7.0, -7.0]


def test_filters_agree_with_pandas_on_the_sample(sample: pl.DataFrame) -> None:
    countries, categories = ["France", "Germany"], ["Candles", "Lighting", "Toys?"]
    got = filter_transactions(
        sample,
        date_range=(dt.date(2021, 3, 1), dt.date(2022, 6, 30)),
        countries=countries,
        categories=categories,
        genders=["Female"],
        age_groups=["25-34", "35-44"],
    )
    frame = sample.to_pandas()
    day = frame["order_date"].dt.normalize()
    keep = (
        (day >= pd.Timestamp("2021-03-01"))
        & (day <= pd.Timestamp("2022-06-30"))
        & frame["country"].isin(countries)
        & frame["category"].isin(categories)
        & (frame["gender"] == "Female")
        & frame["age"].between(25, 44)
    )
    expected = frame[keep]
    assert got.height == len(expected) > 0
    assert got["amount"].sum() == pytest.approx(expected["amount"].sum())
    assert sorted(got["order_id"].to_list()) == sorted(expected["order_id"].to_list())


def test_segment_filter_keeps_the_segments_computed_before_it(sample: pl.DataFrame) -> None:
    view = apply_filters(sample, Filters(countries=("France",), segments=("Champions", "Lost")))
    france = sample.filter(pl.col("country") == "France")
    segmented = rfm.segment(rfm.score(rfm.summarize(france)))
    expected = segmented.filter(pl.col("segment").is_in(["Champions", "Lost"]))
    assert_frame_equal(view.customers, expected)
    assert set(view.transactions["customer_id"]) == set(expected["customer_id"])
    assert (
        view.transactions.height
        == france.filter(pl.col("customer_id").is_in(expected["customer_id"].to_list())).height
    )


def test_filter_options_list_what_is_there(sample: pl.DataFrame) -> None:
    options = filter_options(sample)
    assert options.first_day == dt.date(2020, 1, 1)
    assert options.last_day == dt.date(2023, 12, 31)
    assert options.countries == tuple(sorted(sample["country"].unique().to_list()))
    assert set(options.age_groups) <= set(AGE_GROUPS)
    tx = _tx().drop("country", "age")
    assert filter_options(tx).countries == ()
    assert filter_options(tx).age_groups == ()


def test_filter_on_a_missing_column_names_it() -> None:
    tx = _tx().drop("country", "age")
    with pytest.raises(DataError, match=r"Filtering by country needs a 'country' column"):
        filter_transactions(tx, countries=["France"])
    with pytest.raises(DataError, match=r"needs an 'age' or 'birth_date' column"):
        filter_transactions(tx, age_groups=["65+"])


def test_reversed_range_and_unknown_age_group_are_errors() -> None:
    with pytest.raises(DataError, match="Swap the two dates"):
        filter_transactions(_tx(), date_range=(dt.date(2024, 2, 1), dt.date(2024, 1, 1)))
    with pytest.raises(DataError, match="Unknown age group"):
        filter_transactions(_tx(), age_groups=["teens"])


def test_input_is_not_modified() -> None:
    tx = _tx()
    before = tx.clone()
    apply_filters(tx, Filters(countries=("France", "Chile"), genders=("F",)))
    assert_frame_equal(tx, before)


def test_a_view_without_customers_says_so() -> None:
    with pytest.raises(
        DataError,
        match=r"No customer matches these filters \(countries: Peru; segments: Champions\)",
    ):
        apply_filters(_tx(), Filters(countries=("Peru",), segments=("Champions",)))
    with pytest.raises(DataError, match="No customer matches"):
        apply_filters(_tx(), Filters(countries=("Atlantis",)))
