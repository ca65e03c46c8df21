"""read_table on delimited text: one test per BAD_INPUTS case that belongs to reading.

Every file is built by the test itself; expected values are written by hand.
"""

from __future__ import annotations

import gzip
import io

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm import DataError, Limits, read_table
from rfm.io.delimited import _try_fast


def frame(columns: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


# --- sources -----------------------------------------------------------------------------


def test_path_bytes_and_file_object_give_the_same_table(tmp_path):
    data = b"id,amount\n1,2.50\n2,3\n"
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    expected = frame({"id": ["1", "2"], "amount": ["2.50", "3"]})
    for source in (path, str(path), data, bytearray(data), io.BytesIO(data)):
        table = read_table(source)
        assert_frame_equal(table.frame, expected)
        assert table.source_format == "csv"
        assert table.rows_read == 2


def test_text_stream_is_refused_with_advice():
    with pytest.raises(DataError, match="binary mode"):
        read_table(io.StringIO("id\n1\n"))


def test_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="Cannot open"):
        read_table(tmp_path / "nope.csv")


def test_every_column_is_text_and_values_are_kept_verbatim():
    table = read_table(b"id,amount,date\n00123,1e3,2024-01-02\n7, 5 ,01/02/2024\n")
    assert table.frame.schema == pl.Schema(dict.fromkeys(["id", "amount", "date"], pl.String))
    assert table.frame.rows() == [("00123", "1e3", "2024-01-02"), ("7", " 5 ", "01/02/2024")]


def test_input_bytes_object_is_not_modified():
    data = bytearray(b"a;b\n1;2\n")
    read_table(data)
    assert data == bytearray(b"a;b\n1;2\n")


# --- 1-4: encodings ----------------------------------------------------------------------


def test_case1_windows_1252_export_is_decoded_and_reported():
    text = "name;city;note\nJosé;Málaga;“quoted” 5 €\nZoë;Köln;naïve\n"
    table = read_table(text.encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.frame.rows() == [("José", "Málaga", "“quoted” 5 €"), ("Zoë", "Köln", "naïve")]
    assert not any("\ufffd" in v for row in table.frame.rows() for v in row)


def test_case2_mixed_encodings_are_flagged_line_by_line_without_dropping_rows():
    data = (
        "id,name\n1,José\n".encode()
        + "2,José\n".encode("cp1252")
        + "3,Zoë\n".encode()
        + "4,Zoë\n".encode("cp1252")
    )
    table = read_table(data)
    assert table.frame.get_column("name").to_list() == ["José", "José", "Zoë", "Zoë"]
    assert table.encoding == "utf-8+cp1252"
    assert table.rows_read == 4
    (warning,) = [w for w in table.warnings if "encodings" in w]
    assert "line 3, 5" in warning  # physical lines decoded as Windows-1252


def test_case3_utf8_bom_leaves_no_invisible_character_in_the_first_name():
    table = read_table("\ufeffCustomerID,Amount\nC1,5\n".encode())
    assert table.frame.columns == ["CustomerID", "Amount"]
    assert table.encoding == "utf-8-sig"


def test_case3_bom_with_title_line_above_the_header():
    table = read_table("\ufeffExport of orders\nid,amount\n1,2\n2,3\n".encode())
    assert table.frame.columns == ["id", "amount"]
    assert table.header_row == 2


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_case4_utf16_excel_unicode_text_tab_separated(codec):
    text = "Customer\tCountry\tAmount\nJosé\tEspaña\t12,50\nAnn\tUK\t3\n"
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    table = read_table(bom + text.encode(codec))
    assert table.delimiter == "\t"
    assert table.encoding == "utf-16"
    assert table.frame.rows() == [("José", "España", "12,50"), ("Ann", "UK", "3")]


def test_utf16_without_bom_is_recognised_from_its_nul_bytes():
    table = read_table("a\tb\n1\t2\n".encode("utf-16-le"))
    assert table.frame.rows() == [("1", "2")]
    assert table.encoding == "utf-16-le"


def test_explicit_encoding_is_used_and_a_wrong_one_is_a_clear_error():
    data = "name\nJosé\n".encode("cp1252")
    assert read_table(data, encoding="latin-1").frame.item() == "José"
    with pytest.raises(DataError, match="not valid utf-8.*encoding="):
        read_table(data, encoding="utf-8")
    with pytest.raises(DataError, match="Unknown text encoding"):
        read_table(data, encoding="klingon")


# --- 5-6: delimiters, sep= line, title rows --------------------------------------------


def test_case5_semicolon_with_decimal_commas_and_thousands_dots():
    data = b"Kunde;Datum;Betrag\nA;01.02.2024;1.234,50\nB;02.02.2024;12,00\nC;03.02.2024;7,25\n"
    table = read_table(data)
    assert table.delimiter == ";"
    assert table.frame.get_column("Betrag").to_list() == ["1.234,50", "12,00", "7,25"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_candidate_delimiter_is_detected(delimiter):
    rows = [["id", "name", "amount"], ["1", "a b", "2.5"], ["2", "c", "3"]]
    data = "\n".join(delimiter.join(row) for row in rows).encode()
    table = read_table(data)
    assert table.delimiter == delimiter
    assert table.frame.rows() == [("1", "a b", "2.5"), ("2", "c", "3")]


def test_case6_sep_hint_line_sets_the_delimiter_and_is_skipped():
    table = read_table(b"sep=;\nid;note\n1;a,b\n2;c,d\n")
    assert table.delimiter == ";"
    assert table.header_row == 2
    assert table.frame.rows() == [("1", "a,b"), ("2", "c,d")]


def test_case6_title_rows_above_the_header_are_skipped_and_reported():
    data = b"Sales report,,\nGenerated 2024-05-01,,\n,,\nid,date,amount\n1,2024-01-01,5\n2,2024-01-02,6\n"
    table = read_table(data)
    assert table.header_row == 4
    assert table.frame.columns == ["id", "date", "amount"]
    assert table.frame.height == 2
    assert any("Skipped 3 line(s) above the header" in w for w in table.warnings)


def test_explicit_header_row_and_delimiter_override_detection():
    data = b"a|b\nx;y\n1;2\n"
    table = read_table(data, delimiter=";", header_row=2)
    assert table.frame.rows() == [("1", "2")]
    assert table.frame.columns == ["x", "y"]


def test_bad_delimiter_option_is_a_clear_error():
    with pytest.raises(DataError, match="single character"):
        read_table(b"a,b\n1,2\n", delimiter=";;")


# --- 7-10: malformed rows, quotes, line endings ----------------------------------------


def test_case7_rows_with_too_many_or_too_few_fields_are_set_aside_with_line_numbers():
    data = b"id,date,amount\n1,2024-01-01,5\n2,2024-01-02\n3,2024-01-03,7,extra\n4,2024-01-04,8\n"
    table = read_table(data)
    assert table.frame.columns == ["id", "date", "amount"]
    assert table.frame.get_column("id").to_list() == ["1", "4"]
    assert table.rejected.rows() == [
        (3, "too few fields: expected 3, found 2", "2,2024-01-02"),
        (4, "too many fields: expected 3, found 4", "3,2024-01-03,7,extra"),
    ]
    assert table.rejected.schema == pl.Schema(
        {"line": pl.Int64, "reason": pl.String, "text": pl.String}
    )
    assert table.rows_read == 4
    assert any("2 row(s) could not be read" in w for w in table.warnings)


def test_trailing_empty_fields_are_not_a_reason_to_reject_a_row():
    table = read_table(b"id,amount\n1,5,,\n2,6\n")
    assert table.frame.rows() == [("1", "5"), ("2", "6")]
    assert table.rejected.height == 0


def test_case8_one_stray_quote_affects_only_its_row():
    data = b'id,name,amount\n1,ann,5\n2,"bob,6\n3,cy,7\n4,dee,8\n'
    table = read_table(data)
    assert table.frame.get_column("id").to_list() == ["1", "3", "4"]
    assert table.rejected.rows() == [(3, "unbalanced quote", '2,"bob,6')]


def test_case8_quote_inside_an_unquoted_value_is_literal():
    table = read_table(b'id,product\n1,12" pipe\n2,bolt\n')
    assert table.frame.get_column("product").to_list() == ['12" pipe', "bolt"]


def test_case9_quoted_newlines_and_doubled_quotes_are_exact():
    data = b'id,note,amount\n1,"line one\nline two",5\n2,"say ""hi"", ok",6\n3,"a\r\nb",7\n'
    table = read_table(data)
    assert table.frame.get_column("note").to_list() == [
        "line one\nline two",
        'say "hi", ok',
        "a\r\nb",
    ]
    assert table.frame.height == 3


def test_backslash_escaped_quotes_are_understood():
    data = b'id,note\n1,"say \\"hi\\""\n2,"plain"\n3,"x \\"y\\" z"\n'
    table = read_table(data)
    assert table.frame.get_column("note").to_list() == ['say "hi"', "plain", 'x "y" z']


@pytest.mark.parametrize(
    "data",
    [
        b"id,amount\r1,5\r2,6\r3,7\r",
        b"id,amount\r\n1,5\n2,6\r3,7",
        b"id,amount\r\n1,5\r\n2,6\r\n3,7\r\n",
    ],
    ids=["cr-only", "mixed", "crlf"],
)
def test_case10_cr_only_and_mixed_line_endings_give_the_right_row_count(data):
    table = read_table(data)
    assert table.frame.rows() == [("1", "5"), ("2", "6"), ("3", "7")]


# --- 15-18: names, blanks as text, type changes, empty files ----------------------------


def test_case15_duplicate_and_blank_column_names_become_unique_with_a_warning():
    table = read_table(b"id,amount,,amount, id \n1,2,3,4,5\n")
    assert table.frame.columns == ["id", "amount", "column_3", "amount_2", "id_2"]
    assert any("no name" in w for w in table.warnings)
    assert any("'amount' -> 'amount_2'" in w for w in table.warnings)


def test_case16_null_markers_are_kept_as_raw_text():
    data = b'id,v\n1,NULL\n2,N/A\n3,-\n4,\n5,   \n6,""\n'
    table = read_table(data)
    assert table.frame.get_column("v").to_list() == ["NULL", "N/A", "-", "", "   ", ""]
    assert table.frame.get_column("v").null_count() == 0


def test_case17_a_column_whose_type_changes_late_keeps_every_value():
    rows = [f"{i},{i * 2}" for i in range(5000)] + ["5000,abc", "5001,1.5e3"]
    table = read_table(("id,value\n" + "\n".join(rows) + "\n").encode())
    values = table.frame.get_column("value")
    assert values.len() == 5002
    assert values.null_count() == 0
    assert values.tail(2).to_list() == ["abc", "1.5e3"]


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", "\ufeff".encode()])
def test_case18_empty_file_is_a_clear_error(data):
    with pytest.raises(DataError, match="empty"):
        read_table(data)


def test_case18_header_only_file_is_a_clear_error():
    with pytest.raises(DataError, match=r"columns: id, amount\).*header only"):
        read_table(b"id,amount\n")


def test_case18_blank_lines_and_rows_are_dropped_and_counted():
    data = b"id,amount\n1,5\n\n2,6\n,\n  \n3,7\n\n\n"
    table = read_table(data)
    assert table.frame.get_column("id").to_list() == ["1", "2", "3"]
    assert table.blank_rows == 5
    assert table.rows_read == 3


def test_case18_trailing_empty_columns_are_dropped_with_a_warning():
    table = read_table(b"id,amount,,\n1,5,,\n2,6,,\n")
    assert table.frame.columns == ["id", "amount"]
    assert any("empty column" in w for w in table.warnings)


def test_all_rows_malformed_is_a_clear_error():
    with pytest.raises(DataError, match="None of the 2 data row"):
        read_table(b"a,b,c\n1,2\n3,4\n", header_row=1)


# --- 21: limits and disguised formats ----------------------------------------------------


def test_case21_very_long_line_is_refused_before_parsing():
    data = b"id,note\n1," + b"x" * 5000 + b"\n2,y\n"
    with pytest.raises(DataError, match="line 2 has 5,00"):
        read_table(data, limits=Limits(max_line_chars=1000))


def test_case21_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"id\n" + b"1\n" * 1000)
    for source in (path, path.read_bytes(), io.BytesIO(path.read_bytes())):
        with pytest.raises(DataError, match="Limits.max_bytes"):
            read_table(source, limits=Limits(max_bytes=1000))


def test_too_many_rows_is_refused_before_parsing():
    with pytest.raises(DataError, match="Limits.max_rows"):
        read_table(b"id\n" + b"1\n" * 50, limits=Limits(max_rows=10))


def test_too_many_columns_is_refused():
    header = ",".join(f"c{i}" for i in range(30)).encode()
    with pytest.raises(DataError, match="Limits.max_columns"):
        read_table(header + b"\n" + b"1," * 29 + b"1\n", limits=Limits(max_columns=10))


def test_case21_gzip_named_csv_is_refused_before_parsing(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(gzip.compress(b"id,amount\n1,2\n"))
    with pytest.raises(DataError, match="gzip-compressed.*Decompress"):
        read_table(path)


@pytest.mark.parametrize(
    ("magic", "what"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        (b"%PDF-1.4 ...", "PDF"),
        (b"\x00\x01\x02binary\x00junk", "binary data"),
    ],
)
def test_other_binary_formats_are_refused(magic, what):
    with pytest.raises(DataError, match=what):
        read_table(magic)


def test_limits_reject_nonsense_values():
    with pytest.raises(ValueError, match="max_rows"):
        Limits(max_rows=0)


# --- frames and parquet --------------------------------------------------------------------


def test_polars_frame_becomes_text():
    source = pl.DataFrame({"id": [1, 2], "amount": [1.5, None]})
    table = read_table(source)
    assert table.source_format == "frame"
    assert table.frame.rows() == [("1", "1.5"), ("2", None)]


def test_parquet_is_read_as_text(tmp_path):
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"id": ["a", "b"], "amount": [1.5, 2.0]}).write_parquet(path)
    table = read_table(path)
    assert table.source_format == "parquet"
    assert table.frame.rows() == [("a", "1.5"), ("b", "2.0")]


def test_case24_parquet_row_count_is_checked_from_the_metadata(tmp_path):
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"id": list(range(100))}).write_parquet(path)
    with pytest.raises(DataError, match=r"Limits.max_rows.*holds 100 "):
        read_table(path, limits=Limits(max_rows=50))


def test_case24_parquet_declaring_hundreds_of_millions_of_rows_is_refused(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    # A null column costs no data pages' worth of values: a 300M-row file stays tiny.
    n_rows = 300_000_000
    path = tmp_path / "huge.parquet"
    pq.write_table(pa.table({"id": pa.nulls(n_rows)}), path)
    assert path.stat().st_size < 5 * 2**20
    with pytest.raises(DataError, match="300,000,000"):
        read_table(path)


def test_damaged_parquet_is_a_data_error():
    with pytest.raises(DataError, match="Parquet"):
        read_table(b"PAR1 not really parquet")


def test_read_table_is_exported():
    assert rfm.read_table is read_table
    assert rfm.RawTable.__name__ == "RawTable"


def test_clean_files_take_the_fast_path_and_malformed_ones_do_not():
    """White-box: speed depends on clean files reaching polars (see benchmarks/)."""
    clean = b'id,note,amount\r\n1,"a, b",5\r\n2,,6\r\n3,"x\ny",7\r\n'
    assert _try_fast(clean, None, "utf-8", None, None, Limits()) is not None
    for malformed in (
        b"id,amount\n1,5\n2\n",  # short row
        b"id,amount\n1,5\n2,6,7\n",  # long row
        b'id,amount\n1,"5\n2,6\n',  # stray quote
        b"id,amount\r1,5\r2,6\r",  # CR-only
        b"id,amount\n1,5\n\n2,6\n",  # blank line
    ):
        assert _try_fast(malformed, None, "utf-8", None, None, Limits()) is None, malformed


def test_header_row_on_a_blank_line_is_a_clear_error():
    with pytest.raises(DataError, match="line 2 but it is blank"):
        read_table(b"id,amount\n\n1,2\n", header_row=2)


def test_quoted_fields_after_a_space_are_understood():
    data = b'id, name, amount\n1, "Smith, Ann", 5\n2, "Lee, Bo", 6\n3, Cy, 7\n'
    table = read_table(data)
    assert table.frame.get_column("name").to_list() == ["Smith, Ann", "Lee, Bo", "Cy"]
    assert table.frame.get_column("amount").to_list() == ["5", "6", "7"]
    assert table.rejected.height == 0


def test_encoding_problems_beyond_the_sniffed_sample_are_still_handled():
    ascii_rows = "".join(f"{i},plain\n" for i in range(20_000))  # well over 64 KiB
    assert len(ascii_rows) > 100_000
    cp1252 = ("id,name\n" + ascii_rows + "20000,José\n").encode("cp1252")
    table = read_table(cp1252)
    assert table.encoding == "cp1252"
    assert table.frame.row(-1) == ("20000", "José")
    mixed = ("id,name\n1,Zoë\n" + ascii_rows).encode() + "20000,José\n".encode("cp1252")
    table = read_table(mixed)
    assert table.encoding == "utf-8+cp1252"
    assert table.frame.row(0) == ("1", "Zoë")
    assert table.frame.row(-1) == ("20000", "José")
    assert any(f"line {20_003}" in w for w in table.warnings)


def test_malformed_rows_beyond_the_sniffed_sample_are_set_aside():
    rows = "".join(f"{i},x,{i}\n" for i in range(10_000))
    data = ("id,name,amount\n" + rows + '10000,"oops,1\n10001,y,2\n10002,z\n').encode()
    table = read_table(data)
    assert table.frame.height == 10_001
    assert table.rejected.get_column("line").to_list() == [10_002, 10_004]
    assert table.rejected.get_column("reason").to_list() == [
        "unbalanced quote",
        "too few fields: expected 3, found 2",
    ]


def test_header_with_trailing_delimiters_over_rows_without_them():
    table = read_table(b"id,amount,,\n1,5\n2,6,\n3,7,,\n4\n")
    assert table.frame.columns == ["id", "amount"]
    assert table.frame.rows() == [("1", "5"), ("2", "6"), ("3", "7")]
    assert table.rejected.rows() == [(5, "too few fields: expected 4, found 1", "4")]


def test_rust_panics_are_library_errors_but_interrupts_propagate():
    from rfm.io.limits import reraise_unless_library_error

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    reraise_unless_library_error(PanicException("boom"))
    reraise_unless_library_error(ValueError("bad"))
    with pytest.raises(KeyboardInterrupt):
        reraise_unless_library_error(KeyboardInterrupt())
