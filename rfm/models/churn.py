"""Churn risk in plain terms: P(alive), no purchase in the next N days, Low / Medium / High.

:func:`churn_risk` puts three figures per customer next to the summary's columns:

- ``p_alive`` -- the probability the customer is still active at ``as_of``;
- ``churn_probability = 1 - p_alive`` -- the probability they have already left;
- ``no_purchase_probability`` -- the probability of no purchase in the next ``days``
  days (left, or still active but not buying that soon; see
  ``PurchaseModel.no_purchase_probability``);

and a ``churn_band`` (:data:`CHURN_BANDS`) cut from one of them at
:data:`DEFAULT_BAND_THRESHOLDS`: **Low** below 0.25, **Medium** from 0.25 to below 0.5,
**High** from 0.5 (more likely gone than not -- the "likely churned" line of
:mod:`rfm.forecast`). :func:`churn_by` averages the figures by any column (segment,
country, ...) with each band's share of customers.

Before showing churn figures, check the model's ``diagnose().churn_estimable``: on a
history with no visible drop-out they are not estimates.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import polars as pl

from rfm.errors import DataError
from rfm.models._base import PurchaseModel, check_horizon, collect

__all__ = ["CHURN_BANDS", "DEFAULT_BAND_THRESHOLDS", "churn_band", "churn_by", "churn_risk"]

CHURN_BANDS: Final = ("Low", "Medium", "High")
"""Churn bands, from least to most at risk."""

DEFAULT_BAND_THRESHOLDS: Final = (0.25, 0.5)
"""Low below 0.25; Medium from 0.25 to below 0.5; High from 0.5 (more likely gone than not)."""

_RISK_COLUMNS: Final = ("p_alive", "churn_probability", "no_purchase_probability")


def _check_thresholds(thresholds: Any, who: str) -> tuple[float, float]:
    ok = (
        isinstance(thresholds, tuple | list)
        and len(thresholds) == 2
        and all(isinstance(v, int | float) for v in thresholds)
        and 0.0 < thresholds[0] < thresholds[1] <= 1.0
    )
    if not ok:
        msg = (
            f"The 'thresholds' parameter of {who} must be two probabilities "
            f"(low, high) with 0 < low < high <= 1, e.g. {DEFAULT_BAND_THRESHOLDS}. "
            f"Got {thresholds!r}."
        )
        raise DataError(msg)
    return float(thresholds[0]), float(thresholds[1])


def churn_band(
    column: str | pl.Expr = "churn_probability",
    *,
    thresholds: tuple[float, float] = DEFAULT_BAND_THRESHOLDS,
) -> pl.Expr:
    """Low / Medium / High band of a probability column (a ``pl.Enum`` expression).

    Parameters
    ----------
    column
        Column name or expression with probabilities in [0, 1].
    thresholds
        ``(low, high)``: below ``low`` is Low, from ``low`` to below ``high`` Medium, from
        ``high`` High. Default :data:`DEFAULT_BAND_THRESHOLDS` ``(0.25, 0.5)``.

    Returns
    -------
    Expr
        Named ``churn_band``, of type ``pl.Enum(CHURN_BANDS)`` (sorts Low < Medium < High).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"churn_probability": [0.1, 0.25, 0.49, 0.5, 0.97]})
    >>> frame.select(churn_band())["churn_band"].to_list()
    ['Low', 'Medium', 'Medium', 'High', 'High']
    """
    low, high = _check_thresholds(thresholds, "churn_band")
    value = pl.col(column) if isinstance(column, str) else column
    return (
        pl.when(value >= high)
        .then(pl.lit(CHURN_BANDS[2]))
        .when(value >= low)
        .then(pl.lit(CHURN_BANDS[1]))
        .when(value.is_not_null())
        .then(pl.lit(CHURN_BANDS[0]))
        .cast(pl.Enum(CHURN_BANDS))
        .alias("churn_band")
    )


def churn_risk(
    summary: pl.DataFrame | pl.LazyFrame,
    *,
    model: PurchaseModel[Any],
    days: float = 90,
    thresholds: tuple[float, float] = DEFAULT_BAND_THRESHOLDS,
    band_on: Literal["churn_probability", "no_purchase_probability"] = "churn_probability",
) -> pl.DataFrame:
    """Each customer's churn risk: P(alive), churn probability, no purchase in ``days``, band.

    Parameters
    ----------
    summary
        Customer summary (:func:`rfm.summarize`), possibly with ``segment`` and other
        columns, which are kept.
    model
        A fitted :class:`rfm.BetaGeo`, :class:`rfm.ModifiedBetaGeo` or :class:`rfm.ParetoNBD`
        (e.g. the winner of :func:`rfm.choose_purchase_model`).
    days
        Horizon of ``no_purchase_probability`` in days after ``as_of`` (default 90).
    thresholds
        Band limits ``(low, high)``; see :func:`churn_band`.
    band_on
        Which probability the band is cut from: ``"churn_probability"`` (already left,
        the default) or ``"no_purchase_probability"`` (no purchase in ``days``).

    Returns
    -------
    DataFrame
        The summary's columns, then ``p_alive``, ``churn_probability``,
        ``no_purchase_probability`` and ``churn_band``.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b", "c"], "purchase_days": [1, 6, 6],
    ...     "recency_days": [300, 5, 250], "tenure_days": [300, 300, 300],
    ... })
    >>> model = rfm.ParetoNBD.from_params({"r": 0.55, "alpha": 74.0, "s": 0.61, "beta": 82.0})
    >>> risk = rfm.churn_risk(summary, model=model, days=90)
    >>> risk.select("customer_id", pl.col("churn_probability").round(2), "churn_band").rows()
    [('a', 0.73, 'High'), ('b', 0.01, 'Low'), ('c', 0.99, 'High')]
    >>> bool((risk["no_purchase_probability"] >= risk["churn_probability"]).all())
    True
    """
    who = "churn_risk"
    if not isinstance(model, PurchaseModel):
        msg = (
            f"The 'model' parameter of {who} must be a fitted BetaGeo, ModifiedBetaGeo or "
            f"ParetoNBD. Got {type(model).__name__}."
        )
        raise DataError(msg)
    horizon = check_horizon(days, who, "days")
    _check_thresholds(thresholds, who)
    if band_on not in ("churn_probability", "no_purchase_probability"):
        msg = (
            f"The 'band_on' parameter of {who} must be 'churn_probability' or "
            f"'no_purchase_probability'. Got {band_on!r}."
        )
        raise DataError(msg)
    frame = collect(summary)
    alive = model.p_alive(frame)
    none = model.no_purchase_probability(frame, horizon)
    kept = frame.drop([c for c in (*_RISK_COLUMNS, "churn_band") if c in frame.columns])
    return kept.with_columns(
        alive.get_column("p_alive"),
        alive.get_column("churn_probability"),
        none.get_column("no_purchase_probability"),
    ).with_columns(churn_band(band_on, thresholds=thresholds))


def churn_by(risk: pl.DataFrame, *, by: str = "segment") -> pl.DataFrame:
    """Average churn risk and the Low / Medium / High mix by a column (segment, country, ...).

    Parameters
    ----------
    risk
        From :func:`churn_risk` (with the ``by`` column kept from the summary, or joined).
    by
        Grouping column.

    Returns
    -------
    DataFrame
        ``by``, ``customers``, ``avg_p_alive``, ``avg_churn_probability``,
        ``avg_no_purchase_probability``, and ``low_share``, ``medium_share``,
        ``high_share`` (shares of the group's customers in each band; they sum to 1),
        sorted by ``by``. Averages are per customer, so a total over all customers is
        the customer-weighted mean of the rows.

    Examples
    --------
    >>> import polars as pl
    >>> risk = pl.DataFrame({
    ...     "segment": ["Lost", "Lost", "Champions"],
    ...     "p_alive": [0.2, 0.4, 0.9], "churn_probability": [0.8, 0.6, 0.1],
    ...     "no_purchase_probability": [0.9, 0.7, 0.3],
    ...     "churn_band": ["High", "High", "Low"],
    ... })
    >>> churn_by(risk).select("segment", "customers", "avg_churn_probability", "high_share").rows()
    [('Champions', 1, 0.1, 0.0), ('Lost', 2, 0.7, 1.0)]
    """
    needed = (by, *_RISK_COLUMNS, "churn_band")
    missing = [c for c in needed if c not in risk.columns]
    if missing:
        msg = (
            f"churn_by needs the output of churn_risk with a '{by}' column. Missing: "
            f"{', '.join(missing)}. Columns found: {', '.join(risk.columns)}. Keep '{by}' in "
            "the summary passed to churn_risk, or join it on customer_id."
        )
        raise DataError(msg)
    band = pl.col("churn_band").cast(pl.String)
    return (
        risk.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            *(pl.col(c).mean().alias(f"avg_{c}") for c in _RISK_COLUMNS),
            *((band == name).mean().alias(f"{name.lower()}_share") for name in CHURN_BANDS),
        )
        .sort(by, nulls_last=True)
    )
