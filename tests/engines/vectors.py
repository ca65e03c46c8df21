"""Shared test vectors for the engine tests, and a plain-Python reference summary.

Each vector is a small transaction table that exercises one part of the summary
definition; ``reference_summary`` recomputes every summary column row by row from
the definition in the docs, independently of any dataframe engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

D = dt.datetime


@dataclass(frozen=True)
class Vector:
    name: str
    frame: pl.DataFrame
    as_of: dt.date | None


def _retail() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "c", "c", "c"],
            "order_id": ["o1", "o1", "o2", "o3", "C4", "o5", "o6", "o7", "o8"],
            "order_date": [
                D(2024, 1, 1, 9),
                D(2024, 1, 1, 9),
                D(2024, 1, 1, 17),
                D(2024, 1, 11, 12),
                D(2024, 1, 20, 8),
                D(2024, 1, 5, 10),
                D(2024, 1, 2, 10),
                D(2024, 1, 30, 10),
                D(2024, 2, 15, 10),
            ],
            "amount": [10.0, 5.0, 20.0, 30.0, -12.0, 7.5, 100.0, 50.0, 999.0],
            "quantity": [1.0, 2.0, 1.0, 3.0, -1.0, 1.0, 4.0, 2.0, 9.0],
        },
        schema_overrides={"order_date": pl.Datetime("us")},
    )


def _flags_and_nulls() -> pl.DataFrame:
    # is_return with a null, a zero-value purchase, a return-only customer, a purchase
    # without an order id, a missing amount, and rows without customer or date.
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "z", "b", "b", "b", None, "b"],
            "order_id": ["o1", "o2", None, "o3", "r9", None, None, "o4", "o5", "o6"],
            "order_date": [
                D(2023, 3, 1),
                D(2023, 3, 2, 23, 59),
                D(2023, 3, 5),
                D(2023, 3, 9),
                D(2023, 3, 12),
                D(2023, 3, 3),
                D(2023, 3, 4),
                D(2023, 3, 4, 1),
                D(2023, 3, 4),
                None,
            ],
            "amount": [10.0, 0.0, 4.0, 6.0, -3.0, 8.0, 2.0, None, 1.0, 5.0],
            "is_return": [False, None, False, True, False, False, False, False, False, False],
        },
        schema_overrides={"order_date": pl.Datetime("us")},
    )


def _random(seed: int, n: int = 3000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    orders = n // 3
    cust = rng.integers(0, 80, orders)
    secs = rng.integers(0, 400 * 86400, orders)
    lines = rng.integers(1, 6, orders)
    cust, secs, oid = (np.repeat(a, lines) for a in (cust, secs, np.arange(orders)))
    amount = np.round(rng.lognormal(3.0, 1.2, len(cust)), 2)
    returned = rng.random(len(cust)) < 0.05
    amount[returned] *= -1
    quantity = rng.integers(1, 9, len(cust)).astype(float)
    quantity[returned] *= -1  # returns give units back, as read_transactions has them
    return pl.DataFrame(
        {
            "customer_id": [f"c{c:03d}" for c in cust],
            "order_id": [f"o{o}" for o in oid],
            "order_date": [D(2022, 1, 1) + dt.timedelta(seconds=int(s)) for s in secs],
            "amount": amount,
            "quantity": quantity,
        },
        schema_overrides={"order_date": pl.Datetime("us")},
    )


VECTORS: tuple[Vector, ...] = (
    Vector("retail", _retail(), dt.date(2024, 1, 31)),
    Vector("retail-default-as-of", _retail(), None),
    Vector("no-order-id", _retail().drop("order_id"), dt.date(2024, 2, 20)),
    Vector("date-column", _retail().with_columns(pl.col("order_date").cast(pl.Date)), None),
    Vector("flags-and-nulls", _flags_and_nulls(), None),
    Vector("random", _random(7), dt.date(2022, 11, 30)),
)


def reference_summary(frame: pl.DataFrame, as_of: dt.date | None) -> dict[str, dict[str, Any]]:
    """Every summary column per customer, from the definition, one row at a time."""
    rows = [r for r in frame.iter_rows(named=True) if r["customer_id"] and r["order_date"]]
    for r in rows:
        ts = r["order_date"]
        r["ts"] = ts if isinstance(ts, dt.datetime) else dt.datetime.combine(ts, dt.time())
        r["day"] = r["ts"].date()
        amount, flag = r["amount"], r.get("is_return")
        r["return"] = bool(flag) or (amount is not None and amount < 0)
        r["buy"] = amount is not None and not r["return"]
    if as_of is None:
        as_of = max(r["day"] for r in rows) + dt.timedelta(days=1)
    out: dict[str, dict[str, Any]] = {}
    for cust in sorted({r["customer_id"] for r in rows}):
        mine = [r for r in rows if r["customer_id"] == cust and r["day"] <= as_of]
        buys = [r for r in mine if r["buy"]]
        if not buys:
            continue
        days = sorted({r["day"] for r in buys})
        if "order_id" in frame.columns:
            orders = {r["order_id"] for r in buys}  # a missing id is one order
        else:
            orders = {r["ts"] for r in buys}
        monetary = sum(r["amount"] for r in mine if r["amount"] is not None)
        repeat = sum(r["amount"] for r in buys if r["day"] != days[0])
        row: dict[str, Any] = {
            "first_purchase": min(r["ts"] for r in buys),
            "last_purchase": max(r["ts"] for r in buys),
            "recency_days": (as_of - days[-1]).days,
            "tenure_days": (as_of - days[0]).days,
            "frequency": len(orders),
            "purchase_days": len(days),
            "monetary": monetary,
            "avg_order_value": monetary / len(orders),
            "avg_repeat_value": repeat / (len(days) - 1) if len(days) > 1 else None,
            "returns": sum(r["return"] for r in mine),
        }
        if "quantity" in frame.columns:
            row["quantity"] = sum(r["quantity"] for r in mine)
        out[cust] = row
    return out
