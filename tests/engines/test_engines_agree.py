"""Polars eager, polars streaming, DuckDB and PySpark give the same customer summary.

Every engine is checked against a plain-Python reference of the definition and
against polars eager: exact for ids, counts and dates, 1e-9 relative for sums.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from tests.engines.vectors import VECTORS, Vector, reference_summary

FLOATS = ("monetary", "avg_order_value", "avg_repeat_value", "quantity")


def _assert_matches_reference(got: pl.DataFrame, vector: Vector) -> None:
    want = reference_summary(vector.frame, vector.as_of)
    assert got["customer_id"].to_list() == sorted(want)
    for row in got.iter_rows(named=True):
        expected = want[row["customer_id"]]
        assert set(row) - {"customer_id"} == set(expected), vector.name
        for key, value in expected.items():
            if key in FLOATS and value is not None:
                # Sums in another order differ in the last bits; net zero may be 1e-15.
                assert math.isclose(row[key], value, rel_tol=1e-9, abs_tol=1e-9), (
                    vector.name,
                    row["customer_id"],
                    key,
                    row[key],
                    value,
                )
            else:
                assert row[key] == value, (vector.name, row["customer_id"], key)


def _assert_same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    exact = [c for c in want.columns if c not in FLOATS]
    assert got.schema == want.schema
    assert_frame_equal(got.select(exact), want.select(exact), check_exact=True)
    floats = [c for c in want.columns if c in FLOATS]
    assert_frame_equal(
        got.select(floats), want.select(floats), check_exact=False, rel_tol=1e-9, abs_tol=1e-9
    )


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_polars_eager_matches_reference(vector: Vector) -> None:
    _assert_matches_reference(rfm.summarize(vector.frame, as_of=vector.as_of), vector)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_polars_streaming_matches_eager(vector: Vector) -> None:
    lazy = rfm.summarize(vector.frame.lazy(), as_of=vector.as_of)
    got = lazy.collect(engine="streaming")
    _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))
    _assert_matches_reference(got, vector)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_duckdb_matches_eager(vector: Vector, duckdb_con: Any) -> None:
    relation = duckdb_con.from_arrow(vector.frame.to_arrow())
    got = rfm.summarize(relation, as_of=vector.as_of)
    assert isinstance(got, pl.DataFrame)
    _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))
    _assert_matches_reference(got, vector)


def test_duckdb_over_parquet(tmp_path: Any, duckdb_con: Any) -> None:
    vector = VECTORS[-1]
    path = tmp_path / "tx.parquet"
    vector.frame.write_parquet(path)
    got = rfm.summarize(duckdb_con.read_parquet(str(path)), as_of=vector.as_of)
    _assert_same(got, rfm.summarize(pl.scan_parquet(path), as_of=vector.as_of).collect())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_matches_eager(spark: Any) -> None:
    # One test for every vector, so that under pytest-xdist a single worker starts Spark.
    for vector in VECTORS:
        frame = spark.createDataFrame(vector.frame.to_arrow())
        got = rfm.summarize(frame, as_of=vector.as_of)
        assert isinstance(got, pl.DataFrame)
        _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))
        _assert_matches_reference(got, vector)


def test_engine_errors_are_data_errors(duckdb_con: Any) -> None:
    relation = duckdb_con.sql(
        "select 'a' as customer_id, '2024-01-01' as order_date, 1.0 as amount"
    )
    with pytest.raises(rfm.DataError, match="order_date must be a date or datetime column"):
        rfm.summarize(relation)
    with pytest.raises(rfm.DataError, match="Missing: amount"):
        rfm.summarize(duckdb_con.sql("select 'a' as customer_id, date '2024-01-01' as order_date"))


def test_unsupported_input_says_what_is_accepted() -> None:
    with pytest.raises(rfm.DataError, match="summarize takes a polars DataFrame or LazyFrame"):
        rfm.summarize([("a", "2024-01-01", 1.0)])


def test_missing_pyarrow_names_the_extra(duckdb_con: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    relation = duckdb_con.from_arrow(VECTORS[0].frame.to_arrow())
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    with pytest.raises(ImportError, match=r"pip install 'rfm-studio\[duckdb\]'"):
        rfm.summarize(relation)


def test_engines_are_not_imported_with_rfm() -> None:
    code = "import sys, rfm; print(sorted({'duckdb', 'pyspark'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
