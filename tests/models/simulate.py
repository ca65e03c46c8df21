"""Independent simulators of the three purchase models, event by event (test helpers).

Written from the models' stories, not from rfm's formulas, so they can check them:

- BG/NBD: Poisson purchases at rate ``lambda ~ Gamma(r, alpha)``; after each *repeat*
  purchase the customer leaves with probability ``p ~ Beta(a, b)``;
- MBG/NBD: the same, and the coin is also tossed right after the first purchase;
- Pareto/NBD: Poisson purchases until an exponential lifetime with rate
  ``mu ~ Gamma(s, beta)`` ends.

Times are in days, continuous; :func:`simulate_transactions` turns them into dated rows.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import polars as pl


class Events(NamedTuple):
    """Purchases (customer index, time; the first purchase included) and death times."""

    customer: np.ndarray
    time: np.ndarray
    death: np.ndarray  # inf when the customer never left before ``end``


def simulate_events(
    key: str, params: dict[str, float], start: np.ndarray, end: float, rng: np.random.Generator
) -> Events:
    """Every purchase in ``[start_i, end]`` of each customer, and when they left."""
    n = start.size
    rate = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    death = np.full(n, np.inf)
    if key == "pareto/nbd":
        mu = rng.gamma(params["s"], 1.0 / params["beta"], size=n)
        death = start + rng.exponential(1.0 / np.maximum(mu, 1e-300))
        p = np.zeros(n)
    else:
        p = rng.beta(params["a"], params["b"], size=n)
        if key == "mbg/nbd":
            leaves = rng.random(n) < p
            death[leaves] = start[leaves]
    customers = [np.arange(n)]
    times = [start.copy()]
    now = start.copy()
    active = np.arange(n)[death > start]
    while active.size:
        now[active] += rng.exponential(1.0 / np.maximum(rate[active], 1e-300))
        buys = (now[active] <= end) & (now[active] < death[active])
        active = active[buys]
        customers.append(active)
        times.append(now[active].copy())
        if key != "pareto/nbd":
            leaves = rng.random(active.size) < p[active]
            death[active[leaves]] = now[active[leaves]]
            active = active[~leaves]
    return Events(np.concatenate(customers), np.concatenate(times), death)


class Histories(NamedTuple):
    """What a customer summary records at ``T`` plus what happened next (the truth)."""

    x: np.ndarray
    t_x: np.ndarray
    alive_at_T: np.ndarray
    bought_after_T: np.ndarray


def simulate_histories(
    key: str, params: dict[str, float], n: int, *, T: float, horizon: float, seed: int
) -> Histories:
    """``n`` customers whose first purchase is at 0, observed to ``T``, then ``horizon`` more."""
    rng = np.random.default_rng(seed)
    events = simulate_events(key, params, np.zeros(n), T + horizon, rng)
    seen = events.time <= T
    repeat = seen & (events.time > 0)
    x = np.bincount(events.customer[repeat], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, events.customer[seen], events.time[seen])
    later = np.bincount(events.customer[~seen], minlength=n) > 0
    return Histories(x, t_x, events.death > T, later)


def simulate_transactions(
    key: str,
    params: dict[str, float],
    n: int,
    *,
    days: int = 730,
    acquisition_days: int = 365,
    seed: int = 0,
) -> pl.DataFrame:
    """Dated transactions of ``n`` customers acquired uniformly over the first days."""
    return simulate_with_truth(
        key, params, n, days=days, acquisition_days=acquisition_days, seed=seed
    )[0]


def simulate_with_truth(
    key: str,
    params: dict[str, float],
    n: int,
    *,
    days: int = 730,
    acquisition_days: int = 365,
    seed: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`simulate_transactions` and ``customer_id``, ``gone`` (left before ``days``)."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, acquisition_days, size=n)
    events = simulate_events(key, params, start, float(days), rng)
    truth = pl.DataFrame({"customer_id": np.arange(n).astype(str), "gone": events.death <= days})
    origin = dt.datetime(2022, 1, 1)
    day = np.floor(events.time).astype("int64")
    transactions = (
        pl.DataFrame(
            {
                "customer_id": events.customer.astype(str),
                "day": day,
                "amount": np.round(rng.gamma(4.0, 10.0, size=day.size), 2),
            }
        )
        .select(
            "customer_id",
            (pl.lit(origin) + pl.duration(days=pl.col("day"))).alias("order_date"),
            "amount",
        )
        .sort("order_date", "customer_id")
    )
    return transactions, truth
