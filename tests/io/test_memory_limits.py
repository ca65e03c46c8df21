"""Memory bounded before the bytes are expanded (issue 15, item 2): Limits and projected sizes.

The projected size of a table read as text is every value's text plus a 16-byte
polars view per value; a file whose projection exceeds ``Limits.max_table_bytes``
is refused from its size and shape, before it is parsed.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from rfm import DataError, Limits, read_table


def test_size_limits_follow_the_memory_budget():
    one, four = Limits(), Limits(memory_budget=4 * 2**30)
    assert one.memory_budget == 2**30
    assert (one.max_bytes, one.max_rows, one.max_table_bytes) == (200 * 2**20, 5_000_000, 2**29)
    for name in ("max_bytes", "max_rows", "max_table_bytes", "max_uncompressed_bytes"):
        assert getattr(four, name) == 4 * getattr(one, name), name
    # Structural limits do not depend on memory.
    for name in ("max_line_chars", "max_columns", "max_zip_entries", "max_compression_ratio"):
        assert getattr(four, name) == getattr(one, name), name


def test_a_limit_given_explicitly_is_kept_whatever_the_budget():
    limits = Limits(memory_budget=8 * 2**30, max_rows=1000)
    assert limits.max_rows == 1000
    assert limits.max_bytes == 8 * 200 * 2**20


@pytest.mark.parametrize("budget", [0, -1, 2.5e9, True, "1GB"])
def test_memory_budget_must_be_a_positive_number(budget):
    with pytest.raises(ValueError, match="memory_budget"):
        Limits(memory_budget=budget)


def _wide_csv(lines: int, columns: int, line_end: bytes = b"\n") -> bytes:
    header = ",".join(f"c{i}" for i in range(columns)).encode()
    row = b",".join([b"7"] * columns)
    return header + line_end + (row + line_end) * lines


@pytest.mark.parametrize("line_end", [b"\n", b"\r"], ids=["fast path", "exact path"])
def test_csv_refused_when_its_projected_size_exceeds_the_limit(line_end):
    lines, columns = 1000, 50
    data = _wide_csv(lines, columns, line_end)
    projected = len(data) + lines * columns * 16  # by hand: 16 bytes of view per value
    table = read_table(data, limits=Limits(max_table_bytes=projected + 1000))
    assert table.frame.shape == (lines, columns)
    with pytest.raises(DataError, match=r"Limits.max_table_bytes.*1,000 lines x 50 columns"):
        read_table(data, limits=Limits(max_table_bytes=projected // 2))


def test_a_small_budget_refuses_a_csv_within_every_other_limit():
    # A 64 MiB budget: 2,500 lines x 2,000 one-digit columns is 10 MB of file
    # (within max_bytes, max_rows, max_columns) but 5M values take 76 MiB of views.
    limits = Limits(memory_budget=2**26)
    columns = 2000
    row = b",".join([b"1"] * columns) + b"\n"
    data = b",".join(f"c{i}".encode() for i in range(columns)) + b"\n" + row * 2_500
    assert len(data) < limits.max_bytes
    with pytest.raises(DataError, match="max_table_bytes"):
        read_table(data, limits=limits)
    assert read_table(data[: len(data) // 10], limits=limits).frame.width == columns


def _workbook(rows: int, columns: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([f"c{i}" for i in range(columns)])
    for r in range(rows):
        sheet.append([r] * columns)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_refused_when_its_projected_size_exceeds_the_limit():
    data = _workbook(199, 20)  # 200 rows x 20 columns with the header
    cells = 200 * 20
    # Each cell: a calamine cell (32 bytes) and a polars view (16), no shared strings.
    table = read_table(data, limits=Limits(max_table_bytes=cells * 48 + 4096))
    assert table.frame.shape == (199, 20)
    with pytest.raises(DataError, match=r"max_table_bytes.*200 rows x 20 columns"):
        read_table(data, limits=Limits(max_table_bytes=cells * 48 - 1))
