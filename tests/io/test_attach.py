"""A customer table joined by customer id, a returns table joined by order id."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm import DataError
from tests.io.xls_writer import workbook

ORDERS_CSV = b"""Order ID,Order Date,Customer ID,Sales,Quantity,City
CA-1,2024-01-02,00123,100.00,2,Leeds
CA-1,2024-01-02,00123,50.00,1,
CA-2,2024-01-10,00123,30.00,3,York
US-3,2024-01-05,B-7,20.00,1,
US-4,2024-01-06,C-9,40.00,4,
"""


@pytest.fixture
def orders() -> pl.DataFrame:
    return rfm.read_transactions(ORDERS_CSV).transactions


def _customers() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Customer ID": ["00123", "B-7", "B-7", "Z-1", "", "123"],
            "Gender": ["F", "M", "F", "M", "F", "M"],
            "Date of Birth": ["31/12/1980", "15/06/1992", "01/01/1990", "20/02/1975", "", ""],
            "Segment": ["Consumer", "Corporate", "Consumer", "Home Office", "", "Consumer"],
            "City": ["Bradford", "Hull", "Hull", "Bath", "", ""],
            "Age": ["43", "thirty", "", "49", "", ""],
        }
    )


def test_customer_attributes_join_line_by_line(orders: pl.DataFrame) -> None:
    before = orders.clone()
    joined, report = rfm.attach_customers(orders, _customers())
    assert_frame_equal(orders, before)  # the input is not modified
    assert joined.height == orders.height
    assert_frame_equal(joined.select(orders.columns).drop("city"), orders.drop("city"))
    assert joined["gender"].to_list() == ["F", "F", "F", "M", None]
    assert joined["customer_type"].to_list() == ["Consumer"] * 3 + ["Corporate", None]
    assert joined["birth_date"].to_list() == [dt.date(1980, 12, 31)] * 3 + [
        dt.date(1992, 6, 15),
        None,
    ]
    # "thirty" is not an age: missing, and said so.
    assert joined["age"].to_list() == [43, 43, 43, None, None]
    assert any("1 ages in 'Age' could not be read" in w for w in report.warnings)
    # The line's own city wins; the customer table fills the missing one.
    assert joined["city"].to_list() == ["Leeds", "Bradford", "York", "Hull", None]
    assert any("already had city" in w for w in report.warnings)


def test_customer_join_counts_what_matched(orders: pl.DataFrame) -> None:
    _, report = rfm.attach_customers(orders, _customers())
    assert report.rows == 6
    assert report.missing_key == 1  # the blank id
    assert report.duplicate_keys == 1  # B-7 twice: the first row is used
    # Listed: 00123, B-7, Z-1, 123 -- "123" is not "00123": ids are text.
    assert (report.keys, report.matched, report.unmatched) == (4, 2, 2)
    assert (report.lines_matched, report.lines_unmatched) == (4, 1)
    assert report.lines_matched + report.lines_unmatched == 5
    assert report.columns == {
        "gender": "Gender",
        "age": "Age",
        "birth_date": "Date of Birth",
        "customer_type": "Segment",
        "city": "City",
    }
    assert report.summary == (
        "Customers table: 2 of 4 customer ids found in the transactions (2 not found); "
        "1 transaction lines without a match."
    )
    table = report.to_frame()
    assert (
        table.filter(pl.col("measure") == "customer_ids not in the transactions")["value"].item()
        == 2
    )


def test_numeric_ids_from_a_spreadsheet_match_text_ids() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["12346", "12347"],
            "order_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)],
            "amount": [1.0, 2.0],
        }
    )
    people = pl.DataFrame({"CustomerID": [12346.0, 99999.0], "Sex": ["F", "M"]})
    joined, report = rfm.attach_customers(tx, people)
    assert joined["gender"].to_list() == ["F", None]
    assert (report.matched, report.unmatched) == (1, 1)


def test_customer_table_errors(orders: pl.DataFrame) -> None:
    with pytest.raises(DataError, match=r"looks like customer id.*Pass on="):
        rfm.attach_customers(orders, pl.DataFrame({"who": ["a"], "Gender": ["F"]}))
    with pytest.raises(DataError, match="no column 'who'"):
        rfm.attach_customers(orders, pl.DataFrame({"id": ["a"]}), on="who")
    with pytest.raises(DataError, match="looks like a customer attribute"):
        rfm.attach_customers(orders, pl.DataFrame({"Customer ID": ["a"], "Colour": ["red"]}))
    with pytest.raises(DataError, match="shoe_size, not a customer attribute"):
        rfm.attach_customers(orders, _customers(), columns={"shoe_size": "Age"})
    people = pl.DataFrame({"Customer ID": ["00123"], "Joined": ["01/02/2020"]})
    with pytest.raises(rfm.AmbiguousDatesError):
        rfm.attach_customers(orders, people, columns={"signup_date": "Joined"})
    joined, _ = rfm.attach_customers(
        orders, people, columns={"signup_date": "Joined"}, date_format="%d/%m/%Y"
    )
    assert joined["signup_date"].to_list()[0] == dt.date(2020, 2, 1)


# --- returns -----------------------------------------------------------------------


def _returns() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Returned": ["Yes", "Yes", "No", "yes", ""],
            "Order ID": ["CA-1", "ZZ-9", "US-3", "CA-1", "US-4"],
        }
    )


def test_returned_orders_get_offsetting_return_lines(orders: pl.DataFrame) -> None:
    out, report = rfm.attach_returns(orders, _returns())
    assert_frame_equal(out.head(orders.height), orders)  # originals first, unchanged
    added = out.slice(orders.height)
    assert added["order_id"].to_list() == ["CA-1", "CA-1"]
    assert added["amount"].to_list() == [-100.0, -50.0]
    assert added["quantity"].to_list() == [-2.0, -1.0]
    assert added["is_return"].all()
    assert added["order_date"].to_list() == orders["order_date"].head(2).to_list()
    assert report.lines_added == 2
    assert report.returned_value == -150.0
    # Listed as returned: CA-1 (twice: one duplicate) and ZZ-9; US-3 says no; US-4 is blank.
    assert (report.keys, report.matched, report.unmatched) == (2, 1, 1)
    assert report.duplicate_keys == 1
    assert report.lines_matched == 2
    assert any(
        "1 rows of the returns table say the order was not returned" in w for w in report.warnings
    )


def test_a_returned_order_nets_to_zero_but_stays_an_order(orders: pl.DataFrame) -> None:
    out, _ = rfm.attach_returns(orders, _returns())
    as_of = dt.date(2024, 1, 31)
    before = rfm.summarize(orders, as_of=as_of).row(0, named=True)
    after = rfm.summarize(out, as_of=as_of).row(0, named=True)
    assert before["customer_id"] == after["customer_id"] == "00123"
    # By hand: CA-1 (150) returned whole, CA-2 (30) kept.
    assert (before["monetary"], after["monetary"]) == (180.0, 30.0)
    assert before["frequency"] == after["frequency"] == 2
    assert (before["returns"], after["returns"]) == (0, 2)
    assert after["quantity"] == 3.0
    # Revenue by customer still sums to the total of the amounts.
    assert rfm.summarize(out, as_of=as_of)["monetary"].sum() == pytest.approx(out["amount"].sum())


def test_returns_without_a_flag_column_and_lines_already_returned(orders: pl.DataFrame) -> None:
    once, _ = rfm.attach_returns(orders, pl.DataFrame({"Order ID": ["US-4"]}))
    assert once.slice(orders.height)["amount"].to_list() == [-40.0]
    # Attaching again changes nothing: the order already has its return line.
    twice, report = rfm.attach_returns(once, pl.DataFrame({"Order ID": ["US-4"]}))
    assert_frame_equal(twice, once)
    assert report.lines_added == 0
    assert any("1 returned orders already had return lines" in w for w in report.warnings)


def test_returns_errors(orders: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="Expected transactions with a 'order_id' column"):
        rfm.attach_returns(orders.drop("order_id"), _returns())
    with pytest.raises(DataError, match=r"looks like order id.*Pass order_id="):
        rfm.attach_returns(orders, pl.DataFrame({"what": ["CA-1"]}))
    odd = pl.DataFrame({"Returned": ["Yes", "maybe"], "Order ID": ["CA-1", "CA-2"]})
    with pytest.raises(DataError, match="Expected yes/no values.*'maybe'"):
        rfm.attach_returns(orders, odd)


def test_superstore_workbook_orders_and_returns_sheets() -> None:
    data = workbook(
        {
            "Orders": [
                ["Row ID", "Order ID", "Order Date", "Customer ID", "Segment", "Sales"],
                [1, "CA-1", "2016-11-08", "CG-12520", "Consumer", 261.96],
                [2, "CA-1", "2016-11-08", "CG-12520", "Consumer", 731.94],
                [3, "US-2", "2015-10-11", "SO-20335", "Corporate", 14.62],
            ],
            "Returns": [["Returned", "Order ID"], ["Yes", "CA-1"]],
        }
    )
    tx = rfm.read_transactions(data, sheet="Orders").transactions
    assert tx["customer_type"].to_list() == ["Consumer", "Consumer", "Corporate"]
    out, report = rfm.attach_returns(tx, rfm.read_table(data, sheet="Returns"))
    assert (report.matched, report.unmatched, report.lines_added) == (1, 0, 2)
    assert out["amount"].sum() == pytest.approx(14.62)
