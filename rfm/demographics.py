"""Who the customers are and what they buy: breakdowns for the Customers page.

Transaction attributes (country, category, payment method, gender, age group, ...) are
counted per transaction row: a customer who bought in two categories counts in both.
Customer-level views (tenure, signup cohort) use one row per customer.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from rfm.errors import DataError
from rfm.filters import AGE_GROUPS, age_group

__all__ = [
    "TENURE_BANDS",
    "breakdown",
    "crosstab",
    "monthly_activity",
    "revenue_by_cohort",
    "revenue_by_tenure",
]

TENURE_BANDS: Final = (
    (90, "Under 3 months"),
    (182, "3-6 months"),
    (365, "6-12 months"),
    (730, "1-2 years"),
    (1095, "2-3 years"),
    (None, "3 years or more"),
)
"""Tenure bands: (upper bound in days, exclusive; ``None`` = no bound), label."""


def _is_return(columns: list[str]) -> pl.Expr:
    flag = pl.col("amount") < 0
    if "is_return" in columns:
        flag = flag | pl.col("is_return").fill_null(False)
    return flag


def _need(frame: pl.DataFrame, columns: tuple[str, ...], who: str, hint: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        msg = (
            f"{who} needs the column(s) {', '.join(missing)}. Columns found: "
            f"{', '.join(frame.columns)}. {hint}"
        )
        raise DataError(msg)


def breakdown(transactions: pl.DataFrame, *, by: str, top: int | None = None) -> pl.DataFrame:
    """Customers, orders, revenue and returns by a transaction attribute.

    Parameters
    ----------
    transactions
        Canonical transactions with the ``by`` column (``age_group`` is derived from
        ``age`` or ``birth_date``).
    by
        Column to group by: ``country``, ``category``, ``department``, ``theme``,
        ``payment_method``, ``gender``, ``age_group``, ``retailer``, ...
    top
        Keep the ``top`` groups by revenue (``None``: all).

    Returns
    -------
    DataFrame
        ``by``, ``customers`` (distinct), ``orders`` (distinct order ids, else rows),
        ``revenue`` (net), ``gross_sales`` (purchases only), ``returned_value``
        (absolute value of returns), ``return_rate`` (``returned_value / gross_sales``),
        ``revenue_share``, ``quantity`` when present; missing values grouped as
        ``"(unknown)"``; sorted by revenue, largest first (age groups youngest first).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [30.0, -10.0, 5.0],
    ...     "order_date": [dt.datetime(2024, 1, 1)] * 3,
    ...     "category": ["Toys", "Toys", "Books"],
    ... })
    >>> breakdown(tx, by="category").select("category", "revenue", "return_rate").rows()
    [('Toys', 20.0, 0.3333333333333333), ('Books', 5.0, 0.0)]
    """
    frame = transactions
    if by == "age_group" and "age_group" not in frame.columns:
        expr = age_group(frame.columns)
        if expr is None:
            _need(frame, ("age",), "breakdown by age_group", "Map an age or birth_date column.")
        else:
            frame = frame.with_columns(expr)
    _need(frame, (by, "customer_id", "amount"), f"breakdown by {by}", f"Map a {by} column.")
    returned = _is_return(frame.columns)
    order = pl.col("order_id").n_unique() if "order_id" in frame.columns else pl.len()
    aggregations = [
        pl.col("customer_id").n_unique().alias("customers"),
        order.alias("orders"),
        pl.col("amount").sum().alias("revenue"),
        pl.col("amount").filter(~returned).clip(lower_bound=0.0).sum().alias("gross_sales"),
        pl.col("amount").filter(returned).abs().sum().alias("returned_value"),
    ]
    if "quantity" in frame.columns:
        aggregations.append(pl.col("quantity").sum().alias("quantity"))
    out = (
        frame.group_by(pl.col(by).cast(pl.String).fill_null("(unknown)"))
        .agg(aggregations)
        .with_columns(
            pl.when(pl.col("gross_sales") > 0)
            .then(pl.col("returned_value") / pl.col("gross_sales"))
            .otherwise(None)
            .alias("return_rate"),
            (pl.col("revenue") / pl.col("revenue").sum()).alias("revenue_share"),
        )
    )
    if by == "age_group":
        rank = {name: index for index, name in enumerate(AGE_GROUPS)}
        out = out.sort(pl.col(by).replace_strict(rank, default=len(rank), return_dtype=pl.Int64))
    else:
        out = out.sort(["revenue", by], descending=[True, False])
    if top is not None:
        if not (isinstance(top, int) and top >= 1):
            msg = f"The 'top' parameter of breakdown must be an int >= 1 or None. Got {top!r}."
            raise DataError(msg)
        out = out.head(top)
    return out


def _band(days: pl.Expr) -> pl.Expr:
    label = pl.when(days.is_null()).then(pl.lit(None, dtype=pl.String))
    for upper, name in TENURE_BANDS:
        label = label.when(days < upper if upper is not None else pl.lit(True)).then(pl.lit(name))  # type: ignore[assignment]
    return label.otherwise(pl.lit(None, dtype=pl.String))


def revenue_by_tenure(customers: pl.DataFrame) -> pl.DataFrame:
    """Customers and net revenue by tenure band (days since the first purchase).

    Parameters
    ----------
    customers
        Customer summary (:func:`rfm.summarize`): ``tenure_days`` and ``monetary``.

    Returns
    -------
    DataFrame
        ``tenure`` (the :data:`TENURE_BANDS` label), ``customers``, ``revenue``,
        ``avg_revenue`` per customer, in band order; bands without customers are left out.

    Examples
    --------
    >>> import polars as pl
    >>> summary = pl.DataFrame({"tenure_days": [10, 400, 500], "monetary": [5.0, 20.0, 40.0]})
    >>> revenue_by_tenure(summary).rows()
    [('Under 3 months', 1, 5.0, 5.0), ('1-2 years', 2, 60.0, 30.0)]
    """
    _need(
        customers,
        ("tenure_days", "monetary"),
        "revenue_by_tenure",
        "Build the summary with rfm.summarize.",
    )
    rank = {name: index for index, (_, name) in enumerate(TENURE_BANDS)}
    return (
        customers.group_by(_band(pl.col("tenure_days")).alias("tenure"))
        .agg(pl.len().alias("customers"), pl.col("monetary").sum().alias("revenue"))
        .with_columns((pl.col("revenue") / pl.col("customers")).alias("avg_revenue"))
        .sort(pl.col("tenure").replace_strict(rank, return_dtype=pl.Int64))
    )


def revenue_by_cohort(transactions: pl.DataFrame, *, every: str = "1q") -> pl.DataFrame:
    """Customers and their net revenue by signup cohort.

    The cohort is the period of ``signup_date`` when the table has it, else of the
    customer's first purchase (``cohort_source`` says which).

    Parameters
    ----------
    transactions
        Canonical transactions.
    every
        Cohort length as a polars duration: ``"1mo"``, ``"1q"``, ``"1y"``.

    Returns
    -------
    DataFrame
        ``cohort`` (Date, first day of the period), ``customers``, ``revenue`` (their net
        revenue over the whole table), ``avg_revenue``, ``cohort_source``.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 5.0, 7.0],
    ...     "order_date": [dt.datetime(2024, 1, 5), dt.datetime(2024, 6, 1),
    ...                    dt.datetime(2024, 5, 2)],
    ... })
    >>> revenue_by_cohort(tx).select("cohort", "customers", "revenue").rows()
    [(datetime.date(2024, 1, 1), 1, 15.0), (datetime.date(2024, 4, 1), 1, 7.0)]
    """
    _need(
        transactions,
        ("customer_id", "order_date", "amount"),
        "revenue_by_cohort",
        "Read the data with rfm.read_transactions.",
    )
    if every not in {"1mo", "1q", "1y"}:
        msg = f"The 'every' parameter of revenue_by_cohort must be '1mo', '1q' or '1y'. Got {every!r}."
        raise DataError(msg)
    has_signup = "signup_date" in transactions.columns
    start = (
        pl.col("signup_date").cast(pl.Date).min()
        if has_signup
        else pl.col("order_date").filter(~_is_return(transactions.columns)).cast(pl.Date).min()
    )
    duration = {"1mo": "1mo", "1q": "3mo", "1y": "1y"}[every]
    per_customer = transactions.group_by("customer_id").agg(
        start.alias("start"), pl.col("amount").sum().alias("revenue")
    )
    return (
        per_customer.filter(pl.col("start").is_not_null())
        .group_by(pl.col("start").dt.truncate(duration).alias("cohort"))
        .agg(pl.len().alias("customers"), pl.col("revenue").sum())
        .with_columns(
            (pl.col("revenue") / pl.col("customers")).alias("avg_revenue"),
            pl.lit("signup_date" if has_signup else "first purchase").alias("cohort_source"),
        )
        .sort("cohort")
    )


def monthly_activity(transactions: pl.DataFrame) -> pl.DataFrame:
    """Orders, buying customers and orders per buying customer, month by month.

    Returns are not orders. Orders are distinct order ids (else distinct customer
    purchase timestamps, as in :func:`rfm.summarize`).

    Returns
    -------
    DataFrame
        ``month`` (Date, first day), ``orders``, ``customers``, ``orders_per_customer``.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 5.0, 7.0],
    ...     "order_date": [dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 9),
    ...                    dt.datetime(2024, 2, 2)],
    ... })
    >>> monthly_activity(tx).rows()
    [(datetime.date(2024, 1, 1), 2, 1, 2.0), (datetime.date(2024, 2, 1), 1, 1, 1.0)]
    """
    _need(
        transactions,
        ("customer_id", "order_date", "amount"),
        "monthly_activity",
        "Read the data with rfm.read_transactions.",
    )
    purchases = transactions.filter(~_is_return(transactions.columns))
    order_key = (
        pl.col("order_id")
        if "order_id" in purchases.columns
        else pl.struct("customer_id", "order_date")
    )
    return (
        purchases.group_by(pl.col("order_date").cast(pl.Date).dt.truncate("1mo").alias("month"))
        .agg(
            order_key.n_unique().alias("orders"),
            pl.col("customer_id").n_unique().alias("customers"),
        )
        .with_columns((pl.col("orders") / pl.col("customers")).alias("orders_per_customer"))
        .sort("month")
    )


def crosstab(customers: pl.DataFrame, *, rows: str, columns: str) -> pl.DataFrame:
    """Customers in every (``rows``, ``columns``) pair, zeros included, in long form.

    Parameters
    ----------
    customers
        One row per customer with both columns (e.g. ``cluster_name`` and ``segment``).
    rows, columns
        The two grouping columns.

    Returns
    -------
    DataFrame
        ``rows``, ``columns``, ``customers`` (Int64) and ``share_of_row`` (the share of the
        row's customers in that column), one row per pair of values seen.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"cluster": ["x", "x", "y"], "segment": ["A", "B", "A"]})
    >>> crosstab(frame, rows="cluster", columns="segment").rows()
    [('x', 'A', 1, 0.5), ('x', 'B', 1, 0.5), ('y', 'A', 1, 1.0), ('y', 'B', 0, 0.0)]
    """
    _need(customers, (rows, columns), "crosstab", "Join the two columns onto one frame first.")
    pairs = customers.select(pl.col(rows).unique()).join(
        customers.select(pl.col(columns).unique()), how="cross"
    )
    counts = customers.group_by(rows, columns).agg(pl.len().cast(pl.Int64).alias("customers"))
    return (
        pairs.join(counts, on=[rows, columns], how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over(rows)).alias("share_of_row")
        )
        .sort(rows, columns)
    )
