"""read_table on .xlsx: BAD_INPUTS 22 (hostile workbooks) and 23 (formulas), sheets, headers.

Workbooks are written by hand (a few XML parts in a zip) so each test controls
exactly what calamine would see; a hostile one that slipped through the checks
would abort the test process, which is the failure this file guards against.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import pytest

from rfm import DataError, Limits, read_table
from rfm.io.excel import column_number

Cell = str | float | int | tuple[str, float | str] | None

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{overrides}</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def cell_xml(ref: str, value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):  # (formula, cached value)
        formula, cached = value
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str"><f>{escape(formula)}</f><v>{escape(cached)}</v></c>'
        return f'<c r="{ref}"><f>{escape(formula)}</f><v>{cached}</v></c>'
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def sheet_xml(
    rows: list[list[Cell]], *, dimension: str | None = "auto", prolog: str = "", extra: str = ""
) -> str:
    body = []
    for r, values in enumerate(rows, start=1):
        cells = "".join(cell_xml(f"{letters(c)}{r}", v) for c, v in enumerate(values, start=1))
        body.append(f'<row r="{r}">{cells}</row>')
    if dimension == "auto":
        width = max((len(row) for row in rows), default=1)
        dimension = f"A1:{letters(width)}{max(len(rows), 1)}"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(body)}{extra}</sheetData></worksheet>"
    )


def build_xlsx(sheets: dict[str, str], *, extra_parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid .xlsx with the given sheet XML parts, in order."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(sheets, start=1)
        )
        + "</sheets></workbook>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides=overrides))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


ORDERS = [["id", "date", "amount"], ["a", "2024-01-02", 1.5], ["b", "2024-01-03", 2]]


def test_hand_built_workbook_reads_as_text():
    table = read_table(build_xlsx({"Orders": sheet_xml(ORDERS)}))
    assert table.source_format == "excel"
    assert table.sheets == ("Orders",)
    assert table.frame.columns == ["id", "date", "amount"]
    assert table.frame.rows() == [("a", "2024-01-02", "1.5"), ("b", "2024-01-03", "2")]
    assert table.header_row == 1


def test_openpyxl_workbook_from_a_path(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Customer", "Amount"])
    sheet.append(["José", 12.5])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.frame.rows() == [("José", "12.5")]


def test_case23_formula_cells_read_as_their_cached_values():
    rows: list[list[Cell]] = [
        ["qty", "price", "total", "label"],
        [2, 3.5, ("A2*B2", 7), ('UPPER("ok")', "OK")],
        [1, 4, ("A3*B3", 4), ("CONCAT(A3,B3)", "14")],
    ]
    table = read_table(build_xlsx({"Sheet1": sheet_xml(rows)}))
    assert table.frame.get_column("total").to_list() == ["7", "4"]
    assert table.frame.get_column("label").to_list() == ["OK", "14"]


def test_sheets_are_listed_and_one_can_be_chosen():
    data = build_xlsx(
        {
            "Notes": sheet_xml([["read me"]]),
            "Orders": sheet_xml(ORDERS),
        }
    )
    with pytest.raises(DataError, match=r"sheets \['Notes', 'Orders'\]; pass sheet="):
        read_table(data)  # the first sheet holds a note, not a table
    by_name = read_table(data, sheet="Orders")
    by_index = read_table(data, sheet=1)
    assert by_name.frame.equals(by_index.frame)
    assert by_name.frame.height == 2
    assert by_name.sheets == ("Notes", "Orders")
    assert any("2 sheets" in w for w in by_name.warnings)
    with pytest.raises(DataError, match=r"sheet name.*\['Notes', 'Orders'\].*'Sales'"):
        read_table(data, sheet="Sales")


def test_title_rows_blank_rows_and_duplicate_names_in_a_sheet():
    rows: list[list[Cell]] = [
        ["Monthly export", None, None],
        [None, None, None],
        ["id", "amount", "amount"],
        ["a", 1, 2],
        [None, None, None],
        ["b", 3, 4],
    ]
    table = read_table(build_xlsx({"S": sheet_xml(rows)}))
    assert table.header_row == 3
    assert table.frame.columns == ["id", "amount", "amount_2"]
    assert table.frame.rows() == [("a", "1", "2"), ("b", "3", "4")]
    assert table.blank_rows == 1
    assert any("above the header" in w for w in table.warnings)


def test_header_only_sheet_is_a_clear_error():
    with pytest.raises(DataError, match="header only"):
        read_table(build_xlsx({"S": sheet_xml([["id", "amount"]])}))


# --- case 22: hostile workbooks are refused before calamine sees them -----------------------


def test_case22_cell_at_xfd1048576_in_a_tiny_file_is_refused():
    rows: list[list[Cell]] = [["id", "amount"], ["a", 1]]
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    data = build_xlsx({"S": sheet_xml(rows, dimension="A1:XFD1048576", extra=far)})
    assert len(data) < 2048
    with pytest.raises(DataError, match="16,384 columns"):
        read_table(data)


def test_case22_far_cell_is_found_even_when_the_dimension_lies_or_is_missing():
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    for dimension in ("A1:B2", None):
        data = build_xlsx({"S": sheet_xml(ORDERS, dimension=dimension, extra=far)})
        with pytest.raises(DataError, match="columns"):
            read_table(data)


def test_case22_more_rows_than_excel_allows_is_refused():
    far = '<row r="2000000"><c r="A2000000"><v>1</v></c></row>'
    data = build_xlsx({"S": sheet_xml(ORDERS, dimension="A1:C2000000", extra=far)})
    with pytest.raises(DataError, match=r"2,000,000 rows.*1,048,576"):
        read_table(data)


def test_case22_declared_rows_over_the_limit_are_refused():
    data = build_xlsx({"S": sheet_xml(ORDERS, dimension="A1:C900000")})
    with pytest.raises(DataError, match="900,000 rows"):
        read_table(data, limits=Limits(max_rows=1000))


def test_case22_zip_bomb_is_refused_from_the_archive_directory():
    bomb = b"<x/>" + b" " * (40 * 2**20)  # 40 MiB of spaces deflates ~1000-fold
    data = build_xlsx({"S": sheet_xml(ORDERS)}, extra_parts={"xl/media/pad.xml": bomb})
    assert len(data) < 200_000
    with pytest.raises(DataError, match="zip bomb"):
        read_table(data)


def test_case22_total_uncompressed_size_limit():
    data = build_xlsx({"S": sheet_xml(ORDERS)})
    with pytest.raises(DataError, match="max_uncompressed_bytes"):
        read_table(data, limits=Limits(max_uncompressed_bytes=500))


def test_case22_too_many_archive_entries():
    parts = {f"xl/media/p{i}.xml": b"<x/>" for i in range(30)}
    data = build_xlsx({"S": sheet_xml(ORDERS)}, extra_parts=parts)
    with pytest.raises(DataError, match="entries"):
        read_table(data, limits=Limits(max_zip_entries=20))


def test_case22_entity_expansion_is_refused():
    prolog = (
        '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    )
    rows: list[list[Cell]] = [["id"], ["&lol2;"]]
    xml = sheet_xml(rows, prolog=prolog).replace("&amp;lol2;", "&lol2;")
    with pytest.raises(DataError, match="DTD or entities"):
        read_table(build_xlsx({"S": xml}))


def test_case22_external_entity_is_refused_in_any_part():
    evil = (
        '<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&xxe;</t></si></sst>'
    )
    data = build_xlsx({"S": sheet_xml(ORDERS)}, extra_parts={"xl/sharedStrings.xml": evil.encode()})
    with pytest.raises(DataError, match="sharedStrings.xml.*DTD"):
        read_table(data)


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(DataError, match=r"no xl/workbook.xml"):
        read_table(buffer.getvalue())


def test_truncated_zip_is_a_data_error():
    data = build_xlsx({"S": sheet_xml(ORDERS)})
    with pytest.raises(DataError, match="damaged"):
        read_table(data[: len(data) // 2])


def test_column_letters():
    assert [column_number(letters(n)) for n in (1, 26, 27, 702, 703, 16384)] == [
        1,
        26,
        27,
        702,
        703,
        16384,
    ]


def test_case22_far_cell_whose_tag_straddles_a_read_chunk_is_found():
    head = sheet_xml(ORDERS, dimension="A1:C3")
    cut = head.index("</sheetData>")
    prefix = head[:cut]
    # Pad so the far cell's tag starts 5 bytes before the 1 MiB read boundary; its row
    # (1,048,576) is allowed, so only the column gives it away.
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    padding = " " * (2**20 - 5 - len(prefix.encode()) - far.index("<c "))
    xml = prefix + padding + far + head[cut:]
    assert xml.encode().index(b'<c r="XFD') == 2**20 - 5
    with pytest.raises(DataError, match="columns"):  # padding is compressible: allow it
        read_table(build_xlsx({"S": xml}), limits=Limits(max_compression_ratio=1e6))


def test_formulas_without_saved_values_are_reported_not_silently_empty():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["qty", "price", "total"])
    sheet.append([2, 3.5, "=A2*B2"])
    buffer = io.BytesIO()
    book.save(buffer)  # openpyxl stores the formula but never calculates it
    table = read_table(buffer.getvalue())
    assert any("1 formula cell(s)" in w and "no saved value" in w for w in table.warnings)


def test_formulas_with_saved_values_give_no_warning():
    rows: list[list[Cell]] = [["total"], [("1+1", 2)], [("2+2", 4)]]
    table = read_table(build_xlsx({"S": sheet_xml(rows)}))
    assert table.frame.get_column("total").to_list() == ["2", "4"]
    assert not any("formula" in w for w in table.warnings)


def test_case22_cells_without_references_are_counted_by_position():
    # Cells may omit r= and are then placed one after another: 20,000 of them in
    # one row reach column 20,000 although no reference says so.
    wide = "<row>" + "<c><v>1</v></c>" * 20_000 + "</row>"
    data = build_xlsx({"S": sheet_xml(ORDERS, dimension=None, extra=wide)})
    with pytest.raises(DataError, match="20,000 columns"):
        read_table(data, limits=Limits(max_compression_ratio=1e6))


def test_case22_rows_without_references_are_counted_by_position():
    rows = "<row><c><v>1</v></c></row>" * 3_000
    data = build_xlsx({"S": sheet_xml(ORDERS, dimension=None, extra=rows)})
    with pytest.raises(DataError, match="3,003 rows"):
        read_table(data, limits=Limits(max_rows=2_000, max_compression_ratio=1e6))


def test_explicit_header_row_counts_sheet_rows():
    rows: list[list[Cell]] = [["Monthly export", None], [None, None], ["id", "amount"], ["a", 1]]
    data = build_xlsx({"S": sheet_xml(rows)})
    table = read_table(data, header_row=3)
    assert table.frame.rows() == [("a", "1")]
    assert table.header_row == 3
    with pytest.raises(DataError, match="row 9 of sheet 'S'"):
        read_table(data, header_row=9)


def test_sheet_pointing_outside_the_archive_is_refused():
    data = build_xlsx({"S": sheet_xml(ORDERS)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"worksheets/sheet1.xml", b"../../etc/sheet.xml")
            target.writestr(item, content)
    with pytest.raises(DataError, match="missing part"):
        read_table(buffer.getvalue())
