"""Hostile Parquet files are refused with DataError, never by aborting (issue 15, item 2).

The three files of the issue, each a few hundred kilobytes, each growing past 9 GB
once read: 200M rows whose footer claims 100; 5M rows x 300 constant columns; 5M
rows of one 1 KB string. Each is read in a child process under a 4 GiB
address-space cap, as on a small server: without the checks the child dies
(SIGABRT, "memory allocation of N bytes failed"); with them it raises DataError.
"""

from __future__ import annotations

import io
import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfm import DataError, Limits, read_table, read_transactions
from rfm.io.parquet import check_layout, read_layout
from tests.io.parquet_craft import rewrite_footer

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy")

_CAP = 4 * 2**30
_ROOT = Path(__file__).resolve().parents[2]


def _read_in_capped_child(cases: list[tuple[str, Path]]) -> subprocess.CompletedProcess:
    """Read each (reader, path) in one child under the cap (one import of rfm for all).

    Prints one line per case: ``DataError: <message>`` or ``read``. A child that
    aborts stops printing, and its return code is negative.
    """

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (_CAP, _CAP))

    code = textwrap.dedent(f"""
        import rfm
        for reader, path in {[(r, str(p)) for r, p in cases]!r}:
            try:
                getattr(rfm, reader)(path)
            except rfm.DataError as error:
                print("DataError:", " ".join(str(error).split()), flush=True)
            else:
                print("read", flush=True)
    """)
    return subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        cwd=_ROOT,
        timeout=300,
        check=False,
    )


def _rows_footer_lies(path: Path) -> Path:
    # One real row group of 10M null ids, listed 20 times: 200M rows; the file says 100.
    table = pa.table({"c000": pa.nulls(10_000_000, pa.string())})
    pq.write_table(table, path, store_schema=False, row_group_size=10_000_000)
    rewrite_footer(path, copies_of_row_group=20, declared_rows=100)
    return path


def _wide_constant(path: Path) -> Path:
    # One real column chunk of 5M zeros, listed as 300 columns.
    table = pa.table({"c000": pa.array(np.zeros(5_000_000, dtype=np.int8))})
    pq.write_table(table, path, store_schema=False, row_group_size=5_000_000)
    rewrite_footer(path, copies_of_column=300)
    return path


def _long_string(path: Path) -> Path:
    # A transaction log whose customer id is one 1 KB string, dictionary-encoded:
    # 1M rows written, the row group listed 5 times. Its ids are trimmed, hashed and
    # compared once read, each a 1 KB copy.
    n = 1_000_000
    zeros = pa.array(np.zeros(n, dtype=np.int32))
    table = pa.table(
        {
            "customer_id": pa.DictionaryArray.from_arrays(zeros, pa.array(["x" * 1024])),
            "order_date": pa.DictionaryArray.from_arrays(zeros, pa.array(["2024-01-02"])),
            "amount": pa.DictionaryArray.from_arrays(zeros, pa.array(["9.99"])),
        }
    )
    pq.write_table(table, path, store_schema=False, row_group_size=n)
    rewrite_footer(path, copies_of_row_group=5)
    return path


def test_crafted_files_are_what_the_issue_describes(tmp_path):
    rows = _rows_footer_lies(tmp_path / "rows.parquet")
    wide = _wide_constant(tmp_path / "wide.parquet")
    text = _long_string(tmp_path / "text.parquet")
    for path in (rows, wide, text):
        assert path.stat().st_size < 7 * 2**20
    # polars counts the footer's 100 rows; pyarrow, reading the footer on its own,
    # finds 20 row groups of 10M rows.
    assert pl.scan_parquet(rows).select(pl.len()).collect().item() == 100
    meta = pq.ParquetFile(rows).metadata
    assert meta.num_rows == 100
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [10**7] * 20
    # Within the default row and column limits, so only the size checks stop them.
    limits = Limits()
    assert pl.scan_parquet(wide).head(2).collect().shape == (2, 300)
    assert pl.scan_parquet(wide).select(pl.len()).collect().item() == 5_000_000 <= limits.max_rows
    meta = pq.ParquetFile(text).metadata
    assert meta.num_rows == 5_000_000
    assert meta.row_group(0).column(0).total_uncompressed_size < 2**20
    assert read_layout(text.read_bytes()).row_groups == (10**6,) * 5
    last = pl.scan_parquet(text).slice(4_999_999, 1).collect()
    assert last.row(0) == ("x" * 1024, "2024-01-02", "9.99")


_EXPECTED = {
    "rows-footer-lies": (
        _rows_footer_lies,
        r"declares 100 rows but its row groups hold 200,000,000",
    ),
    "wide-constant": (_wide_constant, r"Limits.max_table_bytes.*5,000,000 rows x 300 columns"),
    "long-string": (_long_string, r"Limits.max_table_bytes.*of its 5,000,000 rows"),
}


def test_crafted_parquet_raises_data_error_under_a_memory_cap(tmp_path):
    cases, patterns = [], []
    for name, (craft, expected) in _EXPECTED.items():
        path = craft(tmp_path / f"{name}.parquet")
        for reader in ("read_table", "read_transactions"):
            cases.append((reader, path))
            patterns.append(expected)
    normal = tmp_path / "orders.parquet"
    n = 200_000
    pl.DataFrame(
        {
            "CustomerID": [f"C{i % 5000}" for i in range(n)],
            "InvoiceDate": [f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
            "Amount": [float(i % 97) + 0.5 for i in range(n)],
        }
    ).write_parquet(normal)
    cases += [("read_table", normal), ("read_transactions", normal)]
    done = _read_in_capped_child(cases)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, (done.returncode, lines, done.stderr[-2000:])
    assert len(lines) == len(cases), (lines, done.stderr[-2000:])
    for (reader, path), line, expected in zip(cases, lines, patterns, strict=False):
        assert line.startswith("DataError:"), (reader, path.name, line)
        assert re.search(expected, line), (reader, path.name, line)
    # A normal Parquet file still reads, under the same cap.
    assert lines[-2:] == ["read", "read"], lines[-2:]


def test_normal_parquet_reads_the_same_in_slices():
    # The slices are measured and joined: the table is the file, row for row.
    frame = pl.DataFrame(
        {"id": [f"c{i}" for i in range(30_000)], "n": list(range(30_000)), "x": [0.5] * 30_000}
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer, row_group_size=7_000)
    small = Limits(max_table_bytes=30_000 * 150)  # slices of about 5,000 rows
    table = read_table(buffer.getvalue(), limits=small)
    assert table.frame.rows() == frame.select(pl.all().cast(pl.String)).rows()


def test_strings_that_grow_once_read_are_measured_while_reading():
    # 30,000 rows of one dictionary-encoded 200-byte string: the metadata projects
    # about 1 MB, the text takes 30,000 x (200 + 16) = 6.5 MB.
    column = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(30_000, dtype=np.int32)), pa.array(["y" * 200])
    )
    buffer = io.BytesIO()
    pq.write_table(pa.table({"note": column}), buffer)
    data = buffer.getvalue()
    assert read_layout(data).projected_bytes() < 3 * 2**20
    with pytest.raises(DataError, match=r"max_table_bytes.*the first [\d,]+ of its 30,000 rows"):
        read_table(data, limits=Limits(max_table_bytes=3 * 2**20))
    assert read_table(data, limits=Limits(max_table_bytes=7 * 2**20)).frame.height == 30_000


def test_parquet_transactions_still_read():
    frame = pl.DataFrame(
        {"customer": ["a", "b", "a"], "date": ["2024-01-02"] * 3, "amount": [1.0, 2.0, 3.5]}
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    result = read_transactions(buffer.getvalue())
    assert result.transactions["amount"].to_list() == [1.0, 2.0, 3.5]
    assert result.report.reconciles()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-1],  # no closing marker
        lambda d: d[:-8] + (10**9).to_bytes(4, "little") + b"PAR1",  # footer longer than file
        lambda d: d[:-12] + b"\xff\xff\xff\xff" + d[-8:],  # garbage in the footer
    ],
    ids=["truncated", "footer-length", "garbage"],
)
def test_damaged_footers_are_data_errors(damage):
    buffer = io.BytesIO()
    pl.DataFrame({"id": ["a", "b"]}).write_parquet(buffer)
    with pytest.raises(DataError, match="Parquet"):
        read_table(damage(buffer.getvalue()))


def _small_parquet() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"id": ["a", "b", None], "n": [1, 2, 3], "x": [0.5, None, 2.0]}).write_parquet(
        buffer, statistics=True
    )
    return buffer.getvalue()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_damaged_footer_is_a_data_error_or_a_layout(data):
    # Overwrite a few footer bytes at random: decoding either gives a layout or
    # raises DataError, never IndexError, RecursionError, MemoryError or a hang.
    raw = bytearray(_SMALL)
    length = int.from_bytes(raw[-8:-4], "little")
    start = len(raw) - 8 - length
    for _ in range(data.draw(st.integers(1, 6))):
        where = data.draw(st.integers(start, len(raw) - 9))
        raw[where] = data.draw(st.integers(0, 255))
    try:
        layout = read_layout(bytes(raw))
    except DataError:
        return
    try:
        check_layout(layout, Limits())
    except DataError:
        return


def test_a_footer_too_large_to_decode_quickly_is_refused():
    data = _SMALL[:-8] + (9 * 2**20).to_bytes(4, "little") + b"PAR1"
    padded = b"PAR1" + b"\x00" * (9 * 2**20) + data[4:]
    with pytest.raises(DataError, match="footer of at most 8 MiB"):
        read_layout(padded)


_SMALL = _small_parquet()


def test_the_same_lines_project_alike_as_csv_and_parquet():
    # A CSV's projection is its bytes plus a 16-byte view per value (rfm.io.delimited).
    # The same lines as typed Parquet project no more than that -- it counted each
    # value's native bytes too, so a 1M-line file was refused as Parquet (580 MiB) and
    # accepted as CSV (421 MiB) -- and no less than half of the text table they read to.
    from rfm.datasets import simulate
    from rfm_app.frame_cache import frame_bytes

    lines = simulate(2_000, random_state=3)
    csv = lines.write_csv().encode()
    buffer = io.BytesIO()
    lines.write_parquet(buffer)
    parquet = buffer.getvalue()
    csv_projection = len(csv) + (csv.count(b"\n") - 1) * lines.width * 16
    text_table = frame_bytes(read_table(csv).frame)
    assert text_table <= csv_projection

    assert read_table(parquet, limits=Limits(max_table_bytes=csv_projection)).frame.height == (
        lines.height
    )
    with pytest.raises(DataError, match="max_table_bytes"):
        read_table(parquet, limits=Limits(max_table_bytes=text_table // 2))
    with pytest.raises(DataError, match="max_table_bytes"):
        check_layout(read_layout(parquet), Limits(max_table_bytes=text_table // 2))
