"""Crafting hostile Parquet files fast: rewrite a small real file's footer.

A Parquet footer (Thrift compact protocol) points at column chunks by byte offset,
so a footer can list one real chunk many times (300 columns sharing one chunk's
pages), repeat a row group (20 x 10M rows from one written row group) or claim
another file-level row count, without writing the data those stand for. The files
stay a few megabytes and take a fraction of a second to write, yet polars reads
them as what the footer says.
"""

from __future__ import annotations

import struct
from pathlib import Path

from rfm.io.parquet import _Reader

_STRUCT, _I64 = 12, 6


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            return bytes(out + bytes([n]))
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


def _fields(data: bytes) -> list[tuple[bytes, int, int, bytes]]:
    """A struct's fields as (header bytes, field id, type, value bytes), in order."""
    reader, out, field = _Reader(data), [], 0
    while (head := reader.byte()) != 0:
        start = reader.pos - 1
        delta, kind = head >> 4, head & 0x0F
        field = field + delta if delta else reader.zigzag()
        value_start = reader.pos
        reader.value(kind, 0)
        out.append((data[start:value_start], field, kind, data[value_start : reader.pos]))
    return out


def _struct(fields: list[tuple[bytes, int, int, bytes]]) -> bytes:
    return b"".join(head + value for head, _, _, value in fields) + b"\x00"


def _elements(data: bytes) -> list[bytes]:
    """The elements of a list of structs, each as its own bytes."""
    reader = _Reader(data)
    head = reader.byte()
    size = reader.varint() if head >> 4 == 15 else head >> 4
    out = []
    for _ in range(size):
        start = reader.pos
        reader.struct(0)
        out.append(data[start : reader.pos])
    return out


def _list(elements: list[bytes]) -> bytes:
    n = len(elements)
    head = bytes([n << 4 | _STRUCT]) if n < 15 else bytes([0xF0 | _STRUCT]) + _varint(n)
    return head + b"".join(elements)


def _set(fields: list[tuple[bytes, int, int, bytes]], field: int, value: bytes) -> None:
    for i, (head, fid, kind, _) in enumerate(fields):
        if fid == field:
            fields[i] = (head, fid, kind, value)
            return
    raise KeyError(field)


def _get(fields: list[tuple[bytes, int, int, bytes]], field: int) -> bytes:
    return next(value for _, fid, _, value in fields if fid == field)


def rewrite_footer(
    path: Path,
    *,
    copies_of_column: int = 1,
    copies_of_row_group: int = 1,
    declared_rows: int | None = None,
) -> None:
    """Rewrite the footer of a one-row-group file written by pyarrow (``store_schema=False``).

    ``copies_of_column``: the file's only column, named ``c000``, is listed that
    many times (names ``c000``, ``c001``, ...). ``copies_of_row_group``: the row group repeats.
    ``declared_rows``: the file-level row count (default: the true total).
    """
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[-8:-4])
    body, footer = data[: -8 - length], data[-8 - length : -8]
    meta = _fields(footer)
    (group,) = _elements(_get(meta, 4))
    group_fields = _fields(group)
    if copies_of_column > 1:
        root, leaf = _elements(_get(meta, 2))
        assert b"c000" in leaf, "name the only column c000"
        names = [f"c{i:03d}".encode() for i in range(copies_of_column)]
        root_fields = _fields(root)
        _set(root_fields, 5, _zigzag(copies_of_column))
        _set(meta, 2, _list([_struct(root_fields)] + [leaf.replace(b"c000", n) for n in names]))
        (chunk,) = _elements(_get(group_fields, 1))
        _set(group_fields, 1, _list([chunk.replace(b"c000", n) for n in names]))
    rows = _Reader(_get(group_fields, 3)).zigzag()
    _set(meta, 4, _list([_struct(group_fields)] * copies_of_row_group))
    total = rows * copies_of_row_group if declared_rows is None else declared_rows
    _set(meta, 3, _zigzag(total))
    footer = _struct(meta)
    path.write_bytes(body + footer + struct.pack("<I", len(footer)) + b"PAR1")
