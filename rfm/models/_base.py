"""Shared machinery of the buy-till-you-die purchase models.

Every model here reads the same three numbers per customer from the customer summary
(see :func:`rfm.summarize`), in **days**:

- ``x = purchase_days - 1``: repeat purchase days (the papers' "frequency");
- ``t_x = tenure_days - recency_days``: days from the first to the last purchase day
  (the papers' "recency" -- not our ``recency_days``, which counts days since the last
  purchase);
- ``T = tenure_days``: days from the first purchase day to ``as_of``.

Customers with identical ``(x, t_x, T)`` are compressed to one weighted row before
fitting (whole-day summaries repeat a lot), so fits scale to millions of customers.
Fitting maximises the log-likelihood over log-parameters with scipy; internally time is
divided by the customers' mean tenure so the optimiser sees numbers near one, and the
reported log-likelihood is converted back to days.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from rfm._numbers import readable
from rfm.errors import ConvergenceError, DataError, NotFittedError
from rfm.models.diagnosis import FitDiagnosis, diagnose_fit, nbd_log_likelihood

FloatArray = NDArray[np.float64]
ParamsT = TypeVar("ParamsT")

SUMMARY_INPUTS = ("customer_id", "purchase_days", "recency_days", "tenure_days")
"""Summary columns every purchase model reads."""


class PurchaseHistory(NamedTuple):
    """Per-row BTYD inputs in days, with the number of customers each row stands for.

    ``x_values`` and ``x_weight`` (distinct ``x`` and the total weight at each) let
    likelihoods evaluate terms that depend on ``x`` alone once per distinct ``x`` -- a few
    hundred values even for millions of customers. See :func:`with_levels`.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weight: FloatArray
    x_values: FloatArray | None = None
    x_weight: FloatArray | None = None
    #: Model-specific precomputation on these rows (e.g. ParetoNBD's distinct (x, t) pairs).
    prepared: Any = None


def with_levels(history: PurchaseHistory) -> PurchaseHistory:
    """Add the distinct ``x`` values and their total weights (idempotent)."""
    if history.x_values is not None and history.x_weight is not None:
        return history
    values, inverse = np.unique(history.x, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=history.weight, minlength=values.size).astype(
        np.float64
    )
    return history._replace(x_values=values, x_weight=totals)


def _check_columns(frame: pl.DataFrame, needed: tuple[str, ...], who: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "(none)"
        msg = (
            f"{who} needs a customer summary with columns {', '.join(needed)}. "
            f"Missing: {', '.join(missing)}. Columns found: {found}. "
            "Build the summary with rfm.summarize(transactions)."
        )
        raise DataError(msg)


def collect(summary: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Return ``summary`` as a DataFrame (a LazyFrame is collected)."""
    if isinstance(summary, pl.LazyFrame):
        return summary.collect()
    if isinstance(summary, pl.DataFrame):
        return summary
    msg = (
        "Expected a customer summary as a polars DataFrame or LazyFrame. "
        f"Got {type(summary).__name__}. Build it with rfm.summarize(transactions)."
    )
    raise DataError(msg)


def btyd_columns(frame: pl.DataFrame, who: str) -> pl.DataFrame:
    """Check the summary and return ``customer_id, x, t_x, T`` (Float64, days)."""
    _check_columns(frame, SUMMARY_INPUTS, who)
    out = frame.select(
        pl.col("customer_id"),
        (pl.col("purchase_days") - 1).cast(pl.Float64).alias("x"),
        (pl.col("tenure_days") - pl.col("recency_days")).cast(pl.Float64).alias("t_x"),
        pl.col("tenure_days").cast(pl.Float64).alias("T"),
    )
    checks = out.select(
        pl.any_horizontal(pl.col("x", "t_x", "T").is_null() | pl.col("x", "t_x", "T").is_nan())
        .sum()
        .alias("missing"),
        (pl.col("x") < 0).sum().alias("no_purchase"),
        ((pl.col("t_x") < 0) | (pl.col("t_x") > pl.col("T"))).sum().alias("bad_recency"),
    ).row(0, named=True)
    if checks["missing"]:
        msg = (
            f"{who}: {checks['missing']} customers have a missing purchase_days, "
            "recency_days or tenure_days. Expected whole numbers for every customer; "
            "drop those rows or rebuild the summary with rfm.summarize."
        )
        raise DataError(msg)
    if checks["no_purchase"]:
        msg = (
            f"{who}: {checks['no_purchase']} customers have purchase_days < 1. Expected at "
            "least one purchase day per customer; drop them or rebuild the summary with "
            "rfm.summarize."
        )
        raise DataError(msg)
    if checks["bad_recency"]:
        msg = (
            f"{who}: {checks['bad_recency']} customers have recency_days outside "
            "[0, tenure_days]. Expected the last purchase between the first purchase and "
            "as_of; rebuild the summary with rfm.summarize."
        )
        raise DataError(msg)
    return out


def compress(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """Group identical rows of ``keys`` into one row with a ``weight`` (customer count).

    Sorted, so that sums over rows -- and hence fits -- are bit-for-bit reproducible.
    """
    return frame.group_by(keys).agg(pl.len().cast(pl.Float64).alias("weight")).sort(keys)


def as_float(frame: pl.DataFrame, name: str) -> FloatArray:
    """A Float64 column as a contiguous numpy array."""
    return frame.get_column(name).cast(pl.Float64).to_numpy().astype(np.float64, copy=False)


def weighted_sums(weight: FloatArray, columns: tuple[FloatArray, ...]) -> FloatArray:
    """``[sum(weight * c) for c in columns]`` without BLAS.

    ``weight @ c`` would call BLAS, whose worker threads busy-wait between calls and slow
    a fit several-fold on a shared, busy CPU; plain ufunc sums stay single-threaded.
    """
    return np.array([float(np.sum(weight * column)) for column in columns])


def numerical_hessian(
    gradient: Callable[[FloatArray], FloatArray], point: FloatArray, *, step: float = 1e-5
) -> FloatArray:
    """Central-difference Hessian of a function from its gradient, symmetrised."""
    size = point.size
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = step
        hessian[i] = (gradient(point + shift) - gradient(point - shift)) / (2 * step)
    return (hessian + hessian.T) / 2


#: Log-parameters beyond this (about 3e-7 .. 3e6 on the optimiser's scale, where time and
#: money are in units of their means) mean the likelihood has no interior maximum.
_LOG_PARAM_LIMIT = 15.0


class FitResult(NamedTuple):
    """What :func:`maximise` found, on the log-parameter scale."""

    log_params: FloatArray
    log_likelihood: float
    standard_errors: FloatArray


def maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    *,
    total_weight: float,
    maxiter: int,
    who: str,
    names: tuple[str, ...] = (),
) -> FitResult:
    """Minimise a mean negative log-likelihood over log-parameters with L-BFGS-B.

    ``objective`` returns the (penalised) negative log-likelihood divided by the total
    weight, and its gradient. Standard errors come from the inverse of the objective's
    Hessian times the total weight (the observed information; with a penalizer, of the
    penalised objective) in log-parameters, mapped to the parameters by the delta method:
    ``se(theta) = theta * se(log theta)``.
    """
    # Box just beyond the run-off limit: long line-search steps would otherwise try
    # parameters like e^700 (overflow, nan), which ends L-BFGS-B "ABNORMAL"ly; a fit that
    # stops on the box is reported as running off below.
    bounds = [(-_LOG_PARAM_LIMIT - 1.0, _LOG_PARAM_LIMIT + 1.0)] * start.size
    # Four parameters need no parallel BLAS; its idle threads only busy-wait and steal the
    # CPU from the likelihood (several-fold slower fits on a shared machine).
    with threadpool_limits(limits=1, user_api="blas"):
        result = optimize.minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "ftol": 1e-13, "gtol": 1e-9, "maxls": 50},
        )
    value = float(result.fun)
    grad = np.asarray(result.jac, dtype=np.float64)
    converged = np.isfinite(value) and np.all(np.isfinite(result.x))
    # L-BFGS-B may stop on "ABNORMAL" line searches at the optimum; a tiny gradient is fine.
    small_gradient = bool(np.all(np.isfinite(grad)) and np.max(np.abs(grad)) < 1e-5)
    if not converged or not (result.success or small_gradient):
        msg = (
            f"{who} did not converge after {result.nit} iterations (scipy says: "
            f"{result.message}). Try a small penalizer (e.g. penalizer=0.001), a larger "
            "maxiter, or fitting a random subset of customers first; check that the summary "
            "has enough repeat customers."
        )
        raise ConvergenceError(msg)
    log_params = np.asarray(result.x, dtype=np.float64)
    if np.max(np.abs(log_params)) > _LOG_PARAM_LIMIT:
        labels = (
            names
            if len(names) == log_params.size
            else tuple(f"#{i}" for i in range(log_params.size))
        )
        values = ", ".join(
            f"{n} = {readable(float(v))}" for n, v in zip(labels, np.exp(log_params), strict=True)
        )
        msg = (
            f"{who} did not converge to an interior optimum: a parameter ran off towards 0 "
            f"or infinity (parameters on the optimiser's scale: {values}), so the data do not "
            "pin the model down. Try a small penalizer (e.g. penalizer=0.01), fitting a "
            "random subset of customers, or check the data for extreme values."
        )
        raise ConvergenceError(msg)
    hessian = numerical_hessian(lambda p: objective(p)[1], log_params) * total_weight
    with np.errstate(invalid="ignore"):
        try:
            covariance = np.linalg.inv(hessian)
            variances = np.diag(covariance)
        except np.linalg.LinAlgError:
            variances = np.full(log_params.size, np.nan)
    log_se = np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
    standard_errors = np.exp(log_params) * log_se
    return FitResult(log_params, -value * total_weight, standard_errors)


@dataclasses.dataclass(frozen=True)
class _Params:
    """Base of the parameter records: named fields, convertible to a dict."""

    def as_dict(self) -> dict[str, float]:
        """Return the parameters as ``{name: value}``."""
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def as_array(self) -> FloatArray:
        return np.array(list(self.as_dict().values()), dtype=np.float64)


class FittedModel(ABC, Generic[ParamsT]):
    """Fitted state shared by all models: parameters, log-likelihood, standard errors."""

    _params_type: ClassVar[type[Any]]
    params_: ParamsT
    standard_errors_: ParamsT
    log_likelihood_: float
    n_customers_: int

    def __init__(self, *, penalizer: float = 0.0, maxiter: int = 2000) -> None:
        self.penalizer = penalizer
        self.maxiter = maxiter

    def __repr__(self) -> str:
        return f"{type(self).__name__}(penalizer={self.penalizer!r}, maxiter={self.maxiter!r})"

    def _check_hyperparameters(self) -> None:
        name = type(self).__name__
        if not isinstance(self.penalizer, int | float) or not self.penalizer >= 0:
            msg = (
                f"The 'penalizer' parameter of {name} must be a float >= 0. Got {self.penalizer!r}."
            )
            raise DataError(msg)
        if not isinstance(self.maxiter, int) or self.maxiter < 1:
            msg = f"The 'maxiter' parameter of {name} must be an int >= 1. Got {self.maxiter!r}."
            raise DataError(msg)

    def _check_fitted(self, method: str) -> ParamsT:
        params = getattr(self, "params_", None)
        if params is None:
            name = type(self).__name__
            msg = (
                f"This {name} is not fitted yet, so {method} has no parameters to use. "
                f"Call {name}().fit(summary) first, or build one with {name}.from_params(...)."
            )
            raise NotFittedError(msg)
        return params

    @classmethod
    def from_params(cls, params: ParamsT | dict[str, float]) -> Self:
        """Build a model with given parameters (in days), e.g. published estimates.

        ``log_likelihood_`` and ``standard_errors_`` are not set; ``n_customers_`` is 0.
        """
        model = cls()
        if isinstance(params, cls._params_type):
            model.params_ = params
        else:
            names = [f.name for f in dataclasses.fields(cls._params_type)]
            given: dict[str, Any] = dict(params)  # type: ignore[arg-type]
            values = [given.get(name) for name in names]
            if sorted(given) != sorted(names) or not all(
                isinstance(v, int | float) and np.isfinite(v) and v > 0 for v in values
            ):
                msg = (
                    f"{cls.__name__}.from_params needs positive numbers for exactly "
                    f"{', '.join(names)} (time in days). Got {given!r}."
                )
                raise DataError(msg)
            model.params_ = cls._params_type(**given)
        model.n_customers_ = 0
        return model


class PurchaseModel(FittedModel[ParamsT]):
    """Base of the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD)."""

    #: The model's name as the literature writes it ("BG/NBD").
    display_name: ClassVar[str]
    #: Names of the parameters measured in time units (they scale with the time unit).
    _time_params: ClassVar[tuple[str, ...]]
    #: Names of the parameters of the drop-out process (see :mod:`rfm.models.diagnosis`).
    _dropout_params: ClassVar[tuple[str, ...]]
    diagnosis_: FitDiagnosis
    history_days_: float

    # --- model-specific pure functions, on parameters in the same time unit as the data
    @staticmethod
    @abstractmethod
    def _objective(log_params: FloatArray, history: PurchaseHistory) -> tuple[float, FloatArray]:
        """Total log-likelihood and its gradient in log-parameters."""

    @staticmethod
    @abstractmethod
    def _p_alive(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """P(alive at T | x, t_x, T)."""

    @staticmethod
    @abstractmethod
    def _conditional_expected(
        params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """E[repeat purchases in (T, T + t] | x, t_x, T]."""

    @staticmethod
    @abstractmethod
    def _p_no_purchase(
        params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """P(no purchase in (T, T + t] | x, t_x, T)."""

    @staticmethod
    @abstractmethod
    def _log_likelihood(
        log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Per-customer log-likelihood over log-parameters (the paper's equation)."""

    #: Starting parameters on the scaled time axis (time unit = mean tenure).
    _start_params: ClassVar[tuple[float, ...]]

    def _start(self, history: PurchaseHistory) -> FloatArray:
        """Starting log-parameters on the scaled time axis."""
        return np.log(np.array(self._start_params))

    @staticmethod
    def _prepare(history: PurchaseHistory) -> PurchaseHistory:
        """Precompute what the likelihood reuses across evaluations (default: nothing)."""
        return history

    # --- public API
    def fit(self, summary: pl.DataFrame | pl.LazyFrame) -> Self:
        """Fit the model by maximum likelihood to a customer summary.

        Parameters
        ----------
        summary
            One row per customer with ``customer_id``, ``purchase_days``,
            ``recency_days`` and ``tenure_days`` (see :func:`rfm.summarize`).

        Returns
        -------
        self
            With ``params_`` (days), ``log_likelihood_`` (time in days),
            ``standard_errors_``, ``n_customers_``, ``history_days_`` (longest tenure) and
            ``diagnosis_``.

        Notes
        -----
        A fit that returns has converged *numerically*; that says nothing about whether
        the data pin the parameters down. ``diagnosis_`` (:meth:`diagnose`) says that:
        a fit whose drop-out parameters ran towards a boundary, lack standard errors or
        add nothing over a model without drop-out has ``status == "degenerate"`` and a
        plain-words ``message``. Parameters beyond ``e**15`` of their natural scale raise
        :class:`rfm.ConvergenceError` naming them.
        """
        self._check_hyperparameters()
        name = type(self).__name__
        data = btyd_columns(collect(summary), f"{name}.fit")
        if data.height == 0:
            msg = f"{name}.fit got an empty summary. Expected at least one customer."
            raise DataError(msg)
        repeaters = int((data.get_column("x") > 0).sum())
        if repeaters == 0:
            msg = (
                f"{name}.fit: none of the {data.height} customers made a repeat purchase "
                "(purchase_days is 1 for everyone), so purchase rates and churn cannot be "
                "estimated. Use a longer history (an earlier first date or a later as_of)."
            )
            raise DataError(msg)
        grouped = compress(data, ("x", "t_x", "T"))
        # Measure time in units of the mean tenure while optimising; numbers near one
        # keep L-BFGS-B well conditioned whatever the time unit of the data.
        mean_tenure = data.get_column("T").mean()
        scale = float(mean_tenure) if isinstance(mean_tenure, float) and mean_tenure > 0 else 1.0
        history = self._prepare(
            with_levels(
                PurchaseHistory(
                    as_float(grouped, "x"),
                    as_float(grouped, "t_x") / scale,
                    as_float(grouped, "T") / scale,
                    as_float(grouped, "weight"),
                )
            )
        )
        total = float(history.weight.sum())
        penalizer = float(self.penalizer)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            ll, grad = self._objective(log_params, history)
            # L2 penalty on log-parameters; scale parameters are relative to the mean tenure,
            # so the penalty does not depend on the time unit.
            value = -ll / total + penalizer * float(np.sum(log_params**2))
            return value, -grad / total + 2 * penalizer * log_params

        fitted = maximise(
            objective,
            self._start(history),
            total_weight=total,
            maxiter=self.maxiter,
            who=f"{name}.fit",
            names=tuple(f.name for f in dataclasses.fields(self._params_type)),
        )
        names = [f.name for f in dataclasses.fields(self._params_type)]
        values = np.exp(fitted.log_params)
        errors = fitted.standard_errors.copy()
        for i, param in enumerate(names):
            if param in self._time_params:
                values[i] *= scale
                errors[i] *= scale
        self.params_ = self._params_type(**dict(zip(names, values.tolist(), strict=True)))
        self.standard_errors_ = self._params_type(**dict(zip(names, errors.tolist(), strict=True)))
        # Report the unpenalised log-likelihood with time in days (each repeat purchase time
        # is a density in 1/time, so it differs from the scaled one by sum(x) * log(scale)).
        self.log_likelihood_ = float(
            self._objective(np.log(self._array(self.params_)), _unscaled(history, scale))[0]
        )
        self.n_customers_ = data.height
        self.history_days_ = float(data.get_column("T").max())  # type: ignore[arg-type]
        nbd = nbd_log_likelihood(history.x, history.T * scale, history.weight)
        self.diagnosis_ = self._diagnosis(
            values=np.asarray(self._array(self.params_)),
            standard_errors=np.asarray(self._array(self.standard_errors_)),
            time_scale=scale,
            dropout_lr_statistic=max(0.0, 2.0 * (self.log_likelihood_ - nbd)),
        )
        return self

    def _diagnosis(
        self,
        *,
        values: FloatArray,
        standard_errors: FloatArray,
        time_scale: float,
        dropout_lr_statistic: float | None,
    ) -> FitDiagnosis:
        names = tuple(f.name for f in dataclasses.fields(self._params_type))
        natural = np.array([time_scale if n in self._time_params else 1.0 for n in names])
        return diagnose_fit(
            model=self.display_name,
            names=names,
            values=values,
            standard_errors=standard_errors,
            natural_scale=natural,
            dropout_params=self._dropout_params,
            dropout_lr_statistic=dropout_lr_statistic,
            n_customers=getattr(self, "n_customers_", 0),
            history_days=getattr(self, "history_days_", 0.0),
            penalizer=float(self.penalizer),
        )

    def diagnose(self) -> FitDiagnosis:
        """What this fit can and cannot tell: boundary parameters, nan or large standard
        errors, no visible drop-out (see :mod:`rfm.models.diagnosis`).

        Computed by :meth:`fit` (also stored as ``diagnosis_``). A model built with
        ``from_params`` gets a diagnosis of its parameters alone (status
        ``"not fitted on data"``; time parameters judged on a scale of one day).

        Returns
        -------
        FitDiagnosis
            ``status``, ``degenerate``, ``churn_estimable``, ``reasons``, a plain-words
            ``message`` for the analyst and the parameters behind each finding.

        Examples
        --------
        >>> import rfm
        >>> from rfm.models.beta_geo import BetaGeoParams, simulate_summary
        >>> leaving = simulate_summary(BetaGeoParams(r=0.5, alpha=20.0, a=1.0, b=3.0), 3000)
        >>> rfm.BetaGeo().fit(leaving).diagnose().status
        'ok'
        >>> staying = simulate_summary(BetaGeoParams(r=0.5, alpha=20.0, a=1e-9, b=3.0), 3000)
        >>> diagnosis = rfm.BetaGeo().fit(staying).diagnose()
        >>> diagnosis.churn_estimable
        False
        >>> diagnosis.message.split(":")[0]
        'No sign yet of customers leaving'
        """
        params = self._check_fitted("diagnose")
        fitted = getattr(self, "diagnosis_", None)
        if fitted is not None:
            return fitted
        values = np.asarray(self._array(params))
        return self._diagnosis(
            values=values,
            standard_errors=np.full(values.size, np.nan),
            time_scale=1.0,
            dropout_lr_statistic=None,
        )

    @staticmethod
    def _array(params: Any) -> FloatArray:
        return params.as_array()

    def _inputs(
        self, summary: pl.DataFrame | pl.LazyFrame, method: str
    ) -> tuple[FloatArray, pl.DataFrame]:
        params = self._array(self._check_fitted(method))
        data = btyd_columns(collect(summary), f"{type(self).__name__}.{method}")
        return params, data

    def log_likelihood(self, summary: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
        """Per-customer log-likelihood (time in days) at the fitted parameters.

        Returns
        -------
        DataFrame
            ``customer_id``, ``log_likelihood``.
        """
        params, data = self._inputs(summary, "log_likelihood")
        history = PurchaseHistory(
            as_float(data, "x"), as_float(data, "t_x"), as_float(data, "T"), np.ones(data.height)
        )
        values = self._per_customer_log_likelihood(params, history)
        return data.select("customer_id").with_columns(pl.Series("log_likelihood", values))

    def _per_customer_log_likelihood(
        self, params: FloatArray, history: PurchaseHistory
    ) -> FloatArray:
        """Log-likelihood of each row (unweighted)."""
        return self._log_likelihood(np.log(params), history.x, history.t_x, history.T)

    def p_alive(self, summary: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
        """Probability that each customer is still active at ``as_of``.

        Returns
        -------
        DataFrame
            ``customer_id``, ``p_alive``, ``churn_probability = 1 - p_alive``.
        """
        params, data = self._inputs(summary, "p_alive")
        values = per_distinct(data, lambda x, t_x, T: self._p_alive(params, x, t_x, T))
        return data.select("customer_id").with_columns(
            pl.Series("p_alive", values), pl.Series("churn_probability", 1.0 - values)
        )

    def expected_purchases(self, summary: pl.DataFrame | pl.LazyFrame, days: float) -> pl.DataFrame:
        """Expected number of purchase days of each customer in the next ``days`` days.

        Parameters
        ----------
        summary
            Customer summary measured at ``as_of``.
        days
            Forecast horizon in days after ``as_of`` (>= 0).

        Returns
        -------
        DataFrame
            ``customer_id``, ``expected_purchases``.
        """
        params, data = self._inputs(summary, "expected_purchases")
        horizon = check_horizon(days, f"{type(self).__name__}.expected_purchases", "days")
        values = per_distinct(
            data, lambda x, t_x, T: self._conditional_expected(params, horizon, x, t_x, T)
        )
        return data.select("customer_id").with_columns(pl.Series("expected_purchases", values))

    def no_purchase_probability(
        self, summary: pl.DataFrame | pl.LazyFrame, days: float
    ) -> pl.DataFrame:
        """Probability that each customer makes no purchase in the next ``days`` days.

        A customer buys nothing in ``(T, T + days]`` when they have already left, or
        when they are still active but their next purchase falls later:

        ``P(none) = 1 - P(alive) * P(a purchase in (T, T + days] | alive)``,

        with the second factor averaged over the customer's posterior purchase rate (and,
        for the Pareto/NBD, their lifetime in the window); each model's module gives the
        formula. It never falls below ``1 - P(alive)`` and grows with ``days``.

        Parameters
        ----------
        summary
            Customer summary measured at ``as_of``.
        days
            Horizon in days after ``as_of`` (>= 0).

        Returns
        -------
        DataFrame
            ``customer_id``, ``no_purchase_probability``.
        """
        params, data = self._inputs(summary, "no_purchase_probability")
        horizon = check_horizon(days, f"{type(self).__name__}.no_purchase_probability", "days")
        values = per_distinct(
            data, lambda x, t_x, T: self._p_no_purchase(params, horizon, x, t_x, T)
        )
        return data.select("customer_id").with_columns(
            pl.Series("no_purchase_probability", np.clip(values, 0.0, 1.0))
        )


#: From this many customers, predictions are computed once per distinct (x, t_x, T).
_DISTINCT_FROM = 20_000


def per_distinct(
    data: pl.DataFrame, function: Callable[[FloatArray, FloatArray, FloatArray], FloatArray]
) -> FloatArray:
    """``function(x, t_x, T)`` for every row of ``data``, evaluated once per distinct row.

    Whole-day summaries repeat a lot (a million customers have some tens of thousands of
    distinct histories), and the Pareto/NBD integrates numerically for each row it sees.
    """
    if data.height < _DISTINCT_FROM:
        return function(as_float(data, "x"), as_float(data, "t_x"), as_float(data, "T"))
    keys = data.select("x", "t_x", "T")
    distinct = keys.unique()
    values = function(as_float(distinct, "x"), as_float(distinct, "t_x"), as_float(distinct, "T"))
    return as_float(
        keys.join(
            distinct.with_columns(pl.Series("value", values)),
            on=["x", "t_x", "T"],
            how="left",
            maintain_order="left",
        ),
        "value",
    )


def _unscaled(history: PurchaseHistory, scale: float) -> PurchaseHistory:
    return history._replace(t_x=history.t_x * scale, T=history.T * scale, prepared=None)


def check_horizon(days: float, who: str, name: str) -> float:
    """Validate a non-negative, finite horizon in days."""
    try:
        value = float(days)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        msg = f"The '{name}' parameter of {who} must be a number of days >= 0. Got {days!r}."
        raise DataError(msg)
    return value


def hyp2f1(a: Any, b: Any, c: Any, z: Any) -> FloatArray:
    """Gauss's hypergeometric function, guarding against a scipy failure mode.

    scipy's ``hyp2f1`` returns ``inf`` for some integer parameters with ``c - a - b`` a
    large integer and ``z > 0.9`` (e.g. ``hyp2f1(2, 1, 101, 19/21)``, truly ~1.018). The
    function is smooth in ``c``, so such entries are re-evaluated at ``c * (1 + 1e-12)``,
    which changes the value by far less than the tolerance of any prediction.
    """
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    value = np.asarray(special.hyp2f1(a, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(value)
    if bad.any():
        value = value.copy()
        for nudge in (1e-12, -1e-10):
            value[bad] = special.hyp2f1(a[bad], b[bad], c[bad] * (1 + nudge), z[bad])
            bad = ~np.isfinite(value)
            if not bad.any():
                break
    return value
