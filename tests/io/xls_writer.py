"""A minimal .xls (BIFF8 in an OLE2 compound file) writer for the tests.

No maintained Python package writes the old format (xlwt stopped in 2017), and the
tests need workbooks that lie about their size anyway, so this writes the few
records a reader needs: per sheet a DIMENSIONS record and LABEL / NUMBER cells.
Layout from Microsoft's [MS-XLS] and [MS-CFB] specifications.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

Cell = str | float | int | None

_END_OF_CHAIN = 0xFFFFFFFE
_FAT_SECTOR = 0xFFFFFFFD
_FREE = 0xFFFFFFFF
_NO_STREAM = 0xFFFFFFFF
_SECTOR = 512
_MINI_CUTOFF = 4096


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _bof(sheet_type: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, sheet_type, 0x0DBB, 0x07CC, 0, 6))


def _unicode(text: str, length_bytes: int) -> bytes:
    encoded = text.encode("utf-16-le")
    size = struct.pack("<B" if length_bytes == 1 else "<H", len(text))
    return size + b"\x01" + encoded


def _sheet_stream(
    rows: Sequence[Sequence[Cell]],
    declared: tuple[int, int] | None,
    extra_cells: Sequence[tuple[int, int, Cell]],
) -> bytes:
    cells: list[tuple[int, int, Cell]] = [
        (r, c, value)
        for r, row in enumerate(rows)
        for c, value in enumerate(row)
        if value is not None
    ]
    cells.extend(extra_cells)
    last_row = max((r for r, _, _ in cells), default=-1) + 1
    last_col = max((c for _, c, _ in cells), default=-1) + 1
    rows_declared, cols_declared = declared or (last_row, last_col)
    out = [
        _bof(0x0010),
        _record(0x0200, struct.pack("<IIHHH", 0, rows_declared, 0, cols_declared, 0)),
    ]
    for r, c, value in cells:
        if isinstance(value, str):
            out.append(_record(0x0204, struct.pack("<HHH", r, c, 0) + _unicode(value, 2)))
        else:
            out.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(value))))
    return b"".join(out) + _record(0x000A, b"")


def workbook(
    sheets: dict[str, Sequence[Sequence[Cell]]],
    *,
    declared: dict[str, tuple[int, int]] | None = None,
    extra_cells: dict[str, Sequence[tuple[int, int, Cell]]] | None = None,
    mini: bool = False,
) -> bytes:
    """The bytes of an .xls workbook with one sheet per entry (rows of cells).

    ``declared`` overrides a sheet's DIMENSIONS (rows, columns); ``extra_cells`` adds
    (row, column, value) cells, e.g. one far below the data. ``mini`` stores a small
    workbook stream (under 4096 bytes) in the mini stream, as the format wants.
    """
    declared = declared or {}
    extra_cells = extra_cells or {}
    bodies = [
        _sheet_stream(rows, declared.get(name), extra_cells.get(name, ()))
        for name, rows in sheets.items()
    ]
    globals_head = _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))
    boundsheets_size = sum(4 + 6 + 2 + 2 * len(name) for name in sheets)
    offset = len(globals_head) + boundsheets_size + 4  # + the globals' EOF
    boundsheets = b""
    for name, body in zip(sheets, bodies, strict=True):
        boundsheets += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(name, 1))
        offset += len(body)
    stream = globals_head + boundsheets + _record(0x000A, b"") + b"".join(bodies)
    if mini:
        if len(stream) >= _MINI_CUTOFF:
            msg = "a mini-stream workbook must be under 4096 bytes"
            raise ValueError(msg)
        return _compound_file(stream, mini=True)
    # Streams under 4096 bytes belong in the mini stream; padding keeps one layout.
    stream = stream.ljust(max(_MINI_CUTOFF, -(-len(stream) // _SECTOR) * _SECTOR), b"\x00")
    return _compound_file(stream, mini=False)


def _compound_file(stream: bytes, *, mini: bool) -> bytes:
    """Sectors: FAT, the stream (or the mini-stream container), [mini FAT], directory."""
    if mini:
        body = stream.ljust(-(-len(stream) // 64) * 64, b"\x00")
        container = body.ljust(-(-len(body) // _SECTOR) * _SECTOR, b"\x00")
        mini_sectors = len(body) // 64
        mini_fat = [i + 1 for i in range(mini_sectors - 1)] + [_END_OF_CHAIN]
        mini_fat += [_FREE] * (128 - len(mini_fat))
        payload = container + struct.pack("<128I", *mini_fat)
        data_sectors = len(container) // _SECTOR
        extra = 1  # the mini FAT sector
    else:
        payload = stream
        data_sectors = len(stream) // _SECTOR
        extra = 0
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + data_sectors + extra + 1:
        fat_sectors += 1
    if fat_sectors > 109:
        msg = "test workbook too large for this writer"
        raise ValueError(msg)
    first_data = fat_sectors
    mini_fat_sector = first_data + data_sectors
    directory = mini_fat_sector + extra
    fat = [_FAT_SECTOR] * fat_sectors
    fat += [first_data + i + 1 for i in range(data_sectors - 1)] + [_END_OF_CHAIN]
    fat += [_END_OF_CHAIN] * extra  # the mini FAT: one sector
    fat += [_END_OF_CHAIN]  # the directory: one sector
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII",
            0,
            fat_sectors,
            directory,
            0,
            _MINI_CUTOFF,
            mini_fat_sector if mini else _END_OF_CHAIN,
            extra,
            _END_OF_CHAIN,
            0,
        )
        + struct.pack("<109I", *difat)
    )
    assert len(header) == _SECTOR
    if mini:
        entries = _dir_entry("Root Entry", 5, child=1, start=first_data, size=len(body))
        entries += _dir_entry("Workbook", 2, child=_NO_STREAM, start=0, size=len(stream))
    else:
        entries = _dir_entry("Root Entry", 5, child=1, start=_END_OF_CHAIN, size=0)
        entries += _dir_entry("Workbook", 2, child=_NO_STREAM, start=first_data, size=len(stream))
    entries += bytes(128) * 2
    return header + struct.pack(f"<{len(fat)}I", *fat) + payload + entries


def _dir_entry(name: str, kind: int, *, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", _NO_STREAM, _NO_STREAM, child) + bytes(16 + 4 + 16)
    entry += struct.pack("<IQ", start, size)
    assert len(entry) == 128
    return entry
