"""Expected revenue, units and customer lifetime value from a purchase and a spend model.

Revenue over a horizon is ``E[purchase days in the horizon] x E[spend per purchase day]``
(the purchase model times the Gamma-Gamma model, assumed independent, as in Fader,
Hardie & Lee 2005b, "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis").
Units are ``E[purchase days] x`` the customer's average quantity per purchase day
(``quantity / purchase_days`` of the summary) -- only when the summary has ``quantity``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from rfm.errors import DataError
from rfm.models._base import PurchaseModel, check_horizon, collect
from rfm.models.gamma_gamma import GammaGamma


def _check_models(purchase_model: Any, spend_model: Any, who: str) -> None:
    if not isinstance(purchase_model, PurchaseModel):
        msg = (
            f"The 'purchase_model' parameter of {who} must be a fitted BetaGeo, ModifiedBetaGeo "
            f"or ParetoNBD. Got {type(purchase_model).__name__}."
        )
        raise DataError(msg)
    if not isinstance(spend_model, GammaGamma):
        msg = (
            f"The 'spend_model' parameter of {who} must be a fitted GammaGamma. "
            f"Got {type(spend_model).__name__}."
        )
        raise DataError(msg)


def expected_value(
    summary: pl.DataFrame | pl.LazyFrame,
    *,
    purchase_model: PurchaseModel[Any],
    spend_model: GammaGamma,
    horizon_days: float,
) -> pl.DataFrame:
    """Expected purchases, spend, revenue and units of each customer over a horizon.

    Parameters
    ----------
    summary
        Customer summary (see :func:`rfm.summarize`).
    purchase_model
        A fitted :class:`rfm.BetaGeo`, :class:`rfm.ModifiedBetaGeo` or :class:`rfm.ParetoNBD`.
    spend_model
        A fitted :class:`rfm.GammaGamma`.
    horizon_days
        Forecast horizon in days after the summary's ``as_of`` (e.g. 182 for six months).

    Returns
    -------
    DataFrame
        ``customer_id``, ``expected_purchases`` (purchase days), ``expected_spend`` (per
        purchase day), ``expected_revenue`` (their product) and, when the summary has
        ``quantity``, ``expected_units`` (expected purchases times the customer's average
        quantity per purchase day).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "purchase_days": [1, 4], "recency_days": [30, 10],
    ...     "tenure_days": [30, 200], "avg_repeat_value": [None, 20.0], "quantity": [2.0, 12.0],
    ... })
    >>> bg = rfm.BetaGeo.from_params({"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259})
    >>> gg = rfm.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> out = rfm.expected_value(summary, purchase_model=bg, spend_model=gg, horizon_days=182)
    >>> out.columns
    ['customer_id', 'expected_purchases', 'expected_spend', 'expected_revenue', 'expected_units']
    """
    who = "expected_value"
    _check_models(purchase_model, spend_model, who)
    horizon = check_horizon(horizon_days, who, "horizon_days")
    frame = collect(summary)
    purchases = purchase_model.expected_purchases(frame, horizon)
    spend = spend_model.expected_spend(frame)
    out = purchases.with_columns(spend.get_column("expected_spend")).with_columns(
        (pl.col("expected_purchases") * pl.col("expected_spend")).alias("expected_revenue")
    )
    if "quantity" in frame.columns:
        per_day = frame.get_column("quantity").cast(pl.Float64) / frame.get_column(
            "purchase_days"
        ).cast(pl.Float64)
        out = out.with_columns((pl.col("expected_purchases") * per_day).alias("expected_units"))
    return out


def clv(
    summary: pl.DataFrame | pl.LazyFrame,
    *,
    purchase_model: PurchaseModel[Any],
    spend_model: GammaGamma,
    horizon_days: float,
    discount_rate: float,
    period_days: float = 30,
) -> pl.DataFrame:
    r"""Discounted customer lifetime value over a horizon.

    The horizon is cut into periods of ``period_days``; the revenue expected in period
    ``k`` (the increase of expected purchases over the period times the expected spend) is
    discounted by :math:`(1 + d)^k`, where ``d = discount_rate`` is the rate **per period**:

    .. math::

       \text{CLV} = \sum_{k=1}^{K} \frac{E[Z]\,(E[Y(t_k)] - E[Y(t_{k-1})])}{(1+d)^{k}},
       \quad t_k = \min(k\,\text{period\_days}, \text{horizon\_days}).

    This is the discounted-cash-flow sum of lifetimes' ``customer_lifetime_value`` with
    ``freq="D"`` (its months are 30 days).

    Parameters
    ----------
    summary
        Customer summary.
    purchase_model, spend_model
        Fitted purchase model and :class:`rfm.GammaGamma`.
    horizon_days
        Horizon in days (e.g. 365).
    discount_rate
        Discount rate per period of ``period_days`` (e.g. 0.01 a month), >= 0.
    period_days
        Length of a discounting period in days (default 30, a month).

    Returns
    -------
    DataFrame
        ``customer_id``, ``clv`` (currency units).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a"], "purchase_days": [4], "recency_days": [10],
    ...     "tenure_days": [200], "avg_repeat_value": [20.0],
    ... })
    >>> bg = rfm.BetaGeo.from_params({"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259})
    >>> gg = rfm.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> undiscounted = rfm.clv(summary, purchase_model=bg, spend_model=gg,
    ...                        horizon_days=360, discount_rate=0.0)
    >>> revenue = rfm.expected_value(summary, purchase_model=bg, spend_model=gg, horizon_days=360)
    >>> bool(abs(undiscounted["clv"][0] - revenue["expected_revenue"][0]) < 1e-9)
    True
    """
    who = "clv"
    _check_models(purchase_model, spend_model, who)
    horizon = check_horizon(horizon_days, who, "horizon_days")
    period = check_horizon(period_days, who, "period_days")
    if period <= 0:
        msg = f"The 'period_days' parameter of clv must be > 0. Got {period_days!r}."
        raise DataError(msg)
    if not (isinstance(discount_rate, int | float) and discount_rate >= 0):
        msg = f"The 'discount_rate' parameter of clv must be a rate >= 0 per period. Got {discount_rate!r}."
        raise DataError(msg)
    frame = collect(summary)
    spend = spend_model.expected_spend(frame).get_column("expected_spend").to_numpy()
    total = np.zeros(frame.height)
    previous = np.zeros(frame.height)
    periods = math.ceil(horizon / period - 1e-12)
    for k in range(1, periods + 1):
        t_k = min(k * period, horizon)
        cumulative = (
            purchase_model.expected_purchases(frame, t_k)
            .get_column("expected_purchases")
            .to_numpy()
        )
        total += spend * (cumulative - previous) / (1.0 + discount_rate) ** k
        previous = cumulative
    return frame.select("customer_id").with_columns(pl.Series("clv", total))
