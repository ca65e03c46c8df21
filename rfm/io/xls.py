"""Reading old .xls workbooks (BIFF8) behind the same guards as .xlsx.

calamine (behind fastexcel) allocates a sheet's whole range before reading it and
aborts the process when that fails: a 2 KB .xls whose DIMENSIONS record declares
4 billion rows, or with one cell at column 65,000, ends the server. So before
calamine sees the file, the OLE2 container is walked (sector chains bounded and
checked), the sheet list read from the workbook globals, and the chosen sheet's
records scanned: its declared DIMENSIONS and every cell's row and column are
checked against :class:`rfm.Limits` and the format's own 65,536 x 256. The scan
is a plain walk over record headers, linear in the file size (the file size is
already bounded by ``Limits.max_bytes``).

Layout from Microsoft's [MS-CFB] (compound files) and [MS-XLS] (BIFF8 records).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rfm.errors import DataError
from rfm.io.excel import ExcelParsed, load_sheet, sheet_index, table_from_cells
from rfm.io.limits import TEXT_VALUE_BYTES, Limits, check_table_size

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLS_MAX_ROWS = 65_536
XLS_MAX_COLUMNS = 256

_END_OF_CHAIN = 0xFFFFFFFE
_MAX_SECTOR_ID = 0xFFFFFFFA
_STREAM_NAMES = ("Workbook", "Book")

# BIFF8 record types.
_BOF = 0x0809
_EOF = 0x000A
_BOUNDSHEET = 0x0085
_DIMENSIONS = 0x0200
_ROW = 0x0208
_CELLS = {0x00FD, 0x0204, 0x0203, 0x027E, 0x0205, 0x0006, 0x00D6}  # SST/label/number/RK/...
_BLANK = 0x0201
_MULTIPLE = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column
_MULBLANK = 0x00BE


def _refuse(
    what: str, fix: str = "Save it again from Excel as .xlsx, or export it as CSV."
) -> None:
    msg = f"Expected an ordinary .xls workbook but {what}. {fix}"
    raise DataError(msg)


@dataclass
class _Sheet:
    name: str
    offset: int
    kind: int


@dataclass
class _XlsExtent:
    declared_rows: int = 0
    declared_columns: int = 0
    last_row: int = 0  # 1-based, 0 when no cell
    last_column: int = 0
    first_row: int = 0  # 1-based first row with a value


class _Compound:
    """Just enough of an OLE2 compound file to find one stream, every step checked."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            _refuse("the file is shorter than an OLE2 header")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            _refuse("its OLE2 header is damaged (sector sizes)")
        self.sector_size = 1 << shift
        self.sectors = (len(data) - self.sector_size) // self.sector_size
        (
            fat_count,
            self.first_directory,
            _,
            self.mini_cutoff,
            self.first_mini_fat,
            _,
            first_difat,
            difat_count,
        ) = struct.unpack_from("<IIIIIIII", data, 44)
        if fat_count > self.sectors or difat_count > self.sectors:
            _refuse("its OLE2 header declares more sectors than the file holds")
        fat_ids = [i for i in struct.unpack_from("<109I", data, 76)[: min(fat_count, 109)]]
        per_sector = self.sector_size // 4
        next_difat = first_difat
        for _ in range(difat_count):
            if len(fat_ids) >= fat_count or next_difat > _MAX_SECTOR_ID:
                break
            ids = struct.unpack_from(f"<{per_sector}I", self._sector(next_difat))
            fat_ids.extend(ids[:-1])
            next_difat = ids[-1]
        fat_ids = fat_ids[:fat_count]
        self.fat = b"".join(self._sector(i) for i in fat_ids)

    def _sector(self, index: int) -> bytes:
        if index >= self.sectors:
            _refuse("an OLE2 sector chain points outside the file")
        start = (index + 1) * self.sector_size
        return self.data[start : start + self.sector_size]

    def _chain(self, start: int, table: bytes, limit: int) -> list[int]:
        chain: list[int] = []
        entries = len(table) // 4
        current = start
        while current != _END_OF_CHAIN:
            if current > _MAX_SECTOR_ID or current >= entries or len(chain) >= limit:
                _refuse("an OLE2 sector chain is broken or loops")
            chain.append(current)
            (current,) = struct.unpack_from("<I", table, current * 4)
        return chain

    def _read(self, start: int, size: int | None) -> bytes:
        chain = self._chain(start, self.fat, self.sectors)
        stream = b"".join(self._sector(i) for i in chain)
        if size is None:
            return stream
        if len(stream) < size:
            _refuse("an OLE2 stream is shorter than its directory entry says")
        return stream[:size]

    def stream(self, names: tuple[str, ...]) -> bytes:
        directory = self._read(self.first_directory, None)
        root_start = root_size = 0
        for offset in range(0, len(directory) - 127, 128):
            name_bytes = struct.unpack_from("<H", directory, offset + 64)[0]
            kind = directory[offset + 66]
            start, size = struct.unpack_from("<IQ", directory, offset + 116)
            name = directory[offset : offset + min(name_bytes, 64)].decode("utf-16-le", "replace")
            name = name.rstrip("\x00")
            if kind == 5:
                root_start, root_size = start, size
            if kind == 2 and name in names:
                if size > len(self.data) * 2:
                    _refuse("its workbook stream declares a size larger than the file")
                if size >= self.mini_cutoff:
                    return self._read(start, size)
                # Small streams live in the mini stream (64-byte sectors inside the root's).
                mini_stream = self._read(root_start, root_size)
                mini_fat = b"".join(
                    self._sector(i)
                    for i in self._chain(self.first_mini_fat, self.fat, self.sectors)
                )
                chain = self._chain(start, mini_fat, len(mini_stream) // 64 + 1)
                data = b"".join(mini_stream[i * 64 : i * 64 + 64] for i in chain)
                if len(data) < size:
                    _refuse("an OLE2 stream is shorter than its directory entry says")
                return data[:size]
        _refuse(
            "this OLE2 file holds no workbook (it may be a Word document, an Outlook message "
            "or an encrypted workbook)",
            "Upload an Excel workbook, a CSV or a Parquet file.",
        )
        raise AssertionError  # unreachable: _refuse raises


def _records(stream: bytes, start: int) -> list[tuple[int, int, int]]:
    """(type, body offset, body length) from ``start`` to the substream's EOF."""
    records = []
    position = start
    end = len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = position + 4
        if body + length > end:
            _refuse("a record runs past the end of the workbook stream")
        records.append((kind, body, length))
        if kind == _EOF:
            return records
        position = body + length
    _refuse("a sheet or the workbook globals do not end (no EOF record)")
    raise AssertionError  # unreachable


def _sheets(stream: bytes) -> list[_Sheet]:
    records = _records(stream, 0)
    kind, body, length = records[0]
    if kind != _BOF or length < 4:
        _refuse("its workbook stream does not start with a BIFF record")
    version = struct.unpack_from("<H", stream, body)[0]
    if version != 0x0600:
        _refuse(
            "it is an Excel 5.0/95 or older workbook (BIFF5 or earlier)",
            "Open it in Excel or LibreOffice and save it as .xlsx.",
        )
    sheets = []
    for kind, body, length in records:
        if kind != _BOUNDSHEET or length < 8:
            continue
        offset, _, sheet_kind, count, flags = struct.unpack_from("<IBBBB", stream, body)
        raw = stream[body + 8 : body + length]
        name = (
            raw[: 2 * count].decode("utf-16-le", "replace")
            if flags & 1
            else raw[:count].decode("latin-1")
        )
        sheets.append(_Sheet(name=name, offset=offset, kind=sheet_kind))
    return [sheet for sheet in sheets if sheet.kind == 0]  # worksheets, not charts or macros


_HEAD = struct.Struct("<HHHH")  # record type, length, then a cell's row and column


def _measure(stream: bytes, sheet: _Sheet) -> _XlsExtent:
    """The sheet's declared and used extent, in one pass over its record headers."""
    if not 0 <= sheet.offset < len(stream) - 4:
        _refuse(f"sheet {sheet.name!r} points outside the workbook stream")
    extent = _XlsExtent()
    first_value = XLS_MAX_ROWS + 1
    last_row = last_column = 0
    head = _HEAD.unpack_from
    cells, multiple = _CELLS, _MULTIPLE
    position, end = sheet.offset, len(stream)
    padded = stream + bytes(8)  # a record at the very end still unpacks 8 bytes
    while True:
        if position + 4 > end:
            _refuse("a sheet does not end (no EOF record)")
        kind, length, row, column = head(padded, position)
        body = position + 4
        if body + length > end:
            _refuse("a record runs past the end of the workbook stream")
        if kind in cells:
            if length >= 4:
                last_row = max(last_row, row + 1)
                last_column = max(last_column, column + 1)
                first_value = min(first_value, row + 1)
        elif kind == _EOF:
            break
        elif kind == _BLANK and length >= 4:
            last_row = max(last_row, row + 1)
            last_column = max(last_column, column + 1)
        elif kind in multiple and length >= 6:
            row_last_column = struct.unpack_from("<H", stream, body + length - 2)[0]
            last_row = max(last_row, row + 1)
            last_column = max(last_column, row_last_column + 1)
            if kind != _MULBLANK:
                first_value = min(first_value, row + 1)
        elif kind == _ROW and length >= 6:
            last_row = max(last_row, row + 1)
            last_column = max(last_column, struct.unpack_from("<H", stream, body + 4)[0])
        elif kind == _DIMENSIONS and length >= 12:
            _, rows, _, columns = struct.unpack_from("<IIHH", stream, body)
            extent.declared_rows = max(extent.declared_rows, rows)
            extent.declared_columns = max(extent.declared_columns, columns)
        position = body + length
    extent.last_row, extent.last_column = last_row, last_column
    extent.first_row = first_value if first_value <= XLS_MAX_ROWS else 1
    return extent


def _check_extent(extent: _XlsExtent, name: str, limits: Limits) -> None:
    rows = max(extent.declared_rows, extent.last_row)
    columns = max(extent.declared_columns, extent.last_column)
    max_rows = min(limits.max_rows, XLS_MAX_ROWS)
    if rows > max_rows:
        _refuse(
            f"sheet {name!r} declares or uses {rows:,} rows (limit {max_rows:,}: "
            "Limits.max_rows, and the .xls format's own 65,536)",
            "Delete the stray cells far below the data, or export the sheet as CSV.",
        )
    max_columns = min(limits.max_columns, XLS_MAX_COLUMNS)
    if columns > max_columns:
        _refuse(
            f"sheet {name!r} declares or uses {columns:,} columns (limit {max_columns:,}: "
            "Limits.max_columns, and the .xls format's own 256)",
            "Delete the stray cells far right of the data, or export the sheet as CSV.",
        )


def read_xls(
    data: bytes,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    limits: Limits,
) -> ExcelParsed:
    """Check an .xls workbook, then read one worksheet as text.

    Raises
    ------
    DataError
        The container or the workbook is damaged, not BIFF8, holds no worksheet, or
        the sheet's declared or used extent exceeds the limits.
    """
    stream = _Compound(data).stream(_STREAM_NAMES)
    sheets = _sheets(stream)
    if not sheets:
        _refuse("the workbook lists no worksheets")
    names = tuple(s.name for s in sheets)
    if len(set(names)) != len(names):
        _refuse("two of its sheets have the same name")
    index = sheet_index(names, sheet)
    extent = _measure(stream, sheets[index])
    _check_extent(extent, names[index], limits)
    # As for .xlsx: the sheet is loaded as a dense rectangle of cells (32 bytes each in
    # calamine, then polars strings), so its size in memory is bounded before loading.
    rows = max(extent.declared_rows, extent.last_row)
    columns = max(extent.declared_columns, extent.last_column)
    check_table_size(
        rows * columns * (32 + TEXT_VALUE_BYTES),
        what=f"sheet {names[index]!r} of {rows:,} rows x {columns:,} columns",
        limits=limits,
    )
    if extent.last_row == 0:
        msg = f"Expected data in sheet {names[index]!r} of the .xls workbook but it is empty."
        raise DataError(msg)
    frame = load_sheet(data, names[index])  # by name: calamine also lists chart sheets
    return table_from_cells(frame, extent.first_row, header_row, names, index)


def xls_sheet_names(data: bytes) -> tuple[str, ...]:
    """The worksheet names of an .xls workbook, in workbook order, without reading a sheet.

    Only the container and the workbook globals are walked (every step checked, as in
    :func:`read_xls`), so a workbook whose first sheet cannot be read still lists the
    others for the analyst to choose from.

    Raises
    ------
    DataError
        The container or the workbook globals are damaged, or not BIFF8.

    Examples
    --------
    >>> xls_sheet_names(b"not a workbook")
    Traceback (most recent call last):
    ...
    rfm.errors.DataError: Expected an ordinary .xls workbook but the file is shorter than an OLE2 header. Save it again from Excel as .xlsx, or export it as CSV.
    """
    stream = _Compound(data).stream(_STREAM_NAMES)
    return tuple(sheet.name for sheet in _sheets(stream))
