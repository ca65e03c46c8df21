"""Choose the purchase model that forecasts this data best, and say why in words.

:func:`choose_purchase_model` splits the transactions at ``calibration_end``, fits each
candidate (BG/NBD, MBG/NBD, Pareto/NBD) on the calibration summary, forecasts each
customer's purchase days in the holdout window and keeps the model with the lowest
root-mean-square error (RMSE; the mean absolute error is reported too, but it rewards
forecasting too few purchases: for counts that are mostly 0 it is smallest for the
median, not for the expected value the models forecast -- on simulated data it picks the
Pareto/NBD on BG/NBD data). Candidates whose RMSE is within ``tolerance`` (relative,
default 1 %) of the best are *indistinguishable* on the holdout, and the reason says so.
Among them, a model whose churn can be estimated (its diagnosis sees drop-out) beats one
whose cannot, then the higher calibration log-likelihood wins (all three have four
parameters, so the likelihoods compare directly; on simulated data it names the true
model far more reliably than the holdout does).

The MBG/NBD and the Pareto/NBD let customers leave before a repeat purchase; the BG/NBD
assumes every one-time buyer is still active (P(alive) = 1 however long ago they bought),
which is why the choice matters for churn figures even when forecasts are close.

Every candidate carries its :class:`~rfm.models.diagnosis.FitDiagnosis`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Final

import polars as pl

from rfm.errors import ConvergenceError, DataError
from rfm.models._base import PurchaseModel, collect
from rfm.models.beta_geo import BetaGeo
from rfm.models.diagnosis import FitDiagnosis
from rfm.models.holdout import (
    CalibrationHoldout,
    HoldoutEvaluation,
    _as_date,
    calibration_holdout,
    evaluate_holdout,
)
from rfm.models.modified_beta_geo import ModifiedBetaGeo
from rfm.models.pareto_nbd import ParetoNBD

__all__ = [
    "DEFAULT_PENALIZERS",
    "PURCHASE_MODELS",
    "CandidateFit",
    "ModelChoice",
    "choose_purchase_model",
    "purchase_model",
]

PURCHASE_MODELS: Final[dict[str, type[PurchaseModel[Any]]]] = {
    "bg/nbd": BetaGeo,
    "mbg/nbd": ModifiedBetaGeo,
    "pareto/nbd": ParetoNBD,
}
"""Purchase models by key, as :func:`choose_purchase_model` and :func:`purchase_model` name them."""

DEFAULT_PENALIZERS: Final = (0.0, 0.001, 0.01)
"""Penalizers tried in turn when a fit runs off to a boundary (ConvergenceError)."""

_ALIASES: Final = {
    **{key: key for key in PURCHASE_MODELS},
    **{cls.__name__.lower(): key for key, cls in PURCHASE_MODELS.items()},
    "bgnbd": "bg/nbd",
    "mbgnbd": "mbg/nbd",
    "paretonbd": "pareto/nbd",
}


def _key(name: Any, who: str) -> str:
    key = _ALIASES.get(str(name).strip().lower()) if isinstance(name, str) else None
    if key is None:
        msg = (
            f"The model name given to {who} must be one of {', '.join(PURCHASE_MODELS)} "
            f"(or BetaGeo, ModifiedBetaGeo, ParetoNBD). Got {name!r}."
        )
        raise DataError(msg)
    return key


def purchase_model(name: str, *, penalizer: float = 0.0, maxiter: int = 2000) -> PurchaseModel[Any]:
    """An unfitted purchase model by name ("bg/nbd", "mbg/nbd", "pareto/nbd"; any case).

    Examples
    --------
    >>> purchase_model("Pareto/NBD")
    ParetoNBD(penalizer=0.0, maxiter=2000)
    """
    return PURCHASE_MODELS[_key(name, "purchase_model")](penalizer=penalizer, maxiter=maxiter)


def _penalizers(penalizer: float | Sequence[float]) -> tuple[float, ...]:
    values = (penalizer,) if isinstance(penalizer, int | float) else tuple(penalizer)
    if not values or not all(isinstance(v, int | float) and v >= 0 for v in values):
        msg = (
            "The 'penalizer' parameter of choose_purchase_model must be a float >= 0 or a "
            f"non-empty sequence of them, tried in turn. Got {penalizer!r}."
        )
        raise DataError(msg)
    return tuple(float(v) for v in values)


def _fit_with(
    key: str, summary: pl.DataFrame, penalizers: tuple[float, ...]
) -> tuple[PurchaseModel[Any], float]:
    """Fit ``key`` with the first penalizer that converges (the last error if none)."""
    error: ConvergenceError | None = None
    for value in penalizers:
        try:
            return purchase_model(key, penalizer=value).fit(summary), value
        except ConvergenceError as caught:
            error = caught
    assert error is not None
    raise error


@dataclasses.dataclass(frozen=True)
class CandidateFit:
    """One candidate of :func:`choose_purchase_model`.

    Attributes
    ----------
    key, name : str
        ``"pareto/nbd"`` and ``"Pareto/NBD"``.
    model : PurchaseModel or None
        Fitted on the calibration summary; None when no penalizer made it converge.
    penalizer : float or None
        The penalizer of the fit that converged.
    evaluation : HoldoutEvaluation or None
        Its holdout forecast against what happened.
    diagnosis : FitDiagnosis or None
        What the fit can and cannot tell (see ``PurchaseModel.diagnose``).
    error : str or None
        Why it could not be fitted.
    """

    key: str
    name: str
    model: PurchaseModel[Any] | None
    penalizer: float | None
    evaluation: HoldoutEvaluation | None
    diagnosis: FitDiagnosis | None
    error: str | None


@dataclasses.dataclass(frozen=True)
class ModelChoice:
    """Result of :func:`choose_purchase_model`.

    Attributes
    ----------
    winner : str
        Key of the chosen model (``"bg/nbd"``, ``"mbg/nbd"`` or ``"pareto/nbd"``).
    name : str
        Its display name ("Pareto/NBD").
    model : PurchaseModel
        The winner fitted on the calibration summary (use :meth:`fit` to fit it on the
        whole history for forecasts).
    penalizer : float
        The penalizer its fit needed (0.0 unless the unpenalised fit ran off).
    reason : str
        Why it was chosen, in words, with the scores (and, when its churn figures are not
        estimates, the diagnosis).
    indistinguishable : bool
        More than one candidate forecast the holdout within ``tolerance`` of the best.
    tied : tuple of str
        Display names of the candidates within ``tolerance`` of the best, best first.
    scores : DataFrame
        One row per candidate, best first: ``model`` (display name), ``key``, ``rmse``
        (root-mean-square holdout error, purchase days per customer), ``rmse_vs_best``
        (relative excess, 0 for the best), ``mae`` (mean absolute error),
        ``log_likelihood`` (calibration, days), ``penalizer``, ``status`` and
        ``churn_estimable`` (from the diagnosis), ``error``.
    candidates : dict
        Key -> :class:`CandidateFit`.
    split : CalibrationHoldout
        The calibration / holdout split used.
    tolerance : float
        Relative MAE difference below which candidates count as indistinguishable.
    """

    winner: str
    name: str
    model: PurchaseModel[Any]
    penalizer: float
    reason: str
    indistinguishable: bool
    tied: tuple[str, ...]
    scores: pl.DataFrame
    candidates: dict[str, CandidateFit]
    split: CalibrationHoldout
    tolerance: float

    @property
    def diagnosis(self) -> FitDiagnosis:
        """The winner's :class:`FitDiagnosis` (on the calibration summary)."""
        return self.model.diagnose()

    @property
    def evaluation(self) -> HoldoutEvaluation:
        """The winner's :class:`HoldoutEvaluation`."""
        evaluation = self.candidates[self.winner].evaluation
        assert evaluation is not None
        return evaluation

    def fit(
        self,
        summary: pl.DataFrame | pl.LazyFrame,
        *,
        model: str | None = None,
        penalizer: float | Sequence[float] | None = None,
    ) -> PurchaseModel[Any]:
        """Fit the chosen model (or the analyst's override) on a whole-history summary.

        Parameters
        ----------
        summary
            Customer summary at the analysis ``as_of`` (:func:`rfm.summarize`).
        model
            Override the winner: "bg/nbd", "mbg/nbd" or "pareto/nbd".
        penalizer
            Penalizers tried in turn; default: the winner's, then the larger defaults.

        Returns
        -------
        PurchaseModel
            A fitted model; see its ``diagnose()`` before showing churn figures.
        """
        key = self.winner if model is None else _key(model, "ModelChoice.fit")
        if penalizer is None:
            start = self.penalizer if key == self.winner else 0.0
            schedule = (start, *(v for v in DEFAULT_PENALIZERS if v > start))
        else:
            schedule = _penalizers(penalizer)
        return _fit_with(key, collect(summary), schedule)[0]


def _last_day(transactions: pl.LazyFrame, as_of: dt.date) -> dt.date | None:
    value = (
        transactions.select(pl.col("order_date").cast(pl.Date))
        .filter(pl.col("order_date") <= as_of)
        .select(pl.col("order_date").max())
        .collect()
        .item()
    )
    return value if isinstance(value, dt.date) else None


def choose_purchase_model(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: dt.date | dt.datetime | str,
    calibration_end: dt.date | dt.datetime | str,
    holdout_end: dt.date | dt.datetime | str | None = None,
    candidates: Sequence[str] = ("bg/nbd", "mbg/nbd", "pareto/nbd"),
    penalizer: float | Sequence[float] = DEFAULT_PENALIZERS,
    tolerance: float = 0.01,
    max_customers: int | None = 200_000,
    random_state: int = 0,
) -> ModelChoice:
    """Fit each candidate on the calibration split; keep the best holdout forecaster.

    Parameters
    ----------
    transactions
        Canonical transactions (:func:`rfm.read_transactions`); rows after ``as_of`` are
        not used.
    as_of
        The analysis date: the split must end on or before it.
    calibration_end
        Last day of the calibration period.
    holdout_end
        Last day of the holdout window, on or before ``as_of``. Default: the last
        transaction day on or before ``as_of``.
    candidates
        Model keys to compare (default all three).
    penalizer
        Penalizers tried in turn for each candidate when a fit runs off to a boundary
        (default :data:`DEFAULT_PENALIZERS` ``(0.0, 0.001, 0.01)``); one float to use
        only that.
    tolerance
        Candidates whose holdout RMSE is within this fraction of the best (default 0.01,
        1 %) are reported as indistinguishable; among them one that sees drop-out, then
        the highest calibration log-likelihood wins.
    max_customers
        Compare the models on a random subset of this many customers (all their
        transactions) when there are more (default 200,000; None for all). The choice
        needs far fewer customers than the forecasts: at 200,000 the holdout errors are
        measured to well under the 1 % tolerance, and the Pareto/NBD fit, the slowest,
        costs a few seconds instead of about 20 CPU seconds at 1.4M customers (see
        benchmarks/results/models.md). Fit the forecasting model on everyone with
        :meth:`ModelChoice.fit`.
    random_state
        Seed of that subset.

    Returns
    -------
    ModelChoice
        The winner (fitted on the calibration summary), per-model scores and diagnoses,
        and the reason in words.

    Raises
    ------
    DataError
        Bad dates (the holdout ends after ``as_of`` or before ``calibration_end``), bad
        candidates or options, or no usable customers.
    ConvergenceError
        No candidate could be fitted with any penalizer.

    Examples
    --------
    >>> import rfm
    >>> from rfm import datasets
    >>> tx = datasets.simulate(1500, random_state=3)
    >>> choice = rfm.choose_purchase_model(tx, as_of="2023-12-31", calibration_end="2023-08-31")
    >>> choice.name in {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    True
    >>> choice.scores.columns[:4]
    ['model', 'key', 'rmse', 'rmse_vs_best']
    >>> model = choice.fit(rfm.summarize(tx, as_of="2023-12-31"))   # for the forecasts
    """
    who = "choose_purchase_model"
    analysis_day = _as_date(as_of, "as_of", who)
    keys = [_key(name, who) for name in candidates] if not isinstance(candidates, str) else []
    if not keys or len(set(keys)) != len(keys):
        msg = (
            f"The 'candidates' parameter of {who} must be a non-empty list of distinct model "
            f"names from {', '.join(PURCHASE_MODELS)}. Got {candidates!r}."
        )
        raise DataError(msg)
    schedule = _penalizers(penalizer)
    if not (isinstance(tolerance, int | float) and 0 <= tolerance < 1):
        msg = f"The 'tolerance' parameter of {who} must be a fraction in [0, 1). Got {tolerance!r}."
        raise DataError(msg)
    lazy = transactions.lazy()
    if "order_date" not in lazy.collect_schema():
        msg = (
            f"{who} needs transactions with customer_id, order_date and amount. Missing: "
            f"order_date. Columns found: {', '.join(lazy.collect_schema().names())}. Read the "
            "data with rfm.read_transactions."
        )
        raise DataError(msg)
    if holdout_end is None:
        last = _last_day(lazy, analysis_day)
        if last is None:
            msg = f"{who} found no transaction on or before as_of={analysis_day}."
            raise DataError(msg)
        hold_end = last
    else:
        hold_end = _as_date(holdout_end, "holdout_end", who)
    if hold_end > analysis_day:
        msg = (
            f"The holdout must end on or before the analysis date: got holdout_end={hold_end} "
            f"after as_of={analysis_day}. A check that looks past as_of uses data the "
            "analysis does not; pick holdout_end <= as_of (or leave it out)."
        )
        raise DataError(msg)
    if max_customers is not None and not (isinstance(max_customers, int) and max_customers > 0):
        msg = (
            f"The 'max_customers' parameter of {who} must be an int > 0 or None. "
            f"Got {max_customers!r}."
        )
        raise DataError(msg)
    within = lazy.filter(pl.col("order_date").cast(pl.Date) <= analysis_day)
    if max_customers is not None:
        ids = within.select(pl.col("customer_id").cast(pl.String).unique().sort()).collect()
        if ids.height > max_customers:
            chosen = ids.sample(n=max_customers, seed=random_state)
            within = within.join(
                chosen.lazy(), left_on=pl.col("customer_id").cast(pl.String), right_on="customer_id"
            )
    split = calibration_holdout(within, calibration_end=calibration_end, holdout_end=hold_end)

    fits: dict[str, CandidateFit] = {}
    for key in keys:
        display = PURCHASE_MODELS[key].display_name
        try:
            model, used = _fit_with(key, split.calibration, schedule)
        except ConvergenceError as error:
            fits[key] = CandidateFit(key, display, None, None, None, None, str(error))
            continue
        evaluation = evaluate_holdout(model, split)
        if not math.isfinite(evaluation.rmse):  # a fit run off to infinity forecasts nan
            error = "its holdout forecast is not a number (the fit ran off to infinity)"
            fits[key] = CandidateFit(key, display, None, None, None, None, error)
            continue
        fits[key] = CandidateFit(key, display, model, used, evaluation, model.diagnose(), None)
    fitted = [fit for fit in fits.values() if fit.evaluation is not None]
    if not fitted:
        errors = "; ".join(f"{fit.name}: {fit.error}" for fit in fits.values())
        msg = f"{who}: no candidate model could be fitted on the calibration data. {errors}"
        raise ConvergenceError(msg)

    def rmse(fit: CandidateFit) -> float:
        assert fit.evaluation is not None
        return fit.evaluation.rmse

    def log_likelihood(fit: CandidateFit) -> float:
        assert fit.model is not None
        return fit.model.log_likelihood_

    best = min(rmse(fit) for fit in fitted)
    limit = best * (1 + tolerance) + 1e-12

    def preference(fit: CandidateFit) -> tuple[bool, float]:
        assert fit.diagnosis is not None
        return (fit.diagnosis.churn_estimable, log_likelihood(fit))

    tied = sorted((fit for fit in fitted if rmse(fit) <= limit), key=preference, reverse=True)
    winner = tied[0]
    others = sorted((fit for fit in fitted if fit not in tied), key=rmse)
    reason = _reason(winner, tied, others, best, tolerance, split.holdout_days)
    failed = [fit for fit in fits.values() if fit.evaluation is None]
    if failed:
        reason += " " + " ".join(f"{fit.name} could not be fitted." for fit in failed)
    assert winner.diagnosis is not None
    if winner.diagnosis.degenerate:
        reason += " " + winner.diagnosis.message
    order = [*tied, *others, *failed]
    scores = pl.DataFrame(
        [
            {
                "model": fit.name,
                "key": fit.key,
                "rmse": rmse(fit) if fit.evaluation is not None else None,
                "rmse_vs_best": (rmse(fit) / best - 1.0 if best > 0 else 0.0)
                if fit.evaluation is not None
                else None,
                "mae": fit.evaluation.mae if fit.evaluation is not None else None,
                "log_likelihood": log_likelihood(fit) if fit.model is not None else None,
                "penalizer": fit.penalizer,
                "status": fit.diagnosis.status if fit.diagnosis is not None else "not fitted",
                "churn_estimable": fit.diagnosis.churn_estimable
                if fit.diagnosis is not None
                else None,
                "error": fit.error,
            }
            for fit in order
        ],
        schema={
            "model": pl.String,
            "key": pl.String,
            "rmse": pl.Float64,
            "rmse_vs_best": pl.Float64,
            "mae": pl.Float64,
            "log_likelihood": pl.Float64,
            "penalizer": pl.Float64,
            "status": pl.String,
            "churn_estimable": pl.Boolean,
            "error": pl.String,
        },
    )
    assert winner.model is not None and winner.penalizer is not None
    return ModelChoice(
        winner=winner.key,
        name=winner.name,
        model=winner.model,
        penalizer=winner.penalizer,
        reason=reason,
        indistinguishable=len(tied) > 1,
        tied=tuple(fit.name for fit in tied),
        scores=scores,
        candidates=fits,
        split=split,
        tolerance=float(tolerance),
    )


def _names(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _reason(
    winner: CandidateFit,
    tied: list[CandidateFit],
    others: list[CandidateFit],
    best: float,
    tolerance: float,
    holdout_days: int,
) -> str:
    def rmse(fit: CandidateFit) -> float:
        assert fit.evaluation is not None
        return fit.evaluation.rmse

    unit = f"purchase days per customer over the {holdout_days}-day holdout"
    if len(tied) == 1:
        rest = ", ".join(f"{rmse(fit):.3f} ({fit.name})" for fit in others)
        versus = f" vs {rest}" if rest else ""
        return (
            f"{winner.name} forecast the holdout best: root-mean-square error "
            f"{rmse(winner):.3f}{versus} {unit}."
        )
    assert winner.model is not None and winner.diagnosis is not None
    text = (
        f"{_names([fit.name for fit in tied])} forecast the holdout equally well "
        f"(root-mean-square error {best:.3f} {unit}, within {tolerance:.0%} of each other), "
        f"so the holdout cannot tell them apart. {winner.name} is used because "
    )
    blind = [f for f in tied[1:] if f.diagnosis is not None and not f.diagnosis.churn_estimable]
    remaining = tied[1:]
    because: list[str] = []
    if winner.diagnosis.churn_estimable and blind:
        because.append(f"it sees customers leaving where {_names([f.name for f in blind])} cannot")
        remaining = [f for f in remaining if f not in blind]
    if remaining:
        versus = ", ".join(
            f"{f.model.log_likelihood_:,.1f} ({f.name})" for f in remaining if f.model
        )
        because.append(
            f"it fits the calibration history best (log-likelihood "
            f"{winner.model.log_likelihood_:,.1f} vs {versus})"
        )
    text += " and ".join(because) + "."
    if others:
        text += " " + " ".join(
            f"{fit.name} forecast worse (root-mean-square error {rmse(fit):.3f})." for fit in others
        )
    return text
