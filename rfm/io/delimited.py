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

import numpy as np
import polars as pl

from rfm.errors import DataError
from rfm.io.dialect import Layout, iter_records, sniff, split_lines, unique_names
from rfm.io.encoding import bom_encoding, decode, utf16_without_bom
from rfm.io.limits import Limits

Buffer = bytes | mmap.mmap
_SAMPLE_BYTES = 64 * 1024
_SNIFF_LINES = 500
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
    if encoding is None and bom in (None, "utf-8-sig"):
        label = bom or "utf-8"
        fast = _try_fast(data, path, label, delimiter, header_row, limits)
        if fast is not None:
            return fast
    text, label, encoding_warnings = decode(data[:], encoding)
    if label != "utf-8" or bom is not None:
        # Non-UTF-8 input: re-encode once and give the fast path a chance.
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
        raise DataError(msg)


def _check_rows(n_lines: int, limits: Limits) -> None:
    if n_lines > limits.max_rows:
        msg = (
            f"Expected at most {limits.max_rows:,} rows (Limits.max_rows) but the file has "
            f"{n_lines:,} lines. Split the file or raise the limit."
        )
        raise DataError(msg)


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
    if dialect.escapechar is not None or layout.header_line >= len(lines):
        return None
    header = next(iter_records(lines, dialect, start=layout.header_line), None)
    if header is None or header.fields is None:
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
    newlines = array == 0x0A
    if buf.find(b"\r") >= 0:
        returns = array == 0x0D
        # Every CR must start a CRLF; polars reads CR-only files as a single line.
        if np.count_nonzero(returns) != np.count_nonzero(returns[:-1] & newlines[1:]):
            return None
    n_newlines = int(np.count_nonzero(newlines))
    n_lines = n_newlines + (0 if buf[-1:] == b"\n" else 1)
    _check_rows(n_lines - data_start_line, limits)
    if not _lines_within(newlines, len(buf), limits.max_line_chars):
        return None  # the exact path names the line
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
    except Exception:  # any polars failure means: read it exactly
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
        separators = int(np.count_nonzero(array[offset:] == ord(dialect.delimiter)))
        in_values = _count_in_values(frame, dialect.delimiter) if quoted else 0
        if separators != frame.height * (ncols - 1) + in_values:
            return None
    with_nulls = [name for name in names if frame.get_column(name).null_count()]
    if with_nulls:
        frame = frame.with_columns(pl.col(with_nulls).fill_null(""))
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


def _lines_within(newlines: np.ndarray, size: int, max_chars: int) -> bool:
    """Whether no line is longer than ``max_chars`` bytes (may answer False for
    lines up to twice shorter; the exact path then measures them)."""
    if size <= max_chars:
        return True
    block = max(1, max_chars // 2)
    whole = (size // block) * block
    has_newline = np.asarray(newlines[:whole].reshape(-1, block).any(axis=1))
    # A line longer than max_chars covers at least one whole block.
    return bool(has_newline[:-1].all()) if has_newline.size > 1 else True


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
    if frame.width == 0 or frame.height == 0:
        return frame, 0
    # A blank row has a blank first field: test that cheaply before all fields.
    first_blank = frame.select(pl.first().str.contains(r"^\s*$").any()).item()
    if not first_blank:
        return frame, 0
    blank = pl.all_horizontal(pl.all().str.strip_chars() == "")
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
    _check_columns(len(header.fields), limits)
    names, names_warnings = unique_names(header.fields)
    ncols = len(names)
    start = header.line + header.n_lines
    rows: list[list[str]] = []
    rejected_lines: list[int] = []
    reasons: list[str] = []
    texts: list[str] = []
    blank_rows = 0
    padded = 0
    for record in iter_records(lines, dialect, start=start, ncols=ncols):
        raw = "".join(lines[record.line : record.line + record.n_lines])
        fields = record.fields
        if fields is None:
            reason = record.error or "unreadable row"
        elif not raw.strip() or all(not f.strip() for f in fields):
            blank_rows += 1
            continue
        elif len(fields) == ncols:
            rows.append(fields)
            continue
        elif len(fields) > ncols and not any(f.strip() for f in fields[ncols:]):
            rows.append(fields[:ncols])
            padded += 1
            continue
        elif len(fields) > ncols:
            reason = f"too many fields: expected {ncols}, found {len(fields)}"
        else:
            reason = f"too few fields: expected {ncols}, found {len(fields)}"
        rejected_lines.append(record.line + 1)
        reasons.append(reason)
        texts.append(raw.rstrip("\r\n"))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pl.DataFrame(
        [
            pl.Series(name, values, dtype=pl.String)
            for name, values in zip(names, columns, strict=True)
        ]
    )
    rejected = pl.DataFrame(
        {"line": rejected_lines, "reason": reasons, "text": texts}, schema=REJECTED_SCHEMA
    )
    frame, dropped_warnings = _drop_empty_unnamed(frame, header.fields)
    warnings = _header_warnings(layout, names_warnings) + dropped_warnings
    if padded:
        warnings.append(f"{padded} row(s) had extra empty fields at the end; they were ignored.")
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
