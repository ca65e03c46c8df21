"""Ways forward, not dead ends (issue 15, item 6): choosing a date format for a mixed
column, reporting ids merged by trimming, and DataError's structured fields.

Files are built by hand so every count is known before reading.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle

import polars as pl
import pytest

from rfm import (
    AmbiguousDatesError,
    DataError,
    Limits,
    MixedDatesError,
    read_table,
    read_transactions,
)

# --- mixed date formats -------------------------------------------------------------------

# 5 dates only day-first can read, 3 only month-first, 4 either way.
_DAY_ONLY = ["13/01/2010", "25/02/2010", "31/03/2010", "14/04/2010", "20/05/2010"]
_MONTH_ONLY = ["01/13/2010", "02/25/2010", "12/31/2010"]
_EITHER = ["02/03/2010", "05/06/2010", "07/08/2010", "11/12/2010"]


def _mixed_csv() -> bytes:
    dates = _DAY_ONLY + _MONTH_ONLY + _EITHER
    lines = ["customer_id,order_date,amount"]
    lines += [f"C{i},{d},{i + 1}" for i, d in enumerate(dates)]
    return "\n".join(lines).encode() + b"\n"


def test_mixed_dates_are_refused_without_a_format_and_say_which_to_choose():
    with pytest.raises(MixedDatesError) as caught:
        read_transactions(_mixed_csv())
    error = caught.value
    assert isinstance(error, DataError)
    assert (error.field, error.column) == ("order_date", "order_date")
    assert error.choices == ("%d/%m/%Y", "%m/%d/%Y")
    assert error.candidates == error.choices  # as on AmbiguousDatesError
    assert error.found == "5 dates only day-first and 3 only month-first"
    # The message for people is as before.
    assert "mixes day-first and month-first dates" in str(error)
    assert "date_format='%d/%m/%Y'" in str(error)


@pytest.mark.parametrize(
    ("chosen", "kept", "set_aside"),
    [
        ("%d/%m/%Y", _DAY_ONLY + _EITHER, _MONTH_ONLY),
        ("%m/%d/%Y", _MONTH_ONLY + _EITHER, _DAY_ONLY),
    ],
    ids=["day-first", "month-first"],
)
def test_choosing_a_format_sets_aside_and_counts_the_rows_that_do_not_fit(chosen, kept, set_aside):
    result = read_transactions(_mixed_csv(), date_format=chosen)
    report = result.report
    assert report.excluded == {"date not in the chosen format": len(set_aside)}
    assert report.rows_read == 12 == report.rows_kept + sum(report.excluded.values())
    assert report.date_format == chosen
    # Each kept date is read in the chosen order (checked with the standard library).
    expected = sorted(dt.datetime.strptime(d, chosen) for d in kept)
    assert sorted(result.transactions["order_date"].to_list()) == expected
    (note,) = [w for w in report.warnings if "format chosen" in w]
    assert note.startswith(f"{len(set_aside)} rows set aside")
    other = "%m/%d/%Y" if chosen == "%d/%m/%Y" else "%d/%m/%Y"
    assert f"{len(set_aside)} of them read as {other} (the other order)" in note


def test_a_row_set_aside_for_an_earlier_reason_is_counted_once():
    data = _mixed_csv() + b",12/30/2010,5\n"  # no customer id, and a month-first date
    report = read_transactions(data, date_format="%d/%m/%Y").report
    assert report.excluded == {"date not in the chosen format": 3, "missing customer id": 1}
    assert report.reconciles()
    assert any(w.startswith("3 rows set aside") for w in report.warnings)


def test_ambiguous_dates_error_carries_its_choices():
    data = b"customer_id,order_date,amount\nC1,02/03/2010,1\nC2,05/06/2010,2\n"
    with pytest.raises(AmbiguousDatesError) as caught:
        read_transactions(data)
    error = caught.value
    assert error.field == "order_date"
    assert error.column == "order_date"
    assert error.candidates == error.choices == ("%d/%m/%Y", "%m/%d/%Y")


def test_a_column_that_is_not_dates_is_named():
    data = b"customer_id,order_date,amount\nC1,soon,1\nC2,later,2\n"
    with pytest.raises(DataError) as caught:
        read_transactions(data, columns={"order_date": "order_date"})
    assert (caught.value.field, caught.value.column) == ("order_date", "order_date")
    assert caught.value.expected == "dates"
    assert "'soon'" in caught.value.found


# --- structured DataError -----------------------------------------------------------------


def test_missing_column_names_the_field_and_the_free_columns():
    # 'when' reads as the order date and 'amount' as the amount; nothing as the id.
    data = b"shop,when,amount,colour\nS1,2024-01-02,5.0,red\n"
    with pytest.raises(DataError) as caught:
        read_transactions(data)
    error = caught.value
    assert error.field == "customer_id"
    assert error.expected == "a customer id column"
    # Any column not read as another required field may be the id (shop was
    # detected as the retailer, an optional field).
    assert error.choices == ("shop", "colour")
    assert "Pass columns={'customer_id': ...}" in str(error)


def test_a_mapping_to_a_column_that_does_not_exist():
    data = b"customer_id,order_date,amount\nC1,2024-01-02,5\n"
    with pytest.raises(DataError) as caught:
        read_transactions(data, columns={"amount": "Betrag"})
    error = caught.value
    assert (error.field, error.column) == ("amount", "Betrag")
    assert error.choices == ("customer_id", "order_date", "amount")
    assert error.found == "no column named 'Betrag'"


@pytest.mark.parametrize(
    ("data", "limits", "limit"),
    [
        (b"id\n" + b"1\n" * 50, Limits(max_rows=10), "max_rows"),
        (b"a,b,c\n1,2,3\n", Limits(max_columns=2), "max_columns"),
        (b"id\n" + b"1\n" * 500, Limits(max_bytes=100), "max_bytes"),
        (b"id\n" + b"1\n" * 500, Limits(max_table_bytes=1000), "max_table_bytes"),
    ],
)
def test_limit_errors_name_the_limit(data, limits, limit):
    with pytest.raises(DataError) as caught:
        read_table(data, limits=limits)
    assert caught.value.limit == limit
    assert f"Limits.{limit}" in str(caught.value)
    assert caught.value.expected and caught.value.found


def test_structured_fields_survive_pickling():
    for error in (
        DataError("msg", field="amount", column="x", choices=("a", "b"), limit="max_rows"),
        AmbiguousDatesError("msg", column="d", candidates=("%d/%m/%Y", "%m/%d/%Y")),
        MixedDatesError("msg", column="d", choices=("%d/%m/%Y", "%m/%d/%Y")),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert vars(copy) == vars(error)


# --- ids merged by trimming ---------------------------------------------------------------


def _ids_csv(ids: list[str]) -> bytes:
    lines = ["customer_id,order_date,amount"]
    lines += [f"{c},2024-01-{1 + i % 28:02d},{i + 1}" for i, c in enumerate(ids)]
    return "\n".join(lines).encode("utf-8") + b"\n"


def test_ids_that_differ_only_by_padding_are_merged_and_reported():
    ids = [
        "12346",
        " 12346",  # leading space: merged (1)
        "12347",
        "\t12347",
        "12347 ",  # leading tab, trailing space: merged (2)
        "\u200b12348",
        "12348\u00a0",  # zero-width space, no-break space: one id (1)
        "\ufeff12349",  # a byte-order mark, but no other spelling: nothing merged
        "12350",
        "12350",  # the same spelling twice: nothing merged
    ]
    result = read_transactions(_ids_csv(ids))
    customers = result.transactions["customer_id"].unique().sort().to_list()
    assert customers == ["12346", "12347", "12348", "12349", "12350"]
    report = result.report
    assert report.ids_merged == 4
    # Each spelling is either a customer or merged into one.
    assert len(set(ids)) == len(customers) + report.ids_merged
    (note,) = [w for w in report.warnings if "merged" in w]
    assert note.startswith("4 customer ids merged with another after trimming")
    assert "e.g. ' 12346' -> '12346'" in note
    assert report.reconciles() and report.rows_kept == len(ids)


def test_the_sample_case_3000_customers_are_not_silently_2999():
    ids = [str(10_000 + i) for i in range(3000)] + [" 10000"]
    result = read_transactions(_ids_csv(ids))
    assert result.transactions["customer_id"].n_unique() == 3000
    ids[-1] = "\t10001"
    result = read_transactions(_ids_csv(ids))
    assert result.transactions["customer_id"].n_unique() == 3000
    assert result.report.ids_merged == 1


def test_ids_padded_the_same_way_everywhere_are_not_called_merged():
    result = read_transactions(_ids_csv([" 1", " 2", " 1"]))
    assert result.report.ids_merged == 0
    assert not [w for w in result.report.warnings if "merged" in w]
    assert sorted(result.transactions["customer_id"].unique()) == ["1", "2"]


def test_numeric_ids_have_nothing_to_trim():
    frame = pl.DataFrame(
        {"customer_id": [1, 1, 2], "order_date": ["2024-01-02"] * 3, "amount": [1.0, 2.0, 3.0]}
    )
    assert read_transactions(frame).report.ids_merged == 0


def test_parquet_ids_with_invisible_characters_are_merged_too():
    frame = pl.DataFrame(
        {
            "customer_id": ["A1", "A1\u200b", "\u2060A1", "B2"],
            "order_date": ["2024-01-02"] * 4,
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    result = read_transactions(buffer.getvalue())
    assert result.transactions["customer_id"].to_list() == ["A1", "A1", "A1", "B2"]
    assert result.report.ids_merged == 2
