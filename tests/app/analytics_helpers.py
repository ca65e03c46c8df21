"""Shared data for the analytics-page AppTests: the sample as the app reads it, and a
minimal upload with only the three required columns."""

from __future__ import annotations

import io
from functools import cache

import polars as pl

import rfm
from rfm.datasets import sample_path


@cache
def sample_transactions() -> pl.DataFrame:
    """The bundled sample read exactly as the app reads it (rfm.read_transactions)."""
    return rfm.read_transactions(sample_path()).transactions


@cache
def minimal_csv() -> bytes:
    """The sample's first 4,000 lines with only customer_id, order_date and amount."""
    frame = (
        pl.read_csv(sample_path(), infer_schema=False, n_rows=4000)
        .select("customer_id", "order_date", "amount")
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def texts(elements: object) -> list[str]:
    """The ``value`` of every element in an AppTest element list."""
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]
