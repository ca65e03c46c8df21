"""Reading delimited text (CSV, TSV, semicolon and pipe files) as a table of text.

Two paths give the same result:

* **fast** — the dialect and header are sniffed on the first 64 KiB, then
  :func:`polars.read_csv` parses the UTF-8 bytes with every column as text, and
  the result is checked cheaply against byte counts of the file (record
  terminators and delimiters). A mismatch means some row is malformed.
* **exact** — the text is decoded (UTF-8, Windows-1252, UTF-16 or a line-by-line
  mix) and read record by record with :mod:`csv`; rows with the wrong number of
  fields or an unbalanced quote are set aside with their line number and reason.

Clean files take the fast path; a file the fast path cannot read exactly
(malformed rows, blank lines, CR-only line endings, backslash escapes, a
non-UTF-8 encoding it cannot rule out) takes the exact path.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from rfm._numbers import size as human_size
from rfm.errors import DataError
from rfm.io.dialect import Layout, iter_records, sniff, split_lines, unique_names
from rfm.io.encoding import bom_encoding, decode, utf16_without_bom
from rfm.io.limits import (
    TEXT_VALUE_BYTES,
    Limits,
    check_table_size,
    reraise_unless_library_error,
)

Buffer = bytes | mmap.mmap
_SAMPLE_BYTES = 64 * 1024
# What a blank field may hold. Deliberately ASCII only, so that the polars and csv
# paths agree exactly (their notions of Unicode whitespace differ).
BLANK_CHARS = " \t\r\n"
_SNIFF_LINES = 200
REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "reason": pl.String(),
    "text": pl.String(),
}


@dataclass
class Parsed:
    """What :func:`read_delimited` found (becomes a :class:`rfm.RawTable`)."""

    frame: pl.DataFrame
    encoding: str
    delimiter: str
    header_row: int
    rejected: pl.DataFrame
    blank_rows: int
    warnings: list[str] = field(default_factory=list)


def read_delimited(
    data: Buffer,
    *,
    path: Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    limits: Limits,
) -> Parsed:
    """Read delimited text; see :func:`rfm.read_table` for the contract.

    ``data`` may be a memory map of ``path``; polars then reads the file itself.

    Examples
    --------
    >>> from rfm.io.limits import Limits
    >>> parsed = read_delimited(b"id;amount\\n1;2,50\\n", limits=Limits())
    >>> parsed.delimiter, parsed.frame.rows()
    (';', [('1', '2,50')])
    """
    if delimiter is not None and len(delimiter) != 1:
        msg = f"The 'delimiter' parameter must be a single character. Got {delimiter!r}."
        raise DataError(msg)
    if header_row is not None and (isinstance(header_row, bool) or header_row < 1):
        msg = f"The 'header_row' parameter must be a 1-based line number. Got {header_row!r}."
        raise DataError(msg)
    bom = bom_encoding(data[:4])
    if encoding is None and bom is None and utf16_without_bom(data[:4096]) is None:
        head = data[:8192]
        if b"\x00" in head:
            msg = (
                "Expected a text file (CSV, TSV) but found binary data (NUL bytes) in the "
                "first 8 KiB. Upload a CSV, an .xlsx workbook or a Parquet file."
            )
            raise DataError(msg)
    if len(data) <= _SAMPLE_BYTES and not data[:].strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        msg = "The file is empty. Expected a header line followed by data rows."
        raise DataError(msg)
    tried_raw = encoding is None and bom in (None, "utf-8-sig")
    if tried_raw:
        fast = _try_fast(data, path, bom or "utf-8", delimiter, header_row, limits)
        if fast is not None:
            return fast
    text, label, encoding_warnings = decode(data[:], encoding)
    if not (tried_raw and label in ("utf-8", "utf-8-sig")):
        # Other encodings: re-encode once as UTF-8 and give the fast path a chance.
        fast = _try_fast(text.encode("utf-8"), None, label, delimiter, header_row, limits)
        if fast is not None:
            fast.warnings[:0] = encoding_warnings
            return fast
    parsed = _read_exact(text, label, delimiter, header_row, limits)
    parsed.warnings[:0] = encoding_warnings
    return parsed


def _empty_rejected() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTED_SCHEMA)


def _check_columns(ncols: int, limits: Limits) -> None:
    if ncols > limits.max_columns:
        msg = (
            f"Expected at most {limits.max_columns} columns (Limits.max_columns) but the "
            f"header has {ncols}. Check the delimiter, or raise the limit."
        )
        raise DataError(
            msg,
            expected=f"at most {limits.max_columns} columns",
            found=f"{ncols} columns",
            limit="max_columns",
        )


def _check_rows(n_lines: int, limits: Limits) -> None:
    if n_lines > limits.max_rows:
        msg = (
            f"Expected at most {limits.max_rows:,} rows (Limits.max_rows) but the file has "
            f"{n_lines:,} lines. Split the file or raise the limit."
        )
        raise DataError(
            msg,
            expected=f"at most {limits.max_rows:,} rows",
            found=f"{n_lines:,} lines",
            limit="max_rows",
        )


def _check_size(n_bytes: int, n_lines: int, ncols: int, limits: Limits) -> None:
    # Every byte may end up in a value, and every value takes a view besides its text.
    projected = n_bytes + max(n_lines, 0) * ncols * TEXT_VALUE_BYTES
    what = f"{human_size(n_bytes)} of text in {n_lines:,} lines x {ncols:,} columns"
    check_table_size(projected, what=what, limits=limits)


def _long_line_error(line_number: int, length: int, limits: Limits) -> DataError:
    msg = (
        f"Expected lines of at most {limits.max_line_chars:,} characters "
        f"(Limits.max_line_chars) but line {line_number} has {length:,}. The file is "
        "probably not a delimited table (or uses an unusual line ending); check the "
        "export, or raise the limit."
    )
    return DataError(msg)


def _header_warnings(layout: Layout, names_warnings: Sequence[str]) -> list[str]:
    warnings = []
    skipped = layout.header_line - (1 if layout.sep_hint else 0)
    if skipped > 0:
        warnings.append(
            f"Skipped {skipped} line(s) above the header on line {layout.header_line + 1} "
            "(titles or notes)."
        )
    warnings.extend(names_warnings)
    return warnings


def _sample_lines(data: Buffer) -> tuple[list[str], bool] | None:
    """Decode the first whole lines of UTF-8 ``data``; None if they are not UTF-8."""
    complete = len(data) <= _SAMPLE_BYTES
    sample = data[:_SAMPLE_BYTES]
    if not complete:
        cut = max(sample.rfind(b"\n"), sample.rfind(b"\r"))
        if cut > 0:
            sample = sample[: cut + 1]
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return split_lines(text), complete


def _try_fast(
    buf: Buffer,
    path: Path | None,
    label: str,
    delimiter: str | None,
    header_row: int | None,
    limits: Limits,
) -> Parsed | None:
    """The polars path; None when the file needs the exact path."""
    sampled = _sample_lines(buf)
    if sampled is None:
        return None
    lines, complete = sampled
    layout = sniff(lines[:_SNIFF_LINES], delimiter=delimiter, header_row=header_row)
    dialect = layout.dialect
    if dialect.escapechar is not None or dialect.skipinitialspace:
        return None  # polars has neither
    if layout.header_line >= len(lines):
        return None
    header = next(iter_records(lines, dialect, start=layout.header_line), None)
    if header is None or not header.fields or not "".join(header.fields).strip():
        return None
    if not complete and header.line + header.n_lines >= len(lines):
        return None
    _check_columns(len(header.fields), limits)
    names, names_warnings = unique_names(header.fields)
    ncols = len(names)
    data_start_line = header.line + header.n_lines

    if buf.find(b"\x00") >= 0:
        return None
    array = np.frombuffer(buf, dtype=np.uint8)
    scan = _scan_bytes(array, limits.max_line_chars, check_returns=buf.find(b"\r") >= 0)
    if not scan.crlf_only:
        return None  # CR-only or mixed line endings: polars reads CR-only as one line
    n_lines = scan.newlines + (0 if buf[-1:] == b"\n" else 1)
    _check_rows(n_lines - data_start_line, limits)
    _check_size(len(buf), n_lines - data_start_line, ncols, limits)
    if not scan.lines_short:
        return None  # the exact path names the long line
    offset = _offset_after_lines(buf, data_start_line)
    body_lines = n_lines - data_start_line
    if offset >= len(buf):
        body_lines = 0

    quote = dialect.quotechar
    try:
        # Unquoted empty fields and missing trailing fields both come back null,
        # quoted "" as "": only a row whose last field is null can be short.
        frame = pl.read_csv(
            path if path is not None else bytes(buf),  # bytes(bytes) does not copy
            has_header=False,
            skip_lines=data_start_line,
            separator=dialect.delimiter,
            quote_char=quote,
            schema=dict.fromkeys(names, pl.String),
            empty_string_is_null=True,
            raise_if_empty=False,
            infer_schema=False,
        )
    except BaseException as error:  # any polars failure means: read it exactly
        reraise_unless_library_error(error)
        return None
    if frame.width != ncols:
        return None
    quoted = bool(body_lines) and quote is not None and buf.find(quote.encode(), offset) >= 0
    # Only quoted line breaks may join physical lines into one record.
    if frame.height != body_lines and (
        not quoted or frame.height + _count_in_values(frame, "\n") != body_lines
    ):
        return None
    if ncols > 1 and frame.get_column(names[-1]).null_count():
        # Some row may be short (or blank): every row must hold ncols - 1
        # delimiters outside its values.
        separators = _count_byte(array[offset:], ord(dialect.delimiter))
        in_values = _count_in_values(frame, dialect.delimiter) if quoted else 0
        if separators != frame.height * (ncols - 1) + in_values:
            return None
    del array  # release the memory map before returning
    frame, blank_rows = _drop_blank_rows(frame)
    frame, dropped_warnings = _drop_empty_unnamed(frame, header.fields)
    warnings = _header_warnings(layout, names_warnings) + dropped_warnings
    return Parsed(
        frame=frame,
        encoding=label,
        delimiter=dialect.delimiter,
        header_row=layout.header_line + 1,
        rejected=_empty_rejected(),
        blank_rows=blank_rows,
        warnings=warnings,
    )


class _Scan(NamedTuple):
    newlines: int
    lines_short: bool  # no line longer than max_line_chars (False may be a false alarm)
    crlf_only: bool  # every CR starts a CRLF


_SCAN_CHUNK = 1 << 22


def _scan_bytes(array: np.ndarray, max_chars: int, *, check_returns: bool) -> _Scan:
    """Count line feeds, look for over-long lines and lone CRs, in one chunked pass.

    Chunks reuse one mask buffer: comparing the whole file at once would allocate
    (and page-fault) a boolean array as large as the file, twice as slow.
    """
    size = array.size
    block = max(1, max_chars // 2)
    chunk = max(block, _SCAN_CHUNK // block * block)
    mask = np.empty(min(chunk, size), dtype=bool)
    returns = np.empty(min(chunk, size), dtype=bool) if check_returns else mask
    newlines = 0
    lines_short = True
    crlf_only = True
    for start in range(0, size, chunk):
        part = array[start : start + chunk]
        is_newline = mask[: part.size]
        np.equal(part, 0x0A, out=is_newline)
        newlines += int(np.count_nonzero(is_newline))
        if lines_short and size > max_chars:
            # A line longer than max_chars covers a whole block without a line feed
            # (blocks are aligned across chunks; the file's last partial block is
            # short enough not to matter).
            whole = part.size // block * block
            blocks = is_newline[:whole].reshape(-1, block).any(axis=1)
            lines_short = bool(np.all(blocks))
        if check_returns and crlf_only:
            is_return = returns[: part.size]
            np.equal(part, 0x0D, out=is_return)
            n_returns = int(np.count_nonzero(is_return))
            if n_returns:
                followed = np.count_nonzero(is_return[:-1] & is_newline[1:])
                last_is_return = bool(is_return[-1])
                next_is_newline = start + part.size < size and array[start + part.size] == 0x0A
                followed += int(last_is_return and next_is_newline)
                crlf_only = followed == n_returns
    return _Scan(newlines, lines_short, crlf_only)


def _count_byte(array: np.ndarray, value: int) -> int:
    mask = np.empty(min(_SCAN_CHUNK, array.size), dtype=bool)
    total = 0
    for start in range(0, array.size, _SCAN_CHUNK):
        part = array[start : start + _SCAN_CHUNK]
        np.equal(part, value, out=mask[: part.size])
        total += int(np.count_nonzero(mask[: part.size]))
    return total


def _offset_after_lines(buf: Buffer, n: int) -> int:
    offset = 0
    for _ in range(n):
        found = buf.find(b"\n", offset)
        if found < 0:
            return len(buf)
        offset = found + 1
    return offset


def _count_in_values(frame: pl.DataFrame, text: str) -> int:
    counts = frame.select(pl.sum_horizontal(pl.all().str.count_matches(text, literal=True).sum()))
    return int(counts.item() or 0)


def _drop_blank_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Fill nulls (unquoted empty fields) with "" and drop rows with only blank fields."""
    if frame.width == 0 or frame.height == 0:
        return frame, 0
    first = frame.get_column(frame.columns[0])
    # A blank row starts with an empty field (null here) or whitespace; testing the
    # first field's first character is far cheaper than stripping every field.
    start = pl.first().str
    starts_blank = start.len_bytes() == 0
    for char in BLANK_CHARS:
        starts_blank = starts_blank | start.starts_with(char)
    maybe_blank = first.null_count() > 0 or bool(frame.select(starts_blank.any()).item())
    with_nulls = [name for name in frame.columns if frame.get_column(name).null_count()]
    if with_nulls:
        frame = frame.with_columns(pl.col(with_nulls).fill_null(""))
    if not maybe_blank:
        return frame, 0
    blank = pl.all_horizontal(pl.all().str.strip_chars(BLANK_CHARS) == "")
    n_blank = int(frame.select(blank.sum()).item())
    if n_blank:
        frame = frame.filter(~blank)
    return frame, n_blank


def _drop_empty_unnamed(
    frame: pl.DataFrame, raw_names: Sequence[str]
) -> tuple[pl.DataFrame, list[str]]:
    """Drop columns with a blank header and no values (trailing delimiters)."""
    unnamed = [name for name, raw in zip(frame.columns, raw_names, strict=True) if not raw.strip()]
    if not unnamed:
        return frame, []
    empty = [
        name
        for name in unnamed
        if frame.height == 0 or frame.select((pl.col(name).str.strip_chars() == "").all()).item()
    ]
    if not empty or len(empty) == frame.width:
        return frame, []
    return frame.drop(empty), [
        f"Dropped {len(empty)} empty column(s) without a name (trailing delimiters)."
    ]


def _read_exact(
    text: str,
    label: str,
    delimiter: str | None,
    header_row: int | None,
    limits: Limits,
) -> Parsed:
    """The :mod:`csv` path: every record checked, bad rows set aside."""
    lines = split_lines(text.removeprefix("\ufeff"))
    if not any(line.strip() for line in lines):
        msg = "The file is empty. Expected a header line followed by data rows."
        raise DataError(msg)
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.max_line_chars:
            raise _long_line_error(number, len(line), limits)
    layout = sniff(lines[:_SNIFF_LINES], delimiter=delimiter, header_row=header_row)
    dialect = layout.dialect
    if layout.header_line >= len(lines):
        msg = (
            f"Expected a header on line {layout.header_line + 1} but the file has only "
            f"{len(lines)} line(s)."
        )
        raise DataError(msg)
    _check_rows(len(lines) - layout.header_line - 1, limits)
    records = iter_records(lines, dialect, start=layout.header_line)
    header = next(records)
    if header.fields is None:
        msg = f"Expected a header on line {header.line + 1} but it cannot be read ({header.error})."
        raise DataError(msg)
    if not "".join(header.fields).strip():
        msg = (
            f"Expected column names on line {header.line + 1} but it is blank. "
            "Pass header_row=<the line of the column names>."
        )
        raise DataError(msg)
    _check_columns(len(header.fields), limits)
    names, names_warnings = unique_names(header.fields)
    ncols = len(names)
    _check_size(len(text), len(lines) - layout.header_line - 1, ncols, limits)
    # A header ending in delimiters ("id,amount,,") may sit on rows that do not.
    named = len(header.fields)
    while named > 1 and not header.fields[named - 1].strip():
        named -= 1
    start = header.line + header.n_lines
    # One flat list of strings: keeping a list per row would make the cyclic garbage
    # collector traverse a million containers again and again (3-4x slower).
    values: list[str] = []
    rejected_lines: list[int] = []
    reasons: list[str] = []
    texts: list[str] = []
    blank_rows = 0
    padded = 0
    for first_line, n_lines, fields, error in iter_records(
        lines, dialect, start=start, ncols=ncols
    ):
        if fields is not None:
            width = len(fields)
            first = fields[0] if fields else ""
            if width == ncols and first and first[0] not in BLANK_CHARS:
                values.extend(fields)  # the common case, decided cheaply
                continue
            if not "".join(fields).strip(BLANK_CHARS):
                blank_rows += 1
                continue
            if width == ncols:
                values.extend(fields)
                continue
            if width > ncols and not "".join(fields[ncols:]).strip(BLANK_CHARS):
                values.extend(fields[:ncols])
                padded += 1
                continue
            if named <= width < ncols:
                values.extend(fields)
                values.extend([""] * (ncols - width))
                padded += 1
                continue
            kind = "many" if width > ncols else "few"
            reason = f"too {kind} fields: expected {ncols}, found {width}"
        else:
            reason = error or "unreadable row"
        rejected_lines.append(first_line + 1)
        reasons.append(reason)
        texts.append("".join(lines[first_line : first_line + n_lines]).rstrip("\r\n"))
    frame = pl.DataFrame(
        {name: values[j::ncols] for j, name in enumerate(names)},
        schema=dict.fromkeys(names, pl.String),
    )
    rejected = pl.DataFrame(
        {"line": rejected_lines, "reason": reasons, "text": texts}, schema=REJECTED_SCHEMA
    )
    frame, dropped_warnings = _drop_empty_unnamed(frame, header.fields)
    warnings = _header_warnings(layout, names_warnings) + dropped_warnings
    if padded:
        warnings.append(
            f"{padded} row(s) had more or fewer empty fields at the end than the header; "
            "they were aligned to the header."
        )
    if rejected.height:
        warnings.append(
            f"{rejected.height} row(s) could not be read and were set aside "
            f"(see the rejected rows; first on line {rejected_lines[0]}: {reasons[0]})."
        )
    return Parsed(
        frame=frame,
        encoding=label,
        delimiter=dialect.delimiter,
        header_row=layout.header_line + 1,
        rejected=rejected,
        blank_rows=blank_rows,
        warnings=warnings,
    )
