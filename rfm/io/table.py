"""``read_table``: any uploaded table (CSV and friends, .xlsx, Parquet) as text columns."""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl

from rfm._numbers import size as human_size
from rfm.errors import DataError
from rfm.io.delimited import REJECTED_SCHEMA, read_delimited
from rfm.io.dialect import unique_names
from rfm.io.excel import read_xlsx
from rfm.io.limits import Limits
from rfm.io.parquet import read_parquet_text
from rfm.io.xls import XLS_MAGIC, read_xls

TableSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | pl.DataFrame

# Formats recognised by their first bytes; the name of an upload can lie.
_REFUSED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"%PDF", "a PDF document"),
)


@dataclass(frozen=True)
class RawTable:
    """A table read as text, with what the reader detected and set aside.

    Attributes
    ----------
    frame
        The data; every column is ``pl.String`` and the names are unique and
        non-blank. Blank rows are dropped; values are kept exactly as written
        (no trimming, no null markers interpreted).
    source_format
        ``"csv"`` (any delimited text), ``"excel"``, ``"parquet"`` or ``"frame"``.
    encoding
        The text encoding used (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``,
        ``"cp1252"``, ``"utf-8+cp1252"`` for a file mixing both); None for binary
        formats.
    delimiter
        The field delimiter of a text file; None otherwise.
    header_row
        The 1-based physical line (text) or sheet row (Excel) of the header.
    rejected
        Rows set aside: ``line`` (1-based physical line, Int64), ``reason`` and the
        raw ``text``.
    blank_rows
        Blank lines and rows whose fields are all empty, dropped.
    warnings
        Everything the caller should know: encodings mixed, rows set aside,
        columns renamed, title lines skipped.
    sheets
        For Excel, every sheet name (pass ``sheet=`` to choose); ``()`` otherwise.

    Examples
    --------
    >>> import rfm
    >>> table = rfm.read_table(b"id,amount\\n1,5\\n2\\n\\n3,7\\n")
    >>> table.frame.height, table.rejected.height, table.blank_rows, table.rows_read
    (2, 1, 1, 3)
    >>> table.rejected.row(0)
    (3, 'too few fields: expected 2, found 1', '2')
    """

    frame: pl.DataFrame
    source_format: str
    encoding: str | None
    delimiter: str | None
    header_row: int | None
    rejected: pl.DataFrame
    blank_rows: int
    warnings: tuple[str, ...]
    sheets: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        """Data rows with content: ``frame.height + rejected.height``.

        Blank rows are not data rows; they are counted in :attr:`blank_rows`.
        """
        return self.frame.height + self.rejected.height


def read_table(
    source: TableSource,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | int | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Read a CSV/TSV/text, .xlsx, .xls or Parquet file as a table of text columns.

    The format comes from the content's first bytes, not the file name. For text
    the encoding, delimiter, quoting, line endings, a ``sep=`` line, title rows
    above the header and the header itself are detected; rows with the wrong
    number of fields or an unbalanced quote are set aside with their line number
    and reason, never silently merged or dropped.

    Parameters
    ----------
    source
        A path, the file's bytes, a binary file object (an upload), or a polars
        DataFrame (returned as text, ``source_format="frame"``).
    encoding
        Force a text encoding (a Python codec name); None detects it.
    delimiter
        Force the field delimiter of a text file; None detects it.
    header_row
        Force the 1-based line (text) or row (Excel) of the header; None detects it.
    sheet
        Excel sheet name or 0-based index; None reads the first sheet.
    limits
        Size limits checked before parsing; None uses :class:`rfm.Limits` defaults
        (a 1 GiB memory budget). The table's size in memory is projected from the
        file's size and shape (text, Excel) or its footer (Parquet, then measured
        while reading) and refused above ``Limits.max_table_bytes``.

    Returns
    -------
    RawTable

    Raises
    ------
    DataError
        Empty or header-only input, an unreadable or refused format (compressed, an
        Excel 95 or older workbook), or a limit exceeded.

    Examples
    --------
    >>> import rfm
    >>> table = rfm.read_table(b"sep=;\\nName;Amount\\nJos\\xe9;1.234,50\\n\\n")
    >>> table.frame.rows(), table.encoding, table.delimiter, table.blank_rows
    ([('José', '1.234,50')], 'cp1252', ';', 1)
    """
    limits = limits or Limits()
    if isinstance(source, pl.LazyFrame):
        msg = "Expected a DataFrame, a path, bytes or a binary file; got a LazyFrame. Collect it first."
        raise DataError(msg)
    if isinstance(source, pl.DataFrame):
        return _from_frame(source, "frame", limits)
    if isinstance(source, str | os.PathLike):
        path = _checked_path(source, limits)
        if path.stat().st_size == 0:
            return _read_buffer(b"", None, encoding, delimiter, header_row, sheet, limits)
        # A memory map spares copying a large file; polars reads the path itself.
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _read_buffer(mm, path, encoding, delimiter, header_row, sheet, limits)
    data = _read_bytes(source, limits)
    return _read_buffer(data, None, encoding, delimiter, header_row, sheet, limits)


def _read_buffer(
    data: bytes | mmap.mmap,
    path: Path | None,
    encoding: str | None,
    delimiter: str | None,
    header_row: int | None,
    sheet: str | int | None,
    limits: Limits,
) -> RawTable:
    head = data[:16]
    if head.startswith((b"PK\x03\x04", XLS_MAGIC)):
        read_workbook = read_xls if head.startswith(XLS_MAGIC) else read_xlsx
        excel = read_workbook(data[:], sheet=sheet, header_row=header_row, limits=limits)
        hint = ""
        if len(excel.sheets) > 1:
            hint = f" The workbook has sheets {list(excel.sheets)}; pass sheet=... to choose."
        frame = _nonempty(excel.frame, excel.rejected.height, hint)
        return RawTable(
            frame=frame,
            source_format="excel",
            encoding=None,
            delimiter=None,
            header_row=excel.header_row,
            rejected=excel.rejected,
            blank_rows=excel.blank_rows,
            warnings=tuple(excel.warnings),
            sheets=excel.sheets,
        )
    if head.startswith(b"PAR1"):
        return _read_parquet(data[:], limits)
    for magic, what in _REFUSED_MAGIC:
        if head.startswith(magic):
            msg = (
                f"Expected a CSV, .xlsx or Parquet file but found {what}. "
                "Decompress it or save it as CSV or .xlsx, then upload that file."
            )
            raise DataError(msg)
    parsed = read_delimited(
        data,
        path=path,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        limits=limits,
    )
    frame = _nonempty(parsed.frame, parsed.rejected.height)
    return RawTable(
        frame=frame,
        source_format="csv",
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        header_row=parsed.header_row,
        rejected=parsed.rejected,
        blank_rows=parsed.blank_rows,
        warnings=tuple(parsed.warnings),
    )


def _nonempty(frame: pl.DataFrame, n_rejected: int, hint: str = "") -> pl.DataFrame:
    if frame.height > 0:
        return frame
    columns = ", ".join(frame.columns[:10])
    if n_rejected:
        msg = (
            f"None of the {n_rejected} data row(s) could be read (columns: {columns}); "
            "every row has the wrong number of fields. Check the delimiter, or pass "
            "delimiter=... and header_row=..."
        )
    else:
        msg = (
            f"Expected data rows below the header but found none (columns: {columns}). "
            "The file has a header only; export it again with its data."
        )
    raise DataError(msg + hint)


def _checked_path(source: str | os.PathLike[str], limits: Limits) -> Path:
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError as error:
        msg = f"Cannot open {str(path)!r}: {error.strerror}. Check the path."
        raise DataError(msg) from None
    if path.is_dir():
        msg = f"Expected a file but {str(path)!r} is a folder."
        raise DataError(msg)
    _check_size(size, limits)
    return path


def _read_bytes(source: Any, limits: Limits) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(limits.max_bytes + 1)
        if isinstance(data, str):
            msg = (
                "Expected a binary file object (opened with 'rb', or io.BytesIO) but got "
                "a text stream. Open the file in binary mode so the encoding can be detected."
            )
            raise DataError(msg)
        data = bytes(data)
    else:
        msg = (
            "Expected a path, bytes, a binary file object or a polars DataFrame; "
            f"got {type(source).__name__}."
        )
        raise DataError(msg)
    _check_size(len(data), limits)
    return data


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        msg = (
            f"Expected a file of at most {human_size(limits.max_bytes)} "
            f"(Limits.max_bytes) but it has more ({human_size(size)} read). "
            "Upload a smaller extract, or raise the limit."
        )
        raise DataError(
            msg,
            expected=f"at most {human_size(limits.max_bytes)}",
            found=f"{human_size(size)}",
            limit="max_bytes",
        )


def _from_frame(frame: pl.DataFrame, source_format: str, limits: Limits) -> RawTable:
    if frame.width > limits.max_columns:
        msg = (
            f"Expected at most {limits.max_columns} columns (Limits.max_columns) but "
            f"found {frame.width}. Select the columns you need, or raise the limit."
        )
        raise DataError(msg)
    names, warnings = unique_names(frame.columns)
    casts = []
    for name, new_name in zip(frame.columns, names, strict=True):
        dtype = frame.schema[name]
        if dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object:
            msg = (
                f"Expected plain values but column {name!r} holds {dtype}. "
                "Flatten or drop it before reading."
            )
            raise DataError(msg)
        casts.append(pl.col(name).cast(pl.String).alias(new_name))
    text = frame.select(casts)
    return RawTable(
        frame=_nonempty(text, 0),
        source_format=source_format,
        encoding=None,
        delimiter=None,
        header_row=None,
        rejected=pl.DataFrame(schema=REJECTED_SCHEMA),
        blank_rows=0,
        warnings=tuple(warnings),
    )


def _read_parquet(data: bytes, limits: Limits) -> RawTable:
    # The footer is checked and the rows read in measured slices (rfm.io.parquet).
    return _from_frame(read_parquet_text(data, limits), "parquet", limits)
