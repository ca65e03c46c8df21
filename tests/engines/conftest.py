"""Engine fixtures: one DuckDB connection per test, one local SparkSession per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def duckdb_con() -> Iterator[Any]:
    duckdb = pytest.importorskip(
        "duckdb", reason="duckdb is not installed: pip install 'rfm-studio[duckdb]'"
    )
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip(
        "pyspark", reason="pyspark is not installed: pip install 'rfm-studio[spark]'"
    )
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java 17 runtime: apt-get install openjdk-17-jre-headless")
    from pyspark.sql import SparkSession

    # One core, one shuffle partition, no UI: the test data is tiny and start-up
    # and per-stage overheads dominate. UTC so that timestamps and their calendar
    # days round-trip unchanged between polars and Spark.
    session = (
        SparkSession.builder.master("local[1]")
        .appName("rfm-engine-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
