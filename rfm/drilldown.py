"""One customer of an analysis view: their lines, their scores, and P(alive) over time.

:func:`customer_history` picks one customer out of an :class:`rfm.AnalysisView`: the
lines of the view that are theirs (purchases and returns, as counted by
:mod:`rfm.measures`) and their row of the customer table (summary, scores, segment,
activity). :func:`alive_history` replays a fitted purchase model over the customer's
past, as lifetimes' ``plot_history_alive`` does: at each day from the first purchase to
the as-of date it summarises the purchases made up to that day (BTYD ``x``, ``t_x`` and
``T`` on that day) and asks the model's ``p_alive`` -- one call on a frame of one row per
day, no per-day Python loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from rfm import measures
from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.dates import to_date
from rfm.errors import DataError

if TYPE_CHECKING:
    from rfm.models._base import PurchaseModel
    from rfm.view import AnalysisView

__all__ = ["CustomerHistory", "alive_history", "customer_history", "customer_lines"]

_DAY = "date"


@dataclass(frozen=True)
class CustomerHistory:
    """One customer of an analysis view.

    Build it with :func:`customer_history`.

    Attributes
    ----------
    customer_id
        The customer.
    customer
        Their row of :attr:`rfm.AnalysisView.customers` (one row: summary, ``r_score``,
        ``f_score``, ``m_score``, ``rfm_score``, ``segment``, ``activity``).
    lines
        Their lines in the view, oldest first (see :func:`customer_lines`).
    as_of
        The day the view is measured at.
    """

    customer_id: str
    customer: pl.DataFrame
    lines: pl.DataFrame
    as_of: dt.date

    @property
    def row(self) -> dict[str, Any]:
        """:attr:`customer` as a dict of column name to value."""
        return self.customer.row(0, named=True)

    def timeline(self) -> pl.DataFrame:
        """Purchases and returns per day: ``date``, ``kind`` (``"purchase"`` or
        ``"return"``), ``lines``, ``orders``, ``amount`` (net, negative for returns) [,
        ``quantity``].

        The purchase amounts add up to the customer's gross sales and all amounts to
        their net ``monetary`` value.
        """
        return daily_timeline(self.lines)


def customer_lines(transactions: pl.DataFrame, customer_id: str) -> pl.DataFrame:
    """The lines of one customer, oldest first, with a ``kind`` column.

    Parameters
    ----------
    transactions
        Canonical transaction lines (an :class:`rfm.AnalysisView`'s ``transactions``).
    customer_id
        The customer (compared as text).

    Returns
    -------
    DataFrame
        ``order_date``, [``order_id``,] ``amount``, [``quantity``,] ``kind``
        (``"purchase"`` or ``"return"``, as :func:`rfm.measures.is_return` tells them).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "b", "a"], "amount": [10.0, 5.0, -4.0],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (3, 1, 2)],
    ... })
    >>> customer_lines(tx, "a").select("amount", "kind").rows()
    [(-4.0, 'return'), (10.0, 'purchase')]
    """
    names = transactions.columns
    kept = [
        name for name in (ORDER_DATE, measures.ORDER_ID, AMOUNT, measures.QUANTITY) if name in names
    ]
    returned = measures.is_return(names).fill_null(value=False)
    return (
        transactions.filter(pl.col(CUSTOMER_ID).cast(pl.String) == str(customer_id))
        .with_columns(
            pl.when(returned).then(pl.lit("return")).otherwise(pl.lit("purchase")).alias("kind")
        )
        .select(*kept, "kind")
        .sort(ORDER_DATE, maintain_order=True)
    )


def daily_timeline(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines of one customer (:func:`customer_lines`) summed per day and kind."""
    aggregations = [
        pl.len().cast(pl.Int64).alias("lines"),
        # Orders (or, on return days, return invoices) as the measures tell them apart.
        measures.order_key(lines.columns).n_unique().cast(pl.Int64).alias("orders"),
        pl.col(AMOUNT).cast(pl.Float64).sum().alias("amount"),
    ]
    if measures.QUANTITY in lines.columns:
        aggregations.append(pl.col(measures.QUANTITY).cast(pl.Float64).sum().alias("quantity"))
    return (
        lines.group_by(pl.col(ORDER_DATE).cast(pl.Date).alias(_DAY), "kind")
        .agg(aggregations)
        .sort(_DAY, "kind")
    )


def customer_history(view: AnalysisView, customer_id: str) -> CustomerHistory:
    """One customer of ``view``: their row of the customer table and their lines.

    Parameters
    ----------
    view
        An analysis view (:func:`rfm.analysis_view`).
    customer_id
        A customer of the view: at least one purchase on or before its as-of date that
        passes its filters (compared as text).

    Returns
    -------
    CustomerHistory

    Raises
    ------
    DataError
        The customer is not in the view (with the reason when it is known: only returns
        in it, or unknown).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"], "amount": [10.0, 5.0, -4.0, 7.0],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (1, 9, 10, 5)],
    ... })
    >>> history = rfm.customer_history(rfm.analysis_view(tx, as_of="2024-01-31"), "a")
    >>> history.row["monetary"], history.lines.height
    (11.0, 3)
    >>> history.timeline().select("date", "kind", "amount").rows()[-1]
    (datetime.date(2024, 1, 10), 'return', -4.0)
    """
    wanted = str(customer_id).strip()
    customer = view.customers.filter(pl.col(CUSTOMER_ID).cast(pl.String) == wanted)
    if customer.height == 0:
        only_returns = view.returns_only.filter(pl.col(CUSTOMER_ID).cast(pl.String) == wanted)
        if only_returns.height:
            why = (
                f"customer '{wanted}' has only returns in it (no purchase on or before "
                f"{view.as_of}), so they have no recency, frequency or segment"
            )
        else:
            why = (
                f"no customer '{wanted}' has a purchase in it (on or before {view.as_of}, "
                "passing the filters)"
            )
        msg = (
            f"Customer '{wanted}' is not in this view: {why}. Expected the id of one of its "
            f"{view.customers.height:,} customers; check the id, clear the filters or pick "
            "a later as-of date."
        )
        raise DataError(msg)
    return CustomerHistory(
        customer_id=wanted,
        customer=customer,
        lines=customer_lines(view.transactions, wanted),
        as_of=view.as_of,
    )


def alive_history(
    lines: pl.DataFrame,
    *,
    model: PurchaseModel[Any],
    as_of: dt.date | dt.datetime | str,
    freq_days: int = 1,
) -> pl.DataFrame:
    """P(alive) of one customer at each day from their first purchase to ``as_of``.

    On each day the customer is summarised from their purchases up to and including
    that day -- BTYD ``x`` (repeat purchase days), ``t_x`` (first to last purchase day)
    and ``T`` (first purchase day to that day) -- and ``model.p_alive`` is evaluated on
    all days at once. lifetimes' ``calculate_alive_path`` computes the same path (one
    ``apply`` per day); the last value equals the model's P(alive) on the customer's
    summary at ``as_of``.

    Parameters
    ----------
    lines
        The customer's lines (:func:`customer_lines`, or any lines with ``order_date``
        and ``amount``); returns are ignored, purchases after ``as_of`` too.
    model
        A fitted purchase model (:class:`rfm.BetaGeo`, :class:`rfm.ModifiedBetaGeo`,
        :class:`rfm.ParetoNBD`).
    as_of
        Last day of the path (the view's as-of date).
    freq_days
        Days between points; the first purchase day and ``as_of`` are always included.

    Returns
    -------
    DataFrame
        ``date``, ``tenure_days`` (T), ``purchase_days`` (x + 1), ``recency_days``
        (days since the last purchase), ``purchase`` (a purchase on that day) and
        ``p_alive``.

    Raises
    ------
    DataError
        No purchase on or before ``as_of``, ``as_of`` not a date, or ``freq_days`` not a
        positive whole number.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> lines = pl.DataFrame({
    ...     "order_date": [dt.date(2024, 1, 1), dt.date(2024, 1, 11)], "amount": [5.0, 8.0],
    ... })
    >>> bg = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.9, "a": 0.79, "b": 2.43})
    >>> path = rfm.alive_history(lines, model=bg, as_of="2024-03-01")
    >>> path.height, path["p_alive"][0]
    (61, 1.0)

    BG/NBD lets a customer leave right after a repeat purchase, with probability
    a / (a + b + x - 1), and P(alive) decays while they do not buy:

    >>> round(path["p_alive"][10], 4), round(2.43 / (0.79 + 2.43), 4)
    (0.7547, 0.7547)
    >>> round(path["p_alive"][-1], 3)
    0.533
    """
    if not (isinstance(freq_days, int) and not isinstance(freq_days, bool) and freq_days >= 1):
        msg = f"The 'freq_days' parameter of alive_history must be an int >= 1. Got {freq_days!r}."
        raise DataError(msg)
    end = to_date(as_of)
    if end is None:
        msg = (
            f"as_of must be a date like '2023-12-31'. Got {as_of!r}. "
            "Pass a datetime.date or an ISO date string."
        )
        raise DataError(msg)
    missing = [name for name in (ORDER_DATE, AMOUNT) if name not in lines.columns]
    if missing:
        msg = (
            f"alive_history needs the customer's lines with order_date and amount. Missing: "
            f"{', '.join(missing)}. Columns found: {', '.join(lines.columns) or '(none)'}. "
            "Take them from rfm.customer_history(view, customer_id).lines."
        )
        raise DataError(msg)
    day = pl.col(ORDER_DATE).cast(pl.Date)
    purchases = (
        lines.filter(measures.is_purchase(lines.columns) & (day <= end))
        .select(day.alias("__last_purchase"))
        .unique()
        .sort("__last_purchase")
        .with_row_index("purchase_days", offset=1)
        .with_columns(pl.col("purchase_days").cast(pl.Int64))
    )
    if purchases.height == 0:
        msg = (
            f"alive_history needs at least one purchase on or before {end}. Found "
            f"{lines.height:,} lines and none is a purchase by then. Pass the lines of a "
            "customer of the view."
        )
        raise DataError(msg)
    first: dt.date = purchases.item(0, "__last_purchase")
    grid = pl.date_range(first, end, interval=f"{freq_days}d", eager=True).alias(_DAY)
    if grid[-1] != end:
        grid = grid.append(pl.Series(_DAY, [end]))
    days = (
        grid.to_frame()
        .join_asof(purchases, left_on=_DAY, right_on="__last_purchase", strategy="backward")
        .with_columns(
            (pl.col(_DAY) - pl.lit(first)).dt.total_days().alias("tenure_days"),
            (pl.col(_DAY) - pl.col("__last_purchase")).dt.total_days().alias("recency_days"),
        )
        .with_columns(
            (pl.col("recency_days") == 0).alias("purchase"),
            pl.int_range(pl.len()).cast(pl.String).alias(CUSTOMER_ID),
        )
    )
    alive = model.p_alive(days).get_column("p_alive")
    return days.select(
        _DAY, "tenure_days", "purchase_days", "recency_days", "purchase"
    ).with_columns(alive)
