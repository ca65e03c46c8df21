"""Churn risk and expected revenue per customer, and where that revenue will come from.

:func:`customer_forecast` joins a purchase model's P(alive) with the expected purchases,
spend, revenue and units of :func:`rfm.expected_value`. :func:`forecast_by_segment`
and :func:`forecast_by` add it up by segment and by a transaction attribute (country,
category, retailer, ...). A customer who bought in several countries or categories has
their forecast split across them in proportion to their past purchases there (gross
purchase value, returns left out), so every breakdown adds up to the same total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from rfm import measures
from rfm.errors import DataError

if TYPE_CHECKING:  # the models load scipy: only the forecasts themselves need it
    from rfm.models._base import PurchaseModel
    from rfm.models.gamma_gamma import GammaGamma

__all__ = [
    "DAYS_PER_MONTH",
    "LIKELY_CHURNED",
    "ForecastTotals",
    "at_risk_customers",
    "customer_forecast",
    "default_calibration_end",
    "forecast_by",
    "forecast_by_segment",
    "forecast_totals",
    "horizon_days",
]

DAYS_PER_MONTH: Final = 365.25 / 12
"""Average month length in days (6 months = 182.6 days)."""

LIKELY_CHURNED: Final = 0.5
"""Churn probability from which a customer counts as likely churned (and, by default, at risk)."""

_SUMS: Final = ("expected_purchases", "expected_revenue", "expected_units")


@dataclass(frozen=True)
class ForecastTotals:
    """Headline figures of a forecast; ``expected_units`` is None without quantities."""

    customers: int
    share_likely_churned: float
    expected_revenue: float
    expected_units: float | None


def forecast_totals(forecast: pl.DataFrame, *, threshold: float = LIKELY_CHURNED) -> ForecastTotals:
    """Customers, share likely churned (``churn_probability >= threshold``) and expected totals.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"churn_probability": [0.1, 0.5, 0.9], "expected_revenue": [10.0, 5.0, 1.0]})
    >>> t = forecast_totals(f)
    >>> t.customers, round(t.share_likely_churned, 3), t.expected_revenue, t.expected_units
    (3, 0.667, 16.0, None)
    """
    missing = [c for c in ("churn_probability", "expected_revenue") if c not in forecast.columns]
    if missing:
        msg = f"forecast_totals needs a customer forecast. Missing: {', '.join(missing)}. Build it with customer_forecast."
        raise DataError(msg)
    has_units = "expected_units" in forecast.columns
    row = forecast.select(
        (pl.col("churn_probability") >= threshold).mean().fill_null(0.0).alias("share"),
        pl.col("expected_revenue").sum().alias("revenue"),
        (pl.col("expected_units").sum() if has_units else pl.lit(None, pl.Float64)).alias("units"),
    ).row(0, named=True)
    return ForecastTotals(
        customers=forecast.height,
        share_likely_churned=row["share"],
        expected_revenue=row["revenue"],
        expected_units=row["units"],
    )


def horizon_days(months: float) -> float:
    """Forecast horizon in days for ``months`` average months.

    Examples
    --------
    >>> round(horizon_days(6), 3)
    182.625
    """
    if not (isinstance(months, int | float) and months > 0):
        msg = f"The 'months' parameter of horizon_days must be a number > 0. Got {months!r}."
        raise DataError(msg)
    return float(months) * DAYS_PER_MONTH


def customer_forecast(
    summary: pl.DataFrame,
    *,
    purchase_model: PurchaseModel[Any],
    spend_model: GammaGamma,
    horizon_days: float,
) -> pl.DataFrame:
    """Each customer's churn risk and expected purchases, revenue and units.

    Parameters
    ----------
    summary
        Customer summary (:func:`rfm.summarize`), possibly with ``segment`` and other
        columns, which are kept.
    purchase_model
        A fitted :class:`rfm.BetaGeo`, :class:`rfm.ModifiedBetaGeo` or :class:`rfm.ParetoNBD`.
    spend_model
        A fitted :class:`rfm.GammaGamma`.
    horizon_days
        Forecast horizon in days after the summary's ``as_of``.

    Returns
    -------
    DataFrame
        ``summary`` plus ``p_alive``, ``churn_probability``, ``expected_purchases``,
        ``expected_spend``, ``expected_revenue`` and (with ``quantity``) ``expected_units``.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "purchase_days": [1, 4], "recency_days": [30, 10],
    ...     "tenure_days": [30, 200], "avg_repeat_value": [None, 20.0],
    ... })
    >>> bg = rfm.BetaGeo.from_params({"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259})
    >>> gg = rfm.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> out = customer_forecast(summary, purchase_model=bg, spend_model=gg, horizon_days=182)
    >>> out["p_alive"].to_list()[0]
    1.0
    """
    from rfm.models.value import expected_value

    alive = purchase_model.p_alive(summary)
    value = expected_value(
        summary, purchase_model=purchase_model, spend_model=spend_model, horizon_days=horizon_days
    )
    # Both frames come back in the summary's row order, so columns line up by position.
    return summary.with_columns(
        alive.get_column("p_alive"),
        alive.get_column("churn_probability"),
        *(value.get_column(name) for name in value.columns if name != "customer_id"),
    )


def _present(forecast: pl.DataFrame) -> list[str]:
    return [name for name in _SUMS if name in forecast.columns]


def forecast_by_segment(forecast: pl.DataFrame, *, by: str = "segment") -> pl.DataFrame:
    """Churn risk and expected revenue by a customer-level column (default ``segment``).

    Parameters
    ----------
    forecast
        From :func:`customer_forecast`, with the ``by`` column.
    by
        Customer-level grouping column (``segment``, ``cluster_name``, ...).

    Returns
    -------
    DataFrame
        ``by``, ``customers``, ``avg_churn_probability``, ``avg_p_alive``,
        ``expected_purchases``, ``expected_revenue``, ``expected_units`` (when present),
        ``avg_expected_revenue`` (per customer), ``revenue_share``; sorted by expected
        revenue, largest first.

    Examples
    --------
    >>> import polars as pl
    >>> forecast = pl.DataFrame({
    ...     "segment": ["Lost", "Champions", "Lost"], "p_alive": [0.2, 0.9, 0.4],
    ...     "churn_probability": [0.8, 0.1, 0.6], "expected_purchases": [0.1, 2.0, 0.3],
    ...     "expected_revenue": [5.0, 100.0, 15.0],
    ... })
    >>> forecast_by_segment(forecast).select("segment", "customers", "avg_churn_probability").rows()
    [('Champions', 1, 0.1), ('Lost', 2, 0.7)]
    """
    if by not in forecast.columns:
        msg = (
            f"forecast_by_segment needs a '{by}' column. Columns found: "
            f"{', '.join(forecast.columns)}. Add it with rfm.segment before forecasting."
        )
        raise DataError(msg)
    sums = _present(forecast)
    out = forecast.group_by(by).agg(
        pl.len().alias("customers"),
        pl.col("churn_probability").mean().alias("avg_churn_probability"),
        pl.col("p_alive").mean().alias("avg_p_alive"),
        *(pl.col(name).sum() for name in sums),
    )
    return _finish(out, by)


def _finish(out: pl.DataFrame, by: str) -> pl.DataFrame:
    total = out.get_column("expected_revenue").sum()
    return out.with_columns(
        (pl.col("expected_revenue") / pl.col("customers")).alias("avg_expected_revenue"),
        (pl.col("expected_revenue") / total if total else pl.lit(None, pl.Float64)).alias(
            "revenue_share"
        ),
    ).sort(["expected_revenue", by], descending=[True, False], nulls_last=True)


def forecast_by(forecast: pl.DataFrame, transactions: pl.DataFrame, *, by: str) -> pl.DataFrame:
    """Expected purchases, revenue and units by a transaction attribute.

    Each customer's forecast is split across the values of ``by`` in proportion to the
    customer's gross purchase value in each (returns left out; when a customer's
    purchases sum to zero, in proportion to their purchase lines), so the groups add up
    to the total forecast.

    Parameters
    ----------
    forecast
        From :func:`customer_forecast`.
    transactions
        The transactions the summary was built from (an :class:`rfm.AnalysisView`'s
        ``transactions``: nothing after its as-of date), with the ``by`` column.
    by
        ``country``, ``category``, ``retailer``, ``city``, ... Missing values are grouped
        as ``"(unknown)"``.

    Returns
    -------
    DataFrame
        ``by``, ``customers`` (distinct customers with purchases there),
        ``expected_purchases``, ``expected_revenue``, ``expected_units`` (when present),
        ``avg_expected_revenue`` and ``avg_expected_units`` (per customer),
        ``revenue_share``; sorted by expected revenue, largest first.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [30.0, 10.0, 5.0],
    ...     "order_date": [dt.datetime(2024, 1, 1)] * 3,
    ...     "country": ["France", "Chile", "Chile"],
    ... })
    >>> forecast = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "expected_purchases": [2.0, 1.0],
    ...     "expected_revenue": [100.0, 10.0],
    ... })
    >>> forecast_by(forecast, tx, by="country").select("country", "expected_revenue").rows()
    [('France', 75.0), ('Chile', 35.0)]
    """
    for frame, name, what in (
        (transactions, by, "transactions"),
        (forecast, "customer_id", "forecast"),
    ):
        if name not in frame.columns:
            msg = (
                f"forecast_by needs a '{name}' column in the {what}. Columns found: "
                f"{', '.join(frame.columns)}."
            )
            raise DataError(msg)
    # Lazily, grouped by the column as it is and named after: neither a filtered copy of
    # the lines nor a text copy of the column (~100 MiB each at 1M lines) is built. A null
    # and a text "(unknown)" may give a customer two rows of one group; the sums below
    # add them up and ``customers`` counts the customer once.
    per_group = (
        transactions.lazy()
        .filter(measures.is_purchase(transactions.columns))
        .group_by(pl.col("customer_id").cast(pl.String), by)
        .agg(pl.col("amount").clip(lower_bound=0.0).sum().alias("value"), pl.len().alias("lines"))
        .with_columns(pl.col(by).cast(pl.String).fill_null("(unknown)"))
        .collect()
    )
    customer_total = pl.col("value").sum().over("customer_id")
    weights = per_group.with_columns(
        pl.when(customer_total > 0)
        .then(pl.col("value") / customer_total)
        .otherwise(pl.col("lines") / pl.col("lines").sum().over("customer_id"))
        .alias("weight")
    )
    sums = _present(forecast)
    allocated = weights.join(
        forecast.select(pl.col("customer_id").cast(pl.String), *sums), on="customer_id"
    )
    out = allocated.group_by(by).agg(
        pl.col("customer_id").n_unique().alias("customers"),
        *((pl.col(name) * pl.col("weight")).sum().alias(name) for name in sums),
    )
    if "expected_units" in sums:
        out = out.with_columns(
            (pl.col("expected_units") / pl.col("customers")).alias("avg_expected_units")
        )
    return _finish(out, by)


def at_risk_customers(
    forecast: pl.DataFrame,
    *,
    min_churn_probability: float = LIKELY_CHURNED,
    value_quantile: float = 0.8,
    top: int | None = 100,
) -> pl.DataFrame:
    """High-value customers most likely to have churned.

    High value: past net revenue (``monetary``) at or above its ``value_quantile``
    among all customers. At risk: ``churn_probability >= min_churn_probability``.
    Sorted by revenue at risk, ``monetary x churn_probability``, largest first.

    Parameters
    ----------
    forecast
        From :func:`customer_forecast` (needs ``monetary`` and ``churn_probability``).
    min_churn_probability
        Churn probability threshold in [0, 1].
    value_quantile
        Quantile of ``monetary`` in [0, 1] a customer must reach (0.8: the top 20 %).
    top
        Keep this many rows (``None``: all).

    Returns
    -------
    DataFrame
        The forecast rows that qualify, plus ``revenue_at_risk``.

    Examples
    --------
    >>> import polars as pl
    >>> forecast = pl.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"], "monetary": [10.0, 500.0, 900.0, 800.0],
    ...     "churn_probability": [0.9, 0.2, 0.6, 0.95],
    ... })
    >>> at_risk_customers(forecast, value_quantile=0.5)["customer_id"].to_list()
    ['d', 'c']
    """
    for name in ("monetary", "churn_probability"):
        if name not in forecast.columns:
            msg = (
                f"at_risk_customers needs a '{name}' column. Columns found: "
                f"{', '.join(forecast.columns)}. Build it with customer_forecast."
            )
            raise DataError(msg)
    for name, value in (
        ("min_churn_probability", min_churn_probability),
        ("value_quantile", value_quantile),
    ):
        if not (isinstance(value, int | float) and 0 <= value <= 1):
            msg = f"The '{name}' parameter of at_risk_customers must be in [0, 1]. Got {value!r}."
            raise DataError(msg)
    if top is not None and not (isinstance(top, int) and top >= 1):
        msg = f"The 'top' parameter of at_risk_customers must be an int >= 1 or None. Got {top!r}."
        raise DataError(msg)
    if forecast.height == 0:
        return forecast.with_columns(pl.lit(None, pl.Float64).alias("revenue_at_risk"))
    threshold = forecast.get_column("monetary").quantile(value_quantile, interpolation="linear")
    out = (
        forecast.filter(
            (pl.col("monetary") >= threshold)
            & (pl.col("churn_probability") >= min_churn_probability)
        )
        .with_columns((pl.col("monetary") * pl.col("churn_probability")).alias("revenue_at_risk"))
        .sort("revenue_at_risk", descending=True)
    )
    return out if top is None else out.head(top)


def default_calibration_end(
    transactions: pl.DataFrame, *, holdout_days: int | None = None
) -> dt.date:
    """Last calibration day for a model check: leaves the last part of the history out.

    The holdout is ``holdout_days`` long, by default a third of the history capped at
    a year (long enough to see repeat purchases, short enough to leave most of the data
    for fitting).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "amount": [1.0, 1.0],
    ...     "order_date": [dt.datetime(2023, 1, 1), dt.datetime(2023, 12, 31)],
    ... })
    >>> default_calibration_end(tx)
    datetime.date(2023, 9, 1)
    """
    days = transactions.select(
        pl.col("order_date").cast(pl.Date).min().alias("first"),
        pl.col("order_date").cast(pl.Date).max().alias("last"),
    ).row(0)
    first, last = days
    if first is None or (last - first).days < 2:
        msg = (
            "A calibration / holdout check needs transactions spanning at least 3 days. "
            f"Got {first} to {last}. Use a longer history or widen the date filter."
        )
        raise DataError(msg)
    span = (last - first).days
    length = min(span // 3, 365) if holdout_days is None else holdout_days
    if not (isinstance(length, int) and 1 <= length < span):
        msg = (
            f"The 'holdout_days' parameter of default_calibration_end must be an int in "
            f"[1, {span - 1}] for this history. Got {holdout_days!r}."
        )
        raise DataError(msg)
    return last - dt.timedelta(days=length)
