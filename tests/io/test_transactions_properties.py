"""Properties of read_transactions on arbitrary messy frames (hypothesis)."""

from __future__ import annotations

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from polars.testing import assert_frame_equal

import rfm
from rfm.errors import DataError

_IDS = st.sampled_from(["1", "2", "00123", " 7 ", "NULL", "", "N/A", "-", "C9", None])
_DATES = st.sampled_from([
    "2020-01-02", "2020-01-02 10:00", "2021-12-31", "2020-02-30", "not a date", "", "NULL",
    None, "2019-07-04T08:00:00",
])
_AMOUNTS = st.sampled_from([
    "1.50", "-2", "(3.00)", "$1,234.50", "12..5", "abc", "", "NA", None, "0", "7",
])
_FLAGS = st.sampled_from(["yes", "no", "", None, "maybe"])

_ROW = st.tuples(_IDS, _DATES, _AMOUNTS, _FLAGS)


def _frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"CustomerID": pl.String, "InvoiceDate": pl.String, "Sales": pl.String,
                "Returned": pl.String},
        orient="row",
    )


def _read(frame: pl.DataFrame) -> rfm.ReadResult | None:
    try:
        return rfm.read_transactions(frame)
    except DataError as err:
        # Only two outcomes may refuse a frame like these: nothing left, or a date
        # column where no value is a date.
        assert "No transactions left after cleaning" in str(err) or (
            "does not look like dates" in str(err)
        )
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=40))
@example(rows=[("1", "2020-01-02", "1.50", "no")] * 3)
def test_report_reconciles_every_row(rows: list[tuple]) -> None:
    result = _read(_frame(rows))
    if result is None:
        return
    report = result.report
    assert report.rows_read == len(rows)
    assert report.reconciles()
    assert report.rows_kept == result.transactions.height
    assert report.returns == int(result.transactions["is_return"].sum())
    required = result.transactions.select("customer_id", "order_date", "amount")
    assert required.null_count().sum_horizontal().item() == 0
    # A return never has a positive amount.
    assert not result.transactions.filter(pl.col("is_return") & (pl.col("amount") > 0)).height


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30), seed=st.integers(0, 2**32 - 1))
def test_result_does_not_depend_on_row_order(rows: list[tuple], seed: int) -> None:
    frame = _frame(rows)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    first, second = _read(frame), _read(shuffled)
    assert (first is None) == (second is None)
    if first is None or second is None:
        return
    order = ["customer_id", "order_date", "amount", "is_return"]
    assert_frame_equal(first.transactions.sort(order), second.transactions.sort(order))
    assert dict(first.report.excluded) == dict(second.report.excluded)


@pytest.mark.parametrize("n", [1, 5])
def test_rows_set_aside_by_read_table_are_counted(n: int) -> None:
    good = "CustomerID,InvoiceDate,Sales\n" + "".join(
        f"{i},2020-01-0{i % 9 + 1},{i}.50\n" for i in range(1, 11)
    )
    bad = "".join(f"{i},2020-01-01,1,extra,fields\n" for i in range(n))
    result = rfm.read_transactions((good + bad).encode())
    report = result.report
    assert report.rows_read == 10 + n
    assert report.excluded == {"malformed row (too many fields)": n}
    assert report.reconciles()
