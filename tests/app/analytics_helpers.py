"""Shared data for the AppTests and the browser tests: a small hand-computed file, the
sample as the app reads it, and a minimal upload with only the three required columns."""

from __future__ import annotations

import io
from functools import cache

import polars as pl

import rfm
from rfm.datasets import sample_path

# Hand-computed: A has orders 1 (10 + 4) and 2 (6); B order 3 (30); C orders 4 (5), 5 (15).
# 3 customers, 5 orders, revenue 70, 9 units, AOV 14, 5/3 orders per customer; the last
# purchase is 2024-03-20, so the as-of date is 2024-03-21 and everyone bought within 90 days.
SMALL_CSV = b"""order_id,customer_id,order_date,quantity,unit_price,amount
1,A,2024-01-05,2,5.00,10.00
1,A,2024-01-05,1,4.00,4.00
2,A,2024-02-10,1,6.00,6.00
3,B,2024-03-01,3,10.00,30.00
4,C,2024-03-15,1,5.00,5.00
5,C,2024-03-20,1,15.00,15.00
"""


@cache
def sample_transactions() -> pl.DataFrame:
    """The bundled sample read exactly as the app reads it (rfm.read_transactions)."""
    return rfm.read_transactions(sample_path()).transactions


@cache
def minimal_csv() -> bytes:
    """The sample's first 4,000 lines with only customer_id, order_date and amount."""
    frame = pl.read_csv(sample_path(), infer_schema=False, n_rows=4000).select(
        "customer_id", "order_date", "amount"
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def texts(elements: object) -> list[str]:
    """The ``value`` of every element in an AppTest element list."""
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]
