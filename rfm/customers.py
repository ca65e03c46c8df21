"""One customer table with everything RFM Studio knows per customer.

The view's customers (summary, scores, segment, activity), and when given: the cluster,
the churn risk of a fitted purchase model (P(alive), churn probability, no purchase over
the horizon, band), expected purchases, revenue and units over the horizon, and CLV.
The app's download and ``python -m rfm ... --forecast DAYS`` write this table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from rfm.columns import CUSTOMER_ID
from rfm.errors import DataError

if TYPE_CHECKING:
    from rfm.clustering import ClusterResult
    from rfm.models import GammaGamma
    from rfm.models._base import PurchaseModel
    from rfm.view import AnalysisView

__all__ = ["customer_table"]


def customer_table(
    view: AnalysisView,
    *,
    purchase_model: PurchaseModel[Any] | None = None,
    spend_model: GammaGamma | None = None,
    horizon_days: float = 182.625,
    discount_rate: float = 0.01,
    period_days: float = 30,
    clusters: ClusterResult | None = None,
) -> pl.DataFrame:
    """Every customer of ``view`` with their scores, segment and, when given, forecasts.

    Parameters
    ----------
    view
        From :func:`rfm.analysis_view`.
    purchase_model, spend_model
        Fitted models (e.g. the winner of :func:`rfm.choose_purchase_model` fitted on
        ``view.customers``, and :class:`rfm.GammaGamma`). With a purchase model the table
        gains ``p_alive``, ``churn_probability``, ``no_purchase_probability`` and
        ``churn_band``; with both, ``expected_purchases``, ``expected_spend``,
        ``expected_revenue``, ``expected_units`` (with quantities) and ``clv``.
    horizon_days
        Forecast horizon in days (default six average months).
    discount_rate, period_days
        CLV discounting: the rate per period of ``period_days`` (see :func:`rfm.clv`).
    clusters
        From :func:`rfm.cluster` on ``view.customers``: adds ``cluster`` and
        ``cluster_name``.

    Returns
    -------
    DataFrame
        One row per customer of the view, sorted by ``customer_id``. Customers the spend
        model cannot describe (repeat purchases netting to zero or less) have null
        spend, revenue and CLV.

    Examples
    --------
    >>> import rfm
    >>> view = rfm.analysis_view(rfm.datasets.simulate(300, random_state=2))
    >>> bg = rfm.BetaGeo().fit(view.customers)
    >>> table = rfm.customer_table(view, purchase_model=bg)
    >>> table.height == view.customers.height, "churn_band" in table.columns
    (True, True)
    """
    from rfm.models import churn_risk, clv, expected_value
    from rfm.models.gamma_gamma import spend_describable

    out = view.customers
    if clusters is not None:
        out = out.join(
            clusters.labels.select(CUSTOMER_ID, "cluster", "cluster_name"),
            on=CUSTOMER_ID,
            how="left",
            maintain_order="left",
        )
    if purchase_model is None:
        if spend_model is not None:
            msg = (
                "customer_table needs a purchase model with the spend model: expected "
                "revenue is expected purchases x expected spend. Pass purchase_model=."
            )
            raise DataError(msg)
        return out
    risk = churn_risk(out, model=purchase_model, days=horizon_days)
    out = out.with_columns(
        risk.get_column(name)
        for name in ("p_alive", "churn_probability", "no_purchase_probability", "churn_band")
    )
    if spend_model is None:
        return out
    # Gamma-Gamma describes customers with positive repeat spend (or no repeats).
    usable = out.filter(spend_describable())
    value = expected_value(
        usable, purchase_model=purchase_model, spend_model=spend_model, horizon_days=horizon_days
    )
    lifetime = clv(
        usable,
        purchase_model=purchase_model,
        spend_model=spend_model,
        horizon_days=horizon_days,
        discount_rate=discount_rate,
        period_days=period_days,
    )
    return out.join(value, on=CUSTOMER_ID, how="left", maintain_order="left").join(
        lifetime.select(CUSTOMER_ID, "clv"), on=CUSTOMER_ID, how="left", maintain_order="left"
    )
