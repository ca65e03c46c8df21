"""to_safe_csv: the OWASP CSV-injection rule, checked by reading the bytes back."""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl
import pytest

from rfm.errors import DataError
from rfm.export import to_safe_csv


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        "+SUM(A1:A2)",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        "\n=1",
        '=HYPERLINK("http://x","y")',
        "-",
        "+",
    ],
)
def test_formula_text_gets_a_quote_prefix(cell: str) -> None:
    rows = _rows(to_safe_csv(pl.DataFrame({"note": [cell]})))
    assert rows[1] == ["'" + cell]


@pytest.mark.parametrize("cell", ["Ann", "José €", " =not first", "a=b", "'quoted", "5-3"])
def test_ordinary_text_is_unchanged(cell: str) -> None:
    assert _rows(to_safe_csv(pl.DataFrame({"note": [cell]})))[1] == [cell]


@pytest.mark.parametrize("cell", ["-5.25", "+3", "-0.5e3", "-.5", "12"])
def test_plain_numbers_in_text_columns_stay_numbers(cell: str) -> None:
    assert _rows(to_safe_csv(pl.DataFrame({"code": [cell]})))[1] == [cell]


def test_numeric_and_temporal_columns_are_written_unchanged() -> None:
    frame = pl.DataFrame(
        {"amount": [-5.25], "orders": [-3], "day": [date(2024, 1, 31)], "flag": [True]}
    )
    assert _rows(to_safe_csv(frame)) == [
        ["amount", "orders", "day", "flag"],
        ["-5.25", "-3", "2024-01-31", "true"],
    ]


def test_header_cells_are_neutralised_too() -> None:
    frame = pl.DataFrame({"=cmd": ["x"], "name": ["y"]})
    assert _rows(to_safe_csv(frame))[0] == ["'=cmd", "name"]


def test_categorical_columns_and_nulls() -> None:
    frame = pl.DataFrame(
        {"segment": ["@x", None, "Lost"], "n": [1, 2, 3]},
        schema={"segment": pl.Categorical, "n": pl.Int64},
    )
    assert _rows(to_safe_csv(frame))[1:] == [["'@x", "1"], ["", "2"], ["Lost", "3"]]


def test_quotes_and_newlines_inside_cells_round_trip() -> None:
    frame = pl.DataFrame({"note": ['say "hi"\nbye', "=a,b"]})
    assert _rows(to_safe_csv(frame))[1:] == [['say "hi"\nbye'], ["'=a,b"]]


def test_bom_is_optional_and_utf8() -> None:
    frame = pl.DataFrame({"name": ["José"]})
    assert to_safe_csv(frame, bom=True).startswith(b"\xef\xbb\xbfname")
    assert to_safe_csv(frame) == "name\nJosé\n".encode()


def test_input_frame_is_not_modified() -> None:
    frame = pl.DataFrame({"note": ["=1"]})
    to_safe_csv(frame)
    assert frame["note"].to_list() == ["=1"]


def test_nested_columns_are_refused_with_a_fix() -> None:
    with pytest.raises(DataError, match=r"Columns \['tags'\] hold lists.*Flatten or drop"):
        to_safe_csv(pl.DataFrame({"tags": [["a", "b"]]}))
