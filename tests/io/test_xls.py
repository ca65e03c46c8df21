"""Old .xls workbooks: read like .xlsx, refused before calamine when they lie about size.

The workbooks are written by tests/io/xls_writer.py (BIFF8 in an OLE2 file); calamine
aborts the whole process on the oversized ones, so these tests also prove the checks
run first (a regression would end the test run, not just fail a test).
"""

from __future__ import annotations

import struct

import pytest

import rfm
from rfm import DataError, Limits, read_table
from tests.io.xls_writer import workbook

HEADER = ["Order ID", "Order Date", "Customer ID", "Segment", "Sales"]
ORDERS = [
    HEADER,
    ["CA-2016-1", "2016-11-08", "CG-12520", "Consumer", 261.96],
    ["CA-2016-1", "2016-11-08", "CG-12520", "Consumer", 731.94],
    ["US-2015-2", "2015-10-11", "SO-20335", "Corporate", 14.62],
]


def test_xls_reads_like_xlsx() -> None:
    data = workbook({"Orders": ORDERS, "Returns": [["Returned", "Order ID"], ["Yes", "US-2015-2"]]})
    table = read_table(data)
    assert table.source_format == "excel"
    assert table.sheets == ("Orders", "Returns")
    assert table.frame.columns == HEADER
    assert table.frame.rows() == [
        ("CA-2016-1", "2016-11-08", "CG-12520", "Consumer", "261.96"),
        ("CA-2016-1", "2016-11-08", "CG-12520", "Consumer", "731.94"),
        ("US-2015-2", "2015-10-11", "SO-20335", "Corporate", "14.62"),
    ]
    assert table.header_row == 1
    returns = read_table(data, sheet="Returns")
    assert returns.frame.rows() == [("Yes", "US-2015-2")]
    assert read_table(data, sheet=1).frame.rows() == returns.frame.rows()


def test_xls_title_rows_and_path(tmp_path) -> None:
    path = tmp_path / "export.xls"
    path.write_bytes(workbook({"Sheet1": [["Sales report 2016"], [], *ORDERS]}))
    table = read_table(path)
    assert table.header_row == 3
    assert table.frame.height == 3
    assert any("Skipped 2 row(s) above the header on row 3" in w for w in table.warnings)


def test_xls_transactions_with_detected_columns() -> None:
    result = rfm.read_transactions(workbook({"Orders": ORDERS}))
    tx = result.transactions
    assert tx["amount"].to_list() == [261.96, 731.94, 14.62]
    assert tx["customer_id"].to_list() == ["CG-12520", "CG-12520", "SO-20335"]
    assert result.report.rows_read == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"declared": {"S": (4_000_000_000, 5)}}, "declares or uses 4,000,000,000 rows"),
        ({"declared": {"S": (70_000, 5)}}, "70,000 rows .*65,536"),
        ({"declared": {"S": (3, 60_000)}}, "60,000 columns"),
        ({"extra_cells": {"S": [(65_535, 65_000, "z")]}}, "65,001 columns"),
        # DIMENSIONS can lie small: the cells themselves are measured too.
        (
            {"declared": {"S": (4, 5)}, "extra_cells": {"S": [(40_000, 65_000, "z")]}},
            "65,001 columns",
        ),
        (
            {
                "declared": {"S": (4, 5)},
                "extra_cells": {"S": [(65_535, 1, 2.5)]},
                "limits": Limits(max_rows=1_000),
            },
            "declares or uses 65,536 rows",
        ),
        (
            {"extra_cells": {"S": [(60_000, 1, "z")]}, "limits": Limits(max_rows=1_000)},
            "60,001 rows",
        ),
    ],
)
def test_oversized_sheets_are_refused_before_parsing(options, message) -> None:
    limits = options.pop("limits", Limits())
    data = workbook({"S": ORDERS}, **options)
    assert len(data) < 10_000  # a tiny file
    with pytest.raises(DataError, match=message):
        read_table(data, limits=limits)


def test_limits_apply_to_xls() -> None:
    rows = [HEADER] + [["o", "2016-01-01", "c", "s", float(i)] for i in range(20)]
    with pytest.raises(DataError, match="21 rows"):
        read_table(workbook({"S": rows}), limits=Limits(max_rows=10))
    with pytest.raises(DataError, match="5 columns"):
        read_table(workbook({"S": rows}), limits=Limits(max_columns=4))


def _with_stream_name(data: bytes, name: str) -> bytes:
    # The writer puts the directory in the last sector; the Workbook entry is its second.
    encoded = (name + "\x00").encode("utf-16-le")
    entry = len(data) - 512 + 128
    patched = bytearray(data)
    patched[entry : entry + 64] = encoded.ljust(64, b"\x00")
    patched[entry + 64 : entry + 66] = struct.pack("<H", len(encoded))
    return bytes(patched)


def test_ole2_files_that_are_not_workbooks_are_refused() -> None:
    doc = _with_stream_name(workbook({"S": ORDERS}), "WordDocument")
    with pytest.raises(DataError, match="holds no workbook.*Word document"):
        read_table(doc)


def test_damaged_or_old_xls_is_refused() -> None:
    data = bytearray(workbook({"S": ORDERS}))
    looped = bytearray(data)
    # FAT entry of the first stream sector (sector 1) pointing to itself: a loop.
    looped[512 + 4 : 512 + 8] = struct.pack("<I", 1)
    with pytest.raises(DataError, match="chain is broken or loops"):
        read_table(bytes(looped))
    biff5 = bytearray(data)
    stream_start = 1024  # the workbook stream starts in sector 1
    biff5[stream_start + 4 : stream_start + 6] = struct.pack("<H", 0x0500)
    with pytest.raises(DataError, match="Excel 5.0/95 or older"):
        read_table(bytes(biff5))
    with pytest.raises(DataError, match="shorter than an OLE2 header"):
        read_table(bytes(data[:300]))


def test_small_workbook_in_the_mini_stream() -> None:
    # Under 4096 bytes the workbook stream lives in the OLE2 mini stream.
    data = workbook({"Orders": ORDERS}, mini=True)
    assert read_table(data).frame.rows() == read_table(workbook({"Orders": ORDERS})).frame.rows()
    lying = workbook({"Orders": ORDERS}, declared={"Orders": (4_000_000_000, 5)}, mini=True)
    with pytest.raises(DataError, match="4,000,000,000 rows"):
        read_table(lying)


def test_sheet_names_are_listed_without_reading_a_sheet() -> None:
    from rfm.io.xls import xls_sheet_names

    # The first sheet lies about its size: reading it is refused, listing is not.
    data = workbook(
        {"Cover": [["Report"]], "Orders": ORDERS, "People": [["Person", "Region"]]},
        declared={"Cover": (4_000_000_000, 1)},
    )
    with pytest.raises(DataError, match="declares or uses"):
        read_table(data)
    assert xls_sheet_names(data) == ("Cover", "Orders", "People")
    assert xls_sheet_names(workbook({"Orders": ORDERS}, mini=True)) == ("Orders",)
    with pytest.raises(DataError, match="shorter than an OLE2 header"):
        xls_sheet_names(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
