"""CDNOW sample helpers for the model tests (imported by conftest and tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

CDNOW_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "cdnow"
CALIBRATION_END = dt.date(1997, 9, 30)


def read_cdnow(path: Path = CDNOW_DIR / "CDNOW_sample.txt") -> pl.DataFrame:
    """CDNOW_sample.txt as canonical transactions (customer_id = the sample's id)."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return pl.DataFrame(
        {
            "customer_id": [row[1] for row in rows],
            "order_date": [dt.datetime.strptime(row[2], "%Y%m%d") for row in rows],
            "quantity": [float(row[3]) for row in rows],
            "amount": [float(row[4]) for row in rows],
        },
        schema_overrides={"order_date": pl.Datetime("us")},
    )


def simple_summary(transactions: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """A minimal customer summary with the contract's columns the models read.

    Written independently of rfm.summarize (hand-rolled, day-level) so the model tests do
    not depend on it; ``test_cdnow_via_summarize`` checks the full path.
    """
    days = (
        transactions.with_columns(pl.col("order_date").dt.date().alias("day"))
        .filter(pl.col("day") <= as_of)
        .group_by("customer_id", "day")
        .agg(pl.col("amount").sum(), pl.col("quantity").sum())
        .sort("customer_id", "day")
    )
    return (
        days.group_by("customer_id")
        .agg(
            (pl.lit(as_of) - pl.col("day").max()).dt.total_days().alias("recency_days"),
            (pl.lit(as_of) - pl.col("day").min()).dt.total_days().alias("tenure_days"),
            pl.len().cast(pl.Int64).alias("purchase_days"),
            pl.col("amount").slice(1).mean().alias("avg_repeat_value"),
            pl.col("quantity").sum().alias("quantity"),
        )
        .sort("customer_id")
    )
