"""Calibration / holdout check: how well does a purchase model forecast this data?

Split the transactions at ``calibration_end``: fit on the summary of everything up to
that day, predict each customer's purchase days in the holdout window
``(calibration_end, holdout_end]`` and compare with what they actually did -- per customer
and averaged by calibration-period repeat purchases, the view of lifetimes'
``plot_calibration_purchases_vs_holdout_purchases``. The error figure is the mean
absolute error per customer (purchase days). :func:`holdout_accuracy` adds up the same
check in purchase days and money, in total and by any column (segment, country, ...), as
percentage errors and sentences an analyst can read. To choose among the models, see
:func:`rfm.choose_purchase_model`.
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
from rfm.models.gamma_gamma import GammaGamma
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
        of every calibration customer (0 when none; returns are not purchases), and
        ``holdout_revenue``: their net revenue in the window (purchases plus returns).
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
        ``predicted_purchases``, ``actual_purchases``; with a spend model also
        ``predicted_revenue`` and ``actual_revenue``.
    by_frequency : DataFrame
        Mean predicted and actual holdout purchases by ``calibration_purchases`` (values at
        or above ``max_frequency`` pooled into the last row), with ``customers``.
    mae : float
        Mean absolute error per customer, in purchase days.
    rmse : float
        Root-mean-square error per customer, in purchase days. Unlike the MAE (smallest
        for the median, which is 0 for most customers) it is smallest for the expected
        value the models forecast, so :func:`rfm.choose_purchase_model` ranks by it.
    """

    model: str
    per_customer: pl.DataFrame
    by_frequency: pl.DataFrame
    mae: float
    rmse: float = float("nan")


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


def _as_date(
    value: dt.date | dt.datetime | str, name: str, who: str = "calibration_holdout"
) -> dt.date:
    day = to_date(value)
    if day is not None:
        return day
    msg = f"The '{name}' parameter of {who} must be a date like '2023-06-30'. Got {value!r}."
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
    ([('a', 1, 9.0), ('b', 0, 0.0)], 21)
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
        lazy.filter((day > cal_end) & (day <= hold_end))
        .group_by(pl.col("customer_id").cast(pl.String))
        .agg(
            day.filter(measures.is_purchase(schema.names()))
            .n_unique()
            .cast(pl.Int64)
            .alias("holdout_purchases"),
            pl.col("amount").cast(pl.Float64).sum().alias("holdout_revenue"),
        )
        .collect()
    )
    holdout = (
        calibration.select("customer_id")
        .join(holdout_days, on="customer_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("holdout_purchases").fill_null(0), pl.col("holdout_revenue").fill_null(0.0)
        )
    )
    return CalibrationHoldout(calibration, holdout, cal_end, hold_end, (hold_end - cal_end).days)


def evaluate_holdout(
    model: PurchaseModel[Any],
    split: CalibrationHoldout,
    *,
    max_frequency: int = 7,
    spend_model: GammaGamma | None = None,
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
    spend_model
        A :class:`rfm.GammaGamma` fitted on ``split.calibration``: adds
        ``predicted_revenue`` (expected purchase days times expected spend) and
        ``actual_revenue`` (net holdout revenue) to ``per_customer``.

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
    if spend_model is not None:
        if not isinstance(spend_model, GammaGamma):
            msg = (
                "The 'spend_model' parameter of evaluate_holdout must be a fitted GammaGamma. "
                f"Got {type(spend_model).__name__}."
            )
            raise DataError(msg)
        spend = spend_model.expected_spend(calibration).get_column("expected_spend")
        revenue = split.holdout.select(
            "customer_id",
            (
                pl.col("holdout_revenue")
                if "holdout_revenue" in split.holdout.columns
                else pl.lit(0.0)
            ).alias("actual_revenue"),
        )
        per_customer = (
            per_customer.with_columns(
                (pl.col("predicted_purchases") * spend).alias("predicted_revenue")
            )
            .join(revenue, on="customer_id", how="left", maintain_order="left")
            .with_columns(pl.col("actual_revenue").cast(pl.Float64).fill_null(0.0))
        )
    error = pl.col("predicted_purchases") - pl.col("actual_purchases")
    mae, rmse = per_customer.select(
        error.abs().mean().alias("mae"), (error**2).mean().sqrt().alias("rmse")
    ).row(0)
    return HoldoutEvaluation(
        type(model).__name__, per_customer, by_frequency, float(mae), float(rmse)
    )


def select_model(
    split: CalibrationHoldout,
    *,
    candidates: Sequence[PurchaseModel[Any]] | None = None,
) -> ModelSelection:
    """Fit each candidate on the calibration summary; keep the best holdout forecaster.

    The terse original: :func:`rfm.choose_purchase_model` makes the same comparison by
    root-mean-square error with penalizers, diagnoses, ties and a reason in words; prefer it.

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


@dataclasses.dataclass(frozen=True)
class HoldoutAccuracy:
    """Predicted vs actual holdout purchases (and revenue) in total and by a column.

    Attributes
    ----------
    totals : DataFrame
        One row per measure (``"purchase days"``, and ``"revenue"`` when the evaluation
        has revenue): ``measure``, ``predicted``, ``actual``, ``error`` (predicted -
        actual), ``error_pct`` (error / actual; null when nothing happened), ``sentence``.
    by_group : DataFrame or None
        With ``by``: ``<by>``, ``customers``, ``predicted_purchases``,
        ``actual_purchases``, ``purchases_error_pct`` and, with revenue,
        ``predicted_revenue``, ``actual_revenue``, ``revenue_error_pct``. Its sums equal
        ``totals``.
    sentences : tuple of str
        The ``sentence`` column: "Predicted 4,476 purchase days, 5,460 happened: 18% too low."
    """

    totals: pl.DataFrame
    by_group: pl.DataFrame | None
    sentences: tuple[str, ...]


def _sentence(measure: str, predicted: float, actual: float, currency: str) -> str:
    if measure == "revenue":
        what = f"Predicted revenue {currency}{predicted:,.0f}, actual {currency}{actual:,.0f}"
        if actual == 0:
            return f"{what}: nothing was bought in the holdout."
    else:
        what = f"Predicted {predicted:,.0f} purchase days, {actual:,.0f} happened"
        if actual == 0:
            return f"Predicted {predicted:,.0f} purchase days; none happened in the holdout."
    share = (predicted - actual) / actual
    if abs(share) < 0.005:
        return f"{what}: about right (within 0.5%)."
    direction = "too high" if share > 0 else "too low"
    return f"{what}: {abs(share):.0%} {direction}."


def holdout_accuracy(
    evaluation: HoldoutEvaluation,
    *,
    by: str | None = None,
    groups: pl.DataFrame | None = None,
    currency: str = "",
) -> HoldoutAccuracy:
    """How far the holdout forecast was off, in purchase days and money, in words.

    Parameters
    ----------
    evaluation
        From :func:`evaluate_holdout` (pass ``spend_model=`` there for revenue).
    by
        Optional grouping column (e.g. ``"segment"``), looked up in ``groups``.
    groups
        A frame with ``customer_id`` and the ``by`` column for the calibration customers
        (e.g. ``rfm.segment(rfm.score(split.calibration))``); customers missing from it
        fall in a null group. Default: ``evaluation.per_customer``.
    currency
        Symbol written before money in the sentences (e.g. ``"$"``).

    Returns
    -------
    HoldoutAccuracy

    Examples
    --------
    >>> import polars as pl
    >>> per_customer = pl.DataFrame({
    ...     "customer_id": ["a", "b", "c"], "calibration_purchases": [0, 2, 5],
    ...     "predicted_purchases": [0.5, 1.5, 2.476], "actual_purchases": [0.0, 2.0, 3.46],
    ... })
    >>> evaluation = HoldoutEvaluation("BetaGeo", per_customer, per_customer, 0.5)
    >>> holdout_accuracy(evaluation).sentences
    ('Predicted 4 purchase days, 5 happened: 18% too low.',)
    """
    per_customer = evaluation.per_customer
    has_revenue = {"predicted_revenue", "actual_revenue"} <= set(per_customer.columns)
    measures = [("purchase days", "predicted_purchases", "actual_purchases")]
    if has_revenue:
        measures.append(("revenue", "predicted_revenue", "actual_revenue"))
    sums = per_customer.select(*(pl.col(c).sum() for _, p, a in measures for c in (p, a))).row(0)
    rows = []
    for i, (measure, _, _) in enumerate(measures):
        predicted, actual = float(sums[2 * i]), float(sums[2 * i + 1])
        rows.append(
            {
                "measure": measure,
                "predicted": predicted,
                "actual": actual,
                "error": predicted - actual,
                "error_pct": (predicted - actual) / actual if actual != 0 else None,
                "sentence": _sentence(measure, predicted, actual, currency),
            }
        )
    totals = pl.DataFrame(
        rows,
        schema={
            "measure": pl.String,
            "predicted": pl.Float64,
            "actual": pl.Float64,
            "error": pl.Float64,
            "error_pct": pl.Float64,
            "sentence": pl.String,
        },
    )
    by_group = None
    if by is not None:
        source = per_customer if groups is None else groups
        if "customer_id" not in source.columns or by not in source.columns:
            where = "evaluation.per_customer" if groups is None else "groups"
            msg = (
                f"holdout_accuracy cannot group by '{by}': {where} has columns "
                f"{', '.join(source.columns)}. Pass groups= a frame with customer_id and "
                f"'{by}' (e.g. the scored and segmented calibration summary)."
            )
            raise DataError(msg)
        frame = (
            per_customer
            if groups is None
            else per_customer.drop(by, strict=False).join(
                groups.select("customer_id", by).unique("customer_id"),
                on="customer_id",
                how="left",
                maintain_order="left",
            )
        )

        def pct(predicted: str, actual: str) -> pl.Expr:
            return (
                pl.when(pl.col(actual) != 0)
                .then((pl.col(predicted) - pl.col(actual)) / pl.col(actual))
                .otherwise(None)
            )

        names = [c for _, p, a in measures for c in (p, a)]
        by_group = (
            frame.group_by(by)
            .agg(pl.len().cast(pl.Int64).alias("customers"), *(pl.col(c).sum() for c in names))
            .with_columns(
                pct("predicted_purchases", "actual_purchases").alias("purchases_error_pct"),
                *(
                    [pct("predicted_revenue", "actual_revenue").alias("revenue_error_pct")]
                    if has_revenue
                    else []
                ),
            )
            .sort(by, nulls_last=True)
        )
    return HoldoutAccuracy(totals, by_group, tuple(totals.get_column("sentence").to_list()))


__all__ = [
    "CalibrationHoldout",
    "HoldoutAccuracy",
    "HoldoutEvaluation",
    "ModelSelection",
    "calibration_holdout",
    "evaluate_holdout",
    "holdout_accuracy",
    "select_model",
]
