"""Reading .xlsx workbooks without putting the server at risk.

fastexcel/calamine (the engine behind ``pl.read_excel``) allocates the sheet's
whole declared range up front and aborts the process on a cell at XFD1048576,
and zip archives can expand a thousand-fold. So before calamine sees the file
the archive is checked (entry count, total and per-entry expansion), every XML
part is scanned for DTD/entity declarations (entity expansion, external
entities) and the chosen sheet's declared ``<dimension>`` and actual cell
references are checked against :class:`rfm.Limits`. Formula cells are read as
their cached values.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

import polars as pl

from rfm._numbers import size as human_size
from rfm.errors import DataError
from rfm.io.dialect import unique_names
from rfm.io.limits import (
    TEXT_VALUE_BYTES,
    Limits,
    check_table_size,
    reraise_unless_library_error,
)

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_CHUNK = 1 << 20
_DTD = re.compile(rb"<!\s*(?:doctype|entity)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([^"]*)"')
# Cell references in one C-level findall; a Python loop per cell made the scan
# slower than calamine's whole read.
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4}[0-9]{1,8})"')
_VALUE_CELL_ROW = re.compile(rb'<c\b[^>]*?\br="[A-Z]{1,4}([0-9]{1,8})"[^>]*?(?<!/)>')
_ROW = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,8})"')
# A saved value is a non-empty <v>; openpyxl writes formulas with an empty <v />.
_FORMULA_WITH_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*<v\b[^>]*(?<!/)>\s*[^<\s]")
_DIGITS = b"0123456789"
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_TAG = 64 * 1024
_REF = re.compile(r"^\$?([A-Z]{1,4})\$?([0-9]{1,8})$")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HEADER_SCAN_ROWS = 500


@dataclass
class ExcelParsed:
    """What :func:`read_xlsx` found (becomes a :class:`rfm.RawTable`)."""

    frame: pl.DataFrame
    header_row: int
    rejected: pl.DataFrame
    blank_rows: int
    sheets: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Extent:
    first_row: int = 0  # first row with a value (calamine starts its range there)
    last_row: int = 0
    last_column: int = 0
    declared_rows: int = 0
    declared_columns: int = 0
    row_elements: int = 0
    formulas: int = 0
    formulas_with_values: int = 0


def column_number(letters: str) -> int:
    """1-based column number of Excel column letters.

    Examples
    --------
    >>> column_number("A"), column_number("AA"), column_number("XFD")
    (1, 27, 16384)
    """
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number


def _refuse(what: str, fix: str = "Save the sheet again from Excel, or export it as CSV.") -> None:
    msg = f"Expected an ordinary .xlsx workbook but {what}. {fix}"
    raise DataError(msg)


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        _refuse(
            f"the archive has {len(entries):,} entries (Limits.max_zip_entries is "
            f"{limits.max_zip_entries:,})"
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        _refuse(
            f"it expands to {human_size(total)} (Limits.max_uncompressed_bytes is "
            f"{human_size(limits.max_uncompressed_bytes)}); it may be a zip bomb",
            "Upload a smaller workbook or a CSV export.",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 2**20 and ratio > limits.max_compression_ratio:
            _refuse(
                f"its part {entry.filename!r} expands {ratio:,.0f}-fold (more than "
                f"Limits.max_compression_ratio = {limits.max_compression_ratio:,.0f}); "
                "it may be a zip bomb",
                "Upload a CSV export instead.",
            )
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        _refuse(
            "the zip archive has no xl/workbook.xml (it may be a .docx, .ods or plain zip)",
            "Upload an .xlsx workbook, a CSV or a Parquet file.",
        )


def _scan_part(archive: zipfile.ZipFile, name: str, extent: _Extent | None = None) -> bytes:
    """Stream one XML part: refuse DTDs, optionally measure the sheet extent.

    Returns the part's content when it is small (workbook and relationships),
    else ``b""``.
    """
    kept = bytearray()
    tail = b""
    first = True
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            if first:
                first = False
                if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or chunk[1:2] == b"\x00":
                    _refuse(f"its part {name!r} is not UTF-8 XML")
            window = tail + chunk
            if _DTD.search(window):
                _refuse(
                    f"its part {name!r} declares a DTD or entities (used for entity-"
                    "expansion and external-entity attacks; Excel never writes them)"
                )
            if extent is not None:
                _measure(window, tail, extent)
            # Carry the last tag into the next window so a tag cut by the chunk
            # boundary is seen whole; a tag longer than _MAX_TAG is not Excel's.
            last_tag = window.rfind(b"<")
            if last_tag >= 0 and len(window) - last_tag > _MAX_TAG:
                if window.find(b">", last_tag) < 0:
                    _refuse(f"its part {name!r} has an XML tag longer than 64 KiB")
                last_tag = -1
            tail = window[last_tag:] if last_tag >= 0 else b""
            if len(kept) < _CHUNK:
                kept += chunk
    return bytes(kept) if len(kept) < _CHUNK else b""


def _count_new(window: bytes, carried: bytes, needle: bytes) -> int:
    """Occurrences of ``needle`` not already counted in the carried bytes."""
    return window.count(needle) - carried.count(needle)


def _measure(window: bytes, carried: bytes, extent: _Extent) -> None:
    """Update the sheet extent from one window; ``carried`` ends the previous one."""
    if extent.declared_rows == 0 and (match := _DIMENSION.search(window)):
        ref = match.group(1).decode("ascii", "replace").split(":")[-1]
        if parsed := _REF.match(ref):
            extent.declared_columns = column_number(parsed.group(1))
            extent.declared_rows = int(parsed.group(2))
    refs = _CELL_REF.findall(window)
    if refs:
        letters = map(bytes.rstrip, refs, itertools.repeat(_DIGITS))
        # Column letters compare as base-36 numbers (A-Z are 10-35: longer is larger).
        widest = max(map(int, letters, itertools.repeat(36)))
        extent.last_column = max(extent.last_column, column_number(_base36(widest)))
        rows = map(int, map(bytes.lstrip, refs, itertools.repeat(_LETTERS)))
        extent.last_row = max(extent.last_row, max(rows))
    row_numbers = _ROW.findall(window)
    if row_numbers:
        extent.last_row = max(extent.last_row, max(map(int, row_numbers)))
    # Rows and cells may omit r= (then they are placed one after another): bound the
    # extent by counting the elements.
    extent.row_elements += _count_new(window, carried, b"<row")
    extent.last_row = max(extent.last_row, extent.row_elements)
    cells = sum(window.count(tag) for tag in (b"<c ", b"<c>", b"<c/"))
    if cells > len(refs) + 1:  # + 1: the window may end inside a cell's tag
        widest_row = max(
            sum(part.count(tag) for tag in (b"<c ", b"<c>", b"<c/"))
            for part in window.split(b"<row")
        )
        extent.last_column = max(extent.last_column, widest_row)
    if extent.first_row == 0 and (filled := _VALUE_CELL_ROW.findall(window)):
        extent.first_row = min(map(int, filled))  # rows come in order in a sheet
    formulas = _count_new(window, carried, b"<f>") + _count_new(window, carried, b"<f ")
    if formulas:
        extent.formulas += formulas
        extent.formulas_with_values += sum(
            1 for m in _FORMULA_WITH_VALUE.finditer(window) if m.end() > len(carried)
        )


def _base36(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rest] + digits
    return digits or "0"


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in workbook order."""
    try:
        workbook = ElementTree.fromstring(_scan_part(archive, "xl/workbook.xml"))
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = ElementTree.fromstring(_scan_part(archive, rels_name))
    except (ElementTree.ParseError, KeyError) as error:
        _refuse(f"its workbook structure cannot be read ({error})")
        raise AssertionError from None  # unreachable: _refuse raises
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")
    }
    sheets = []
    for node in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(node.get(f"{_REL_NS}id"), "")
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join("xl", target))
        sheets.append((node.get("name", ""), path))
    return sheets


def read_xlsx(
    data: bytes,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    limits: Limits,
) -> ExcelParsed:
    """Check an .xlsx archive, then read one sheet as text.

    Examples
    --------
    >>> import io, openpyxl
    >>> book = openpyxl.Workbook()
    >>> book.active.append(["id", "amount"]); book.active.append(["a", 1.5])
    >>> buffer = io.BytesIO(); book.save(buffer)
    >>> read_xlsx(buffer.getvalue(), limits=Limits()).frame.rows()
    [('a', '1.5')]
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        _refuse(f"the zip archive is damaged ({error})")
        raise AssertionError from None
    with archive:
        _check_archive(archive, limits)
        sheets = _sheet_parts(archive)
        names = tuple(name for name, _ in sheets)
        if not sheets:
            _refuse("the workbook lists no sheets")
        index = sheet_index(names, sheet)
        if sheets[index][1] not in archive.namelist():
            # The part calamine would read must be the one measured here.
            _refuse(f"sheet {names[index]!r} points to a missing part {sheets[index][1]!r}")
        extent = _Extent()
        try:
            for entry in archive.infolist():
                if entry.filename.endswith((".xml", ".rels", ".vml")):
                    is_sheet = entry.filename == sheets[index][1]
                    _scan_part(archive, entry.filename, extent if is_sheet else None)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
            _refuse(f"a part of the archive is damaged ({error})")
        _check_extent(extent, names[index], limits)
        _check_size(archive, extent, names[index], limits)
    frame = load_sheet(data, index)
    first_row = max(extent.first_row, 1)
    parsed = table_from_cells(frame, first_row, header_row, names, index)
    missing = extent.formulas - extent.formulas_with_values
    if missing > 0:
        parsed.warnings.append(
            f"{missing} formula cell(s) in sheet {names[index]!r} have no saved value (the "
            "workbook was written by a program that does not calculate formulas), so they "
            "read as empty. Open and save the file in Excel or LibreOffice first."
        )
    return parsed


def sheet_index(names: tuple[str, ...], sheet: str | int | None) -> int:
    if sheet is None:
        return 0
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        return sheet
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    msg = (
        f"Expected a sheet name or 0-based index among {list(names)} but got {sheet!r}. "
        "Pass sheet=<name>."
    )
    raise DataError(msg)


def _check_extent(extent: _Extent, sheet_name: str, limits: Limits) -> None:
    rows = max(extent.declared_rows, extent.last_row)
    columns = max(extent.declared_columns, extent.last_column)
    max_rows = min(limits.max_rows, EXCEL_MAX_ROWS)
    if rows > max_rows:
        _refuse(
            f"sheet {sheet_name!r} declares or uses {rows:,} rows (limit {max_rows:,}: "
            "Limits.max_rows, and Excel's own 1,048,576)",
            "Delete the stray cells far below the data, or export the sheet as CSV.",
        )
    if columns > limits.max_columns:
        _refuse(
            f"sheet {sheet_name!r} declares or uses {columns:,} columns (Limits.max_columns "
            f"is {limits.max_columns:,})",
            "Delete the stray cells far right of the data, or export the sheet as CSV.",
        )


# A sheet is loaded as a dense rectangle of calamine cells (32 bytes each), then
# converted to polars strings (a view per value, and the text).
_CELL_BYTES = 32 + TEXT_VALUE_BYTES


def _check_size(archive: zipfile.ZipFile, extent: _Extent, sheet_name: str, limits: Limits) -> None:
    rows = max(extent.declared_rows, extent.last_row)
    columns = max(extent.declared_columns, extent.last_column)
    text = sum(e.file_size for e in archive.infolist() if e.filename.endswith("sharedStrings.xml"))
    what = f"sheet {sheet_name!r} of {rows:,} rows x {columns:,} columns"
    check_table_size(rows * columns * _CELL_BYTES + text, what=what, limits=limits)


def load_sheet(data: bytes, index: int | str) -> pl.DataFrame:
    """One sheet (by 0-based index or name) as text cells, after the caller's checks."""
    import fastexcel  # imported here: only Excel input needs it

    try:
        reader = fastexcel.read_excel(data)
        loaded = reader.load_sheet(index, header_row=None, dtypes="string")
        frame = loaded.to_polars()
    except BaseException as error:  # calamine errors are untyped
        reraise_unless_library_error(error)
        msg = (
            f"The workbook cannot be read ({type(error).__name__}: {error}). "
            "Save it again from Excel, or export the sheet as CSV."
        )
        raise DataError(msg) from None
    return frame.select(pl.all().cast(pl.String).fill_null(""))


def table_from_cells(
    frame: pl.DataFrame,
    first_row: int,
    header_row: int | None,
    sheets: tuple[str, ...],
    index: int,
) -> ExcelParsed:
    warnings: list[str] = []
    if len(sheets) > 1:
        warnings.append(
            f"The workbook has {len(sheets)} sheets ({', '.join(sheets)}); read "
            f"{sheets[index]!r}. Pass sheet=... to read another."
        )
    rows = frame.head(_HEADER_SCAN_ROWS).rows()
    if header_row is not None:
        header = header_row - first_row
        if not 0 <= header < frame.height:
            msg = (
                f"Expected the header on row {header_row} of sheet {sheets[index]!r} but the "
                f"sheet's cells span rows {first_row} to {first_row + frame.height - 1}."
            )
            raise DataError(msg)
    else:
        header = _header_position(rows)
    if header > 0:
        warnings.append(
            f"Skipped {header} row(s) above the header on row {first_row + header} "
            "(titles or notes)."
        )
    raw_names = list(frame.row(header)) if frame.height else []
    names, name_warnings = unique_names([str(name) for name in raw_names])
    warnings.extend(name_warnings)
    body = frame.slice(header + 1)
    body.columns = names
    blank = pl.all_horizontal(pl.all().str.strip_chars() == "")
    blank_rows = int(body.select(blank.sum()).item()) if body.height else 0
    if blank_rows:
        body = body.filter(~blank)
    empty_unnamed = [
        name
        for name, raw in zip(names, raw_names, strict=True)
        if not str(raw).strip() and body.select((pl.col(name) == "").all()).item()
    ]
    if empty_unnamed and len(empty_unnamed) < len(names):
        body = body.drop(empty_unnamed)
        warnings.append(f"Dropped {len(empty_unnamed)} empty column(s) without a name.")
    return ExcelParsed(
        frame=body,
        header_row=first_row + header,
        rejected=pl.DataFrame(schema={"line": pl.Int64, "reason": pl.String, "text": pl.String}),
        blank_rows=blank_rows,
        sheets=sheets,
        warnings=warnings,
    )


def _header_position(rows: list[tuple[str, ...]]) -> int:
    filled = [sum(1 for value in row if value.strip()) for row in rows]
    if not filled or max(filled) == 0:
        return 0
    needed = max(1, -(-max(filled) // 2))
    return next(i for i, n in enumerate(filled) if n >= needed)
