"""Typed conversion: missing markers, numbers (currency, conventions), dates, ids."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import example, given, settings

from rfm.errors import AmbiguousDatesError, DataError
from rfm.io.parse import (
    EXCEL_SERIAL,
    MISSING_VALUES,
    clean_columns,
    clean_series,
    convert_ids,
    convert_numbers,
    detect_date_format,
)


def _numbers(values: list[str | None], **kw: object) -> tuple[list, list, str | None]:
    col = convert_numbers(pl.Series("x", values), **kw)  # type: ignore[arg-type]
    return col.values.to_list(), col.invalid.to_list(), col.decimal


# ----------------------------------------------------------------- missing (case 16)


def test_missing_markers_become_null() -> None:
    values = ["NULL", "null", "N/A", "n/a", "NA", "-", "", "   ", "\t", None, "x"]
    assert clean_series(pl.Series(values)).to_list() == [None] * 10 + ["x"]


def test_minus_number_is_not_a_missing_marker() -> None:
    assert _numbers(["-5.25", "-"])[0] == [-5.25, None]


@pytest.mark.parametrize("n", [9, 30_000])
def test_clean_columns_trims_and_nulls_every_cell_of_few_and_many_valued_columns(n: int) -> None:
    # 30,000 rows take the distinct-values path for the few-valued columns.
    words = ["Paris", " Lyon", "Nice ", "\tNantes\u00a0", "NULL", "n/a", "", "  ", "-", "a b", None]
    few = [words[i % len(words)] for i in range(n)]
    many = [f" {i}" if i % 3 == 0 else ("N/A" if i % 7 == 0 else str(i)) for i in range(n)]

    def by_hand(value: str | None) -> str | None:
        # The oracle: Python's strip (these characters are whitespace to both).
        if value is None or value.strip().lower() in MISSING_VALUES:
            return None
        return value.strip()

    clean_few = [by_hand(v) for v in few]
    frame = pl.DataFrame({"few": few, "many": many, "clean": clean_few})
    got = clean_columns(frame, ["few", "many", "clean"])
    assert got.columns == ["few", "many", "clean"]
    assert got["few"].to_list() == clean_few
    assert got["many"].to_list() == [by_hand(v) for v in many]
    assert got["clean"].to_list() == clean_few


# ----------------------------------------------------------------- numbers (case 11)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$1,234.50", 1234.50),
        ("(12.00)", -12.0),
        ("($1,000.00)", -1000.0),
        ("-5.25", -5.25),
        ("5.25-", -5.25),
        ("-$5.25", -5.25),
        ("$-5.25", -5.25),
        ("USD 1,000", 1000.0),
        ("1,000.5 usd", 1000.5),
        ("£0.99", 0.99),
        ("12", 12.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1'234.50", 1234.50),
    ],
)
def test_dot_decimal_numbers(text: str, value: float) -> None:
    # Another value with a decimal dot fixes the convention.
    values, invalid, decimal = _numbers([text, "1.25"])
    assert decimal == "."
    assert values[0] == value
    assert invalid == [False, False]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("€1.234,50", 1234.50),
        ("1.234,50 €", 1234.50),
        ("1.234,50", 1234.50),
        ("1 234,50", 1234.50),
        ("1\u00a0234,50", 1234.50),
        ("1\u202f234,50", 1234.50),
        ("-0,5", -0.5),
        ("(3,00)", -3.0),
        ("EUR 12,00", 12.0),
        ("1.000.000,01", 1_000_000.01),
    ],
)
def test_comma_decimal_numbers(text: str, value: float) -> None:
    values, invalid, decimal = _numbers([text, "2,50"])
    assert decimal == ","
    assert values[0] == value
    assert invalid == [False, False]


def test_convention_is_decided_per_column_not_per_cell() -> None:
    # "1,5" fits only comma-decimal, "2.5" only dot-decimal; the column takes the
    # convention most values fit and the misfit is invalid, never read the other way.
    values, invalid, decimal = _numbers(["1,5", "2,25", "3.5"])
    assert decimal == ","
    assert values == [1.5, 2.25, None]
    assert invalid == [False, False, True]


def test_comma_thousands_with_dot_decimal() -> None:
    assert _numbers(["1,234.50", "12.00"])[0] == [1234.5, 12.0]


def test_ambiguous_thousands_are_read_with_dot_and_warned() -> None:
    col = convert_numbers(pl.Series("Sales", ["1,234", "2,500"]))
    assert col.values.to_list() == [1234.0, 2500.0]
    assert any("decimal=','" in w for w in col.warnings)


def test_explicit_decimal_comma_overrides_the_tie() -> None:
    assert _numbers(["1,234", "2,500"], decimal=",")[0] == [1.234, 2.5]


def test_explicit_decimal_comma_rejects_dot_decimals() -> None:
    values, invalid, _ = _numbers(["1.5", "2,5"], decimal=",")
    assert values == [None, 2.5]
    assert invalid == [True, False]


@pytest.mark.parametrize(
    "text", ["12.5.1", "1,23.4", "abc", "$", "(-5)", "--5", "1,2345.0", "12 34", "inf", "nan5"]
)
def test_unparseable_numbers_are_invalid_not_missing(text: str) -> None:
    values, invalid, _ = _numbers([text, "1.50"])
    assert values[0] is None
    assert invalid[0] is True


def test_missing_numbers_are_not_invalid() -> None:
    col = convert_numbers(pl.Series("x", ["NULL", "", "1.5", None]))
    assert col.missing.to_list() == [True, True, False, True]
    assert col.invalid.to_list() == [False, False, False, False]


def test_typed_numbers_nan_is_missing_infinity_invalid() -> None:
    col = convert_numbers(pl.Series("x", [1.5, float("nan"), float("inf"), None]))
    assert col.values.to_list() == [1.5, None, None, None]
    assert col.missing.to_list() == [False, True, False, True]
    assert col.invalid.to_list() == [False, False, True, False]


def _format(value: float, decimal: str, thousands: str, style: str) -> str:
    body = f"{abs(value):,.2f}"  # "1,234.50"
    body = body.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    negative = value < 0
    if style == "paren":
        return f"({body})" if negative else body
    if style == "currency":
        return f"-${body}" if negative else f"${body}"
    if style == "suffix":
        return f"-{body} €" if negative else f"{body} €"
    return f"-{body}" if negative else body


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=1,
        max_size=20,
    ),
    convention=st.sampled_from(
        [(".", ","), (".", ""), (",", "."), (",", " "), (",", "\u00a0"), (".", "'")]
    ),
    style=st.sampled_from(["plain", "paren", "currency", "suffix"]),
)
@example(values=[1234.5], convention=(",", "."), style="plain")
@example(values=[-0.01], convention=(".", ","), style="paren")
def test_formatted_numbers_round_trip(
    values: list[float], convention: tuple[str, str], style: str
) -> None:
    decimal, thousands = convention
    texts = [_format(v, decimal, thousands, style) for v in values]
    # Two decimals always show which separator is the decimal one.
    col = convert_numbers(pl.Series("x", texts), decimal=decimal)  # type: ignore[arg-type]
    expected = [float(f"{v:.2f}") for v in values]
    assert col.values.to_list() == [e if e != 0 else 0.0 for e in expected]
    assert not col.invalid.any()
    detected = convert_numbers(pl.Series("x", texts))
    assert detected.values.to_list() == col.values.to_list()


# ----------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("values", "fmt", "first"),
    [
        (["2010-12-01", "2011-01-13"], "%Y-%m-%d", dt.datetime(2010, 12, 1)),
        (
            ["2010-12-01 08:26:00", "2011-01-13 17:00:01"],
            "%Y-%m-%d %H:%M:%S",
            dt.datetime(2010, 12, 1, 8, 26),
        ),
        (
            ["2010-12-01T08:26:00", "2011-01-13T17:00:01.5"],
            "%Y-%m-%dT%H:%M:%S%.f",
            dt.datetime(2010, 12, 1, 8, 26),
        ),
        (["19970101", "19970318"], "%Y%m%d", dt.datetime(1997, 1, 1)),
        (["12/1/2010 8:26", "12/13/2010 18:05"], "%m/%d/%Y %H:%M", dt.datetime(2010, 12, 1, 8, 26)),
        (["1/12/2010", "13/12/2010"], "%d/%m/%Y", dt.datetime(2010, 12, 1)),
        (["01.12.2010", "31.12.2010"], "%d.%m.%Y", dt.datetime(2010, 12, 1)),
        (["01-12-2010", "31-12-2010"], "%d-%m-%Y", dt.datetime(2010, 12, 1)),
        (["1-Dec-10", "13-Jan-11"], "%d-%b-%y", dt.datetime(2010, 12, 1)),
    ],
)
def test_date_formats_are_detected(values: list[str], fmt: str, first: dt.datetime) -> None:
    col = detect_date_format(pl.Series("d", values))
    assert col.format == fmt
    assert col.values.to_list()[0] == first
    assert not col.invalid.any()


def test_polars_guess_is_not_used_month_first_is_read_month_first() -> None:
    # polars' try_parse_dates reads 12/1/2010 as 12 January; the data says December.
    col = detect_date_format(pl.Series("d", ["12/1/2010 8:26", "12/31/2010 9:00"]))
    assert col.values.to_list()[0] == dt.datetime(2010, 12, 1, 8, 26)


def test_excel_serial_dates() -> None:
    col = detect_date_format(pl.Series("d", ["40513", "40513.5"]))
    assert col.format == EXCEL_SERIAL
    # 40513 is 2010-12-01 in Excel's 1900 system (checked in a spreadsheet).
    assert col.values.to_list() == [dt.datetime(2010, 12, 1), dt.datetime(2010, 12, 1, 12)]


def test_mixed_date_and_datetime_values_use_two_variants() -> None:
    col = detect_date_format(pl.Series("d", ["2010-12-01", "2010-12-02 10:00", "2010-12-03"]))
    assert col.values.to_list()[1] == dt.datetime(2010, 12, 2, 10)
    assert not col.invalid.any()
    assert col.formats == ("%Y-%m-%d", "%Y-%m-%d %H:%M")


def test_variants_the_sample_missed_are_found_on_the_rest() -> None:
    # 1 value in 5,001 has seconds: the sample may skip it; the unread rows get a
    # second look with every time variant of the same date part.
    values = ["2010-12-01 10:00"] * 5000 + ["2010-12-02 10:00:30"]
    col = detect_date_format(pl.Series("d", values))
    assert col.values.to_list()[-1] == dt.datetime(2010, 12, 2, 10, 0, 30)
    assert not col.invalid.any()


def test_integer_yyyymmdd_column() -> None:
    col = detect_date_format(pl.Series("d", [19970101, 19970102]))
    assert col.values.to_list() == [dt.datetime(1997, 1, 1), dt.datetime(1997, 1, 2)]


def test_typed_dates_pass_through() -> None:
    col = detect_date_format(pl.Series("d", [dt.date(2020, 1, 2), None]))
    assert col.values.to_list() == [dt.datetime(2020, 1, 2), None]
    assert col.format is None
    assert col.missing.to_list() == [False, True]


def test_unparseable_values_are_marked() -> None:
    col = detect_date_format(pl.Series("d", ["2010-12-01", "2010-13-45", "soon", None]))
    assert col.invalid.to_list() == [False, True, True, False]
    assert col.missing.to_list() == [False, False, False, True]


def test_years_outside_1900_2100_are_not_dates() -> None:
    col = detect_date_format(pl.Series("d", ["01/02/2010", "13/02/0010"]))
    assert col.invalid.to_list() == [False, True]


# BAD_INPUTS 13: every date ambiguous
def test_all_ambiguous_dates_raise_with_both_candidates() -> None:
    with pytest.raises(
        AmbiguousDatesError,
        match=r"both day-first and month-first.*'1/2/2010' is "
        r"01 February 2010 or 02 January 2010.*date_format='%d/%m/%Y'.*"
        r"date_format='%m/%d/%Y'",
    ) as err:
        detect_date_format(pl.Series("InvoiceDate", ["1/2/2010", "3/4/2010", "12/11/2010"]))
    assert err.value.column == "InvoiceDate"
    assert err.value.candidates == ("%d/%m/%Y", "%m/%d/%Y")
    assert isinstance(err.value, DataError)


def test_ambiguous_candidates_keep_the_time_part() -> None:
    with pytest.raises(AmbiguousDatesError) as err:
        detect_date_format(pl.Series("d", ["1/2/2010 8:26", "3/4/2010 10:00"]))
    assert err.value.candidates == ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M")


def test_ambiguous_dates_with_a_chosen_format_are_reported_ambiguous() -> None:
    col = detect_date_format(pl.Series("d", ["1/2/2010", "3/4/2010"]), date_format="%d/%m/%Y")
    assert col.ambiguous
    assert col.values.to_list() == [dt.datetime(2010, 2, 1), dt.datetime(2010, 4, 3)]


def test_date_only_format_also_reads_times() -> None:
    col = detect_date_format(pl.Series("d", ["1/2/2010 8:26", "3/4/2010"]), date_format="%d/%m/%Y")
    assert col.values.to_list() == [dt.datetime(2010, 2, 1, 8, 26), dt.datetime(2010, 4, 3)]


# BAD_INPUTS 12: dd/mm and mm/dd in one column
def test_mixed_day_first_and_month_first_raise() -> None:
    values = ["13/01/2010", "01/02/2010", "01/13/2010"]
    with pytest.raises(
        DataError,
        match=r"mixes day-first and month-first.*'13/01/2010'"
        r".*'01/13/2010'.*date_format=",
    ):
        detect_date_format(pl.Series("d", values))


def test_mixed_column_with_explicit_format_excludes_the_misfits() -> None:
    values = ["13/01/2010", "01/02/2010", "01/13/2010"]
    col = detect_date_format(pl.Series("d", values), date_format="%d/%m/%Y")
    assert col.values.to_list()[:2] == [dt.datetime(2010, 1, 13), dt.datetime(2010, 2, 1)]
    assert col.invalid.to_list() == [False, False, True]


def test_unambiguous_values_far_down_the_column_decide() -> None:
    # The sample step skips values, but the day/month evidence uses the whole column.
    values = ["01/02/2010"] * 5000 + ["25/02/2010"]
    col = detect_date_format(pl.Series("d", values))
    assert col.format == "%d/%m/%Y"


def test_not_dates_raise() -> None:
    with pytest.raises(DataError, match=r"does not look like dates.*date_format="):
        detect_date_format(pl.Series("d", ["apple", "pear"]))


def test_day_first_hint_resolves_ambiguity() -> None:
    col = detect_date_format(pl.Series("d", ["1/2/1980"]), day_first=True)
    assert col.values.to_list() == [dt.datetime(1980, 2, 1)]
    assert col.ambiguous


# ----------------------------------------------------------------- ids (case 14)


def test_ids_keep_leading_zeros() -> None:
    ids, notes = convert_ids(pl.Series("id", ["00123", " 00456 ", "NULL"]))
    assert ids.to_list() == ["00123", "00456", None]
    assert notes == ()


def test_scientific_notation_ids_are_kept_and_flagged() -> None:
    ids, notes = convert_ids(pl.Series("id", ["00123", "1.23457E+11"]))
    assert ids.to_list() == ["00123", "1.23457E+11"]
    assert len(notes) == 1
    assert "lossy spreadsheet export" in notes[0]


def test_integer_valued_float_ids_become_integer_text() -> None:
    ids, notes = convert_ids(pl.Series("CustomerID", [12346.0, float("nan"), 17850.0]))
    assert ids.to_list() == ["12346", None, "17850"]
    assert "12346" in notes[0]


def test_decimal_written_ids_in_text_drop_the_zero() -> None:
    ids, notes = convert_ids(pl.Series("id", ["12346.0", "17850.0"]))
    assert ids.to_list() == ["12346", "17850"]
    assert notes


def test_ids_with_and_without_a_decimal_zero_are_one_customer() -> None:
    # Two exports appended: one wrote 12346, the other (via a float column) 12346.0.
    ids, notes = convert_ids(pl.Series("id", ["12346", "12346.0", "17850", None, "17850.00"]))
    assert ids.to_list() == ["12346", "12346", "17850", None, "17850"]
    assert "'12346.0'" in notes[0]
    # The decimals may start far down the column (the second export appended).
    ids, _ = convert_ids(pl.Series("id", ["12346"] * 5000 + ["12346.0"]))
    assert ids.unique().to_list() == ["12346"]
    ids, notes = convert_ids(pl.Series("id", ["12346", "12346.5", "17850.0"]))
    assert ids.to_list() == ["12346", "12346.5", "17850.0"]  # not all whole: left alone
    assert notes == ()


def test_integer_ids_become_text() -> None:
    ids, _ = convert_ids(pl.Series("id", [1, 2]))
    assert ids.to_list() == ["1", "2"]


def test_plain_values_that_may_be_thousands_are_warned() -> None:
    col = convert_numbers(pl.Series("Betrag", ["1.234", "12.500"]))
    assert col.values.to_list() == [1.234, 12.5]
    assert "decimal=','" in col.warnings[0]
    assert convert_numbers(pl.Series("x", ["1.25", "12.5"])).warnings == ()
