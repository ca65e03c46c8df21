"""rfm.Filters: each filter against a hand-written or pandas selection of the same rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm.datasets import load_sample
from rfm.errors import DataError
from rfm.filters import AGE_GROUPS, Filters, age_group, filter_options


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


# --- age groups -----------------------------------------------------------------------------


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


def test_age_from_birth_date_at_a_fixed_day() -> None:
    frame = pl.DataFrame(
        {
            "birth_date": [dt.date(2000, 3, 10), dt.date(2000, 3, 11), None],
            "order_date": [dt.datetime(1990, 1, 1)] * 3,  # ignored when as_of is given
        }
    )
    got = frame.select(age_group(frame.columns, as_of=dt.date(2025, 3, 10)))
    assert got["age_group"].to_list() == ["25-34", "Under 25", None]


def test_no_age_column_gives_none() -> None:
    assert age_group(["customer_id", "amount"]) is None


# --- the spec -------------------------------------------------------------------------------


def test_of_keeps_the_chosen_values_by_column_and_drops_empty_ones() -> None:
    f = Filters.of(country=["France", "Chile"], category=[], gender=("F",), age=[65])
    assert f.values == (("age", ("65",)), ("country", ("France", "Chile")), ("gender", ("F",)))
    assert f.get("country") == ("France", "Chile")
    assert f.get("category") == ()
    assert f.active
    # Built in another keyword order, it is the same spec (a cache key).
    same = Filters.of(gender=["F"], age=["65"], country=["France", "Chile"])
    assert same == f
    assert hash(same) == hash(f)
    assert len({f, same, Filters()}) == 2


def test_empty_filters_are_not_active_and_keep_everything() -> None:
    tx = _tx()
    for empty in (Filters(), Filters.of(), Filters.of(country=[], segments=[])):
        assert not empty.active
        assert empty.describe() == "no filter"
        assert_frame_equal(empty.filter_lines(tx), tx)
    assert Filters.of(segments=["Lost"]).active
    assert Filters.of(date_range=(dt.date(2024, 1, 1), dt.date(2024, 1, 1))).active


def test_describe_says_every_filter_in_words() -> None:
    f = Filters.of(
        date_range=(dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        country=["France", "Chile"],
        age_group=["65+"],
        segments=["Champions", "Lost"],
    )
    assert f.describe() == (
        "orders 2024-01-01 to 2024-03-31; age group: 65+; country: France, Chile; "
        "segments: Champions, Lost"
    )


def test_date_range_takes_datetimes_and_iso_strings_as_days() -> None:
    # Before: a datetime range raised a TypeError in the view, an ISO string range a
    # ColumnNotFoundError ("unable to find column '2024-01-31'").
    days = (dt.date(2024, 1, 31), dt.date(2024, 2, 1))
    for given in [
        (dt.datetime(2024, 1, 31, 12), dt.datetime(2024, 2, 1, 0, 5)),
        ("2024-01-31", "2024-02-01"),
        pd.to_datetime(["2024-01-31", "2024-02-01"]).tolist(),
    ]:
        f = Filters.of(date_range=given)
        assert f.date_range == days
        assert f == Filters.of(date_range=days)
        assert f.filter_lines(_tx())["amount"].to_list() == [20.0, 5.0]
        assert rfm.analysis_view(_tx(), filters=f).as_of == dt.date(2024, 2, 2)


@pytest.mark.parametrize("given", [("x", "y"), (dt.date(2024, 1, 1),), "2024-01-01", 5])
def test_a_date_range_that_is_not_two_days_is_an_error(given: object) -> None:
    with pytest.raises(DataError, match="date_range must be the first and last order day"):
        Filters.of(date_range=given)  # type: ignore[arg-type]


# --- applying the row filters ---------------------------------------------------------------


def test_date_range_includes_both_end_days() -> None:
    got = Filters.of(date_range=(dt.date(2024, 1, 31), dt.date(2024, 2, 1))).filter_lines(_tx())
    assert got["amount"].to_list() == [20.0, 5.0]


def test_values_of_one_column_or_and_columns_and() -> None:
    tx = _tx()
    got = Filters.of(country=["France", "Chile"], gender=["F"]).filter_lines(tx)
    assert got["amount"].to_list() == [10.0, 20.0, 7.0]  # c's line without a country is out
    assert Filters.of(age_group=["65+"]).filter_lines(tx)["amount"].to_list() == [7.0, -7.0]
    # A number column is matched as text.
    assert Filters.of(age=["24", "64"]).filter_lines(tx)["customer_id"].to_list() == ["a", "b"]
    assert Filters.of(country=["Atlantis"]).filter_lines(tx).height == 0


def test_the_segment_filter_is_not_a_row_filter() -> None:
    tx = _tx()
    assert_frame_equal(Filters.of(segments=["Champions"]).filter_lines(tx), tx)


def test_filters_agree_with_pandas_on_the_sample(sample: pl.DataFrame) -> None:
    countries, categories = ["France", "Germany"], ["Candles", "Lighting", "Toys?"]
    got = Filters.of(
        date_range=(dt.date(2021, 3, 1), dt.date(2022, 6, 30)),
        country=countries,
        category=categories,
        gender=["Female"],
        age_group=["25-34", "35-44"],
    ).filter_lines(sample)
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


def test_filter_on_a_missing_column_names_it() -> None:
    tx = _tx().drop("country", "age")
    with pytest.raises(DataError, match=r"Filtering by country needs a 'country' column"):
        Filters.of(country=["France"]).filter_lines(tx)
    with pytest.raises(DataError, match=r"Filtering by payment method needs a 'payment_method'"):
        Filters.of(payment_method=["cash"]).filter_lines(tx)
    with pytest.raises(DataError, match=r"needs an 'age' or 'birth_date' column"):
        Filters.of(age_group=["65+"]).filter_lines(tx)


def test_reversed_range_and_unknown_age_group_are_errors() -> None:
    with pytest.raises(DataError, match="Swap the two dates"):
        Filters.of(date_range=(dt.date(2024, 2, 1), dt.date(2024, 1, 1))).filter_lines(_tx())
    with pytest.raises(DataError, match="Unknown age group"):
        Filters.of(age_group=["teens"]).filter_lines(_tx())


def test_input_is_not_modified() -> None:
    tx = _tx()
    before = tx.clone()
    Filters.of(country=["France", "Chile"], gender=["F"]).filter_lines(tx)
    rfm.analysis_view(tx, filters=Filters.of(country=["France", "Chile"], segments=["Lost"]))
    assert_frame_equal(tx, before)


# --- in a view ------------------------------------------------------------------------------


def test_segment_filter_keeps_the_segments_computed_before_it(sample: pl.DataFrame) -> None:
    view = rfm.analysis_view(
        sample, filters=Filters.of(country=["France"], segments=["Champions", "Lost"])
    )
    france = sample.filter(pl.col("country") == "France")
    segmented = rfm.segment(rfm.score(rfm.summarize(france, as_of=view.as_of)))
    expected = segmented.filter(pl.col("segment").is_in(["Champions", "Lost"]))
    assert expected.height > 0
    assert_frame_equal(view.customers, expected)
    assert set(view.transactions["customer_id"]) == set(expected["customer_id"])
    assert (
        view.transactions.height
        == france.filter(pl.col("customer_id").is_in(expected["customer_id"].to_list())).height
    )


def test_a_view_without_customers_says_so() -> None:
    with pytest.raises(
        DataError,
        match=r"No customer matches these filters \(country: Peru; segments: Champions\) "
        r"with a purchase on or before 2024-03-03",
    ):
        rfm.analysis_view(_tx(), filters=Filters.of(country=["Peru"], segments=["Champions"]))
    with pytest.raises(DataError, match=r"\(country: Atlantis\)"):
        rfm.analysis_view(_tx(), filters=Filters.of(country=["Atlantis"]))


# --- what there is to filter on -------------------------------------------------------------


def test_filter_options_list_what_is_there(sample: pl.DataFrame) -> None:
    options = filter_options(sample)
    assert options.first_day == dt.date(2020, 1, 1)
    assert options.last_day == dt.date(2023, 12, 31)
    assert options.get("country") == tuple(sorted(sample["country"].unique().to_list()))
    assert options.get("category") == tuple(sorted(sample["category"].unique().to_list()))
    # Ages 18 to 85: every group, youngest first.
    assert (sample["age"].min(), sample["age"].max()) == (18, 85)
    assert options.get("age_group") == AGE_GROUPS
    assert set(filter_options(sample, columns=("retailer",)).values) == {"retailer", "age_group"}
    tx = _tx().drop("country", "age")
    assert filter_options(tx).get("country") == ()
    assert filter_options(tx).get("age_group") == ()
    assert set(filter_options(tx).values) == {"gender"}


def test_filter_options_skip_blank_and_missing_values() -> None:
    tx = _tx().with_columns(pl.Series("country", ["France", " ", "Chile", "", None, "Peru"]))
    options = filter_options(tx)
    assert options.get("country") == ("Chile", "France", "Peru")
    assert options.get("age_group") == ("Under 25", "25-34", "55-64", "65+")
    assert (options.first_day, options.last_day) == (dt.date(2024, 1, 1), dt.date(2024, 3, 2))
