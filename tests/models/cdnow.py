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
