"""read_transactions on the real CDNOW files (sample_data/cdnow), checked against pandas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import rfm

CDNOW = Path(__file__).parents[2] / "sample_data" / "cdnow"


@pytest.fixture(scope="module")
def master() -> rfm.ReadResult:
    return rfm.read_transactions(CDNOW / "CDNOW_master.txt", drop_duplicates=False)


def test_master_columns_and_format_are_detected(master: rfm.ReadResult) -> None:
    assert dict(master.report.columns) == {
        "customer_id": "customer_id",
        "order_date": "date",
        "amount": "dollar_value",
        "quantity": "number_of_cds",
    }
    assert master.report.date_format == "%Y%m%d"
    assert master.report.delimiter == " "


def test_master_matches_a_pandas_whitespace_read(master: rfm.ReadResult) -> None:
    oracle = pd.read_csv(CDNOW / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    tx = master.transactions
    assert master.report.rows_read == len(oracle) == 69_659
    assert master.report.rows_kept == len(oracle)
    assert master.report.reconciles()
    assert tx["customer_id"].to_list() == oracle["customer_id"].to_list()
    assert tx["customer_id"].n_unique() == 23_570  # the published CDNOW master cohort size
    assert tx["amount"].sum() == pytest.approx(oracle["dollar_value"].sum())
    expected_dates = pd.to_datetime(oracle["date"].astype(str), format="%Y%m%d")
    assert tx["order_date"].to_list() == list(expected_dates.dt.to_pydatetime())
    assert tx["order_date"].min() == dt.datetime(1997, 1, 1)
    assert tx["order_date"].max() == dt.datetime(1998, 6, 30)


def test_master_identical_lines_are_kept_by_default_and_counted() -> None:
    # CDNOW has dates without times and no order ids: identical lines are real same-day
    # repeat purchases, so they are kept by default and a warning counts them.
    result = rfm.read_transactions(CDNOW / "CDNOW_master.txt")
    oracle = pd.read_csv(CDNOW / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    assert result.report.rows_kept == len(oracle)
    assert any(f"{int(oracle.duplicated().sum())} rows repeat" in w for w in result.report.warnings)
    forced = rfm.read_transactions(CDNOW / "CDNOW_master.txt", drop_duplicates=True)
    assert forced.report.excluded == {"exact duplicate": int(oracle.duplicated().sum())}
    assert forced.report.reconciles()


def test_headerless_space_separated_file_is_split_and_detected() -> None:
    data = (
        b" 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n"
        b" 00002 19970112  5   77.00\r\n 00003 19970102  2   20.76\r\n"
    )
    result = rfm.read_transactions(data)
    assert result.report.rows_read == 4
    assert dict(result.report.columns) == {
        "customer_id": "column_1",
        "order_date": "column_2",
        "amount": "column_4",
    }
    assert result.transactions["customer_id"].to_list() == ["00001", "00002", "00002", "00003"]
    assert result.transactions["amount"].to_list() == [11.77, 12.0, 77.0, 20.76]


def test_cdnow_sample_file() -> None:
    result = rfm.read_transactions(CDNOW / "CDNOW_sample.txt", drop_duplicates=False)
    oracle = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None, dtype=str)
    assert result.report.rows_kept == len(oracle)
    assert result.transactions["amount"].sum() == pytest.approx(oracle[4].astype(float).sum())
    assert result.transactions.schema["order_date"] == pl.Datetime("us")
