"""Configured sources: the spec from secrets.toml, file globs and DuckDB databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from tests.engines.vectors import VECTORS

RANDOM = next(v for v in VECTORS if v.name == "random")
FLAGS = next(v for v in VECTORS if v.name == "flags-and-nulls")


def _halves(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    middle = frame.height // 2
    return frame.head(middle), frame.slice(middle)


# --- the spec ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"kind": "mysql", "url": "x", "query": "q"},
            "kind must be one of file, duckdb, postgresql",
        ),
        ({}, "needs kind = one of"),
        ({"kind": "duckdb", "path": "a.duckdb"}, "needs path and query.*Missing: query"),
        ({"kind": "postgresql", "query": "select 1"}, "needs url and query.*Missing: url"),
        ({"kind": "file", "path": "x.csv", "query": "q"}, "remove query"),
        ({"kind": "file", "path": 3}, "path must be text"),
        (
            {"kind": "file", "path": "x.csv", "table": "t"},
            r"Unknown key\(s\) in \[rfm_source\]: table",
        ),
        ({"kind": "file", "path": "x.csv", "columns": {"client": "c"}}, "client is not one"),
        ({"kind": "file", "path": "x.csv", "columns": ["customer_id"]}, "columns must be a table"),
        (
            {"kind": "postgresql", "url": "mysql://u:pw@h/db", "query": "q"},
            "starting with postgresql://",
        ),
    ],
)
def test_spec_errors_say_what_to_write(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(rfm.DataError, match=message) as caught:
        rfm.SourceSpec.from_mapping(mapping)
    assert "pw" not in str(caught.value)


def test_spec_keeps_credentials_out_of_repr_and_description() -> None:
    spec = rfm.SourceSpec.from_mapping(
        {
            "kind": "postgresql",
            "url": "postgresql://ana:t0p-s3cret@db.internal:5432/shop",
            "query": "select * from sales",
            "columns": {"customer_id": "client"},
        }
    )
    for text in (repr(spec), str(spec), spec.describe()):
        assert "t0p-s3cret" not in text
        assert "ana" not in text.replace("analys", "")
    assert spec.describe() == "PostgreSQL database shop on db.internal"
    assert spec.column_mapping == {"customer_id": "client"}


def test_import_rfm_loads_no_driver() -> None:
    code = (
        "import sys, rfm; "
        "print(sorted(m for m in ('duckdb', 'psycopg', 'sqlframe', 'sqlglot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- files -------------------------------------------------------------------------


def test_parquet_glob_reads_every_file(tmp_path: Path) -> None:
    first, second = _halves(RANDOM.frame)
    first.write_parquet(tmp_path / "sales-2022a.parquet")
    second.write_parquet(tmp_path / "sales-2022b.parquet")
    (tmp_path / "notes.txt").write_text("not matched by the glob")
    spec = rfm.SourceSpec(kind="file", path=str(tmp_path / "sales-*.parquet"))
    assert_frame_equal(rfm.read_source(spec), RANDOM.frame)
    got = rfm.summarize_source(spec, as_of=RANDOM.as_of)
    assert_frame_equal(got, rfm.summarize(RANDOM.frame, as_of=RANDOM.as_of))


def test_parquet_source_with_renamed_columns(tmp_path: Path) -> None:
    renamed = FLAGS.frame.rename({"customer_id": "client", "amount": "net"})
    renamed.write_parquet(tmp_path / "tx.parquet")
    spec = rfm.SourceSpec.from_mapping(
        {
            "kind": "file",
            "path": str(tmp_path / "tx.parquet"),
            "columns": {"customer_id": "client", "amount": "net"},
        }
    )
    got = rfm.summarize_source(spec)
    assert_frame_equal(got, rfm.summarize(FLAGS.frame))


def test_csv_glob_goes_through_the_reader(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Customer ID,Invoice Date,Sales\nc1,2024-01-02,10.50\n")
    (tmp_path / "b.csv").write_text('Customer ID,Invoice Date,Sales\nc2,2024-01-03,"1,200.00"\n')
    spec = rfm.SourceSpec(kind="file", path=str(tmp_path / "*.csv"))
    raw = rfm.read_source(spec)
    assert raw.rows() == [("c1", "2024-01-02", "10.50"), ("c2", "2024-01-03", "1,200.00")]
    summary = rfm.summarize_source(spec, as_of="2024-01-31")
    assert summary.select("customer_id", "monetary", "recency_days").rows() == [
        ("c1", 10.5, 29),
        ("c2", 1200.0, 28),
    ]


def test_file_source_errors(tmp_path: Path) -> None:
    with pytest.raises(rfm.DataError, match="No file matches"):
        rfm.read_source(rfm.SourceSpec(kind="file", path=str(tmp_path / "*.parquet")))
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "one.parquet")
    pl.DataFrame({"b": [1]}).write_parquet(tmp_path / "two.parquet")
    with pytest.raises(rfm.DataError, match="disagree on their columns"):
        rfm.read_source(rfm.SourceSpec(kind="file", path=str(tmp_path / "*.parquet")))
    (tmp_path / "three.csv").write_text("a\n1\n")
    with pytest.raises(rfm.DataError, match="one kind at a time"):
        rfm.read_source(rfm.SourceSpec(kind="file", path=str(tmp_path / "*")))
    RANDOM.frame.write_parquet(tmp_path / "big.parquet")
    with pytest.raises(rfm.DataError, match=r"more than 100 rows.*Use summarize_source"):
        rfm.read_source(
            rfm.SourceSpec(kind="file", path=str(tmp_path / "big.parquet")),
            limits=rfm.Limits(max_rows=100),
        )


# --- DuckDB ------------------------------------------------------------------------


@pytest.fixture
def sales_db(tmp_path: Path) -> Path:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "sales.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("frame", RANDOM.frame.to_arrow())
        con.execute("create table sales as select * from frame")
        con.execute("create table stores as select 1 as store_id")
    return path


def test_duckdb_query_is_read_and_summarized_in_place(sales_db: Path) -> None:
    query = "select * from sales where amount > 0 order by order_date, order_id, amount"
    spec = rfm.SourceSpec.from_mapping({"kind": "duckdb", "path": str(sales_db), "query": query})
    want = RANDOM.frame.filter(pl.col("amount") > 0).sort("order_date", "order_id", "amount")
    assert_frame_equal(rfm.read_source(spec), want)
    got = rfm.summarize_source(spec, as_of=RANDOM.as_of)
    want_summary = rfm.summarize(want, as_of=RANDOM.as_of)
    assert_frame_equal(got, want_summary, check_exact=False, rel_tol=1e-9)


def test_duckdb_errors_name_what_to_check(sales_db: Path) -> None:
    missing = rfm.SourceSpec(kind="duckdb", path=str(sales_db), query="select * from nope")
    with pytest.raises(rfm.DataError, match=r"does not exist \(CatalogException\)") as caught:
        rfm.read_source(missing)
    assert "nope" not in str(caught.value)
    assert caught.value.__context__ is None
    writes = rfm.SourceSpec(kind="duckdb", path=str(sales_db), query="drop table stores")
    with pytest.raises(rfm.DataError, match="not one SELECT"):
        rfm.read_source(writes)
    unnamed = rfm.SourceSpec(kind="duckdb", path=str(sales_db), query="select * from stores")
    with pytest.raises(rfm.DataError, match="Missing: customer_id, order_date, amount"):
        rfm.summarize_source(unnamed)
    absent = rfm.SourceSpec(kind="duckdb", path=str(sales_db.with_name("x.duckdb")), query="q")
    with pytest.raises(rfm.DataError, match="does not exist"):
        rfm.read_source(absent)
    import duckdb

    with duckdb.connect(str(sales_db), read_only=True) as con:
        assert con.execute("select count(*) from stores").fetchone() == (1,)


def test_readme_source_examples_are_valid() -> None:
    import re
    import tomllib

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Team data sources", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL)
    kinds = []
    for block in blocks:
        spec = rfm.SourceSpec.from_mapping(tomllib.loads(block)["rfm_source"])
        kinds.append(spec.kind)
        assert "change-me" not in spec.describe()
    assert kinds == ["file", "duckdb", "postgresql"]
