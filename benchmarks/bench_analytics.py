"""Benchmark the analytics pages' library work against pandas and write
benchmarks/results/analytics.md.

Compared on the same simulated transactions (converted to pandas outside the timing):

- ``rfm.analysis_view`` (row filters + as-of cut + summarize + score + segment) against the
  row filters alone in pandas (a floor: pandas does not segment);
- ``rfm.breakdown`` by country, category and payment method against a
  pandas ``groupby`` computing the same columns;
- ``rfm.forecast.forecast_by`` (allocating each customer's forecast by purchase share)
  against the same allocation written with pandas ``groupby``/``merge``.

Also timed, without a peer: fitting BG/NBD + Gamma-Gamma for the Churn page, and the
two-model calibration/holdout check. Each timing is the best of ``--repeat`` runs.

Usage (from the repository root)::

    python benchmarks/bench_analytics.py                  # 100k customers, best of 3
    python benchmarks/bench_analytics.py --customers 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's rfm

import rfm
from rfm import breakdown
from rfm.datasets import simulate
from rfm.filters import Filters
from rfm.forecast import customer_forecast, default_calibration_end, forecast_by

RESULTS = Path(__file__).resolve().parent / "results" / "analytics.md"


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def pandas_breakdown(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    returned = (frame["amount"] < 0) | frame["is_return"]
    work = frame.assign(
        gross=frame["amount"].where(~returned, 0.0).clip(lower=0),
        returned_value=frame["amount"].where(returned, 0.0).abs(),
    )
    out = work.groupby(by).agg(
        customers=("customer_id", "nunique"),
        orders=("order_id", "nunique"),
        revenue=("amount", "sum"),
        gross_sales=("gross", "sum"),
        returned_value=("returned_value", "sum"),
        quantity=("quantity", "sum"),
    )
    out["return_rate"] = out["returned_value"] / out["gross_sales"]
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    return out.sort_values("revenue", ascending=False)


def pandas_forecast_by(frame: pd.DataFrame, forecast: pd.DataFrame, by: str) -> pd.DataFrame:
    purchases = frame[(frame["amount"] >= 0) & ~frame["is_return"]]
    per_group = purchases.groupby(["customer_id", by], as_index=False).agg(
        value=("amount", "sum"), lines=("amount", "size")
    )
    totals = per_group.groupby("customer_id")[["value", "lines"]].transform("sum")
    per_group["weight"] = (per_group["value"] / totals["value"]).where(
        totals["value"] > 0, per_group["lines"] / totals["lines"]
    )
    merged = per_group.merge(forecast, on="customer_id")
    for name in ("expected_purchases", "expected_revenue", "expected_units"):
        merged[name] = merged[name] * merged["weight"]
    return merged.groupby(by).agg(
        customers=("customer_id", "nunique"),
        expected_purchases=("expected_purchases", "sum"),
        expected_revenue=("expected_revenue", "sum"),
        expected_units=("expected_units", "sum"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    transactions = simulate(n_customers=int(args.customers), random_state=1)
    frame = transactions.to_pandas()
    rows = []

    filters = Filters.of(
        date_range=(dt.date(2021, 1, 1), dt.date(2022, 12, 31)), country=("France", "Germany")
    )

    def pandas_filter() -> pd.DataFrame:
        day = frame["order_date"].dt.normalize()
        keep = (
            (day >= pd.Timestamp("2021-01-01"))
            & (day <= pd.Timestamp("2022-12-31"))
            & frame["country"].isin(["France", "Germany"])
        )
        return frame[keep]

    rows.append(
        (
            "filter (rfm also summarizes, scores, segments)",
            best_of(args.repeat, lambda: rfm.analysis_view(transactions, filters=filters)),
            best_of(args.repeat, pandas_filter),
        )
    )
    for by in ("country", "category", "payment_method"):
        rows.append(
            (
                f"breakdown by {by}",
                best_of(args.repeat, lambda by=by: breakdown(transactions, by=by)),
                best_of(args.repeat, lambda by=by: pandas_breakdown(frame, by)),
            )
        )

    view = rfm.analysis_view(transactions)
    customers = view.customers.filter(
        pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    )
    start = time.perf_counter()
    purchase = rfm.BetaGeo().fit(customers)
    spend = rfm.GammaGamma().fit(customers)
    fit_seconds = time.perf_counter() - start
    forecast = customer_forecast(
        customers, purchase_model=purchase, spend_model=spend, horizon_days=182.625
    )
    forecast_pd = forecast.select(
        "customer_id", "expected_purchases", "expected_revenue", "expected_units"
    ).to_pandas()
    for by in ("country", "category", "retailer"):
        rows.append(
            (
                f"forecast_by {by}",
                best_of(args.repeat, lambda by=by: forecast_by(forecast, transactions, by=by)),
                best_of(args.repeat, lambda by=by: pandas_forecast_by(frame, forecast_pd, by)),
            )
        )
    start = time.perf_counter()
    split = rfm.calibration_holdout(
        transactions, calibration_end=default_calibration_end(transactions)
    )
    rfm.select_model(split, candidates=[rfm.BetaGeo(), rfm.ModifiedBetaGeo()])
    check_seconds = time.perf_counter() - start

    lines = [
        "# Analytics pages: library work vs pandas",
        "",
        f"`python benchmarks/bench_analytics.py --customers {int(args.customers)} "
        f"--repeat {args.repeat}` on {platform.machine()}, {platform.python_version()}, "
        f"polars {pl.__version__}, pandas {pd.__version__}; {transactions.height:,} "
        f"transactions of {int(args.customers):,} simulated customers; best of {args.repeat}.",
        "",
        "| step | rfm (s) | pandas (s) | pandas / rfm |",
        "|---|---:|---:|---:|",
    ]
    for name, ours, theirs in rows:
        lines.append(f"| {name} | {ours:.3f} | {theirs:.3f} | {theirs / ours:.1f}x |")
    lines += [
        "",
        f"Fit BG/NBD + Gamma-Gamma on {customers.height:,} customers: {fit_seconds:.2f} s "
        "(once per view, cached).",
        f"Calibration/holdout check, BG/NBD and MBG/NBD: {check_seconds:.2f} s (cached).",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
