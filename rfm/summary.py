"""One row per customer: the recency / frequency / monetary summary.

This is the only step, with reading, whose cost grows with the number of
transactions; everything after it works on one row per customer.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar, overload

import polars as pl

from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.errors import DataError

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

SUMMARY_COLUMNS = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "tenure_days",
    "frequency",
    "purchase_days",
    "monetary",
    "avg_order_value",
    "avg_repeat_value",
)
"""The contract columns, in order; ``quantity`` and ``returns`` follow when available."""

_DAY = "__day"
_RETURN = "__is_return"


def _as_of_date(as_of: dt.date | dt.datetime | str | None) -> dt.date | None:
    if as_of is None:
        return None
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of.strip()[:10])
        except ValueError:
            msg = (
                f"as_of must be a date like '2023-12-31'. Got {as_of!r}. "
                "Pass a datetime.date or an ISO date string."
            )
            raise DataError(msg) from None
    msg = f"as_of must be a date, a datetime or an ISO date string. Got {type(as_of).__name__}."
    raise DataError(msg)


def _check_schema(schema: pl.Schema) -> None:
    missing = [c for c in (CUSTOMER_ID, ORDER_DATE, AMOUNT) if c not in schema]
    if missing:
        found = ", ".join(schema.names()) or "(none)"
        msg = (
            f"summarize needs the canonical columns customer_id, order_date and amount. "
            f"Missing: {', '.join(missing)}. Columns found: {found}. "
            "Read the data with rfm.read_transactions, which maps and converts them."
        )
        raise DataError(msg)
    if not (schema[ORDER_DATE].is_temporal() and schema[ORDER_DATE] != pl.Time):
        msg = (
            f"order_date must be a date or datetime column. Found {schema[ORDER_DATE]}. "
            "Read the data with rfm.read_transactions, which parses dates explicitly."
        )
        raise DataError(msg)
    if not schema[AMOUNT].is_numeric():
        msg = (
            f"amount must be numeric. Found {schema[AMOUNT]}. "
            "Read the data with rfm.read_transactions, which parses currency strings."
        )
        raise DataError(msg)


@overload
def summarize(
    transactions: pl.DataFrame, *, as_of: dt.date | dt.datetime | str | None = ...
) -> pl.DataFrame: ...
@overload
def summarize(
    transactions: pl.LazyFrame, *, as_of: dt.date | dt.datetime | str | None = ...
) -> pl.LazyFrame: ...
def summarize(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Summarise transactions into one row per customer, measured at ``as_of``.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`): ``customer_id``,
        ``order_date`` and ``amount``; ``order_id``, ``quantity`` and ``is_return``
        are used when present. A ``LazyFrame`` gives a ``LazyFrame`` back, so large
        files can be scanned and streamed.
    as_of
        The day the summary is measured at. Only transactions on or before this
        day count. Default: the day after the last transaction.

    Returns
    -------
    DataFrame or LazyFrame
        One row per customer who made at least one purchase (customers with only
        returns in the window have no purchase to measure and are left out), sorted
        by ``customer_id``, with the columns

        - ``first_purchase``, ``last_purchase``: first and last purchase times;
        - ``recency_days``: days from the last purchase day to ``as_of``;
        - ``tenure_days``: days from the first purchase day to ``as_of`` (BTYD ``T``);
        - ``frequency``: distinct orders (order ids; without them, distinct purchase
          timestamps);
        - ``purchase_days``: distinct purchase days (BTYD ``x = purchase_days - 1``);
        - ``monetary``: net revenue, returns subtracted;
        - ``avg_order_value``: ``monetary / frequency``;
        - ``avg_repeat_value``: mean value of the purchases on each purchase day after
          the first (returns are not spend; the Gamma-Gamma input); null without repeats;
        - ``quantity`` (net units, when the input has ``quantity``) and ``returns``
          (return lines).

        Durations are whole days counted on calendar dates. Returns (negative amounts
        or ``is_return``) reduce ``monetary`` but are not purchases.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 11), dt.datetime(2024, 1, 5)],
    ...     "amount": [10.0, 30.0, 5.0],
    ... })
    >>> s = rfm.summarize(tx, as_of="2024-01-31")
    >>> s.select("customer_id", "recency_days", "tenure_days", "frequency", "monetary").rows()
    [('a', 20, 30, 2, 40.0), ('b', 26, 26, 1, 5.0)]
    >>> s["avg_repeat_value"].to_list()
    [30.0, None]
    """
    lazy = transactions.lazy()
    schema = lazy.collect_schema()
    _check_schema(schema)
    as_of_day = _as_of_date(as_of)

    if "is_return" in schema:
        is_return = pl.col("is_return").fill_null(False) | (pl.col(AMOUNT) < 0)
    else:
        is_return = pl.col(AMOUNT) < 0
    has_order_id = "order_id" in schema
    has_quantity = "quantity" in schema

    lazy = lazy.select(
        pl.col(CUSTOMER_ID).cast(pl.String),
        pl.col(ORDER_DATE).cast(pl.Datetime("us")),
        pl.col(ORDER_DATE).cast(pl.Date).alias(_DAY),
        pl.col(AMOUNT).cast(pl.Float64),
        is_return.alias(_RETURN),
        *([pl.col("order_id")] if has_order_id else []),
        *([pl.col("quantity").cast(pl.Float64)] if has_quantity else []),
    ).filter(pl.col(CUSTOMER_ID).is_not_null() & pl.col(_DAY).is_not_null())
    if as_of_day is not None:
        lazy = lazy.filter(pl.col(_DAY) <= as_of_day)

    purchase = ~pl.col(_RETURN)
    purchase_day = pl.col(_DAY).filter(purchase)
    first_day = purchase_day.min()
    order_key = pl.col("order_id") if has_order_id else pl.col(ORDER_DATE)
    aggs = [
        pl.col(ORDER_DATE).filter(purchase).min().alias("first_purchase"),
        pl.col(ORDER_DATE).filter(purchase).max().alias("last_purchase"),
        first_day.alias("__first_day"),
        purchase_day.max().alias("__last_day"),
        pl.col(_DAY).max().alias("__last_any_day"),
        order_key.filter(purchase).n_unique().alias("frequency"),
        purchase_day.n_unique().alias("purchase_days"),
        pl.col(AMOUNT).sum().alias("monetary"),
        pl.col(AMOUNT).filter(purchase).sum().alias("__purchase_value"),
        pl.col(AMOUNT).filter(purchase & (pl.col(_DAY) == first_day)).sum().alias("__first_value"),
        pl.col(_RETURN).sum().cast(pl.Int64).alias("returns"),
    ]
    if has_quantity:
        aggs.append(pl.col("quantity").sum().alias("quantity"))

    per_customer = lazy.group_by(CUSTOMER_ID).agg(aggs)
    # Default as_of: the day after the last transaction of any customer (returns included).
    as_of_expr = (
        pl.lit(as_of_day, dtype=pl.Date)
        if as_of_day is not None
        else pl.col("__last_any_day").max() + pl.duration(days=1)
    )
    repeats = pl.col("purchase_days") - 1
    out = (
        per_customer.with_columns(as_of_expr.alias("__as_of"))
        .filter(pl.col("purchase_days") > 0)
        .with_columns(
            (pl.col("__as_of") - pl.col("__last_day")).dt.total_days().alias("recency_days"),
            (pl.col("__as_of") - pl.col("__first_day")).dt.total_days().alias("tenure_days"),
            pl.col("frequency").cast(pl.Int64),
            pl.col("purchase_days").cast(pl.Int64),
            (pl.col("monetary") / pl.col("frequency")).alias("avg_order_value"),
            pl.when(repeats > 0)
            .then((pl.col("__purchase_value") - pl.col("__first_value")) / repeats)
            .alias("avg_repeat_value"),
        )
        .select(*SUMMARY_COLUMNS, *(["quantity"] if has_quantity else []), "returns")
        .sort(CUSTOMER_ID)
    )
    if isinstance(transactions, pl.LazyFrame):
        return out
    return out.collect()
