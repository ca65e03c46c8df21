"""Calibration / holdout check: how well does a purchase model forecast this data?

Split the transactions at ``calibration_end``: fit on the summary of everything up to
that day, predict each customer's purchase days in the holdout window
``(calibration_end, holdout_end]`` and compare with what they actually did -- per customer
and averaged by calibration-period repeat purchases, the view of lifetimes'
``plot_calibration_purchases_vs_holdout_purchases``. The error figure is the mean
absolute error per customer (purchase days).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from rfm import measures
from rfm.dates import to_date
from rfm.errors import ConvergenceError, DataError
from rfm.models._base import PurchaseModel, btyd_columns, collect
from rfm.models.beta_geo import BetaGeo
from rfm.models.modified_beta_geo import ModifiedBetaGeo
from rfm.models.pareto_nbd import ParetoNBD
from rfm.summary import summarize


@dataclasses.dataclass(frozen=True)
class CalibrationHoldout:
    """Transactions split in time.

    Attributes
    ----------
    calibration : DataFrame
        Customer summary (:func:`rfm.summarize`) at ``calibration_end``.
    holdout : DataFrame
        ``customer_id``, ``holdout_purchases``: distinct purchase days in the holdout window
        of every calibration customer (0 when none; returns are not purchases).
    calibration_end, holdout_end : date
        The holdout window is ``(calibration_end, holdout_end]``.
    holdout_days : int
        Its length in days, the forecast horizon.
    """

    calibration: pl.DataFrame
    holdout: pl.DataFrame
    calibration_end: dt.date
    holdout_end: dt.date
    holdout_days: int


@dataclasses.dataclass(frozen=True)
class HoldoutEvaluation:
    """Predicted vs actual holdout purchases of one model.

    Attributes
    ----------
    model : str
        Model class name.
    per_customer : DataFrame
        ``customer_id``, ``calibration_purchases`` (repeat purchase days ``x``),
        ``predicted_purchases``, ``actual_purchases``.
    by_frequency : DataFrame
        Mean predicted and actual holdout purchases by ``calibration_purchases`` (values at
        or above ``max_frequency`` pooled into the last row), with ``customers``.
    mae : float
        Mean absolute error per customer, in purchase days.
    """

    model: str
    per_customer: pl.DataFrame
    by_frequency: pl.DataFrame
    mae: float


@dataclasses.dataclass(frozen=True)
class ModelSelection:
    """Result of :func:`select_model`.

    Attributes
    ----------
    best : PurchaseModel
        The candidate with the lowest holdout MAE, fitted on the calibration summary.
    scores : DataFrame
        ``model``, ``mae``, ``log_likelihood``, ``error`` (why a candidate failed, or null),
        sorted by ``mae``.
    evaluations : dict
        Model name -> :class:`HoldoutEvaluation` for the candidates that fitted.
    """

    best: PurchaseModel[Any]
    scores: pl.DataFrame
    evaluations: dict[str, HoldoutEvaluation]


def _as_date(value: dt.date | dt.datetime | str, name: str) -> dt.date:
    day = to_date(value)
    if day is not None:
        return day
    msg = f"The '{name}' parameter of calibration_holdout must be a date like '2023-06-30'. Got {value!r}."
    raise DataError(msg)


def calibration_holdout(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    calibration_end: dt.date | dt.datetime | str,
    holdout_end: dt.date | dt.datetime | str | None = None,
) -> CalibrationHoldout:
    """Split transactions into a calibration summary and holdout purchase counts.

    Parameters
    ----------
    transactions
        Canonical transactions (``customer_id``, ``order_date``, ``amount``; see
        :func:`rfm.read_transactions`).
    calibration_end
        Last day of the calibration period (included in it).
    holdout_end
        Last day of the holdout window (included). Default: the last transaction day.

    Returns
    -------
    CalibrationHoldout

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "c"],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (1, 5, 20)]
    ...     + [dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 15)],
    ...     "amount": [10.0, 12.0, 9.0, 5.0, 7.0],
    ... })
    >>> split = rfm.calibration_holdout(tx, calibration_end="2024-01-10", holdout_end="2024-01-31")
    >>> split.holdout.rows(), split.holdout_days
    ([('a', 1), ('b', 0)], 21)
    """
    cal_end = _as_date(calibration_end, "calibration_end")
    lazy = transactions.lazy()
    schema = lazy.collect_schema()
    for column in ("customer_id", "order_date", "amount"):
        if column not in schema:
            msg = (
                f"calibration_holdout needs transactions with customer_id, order_date and "
                f"amount. Missing: {column}. Columns found: {', '.join(schema.names())}. "
                "Read the data with rfm.read_transactions."
            )
            raise DataError(msg)
    day = pl.col("order_date").cast(pl.Date)
    if holdout_end is None:
        last = lazy.select(day.max()).collect().item()
        if last is None:
            msg = "calibration_holdout got no transactions. Expected at least one dated row."
            raise DataError(msg)
        hold_end: dt.date = last
    else:
        hold_end = _as_date(holdout_end, "holdout_end")
    if hold_end <= cal_end:
        msg = (
            f"The holdout window must end after calibration_end. Got calibration_end={cal_end} "
            f"and holdout_end={hold_end}. Pick a calibration_end before the last transaction "
            "day, leaving e.g. the last quarter for the holdout."
        )
        raise DataError(msg)
    calibration = summarize(lazy.filter(day <= cal_end), as_of=cal_end).collect()
    if calibration.height == 0:
        msg = (
            f"No customer purchased on or before calibration_end={cal_end}. Pick a later "
            "calibration_end."
        )
        raise DataError(msg)
    holdout_days = (
        lazy.filter((day > cal_end) & (day <= hold_end) & measures.is_purchase(schema.names()))
        .group_by(pl.col("customer_id").cast(pl.String))
        .agg(day.n_unique().cast(pl.Int64).alias("holdout_purchases"))
        .collect()
    )
    holdout = (
        calibration.select("customer_id")
        .join(holdout_days, on="customer_id", how="left")
        .with_columns(pl.col("holdout_purchases").fill_null(0))
    )
    return CalibrationHoldout(calibration, holdout, cal_end, hold_end, (hold_end - cal_end).days)


def evaluate_holdout(
    model: PurchaseModel[Any], split: CalibrationHoldout, *, max_frequency: int = 7
) -> HoldoutEvaluation:
    """Compare a fitted model's holdout forecast with the actual holdout purchases.

    Parameters
    ----------
    model
        A purchase model fitted on ``split.calibration``.
    split
        From :func:`calibration_holdout`.
    max_frequency
        Calibration repeat purchases at or above this are pooled in ``by_frequency``.

    Returns
    -------
    HoldoutEvaluation
    """
    if not isinstance(max_frequency, int) or max_frequency < 1:
        msg = f"The 'max_frequency' parameter of evaluate_holdout must be an int >= 1. Got {max_frequency!r}."
        raise DataError(msg)
    calibration = collect(split.calibration)
    predicted = model.expected_purchases(calibration, split.holdout_days)
    x = btyd_columns(calibration, "evaluate_holdout").select(
        "customer_id", pl.col("x").cast(pl.Int64).alias("calibration_purchases")
    )
    per_customer = (
        x.join(predicted, on="customer_id", how="left", maintain_order="left")
        .rename({"expected_purchases": "predicted_purchases"})
        .join(split.holdout, on="customer_id", how="left", maintain_order="left")
        .select(
            "customer_id",
            "calibration_purchases",
            "predicted_purchases",
            pl.col("holdout_purchases").fill_null(0).cast(pl.Float64).alias("actual_purchases"),
        )
    )
    by_frequency = (
        per_customer.group_by(pl.col("calibration_purchases").clip(upper_bound=max_frequency))
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("predicted_purchases").mean(),
            pl.col("actual_purchases").mean(),
        )
        .sort("calibration_purchases")
    )
    mae = float(
        per_customer.select(
            (pl.col("predicted_purchases") - pl.col("actual_purchases")).abs().mean()
        ).item()
    )
    return HoldoutEvaluation(type(model).__name__, per_customer, by_frequency, mae)


def select_model(
    split: CalibrationHoldout,
    *,
    candidates: Sequence[PurchaseModel[Any]] | None = None,
) -> ModelSelection:
    """Fit each candidate on the calibration summary; keep the best holdout forecaster.

    Parameters
    ----------
    split
        From :func:`calibration_holdout`.
    candidates
        Purchase models to compare; each is fitted (in place) on ``split.calibration``.
        Default: ``BetaGeo()``, ``ModifiedBetaGeo()``, ``ParetoNBD()``. A candidate that
        fails to converge is reported in ``scores`` (column ``error``) and skipped.

    Returns
    -------
    ModelSelection
        The fitted model with the lowest holdout MAE, all scores and evaluations.
    """
    models: list[PurchaseModel[Any]] = (
        list(candidates) if candidates is not None else [BetaGeo(), ModifiedBetaGeo(), ParetoNBD()]
    )
    if not models:
        msg = "select_model needs at least one candidate model. Got an empty list."
        raise DataError(msg)
    rows: list[dict[str, Any]] = []
    evaluations: dict[str, HoldoutEvaluation] = {}
    fitted: dict[str, PurchaseModel[Any]] = {}
    for model in models:
        name = type(model).__name__
        try:
            model.fit(split.calibration)
        except ConvergenceError as error:
            rows.append({"model": name, "mae": None, "log_likelihood": None, "error": str(error)})
            continue
        evaluation = evaluate_holdout(model, split)
        evaluations[name] = evaluation
        fitted[name] = model
        rows.append(
            {
                "model": name,
                "mae": evaluation.mae,
                "log_likelihood": model.log_likelihood_,
                "error": None,
            }
        )
    scores = pl.DataFrame(
        rows,
        schema={
            "model": pl.String,
            "mae": pl.Float64,
            "log_likelihood": pl.Float64,
            "error": pl.String,
        },
    ).sort("mae", nulls_last=True)
    best_name = scores.get_column("model")[0]
    if best_name not in fitted:
        msg = (
            "select_model: no candidate model converged on the calibration data. "
            f"Errors: {'; '.join(r['error'] for r in rows)}"
        )
        raise ConvergenceError(msg)
    return ModelSelection(fitted[best_name], scores, evaluations)


__all__ = [
    "CalibrationHoldout",
    "HoldoutEvaluation",
    "ModelSelection",
    "calibration_holdout",
    "evaluate_holdout",
    "select_model",
]
