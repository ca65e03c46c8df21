"""Number and date columns parsed from raw text first: padding and markers still cleaned."""

from __future__ import annotations

import datetime as dt

import polars as pl

from rfm.io.parse import convert_numbers, detect_date_format


def test_numbers_plain_raw_text() -> None:
    col = convert_numbers(pl.Series("x", ["1.5", "-2", None, "1e3"]))
    assert col.values.to_list() == [1.5, -2.0, None, 1000.0]
    assert col.missing.to_list() == [False, False, True, False]
    assert not col.invalid.any()


def test_numbers_padding_and_markers_are_cleaned() -> None:
    col = convert_numbers(pl.Series("x", [" 1.5", "2 ", "NULL", "nan", "", "oops"]))
    assert col.values.to_list() == [1.5, 2.0, None, None, None, None]
    assert col.missing.to_list() == [False, False, True, True, True, False]
    assert col.invalid.to_list() == [False, False, False, False, False, True]


def test_dates_padding_and_markers_are_cleaned() -> None:
    values = pl.Series("d", [" 13/01/2020", "02/01/2020 ", "N/A", "", None, "\u00a005/01/2020"])
    col = detect_date_format(values)
    assert col.format == "%d/%m/%Y"
    assert col.values.to_list() == [
        dt.datetime(2020, 1, 13),
        dt.datetime(2020, 1, 2),
        None,
        None,
        None,
        dt.datetime(2020, 1, 5),
    ]
    assert col.missing.to_list() == [False, False, True, True, True, False]
    assert not col.invalid.any()


def test_dates_trailing_padding_in_a_large_column() -> None:
    # One padded value among many clean ones, outside any sample.
    texts = ["2021-03-04"] * 5000 + ["2021-03-05 "] + ["2021-03-06"] * 5000
    col = detect_date_format(pl.Series("d", texts))
    assert col.values[5000] == dt.datetime(2021, 3, 5)
    assert not col.invalid.any()
    assert not col.missing.any()
