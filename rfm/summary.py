"""One row per customer: the recency / frequency / monetary summary.

This is the only step, with reading, whose cost grows with the number of
transactions; everything after it works on one row per customer. So it is written
once, with narwhals, and runs where the data lives: polars (eager, lazy or
streaming), DuckDB or PySpark. Only the per-customer aggregates are computed by the
engine; the few derived columns are then finished in polars on one row per customer.
A polars ``DataFrame`` already in memory takes a faster one-pass route
(``_hashed_aggregates``) producing the same aggregates; the engine test vectors check
that both routes agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar, overload

import narwhals.stable.v2 as nw
import polars as pl

from rfm import measures
from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.dates import to_date
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

# Working columns. Every aggregation below is a plain reduction of one column
# (narwhals' lazy engines allow no more, and polars' streaming group-by only runs
# those without buffering the whole input); filtered and distinct aggregates are
# written as filters, unique() and further group-bys instead.
_DAY = "__day"
_BUY = "__buy"
_RETURN = "__return"
_ORDER_KEY = "__order_key"
_DAY_VALUE = "__day_value"
_FIRST_DAY = "__first_day"
_LAST_DAY = "__last_day"
_LAST_ANY_DAY = "__last_any_day"
_BUY_VALUE = "__purchase_value"
_FIRST_VALUE = "__first_value"

_SUPPORTED = "a polars DataFrame or LazyFrame, a DuckDB relation or a PySpark DataFrame"


def _as_of_date(as_of: dt.date | dt.datetime | str | None) -> dt.date | None:
    if as_of is None:
        return None
    day = to_date(as_of)
    if day is None:
        msg = (
            f"as_of must be a date like '2023-12-31'. Got {as_of!r}. "
            "Pass a datetime.date or an ISO date string."
        )
        raise DataError(msg)
    return day


def _check_schema(schema: Mapping[str, Any]) -> None:
    missing = [c for c in (CUSTOMER_ID, ORDER_DATE, AMOUNT) if c not in schema]
    if missing:
        found = ", ".join(schema) or "(none)"
        msg = (
            f"summarize needs the canonical columns customer_id, order_date and amount. "
            f"Missing: {', '.join(missing)}. Columns found: {found}. "
            "Read the data with rfm.read_transactions, which maps and converts them."
        )
        raise DataError(msg)
    date_type = schema[ORDER_DATE]
    if not (date_type == nw.Date or date_type == nw.Datetime):
        msg = (
            f"order_date must be a date or datetime column. Found {_polars_name(date_type)}. "
            "Read the data with rfm.read_transactions, which parses dates explicitly."
        )
        raise DataError(msg)
    if not schema[AMOUNT].is_numeric():
        msg = (
            f"amount must be numeric. Found {_polars_name(schema[AMOUNT])}. "
            "Read the data with rfm.read_transactions, which parses currency strings."
        )
        raise DataError(msg)


def _polars_name(dtype: Any) -> str:
    # Say "String", as polars users know it, whatever engine the data is in.
    return "String" if dtype == nw.String else str(dtype)


def customer_aggregates(frame: nw.LazyFrame[Any], *, as_of: dt.date | None) -> nw.LazyFrame[Any]:
    """The engine-side half of :func:`summarize`: plain per-customer aggregates.

    Written with narwhals so the same definition runs on polars, DuckDB and PySpark.
    One row per customer seen on or before ``as_of`` (customers with only returns
    included, so the default ``as_of`` can be taken over everyone), with the columns
    ``customer_id``, ``first_purchase``, ``last_purchase``, ``frequency``,
    ``purchase_days``, ``monetary``, ``returns``, ``quantity`` (when present) and
    the working columns ``__first_day``, ``__last_day``, ``__last_any_day``,
    ``__purchase_value`` and ``__first_value`` that :func:`summarize` finishes.

    Parameters
    ----------
    frame
        Canonical transactions as a narwhals LazyFrame.
    as_of
        Only transactions on or before this day count; ``None`` keeps all.

    Returns
    -------
    narwhals.LazyFrame
        Unsorted; counts may come back as any integer type and dates as the engine's
        date type -- :func:`summarize` casts them.
    """
    schema = frame.collect_schema()
    _check_schema(schema)
    amount = nw.col(AMOUNT).cast(nw.Float64)
    names = list(schema)
    is_return = measures.is_return(names, ns=nw).fill_null(value=False)
    has_order_id = "order_id" in schema
    has_quantity = "quantity" in schema
    buy = measures.is_purchase(names, ns=nw)
    rows = frame.select(
        nw.col(CUSTOMER_ID).cast(nw.String),
        nw.col(ORDER_DATE).cast(nw.Datetime("us")),
        nw.col(ORDER_DATE).cast(nw.Date).alias(_DAY),
        amount.alias(AMOUNT),
        buy.alias(_BUY),
        nw.when(is_return).then(nw.lit(1)).otherwise(nw.lit(0)).alias(_RETURN),
        *([nw.col("order_id").cast(nw.String)] if has_order_id else []),
        *([nw.col("quantity").cast(nw.Float64)] if has_quantity else []),
    ).filter(~nw.col(CUSTOMER_ID).is_null(), ~nw.col(_DAY).is_null())
    if as_of is not None:
        rows = rows.filter(nw.col(_DAY) <= nw.lit(as_of, dtype=nw.Date))

    # Three plain aggregations instead of one group-by with filtered and distinct
    # aggregates: every engine runs them natively, and polars' streaming engine runs
    # them several times faster than a grouped n_unique and in bounded memory.
    everything = rows.group_by(CUSTOMER_ID).agg(
        nw.col(_DAY).max().alias(_LAST_ANY_DAY),
        nw.col(AMOUNT).sum().alias("monetary"),
        nw.col(_RETURN).sum().alias("returns"),
        *([nw.col("quantity").sum().alias("quantity")] if has_quantity else []),
    )
    purchases = rows.filter(nw.col(_BUY))
    # Purchase days: one row per customer and day, which also gives the value of the
    # first purchase day (the Gamma-Gamma input excludes it) without a window.
    days = purchases.group_by(CUSTOMER_ID, _DAY).agg(
        nw.col(ORDER_DATE).min().alias("first_purchase"),
        nw.col(ORDER_DATE).max().alias("last_purchase"),
        nw.col(AMOUNT).sum().alias(_DAY_VALUE),
    )
    per_day = days.group_by(CUSTOMER_ID).agg(
        nw.col("first_purchase").min(),
        nw.col("last_purchase").max(),
        nw.col(_DAY).min().alias(_FIRST_DAY),
        nw.col(_DAY).max().alias(_LAST_DAY),
        nw.len().alias("purchase_days"),
        nw.col(_DAY_VALUE).sum().alias(_BUY_VALUE),
    )
    first_value = days.join(
        per_day.select(CUSTOMER_ID, nw.col(_FIRST_DAY).alias(_DAY)),
        on=[CUSTOMER_ID, _DAY],
        how="inner",
    ).select(CUSTOMER_ID, nw.col(_DAY_VALUE).alias(_FIRST_VALUE))
    # Distinct orders: purchase lines without an order id count as one order.
    order_key = measures.order_key(names, ns=nw)
    orders = (
        purchases.select(CUSTOMER_ID, order_key.alias(_ORDER_KEY))
        .unique()
        .group_by(CUSTOMER_ID)
        .agg(nw.len().alias("frequency"))
    )
    return (
        everything.join(per_day, on=CUSTOMER_ID, how="left")
        .join(orders, on=CUSTOMER_ID, how="left")
        .join(first_value, on=CUSTOMER_ID, how="left")
    )


def _customer_key(customer_id: pl.Expr, *, seed: int) -> pl.Expr:
    """A 64-bit hash of ``customer_id`` (a function so tests can force collisions)."""
    return customer_id.hash(seed=seed)


# Float sums in a parallel group-by depend on how rows are split between threads, so
# two runs could differ in the last bits. Summing amounts as integers in units of
# 2**-40 (about 1e-12) is exact, so the result is the same on every run.
_FIXED_SCALE = 2.0**40
_FIXED_LIMIT = 1e15  # |value| below this: 10 billion rows still fit in Int128


def _fixed_point_safe(kept: pl.DataFrame, *, has_quantity: bool) -> bool:
    columns = [AMOUNT, *(["quantity"] if has_quantity else [])]
    finite = kept.select(
        pl.all_horizontal(
            (pl.col(c).is_finite() & (pl.col(c).abs() < _FIXED_LIMIT)).all() for c in columns
        )
    )
    return bool(finite.item())


def _fixed_point_sum(value: pl.Expr) -> pl.Expr:
    fixed = (value * _FIXED_SCALE).round().cast(pl.Int128)
    return fixed.sum().cast(pl.Float64) / _FIXED_SCALE


def _float_sum(value: pl.Expr) -> pl.Expr:
    return value.sum()


def _hashed_aggregates(transactions: pl.DataFrame, *, as_of: dt.date | None) -> pl.DataFrame | None:
    """:func:`customer_aggregates` for an in-memory polars frame, in one pass.

    Same columns and meaning as :func:`customer_aggregates` (the engine test vectors
    check both), but grouped on a 64-bit hash of ``customer_id`` instead of the string,
    with distinct purchase days and orders counted as first-distinct flags on
    (customer, day) and (customer, order) pairs instead of ``unique()`` and further
    group-bys -- several times faster in memory. A second, independently seeded hash
    must be constant within every group; if it is not, two customers shared a key and
    ``None`` is returned so the caller falls back to the exact string-keyed definition.
    Distinct days and orders are flagged on the exact (key, day) and (key, order) pairs.
    """
    schema = nw.from_native(transactions.lazy()).collect_schema()
    _check_schema(schema)
    amount = pl.col(AMOUNT).cast(pl.Float64)
    names = list(schema)
    order_key = measures.order_key(names)
    has_quantity = "quantity" in schema
    rows = transactions.lazy().select(
        pl.col(CUSTOMER_ID).cast(pl.String),
        pl.col(ORDER_DATE).cast(pl.Datetime("us")),
        pl.col(ORDER_DATE).cast(pl.Date).alias(_DAY),
        amount.alias(AMOUNT),
        measures.is_purchase(names).alias(_BUY),
        measures.is_return(names).fill_null(value=False).alias(_RETURN),
        order_key.alias(_ORDER_KEY),
        *([pl.col("quantity").cast(pl.Float64)] if has_quantity else []),
    )
    rows = rows.filter(pl.col(CUSTOMER_ID).is_not_null(), pl.col(_DAY).is_not_null())
    if as_of is not None:
        rows = rows.filter(pl.col(_DAY) <= pl.lit(as_of, dtype=pl.Date))
    kept = rows.collect()
    sum_of = _fixed_point_sum if _fixed_point_safe(kept, has_quantity=has_quantity) else _float_sum

    key, check = "__key", "__check"
    buy = pl.col(_BUY)
    bought = [  # purchase-only values as columns: cheaper than filters inside agg
        pl.when(buy).then(pl.col(ORDER_DATE)).alias("first_purchase"),
        pl.when(buy).then(pl.col(AMOUNT)).alias(_BUY_VALUE),
        # First row of each distinct purchase (customer, day) and (customer, order); the
        # customer key is verified below, so these pairs are exact.
        (pl.struct(key, _DAY, buy).is_first_distinct() & buy).alias("purchase_days"),
        (pl.struct(key, _ORDER_KEY, buy).is_first_distinct() & buy).alias("frequency"),
    ]
    keyed = (
        kept.lazy()
        .with_row_index("__row")
        .with_columns(
            _customer_key(pl.col(CUSTOMER_ID), seed=0).alias(key),
            _customer_key(pl.col(CUSTOMER_ID), seed=1).alias(check),
        )
    )
    per = (
        keyed.with_columns(bought)
        .group_by(key)
        .agg(
            pl.col("__row").first(),
            pl.col(check).min().alias("__check_min"),
            pl.col(check).max().alias("__check_max"),
            sum_of(pl.col(AMOUNT)).alias("monetary"),
            pl.col(_RETURN).sum().alias("returns"),
            *([sum_of(pl.col("quantity"))] if has_quantity else []),
            pl.col("first_purchase").min(),
            pl.col("first_purchase").max().alias("last_purchase"),
            pl.col("purchase_days").sum(),
            pl.col("frequency").sum(),
            sum_of(pl.col(_BUY_VALUE)),
        )
        .collect()
        # Purchase days follow from the purchase times; the last day of any customer
        # only serves the default as_of, which is global.
        .with_columns(
            pl.col("first_purchase").cast(pl.Date).alias(_FIRST_DAY),
            pl.col("last_purchase").cast(pl.Date).alias(_LAST_DAY),
            pl.lit(kept[_DAY].max(), dtype=pl.Date).alias(_LAST_ANY_DAY),
        )
    )
    if (per["__check_min"] != per["__check_max"]).any():
        return None
    # Value of each customer's first purchase day: the purchase rows on that day.
    first_days = per.lazy().select(key, pl.col(_FIRST_DAY).alias(_DAY))
    first_value = (
        keyed.filter(buy)
        .join(first_days, on=[key, _DAY], how="semi")
        .group_by(key, _DAY)
        .agg(sum_of(pl.col(AMOUNT)).alias(_FIRST_VALUE))
        .collect()
    )
    return (
        per.with_columns(kept[CUSTOMER_ID].gather(per["__row"]).alias(CUSTOMER_ID))
        .join(first_value, left_on=[key, _FIRST_DAY], right_on=[key, _DAY], how="left")
        .drop(key, "__row", "__check_min", "__check_max")
    )


def _finish(per_customer: pl.LazyFrame, *, as_of: dt.date | None) -> pl.LazyFrame:
    """Derive the summary columns from :func:`customer_aggregates` (one row per customer)."""
    schema = per_customer.collect_schema()
    has_quantity = "quantity" in schema
    typed = per_customer.with_columns(
        pl.col(CUSTOMER_ID).cast(pl.String),
        pl.col("first_purchase", "last_purchase").cast(pl.Datetime("us")),
        pl.col(_FIRST_DAY, _LAST_DAY, _LAST_ANY_DAY).cast(pl.Date),
        pl.col("frequency", "purchase_days", "returns").cast(pl.Int64),
        pl.col("monetary", _BUY_VALUE, _FIRST_VALUE).cast(pl.Float64),
        *([pl.col("quantity").cast(pl.Float64)] if has_quantity else []),
    )
    # Default as_of: the day after the last transaction of any customer (returns included).
    as_of_expr = (
        pl.lit(as_of, dtype=pl.Date)
        if as_of is not None
        else pl.col(_LAST_ANY_DAY).max() + pl.duration(days=1)
    )
    repeats = pl.col("purchase_days") - 1
    return (
        typed.with_columns(as_of_expr.alias("__as_of"))
        .filter(pl.col("purchase_days") > 0)
        .with_columns(
            (pl.col("__as_of") - pl.col(_LAST_DAY)).dt.total_days().alias("recency_days"),
            (pl.col("__as_of") - pl.col(_FIRST_DAY)).dt.total_days().alias("tenure_days"),
            (pl.col("monetary") / pl.col("frequency")).alias("avg_order_value"),
            pl.when(repeats > 0)
            .then((pl.col(_BUY_VALUE) - pl.col(_FIRST_VALUE)) / repeats)
            .alias("avg_repeat_value"),
        )
        .select(*SUMMARY_COLUMNS, *(["quantity"] if has_quantity else []), "returns")
        .sort(CUSTOMER_ID)
    )


def summary_and_returns_only(
    transactions: pl.DataFrame, *, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`summarize` of an in-memory frame, and the customers it leaves out.

    One pass for both: the customers whose only lines on or before ``as_of`` are returns
    come out of the same aggregation as ``customer_id``, ``lines`` (their return lines)
    and ``revenue`` (net, negative), sorted by ``customer_id``. Used by
    :func:`rfm.analysis_view` to account for every customer.
    """
    empty = pl.DataFrame(schema={CUSTOMER_ID: pl.String, "lines": pl.Int64, "revenue": pl.Float64})
    if transactions.height == 0:
        return summarize(transactions, as_of=as_of), empty
    aggregates = _hashed_aggregates(transactions, as_of=as_of)
    if aggregates is None:  # a 64-bit key collided: the exact string-keyed definition
        lazy = customer_aggregates(nw.from_native(transactions.lazy()), as_of=as_of).to_native()
        aggregates = lazy.collect(engine="streaming")
    no_purchase = pl.col("purchase_days").fill_null(0) == 0
    returns_only = (
        aggregates.filter(no_purchase)
        .select(
            pl.col(CUSTOMER_ID).cast(pl.String),
            pl.col("returns").cast(pl.Int64).alias("lines"),
            pl.col("monetary").cast(pl.Float64).alias("revenue"),
        )
        .sort(CUSTOMER_ID)
    )
    summary = _finish(aggregates.lazy(), as_of=as_of).collect()
    return summary, returns_only


@overload
def summarize(
    transactions: pl.DataFrame, *, as_of: dt.date | dt.datetime | str | None = ...
) -> pl.DataFrame: ...
@overload
def summarize(
    transactions: pl.LazyFrame, *, as_of: dt.date | dt.datetime | str | None = ...
) -> pl.LazyFrame: ...
@overload
def summarize(
    transactions: Any, *, as_of: dt.date | dt.datetime | str | None = ...
) -> pl.DataFrame: ...
def summarize(
    transactions: pl.DataFrame | pl.LazyFrame | Any,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Summarise transactions into one row per customer, measured at ``as_of``.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`): ``customer_id``,
        ``order_date`` and ``amount``; ``order_id``, ``quantity`` and ``is_return``
        are used when present. A polars ``DataFrame`` or ``LazyFrame``, a DuckDB
        relation or a PySpark DataFrame. A ``LazyFrame`` gives a ``LazyFrame`` back,
        so large files can be scanned and streamed
        (``summarize(pl.scan_parquet(path)).collect(engine="streaming")``). DuckDB
        and PySpark run the aggregation where the data lives and return the summary
        as a polars ``DataFrame``.
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
          timestamps; purchase lines without an order id count as one order);
        - ``purchase_days``: distinct purchase days (BTYD ``x = purchase_days - 1``);
        - ``monetary``: net revenue, returns subtracted;
        - ``avg_order_value``: ``monetary / frequency``;
        - ``avg_repeat_value``: mean value of the purchases on each purchase day after
          the first (returns are not spend; the Gamma-Gamma input); null without repeats;
        - ``quantity`` (net units, when the input has ``quantity``) and ``returns``
          (return lines).

        Durations are whole days counted on calendar dates. Returns (negative amounts
        or ``is_return``) reduce ``monetary`` but are not purchases.

    Raises
    ------
    DataError
        When a canonical column is missing or has the wrong type, ``as_of`` is not a
        date, or the input is not one of the supported frames.

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
    as_of_day = _as_of_date(as_of)
    if isinstance(transactions, pl.DataFrame):
        aggregates = _hashed_aggregates(transactions, as_of=as_of_day)
        if aggregates is not None:
            return _finish(aggregates.lazy(), as_of=as_of_day).collect()
        # A 64-bit customer key collided: the shared definition below is exact.
    if isinstance(transactions, pl.DataFrame | pl.LazyFrame):
        per_customer = customer_aggregates(nw.from_native(transactions.lazy()), as_of=as_of_day)
        out = _finish(per_customer.to_native(), as_of=as_of_day)
        if isinstance(transactions, pl.LazyFrame):
            return out
        # The streaming engine runs these plain group-bys faster than the in-memory
        # one, even on data already in memory (benchmarks/results/engines.md).
        return out.collect(engine="streaming")
    frame = _engine_frame(transactions)
    per_customer = customer_aggregates(frame, as_of=as_of_day)
    collected = _collect_polars(per_customer)
    return _finish(collected.lazy(), as_of=as_of_day).collect()


def _engine_frame(transactions: Any) -> nw.LazyFrame[Any]:
    try:
        frame: nw.DataFrame[Any] | nw.LazyFrame[Any] = nw.from_native(transactions)
    except TypeError:
        msg = (
            f"summarize takes {_SUPPORTED}. Got {type(transactions).__module__}."
            f"{type(transactions).__qualname__}. Convert it first, e.g. pl.from_pandas(df)."
        )
        raise DataError(msg) from None
    if not isinstance(frame, nw.LazyFrame):
        # pandas, pyarrow and friends are in memory already: hand them to polars.
        return nw.from_native(frame.to_polars().lazy())
    return frame


def _collect_polars(per_customer: nw.LazyFrame[Any]) -> pl.DataFrame:
    try:
        import pyarrow  # noqa: F401  -- DuckDB and Spark hand results over as Arrow
    except ImportError:
        impl = per_customer.implementation.name.lower()
        extra = "spark" if "spark" in impl else "duckdb" if impl == "duckdb" else impl
        msg = (
            f"Collecting the {impl} summary into polars needs pyarrow, which is not "
            f"installed. Install the extra: pip install 'rfm-studio[{extra}]'."
        )
        raise ImportError(msg) from None
    collected = per_customer.collect(backend="polars").to_native()
    assert isinstance(collected, pl.DataFrame)
    return collected


def summary_from_aggregates(
    aggregates: pl.DataFrame, *, as_of: dt.date | dt.datetime | str | None = None
) -> pl.DataFrame:
    """Finish the summary from :func:`customer_aggregates` computed elsewhere.

    For engines whose results come back some other way than narwhals' ``collect``
    (``rfm.sources`` runs the compiled SQL on PostgreSQL itself). ``as_of`` must be
    the one the aggregates were computed with.
    """
    return _finish(aggregates.lazy(), as_of=_as_of_date(as_of)).collect()
