"""Parquet within a memory budget: the footer is checked before any data is expanded.

A Parquet file of a few megabytes can hold hundreds of millions of rows (run-length
encoded constants), and its file-level row count can disagree with its row groups.
polars exposes neither the row groups nor the column chunks, so the footer (Thrift
compact protocol) is decoded here, in a few dozen lines, with every length checked
against the bytes that remain. The table is then read in slices whose size as text
is measured, so values that only grow once decoded (a dictionary-encoded 1 KB string
repeated five million times) are refused before they take the memory.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

import polars as pl

from rfm._numbers import size as human_size
from rfm.errors import DataError
from rfm.io.limits import TEXT_VALUE_BYTES, Limits, check_table_size, reraise_unless_library_error

_MAGIC = b"PAR1"
_MAX_DEPTH = 64
_FIRST_SLICE = 1024
_MAX_FOOTER = 8 * 2**20  # about 100,000 column chunks

# Parquet physical types -> bytes in memory per value as read (BOOLEAN, INT32, INT64, INT96,
# FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY). Only one slice of them is alive at a
# time (see read_parquet_text): they size the slices, not the table.
_NATIVE_BYTES = {0: 1, 1: 4, 2: 8, 3: 12, 4: 4, 5: 8, 6: TEXT_VALUE_BYTES, 7: 16}
# Text of a value longer than a view's 12 inline bytes: 64-bit numbers and
# timestamps ('2024-01-31 08:26:00.000000') are often written with more.
_TEXT_BYTES = {2: 16, 3: 16, 5: 16}
_BYTE_ARRAYS = (6, 7)


@dataclass(frozen=True)
class ParquetLayout:
    """What a Parquet footer declares.

    ``rows`` is the file-level count; ``row_groups`` each row group's count;
    ``chunks`` one ``(column, physical type, values, uncompressed bytes)`` per
    column chunk; ``columns`` the leaf column names.
    """

    rows: int
    row_groups: tuple[int, ...]
    chunks: tuple[tuple[str, int, int, int], ...]
    columns: tuple[str, ...]

    def projected_bytes(self) -> int:
        """Projected size of the table read as text: a 16-byte view per value, the text
        of long numbers and timestamps, and the strings' own bytes (a lower bound for
        dictionary-encoded strings, whose slices are measured as they are read).

        The same measure as a CSV's projection (its bytes plus a view per value), so the
        same lines are accepted or refused whichever format they come in.
        """
        total = 0
        for _, kind, values, uncompressed in self.chunks:
            total += values * (TEXT_VALUE_BYTES + _TEXT_BYTES.get(kind, 0))
            if kind in _BYTE_ARRAYS:
                total += uncompressed
        return total

    def slice_row_bytes(self) -> int:
        """Bytes a row takes while a slice is read: its values as read plus as text."""
        native = sum(values * _NATIVE_BYTES.get(kind, 16) for _, kind, values, _ in self.chunks)
        return (native + self.projected_bytes()) // max(1, self.rows)


def read_layout(data: bytes) -> ParquetLayout:
    """Decode the footer of a Parquet file; :class:`rfm.DataError` if it is damaged.

    Examples
    --------
    >>> import io
    >>> buffer = io.BytesIO()
    >>> pl.DataFrame({"id": ["a", "b", "c"], "n": [1, 2, 3]}).write_parquet(buffer)
    >>> layout = read_layout(buffer.getvalue())
    >>> layout.rows, layout.row_groups, layout.columns
    (3, (3,), ('id', 'n'))
    """
    if len(data) < 12 or data[-4:] != _MAGIC:
        if data[-4:] == b"PARE":
            _damaged("its footer is encrypted")
        _damaged("it does not end with the Parquet marker (truncated?)")
    (length,) = struct.unpack("<I", data[-8:-4])
    if length > len(data) - 12:
        _damaged(f"its footer claims {length:,} bytes, more than the file holds")
    if length > _MAX_FOOTER:
        # Decoding takes about a second per megabyte: bound the time, not just memory.
        msg = (
            f"Expected a Parquet footer of at most {_MAX_FOOTER // 2**20} MiB but this one has "
            f"{human_size(length)}: the file is cut into very many row groups or columns. "
            "Export it again with fewer, larger row groups (or as CSV)."
        )
        raise DataError(
            msg, expected=f"at most {_MAX_FOOTER // 2**20} MiB", found=f"{length:,} bytes"
        )
    footer = _Reader(data[-8 - length : -8])
    try:
        meta = footer.struct(0)
    except (IndexError, ValueError, struct.error, RecursionError) as error:
        _damaged(f"its footer cannot be decoded ({error})")
        raise AssertionError from None
    # A damaged footer can hold any type anywhere: every value is checked.
    columns = tuple(_text(e.get(4)) for e in _items(meta.get(2))[1:] if not _int(e.get(5)))
    row_groups: list[int] = []
    chunks: list[tuple[str, int, int, int]] = []
    for group in _items(meta.get(4)):
        rows = _int(group.get(3))
        row_groups.append(rows)
        for chunk in _items(group.get(1)):
            info = chunk.get(3)
            if not isinstance(info, dict):
                continue  # metadata kept in another file: polars will refuse it
            parts = info.get(3)
            path = ".".join(_text(p) for p in parts) if isinstance(parts, list) else ""
            values = max(_int(info.get(5)), rows)
            chunks.append((path, _int(info.get(1)), values, _int(info.get(6))))
    return ParquetLayout(_int(meta.get(3)), tuple(row_groups), tuple(chunks), columns)


def check_layout(layout: ParquetLayout, limits: Limits) -> None:
    """Refuse a file whose footer declares more than ``limits`` allow."""
    total = sum(layout.row_groups)
    if any(rows < 0 for rows in layout.row_groups) or layout.rows < 0:
        _damaged("its footer declares a negative row count")
    if total != layout.rows:
        msg = (
            f"The Parquet file cannot be trusted: its footer declares {layout.rows:,} rows "
            f"but its row groups hold {total:,}. Export it again with a standard tool "
            "(pandas, polars, Spark, DuckDB)."
        )
        raise DataError(msg)
    for number, rows in enumerate(layout.row_groups, start=1):
        if rows > limits.max_rows or total > limits.max_rows:
            msg = (
                f"Expected at most {limits.max_rows:,} rows (Limits.max_rows) but the Parquet "
                f"file holds {total:,} (row group {number} alone: {rows:,}). Upload a smaller "
                "extract (a shorter period), or raise Limits.memory_budget."
            )
            raise DataError(
                msg,
                expected=f"at most {limits.max_rows:,} rows",
                found=f"{total:,} rows",
                limit="max_rows",
            )
    if len(layout.columns) > limits.max_columns:
        msg = (
            f"Expected at most {limits.max_columns} columns (Limits.max_columns) but the "
            f"Parquet file has {len(layout.columns)}. Select the columns you need, or raise "
            "the limit."
        )
        raise DataError(
            msg,
            expected=f"at most {limits.max_columns} columns",
            found=f"{len(layout.columns)} columns",
            limit="max_columns",
        )
    for column, _, _, uncompressed in layout.chunks:
        if uncompressed > limits.max_table_bytes or uncompressed < 0:
            msg = (
                f"Expected a table that fits in {human_size(limits.max_table_bytes)} of "
                f"memory (Limits.max_table_bytes) but one chunk of column {column!r} alone "
                f"holds {human_size(uncompressed)} uncompressed. Upload a smaller extract, "
                "or raise Limits.memory_budget."
            )
            raise DataError(
                msg,
                column=column,
                expected=f"at most {human_size(limits.max_table_bytes)} in memory",
                found=f"{human_size(uncompressed)} in one chunk of {column!r}",
                limit="max_table_bytes",
            )
    what = f"{total:,} rows x {len(layout.columns):,} columns"
    check_table_size(layout.projected_bytes(), what=what, limits=limits)


def read_parquet_text(data: bytes, limits: Limits) -> pl.DataFrame:
    """The whole file with every column cast to text, read within ``limits``.

    The footer is checked first (:func:`check_layout`); the rows are then read in
    slices, each measured as text, and reading stops with :class:`rfm.DataError` as
    soon as the total passes ``limits.max_table_bytes``.
    """
    layout = read_layout(data)
    check_layout(layout, limits)
    total = layout.rows
    projected_row = layout.slice_row_bytes()
    pieces: list[pl.DataFrame] = []
    used = offset = 0
    step = _FIRST_SLICE  # a first look measures the rows as they really read
    while offset < total or not pieces:
        piece = _text_frame(_read_slice(data, offset, step))
        size = _text_bytes(piece)
        used += size
        if used > limits.max_table_bytes:
            check_table_size(
                used,
                what=f"the first {offset + piece.height:,} of its {total:,} rows",
                limits=limits,
            )
        pieces.append(piece)
        offset += piece.height if piece.height else step
        # A slice takes at most an eighth of the table budget, measured or projected.
        per_row = max(1, projected_row, size // max(1, piece.height))
        step = max(_FIRST_SLICE, limits.max_table_bytes // 8 // per_row)
    return pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=False)


def _read_slice(data: bytes, offset: int, length: int) -> pl.DataFrame:
    try:
        return pl.scan_parquet(io.BytesIO(data)).slice(offset, length).collect()
    except BaseException as error:
        reraise_unless_library_error(error)
        msg = f"The Parquet file cannot be read ({type(error).__name__}: {error}). Export it again."
        raise DataError(msg) from None


def _text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in frame.schema.items():
        if dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object:
            msg = (
                f"Expected plain values but column {name!r} holds {dtype}. "
                "Flatten or drop it before reading."
            )
            raise DataError(msg)
    return frame.select(pl.all().cast(pl.String))


def _text_bytes(frame: pl.DataFrame) -> int:
    """Size of ``frame`` (all String) once each value is its own text, as cleaning makes it."""
    if frame.width == 0:
        return 0
    lengths = frame.select(pl.all().str.len_bytes().sum()).row(0)
    return sum(int(n or 0) for n in lengths) + frame.height * frame.width * TEXT_VALUE_BYTES


def _damaged(why: str) -> None:
    msg = f"The Parquet file cannot be read: {why}. Export it again."
    raise DataError(msg)


def _items(value: object) -> list[dict[int, Any]]:
    """The structures of a list field; a damaged one that is not a list of them is refused."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        _damaged("its footer holds a damaged list")
    return value  # type: ignore[return-value]


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


class _Reader:
    """Thrift compact protocol, just enough to walk a Parquet footer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        # Hot: most numbers in a footer take one or two bytes.
        data, pos = self.data, self.pos
        byte = data[pos]
        if byte < 0x80:
            self.pos = pos + 1
            return byte
        result, shift = byte & 0x7F, 7
        while True:
            pos += 1
            byte = data[pos]
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.pos = pos + 1
                return result
            shift += 7
            if shift > 63:
                msg = "a number runs over 10 bytes"
                raise ValueError(msg)

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        length = self.varint()
        if length > len(self.data) - self.pos:
            msg = f"a value claims {length:,} bytes, more than remain"
            raise ValueError(msg)
        self.pos += length
        return self.data[self.pos - length : self.pos]

    def value(self, kind: int, depth: int) -> Any:
        if 4 <= kind <= 6:
            n = self.varint()
            return (n >> 1) ^ -(n & 1)
        if kind == 8:
            return self.binary()
        if kind == 12:
            return self.struct(depth + 1)
        if kind in (9, 10):
            return self.read_list(depth)
        if kind in (1, 2):  # booleans in a struct field carry the value in the type
            return kind == 1
        if kind == 3:
            return self.byte()
        if kind == 7:
            self.pos += 8
            if self.pos > len(self.data):
                raise IndexError("a double runs past the footer")
            return None
        if kind == 11:
            return self.read_map(depth)
        msg = f"unknown Thrift type {kind}"
        raise ValueError(msg)

    def read_list(self, depth: int) -> list[Any]:
        head = self.byte()
        size, kind = head >> 4, head & 0x0F
        if size == 15:
            size = self.varint()
        if size > len(self.data) - self.pos:  # every element takes a byte at least
            msg = f"a list claims {size:,} elements, more than remain"
            raise ValueError(msg)
        if kind in (1, 2):  # booleans in a list take one byte each
            return [self.byte() == 1 for _ in range(size)]
        return [self.value(kind, depth) for _ in range(size)]

    def read_map(self, depth: int) -> list[tuple[Any, Any]]:
        # Parquet footers hold no maps; a damaged one is walked as pairs (its keys
        # may be lists, which no dict takes).
        size = self.varint()
        if size == 0:
            return []
        if 2 * size > len(self.data) - self.pos:
            msg = f"a map claims {size:,} entries, more than remain"
            raise ValueError(msg)
        kinds = self.byte()
        return [
            (self.value(kinds >> 4, depth), self.value(kinds & 0x0F, depth)) for _ in range(size)
        ]

    def struct(self, depth: int) -> dict[int, Any]:
        if depth > _MAX_DEPTH:
            msg = "structures nest too deep"
            raise ValueError(msg)
        out: dict[int, Any] = {}
        field = 0
        data = self.data
        while True:
            head = data[self.pos]
            self.pos += 1
            if head == 0:
                return out
            delta, kind = head >> 4, head & 0x0F
            field = field + delta if delta else self.zigzag()
            out[field] = self.value(kind, depth)
