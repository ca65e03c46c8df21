"""Hypothesis properties of read_table.

* Any table written by Python's csv module, with any of the candidate delimiters,
  quoting styles, line endings and encodings, reads back equal (detection
  included). The reference writer is the standard library, not our code.
* No input bytes make read_table raise anything but rfm.DataError.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rfm import DataError, Limits, RawTable, read_table
from rfm.io.delimited import _read_exact as read_exact
from rfm.io.delimited import read_delimited

DELIMITERS = [",", ";", "\t", "|"]
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]
TERMINATORS = ["\n", "\r\n", "\r"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
# Everything here encodes in cp1252; other candidate delimiters are added per example.
BASE_ALPHABET = "abcXYZ019 .-/'\"\n\réüñÅß€“”"
NAME_ALPHABET = "abcdefXYZ_019 é"
LINE = re.compile(rb"\r\n|\r|\n")

settings.register_profile("io", deadline=None, suppress_health_check=[HealthCheck.too_slow])


def is_blank(row: list[str]) -> bool:
    return all(not value.strip(" \t\r\n") for value in row)


@st.composite
def written_tables(draw: st.DrawFn) -> tuple[bytes, list[str], list[list[str]], str, str]:
    delimiter = draw(st.sampled_from(DELIMITERS))
    encoding = draw(st.sampled_from(ENCODINGS))
    n_columns = draw(st.integers(2, 5))
    names = draw(
        st.lists(
            st.text(NAME_ALPHABET, min_size=1, max_size=6)
            .map(str.strip)
            .filter(bool)
            .filter(lambda n: not n.startswith("column_")),
            min_size=n_columns,
            max_size=n_columns,
            unique=True,
        )
    )
    cell = st.text(BASE_ALPHABET + delimiter, max_size=8)
    rows = draw(
        st.lists(st.lists(cell, min_size=n_columns, max_size=n_columns), min_size=1, max_size=12)
    )
    quoting = draw(st.sampled_from(QUOTING))
    # QUOTE_MINIMAL only quotes line-break characters found in the terminator, so a
    # bare "\r" in a value written with "\n" endings would be an unquoted line break.
    terminator = "\r\n" if quoting == csv.QUOTE_MINIMAL else draw(st.sampled_from(TERMINATORS))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerow(names)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return data, names, rows, delimiter, encoding


def _cp1252_reads_as_utf8(data: bytes) -> bool:
    """A cp1252 line that is also valid non-ASCII UTF-8 is ambiguous by nature."""
    for line in LINE.split(data):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


@settings(settings.get_profile("io"), max_examples=120)
@given(written_tables())
@example(
    (
        b'id,note\n1,"a\nb"\n2,"say ""hi"""\n',
        ["id", "note"],
        [["1", "a\nb"], ["2", 'say "hi"']],
        ",",
        "utf-8",
    )
)
def test_any_written_table_reads_back_equal(case):
    data, names, rows, delimiter, encoding = case
    expected = [row for row in rows if not is_blank(row)]
    if not expected:
        return  # header only: covered by its own test
    if encoding == "cp1252" and _cp1252_reads_as_utf8(data):
        return
    table = read_table(data)
    assert table.delimiter == delimiter
    assert table.frame.columns == names
    assert table.frame.rows() == [tuple(row) for row in expected]
    assert table.blank_rows == len(rows) - len(expected)
    assert table.rejected.height == 0
    ascii_cp1252 = encoding == "cp1252" and data.isascii()
    assert table.encoding == ("utf-8" if ascii_cp1252 else encoding)


@settings(settings.get_profile("io"), max_examples=60)
@given(written_tables())
def test_explicit_delimiter_and_encoding_read_back_equal(case):
    data, names, rows, delimiter, encoding = case
    expected = [row for row in rows if not is_blank(row)]
    if not expected:
        return
    table = read_table(data, delimiter=delimiter, encoding=encoding)
    assert table.frame.columns == names
    assert table.frame.rows() == [tuple(row) for row in expected]


def check_shape(table: RawTable) -> None:
    assert isinstance(table, RawTable)
    assert all(dtype == pl.String for dtype in table.frame.dtypes)
    assert len(set(table.frame.columns)) == table.frame.width
    assert all(name.strip() for name in table.frame.columns)
    assert table.rejected.columns == ["line", "reason", "text"]
    assert table.frame.height > 0


def read_or_data_error(data: bytes) -> None:
    try:
        table = read_table(data)
    except DataError:
        return
    check_shape(table)


PREFIXES = [b"", b"PK\x03\x04", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b", b"sep=;\n"]


@settings(settings.get_profile("io"), max_examples=150)
@given(st.sampled_from(PREFIXES), st.binary(max_size=600))
@example(b"", b'a,b\n1,"2\n')
@example(b"", b"a\x00b\n1\n")
@example(b"", b"\r\r\r")
def test_no_bytes_raise_anything_but_data_error(prefix, payload):
    read_or_data_error(prefix + payload)


NEAR_CSV = ",;\t|\"'\\ \r\nab1é€\x00=sep"


@settings(settings.get_profile("io"), max_examples=150)
@given(st.text(NEAR_CSV, max_size=200), st.sampled_from([*ENCODINGS, "utf-16-le", "latin-1"]))
@example('a,b\n"1,2\n3,4\n5,"6\n', "utf-8")
@example('sep=\n"', "utf-8")
@example('\\"a\\"\n\\', "utf-8")
def test_no_near_csv_text_raises_anything_but_data_error(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    read_or_data_error(data)


@settings(settings.get_profile("io"), max_examples=60)
@given(written_tables())
def test_fast_path_agrees_with_the_csv_module_path(case):
    """The polars path must give exactly what the record-by-record csv path gives."""
    data, _, rows, _, encoding = case
    if not [row for row in rows if not is_blank(row)]:
        return
    fast = read_delimited(data, encoding=encoding, limits=Limits())
    exact = read_exact(data.decode(encoding), encoding, None, None, Limits())
    assert fast.frame.rows() == exact.frame.rows()
    assert fast.frame.columns == exact.frame.columns
    assert fast.blank_rows == exact.blank_rows
