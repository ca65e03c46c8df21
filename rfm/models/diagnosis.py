"""Is a fitted purchase model telling us something? The diagnosis of degenerate fits.

A maximum-likelihood fit can "converge" while the data do not pin the model down. The
typical case for the buy-till-you-die models is a history with no visible drop-out: the
drop-out parameters run towards their boundary (BG/NBD and MBG/NBD: ``a -> 0`` or
``b -> infinity``; Pareto/NBD: ``s -> 0`` or ``beta -> infinity``), every P(alive) ends
near 1 and churn figures are an artefact of the optimiser's stopping point, not an
estimate. :class:`FitDiagnosis` says so, with the evidence, in plain words.

The checks (all computed when a model is fitted, see ``PurchaseModel.diagnose``):

``boundary_params``
    Parameters beyond :data:`BOUNDARY_RATIO` (``1e4``) times or below ``1 / 1e4`` of
    their natural scale (time parameters relative to the customers' mean tenure, the
    others relative to 1): the optimiser ran towards 0 or infinity. (Beyond ``e**15``
    the fit is refused with :class:`rfm.ConvergenceError`.)
``nan_se_params``
    Parameters whose standard error cannot be computed (the likelihood is flat or the
    Hessian singular there).
``imprecise_params``
    Parameters whose standard error is larger than the estimate: the data leave them
    uncertain by more than a factor ``e`` (the standard error of the log-parameter is
    above 1).
``dropout_lr_statistic``
    Twice the log-likelihood the model gains over the same data fitted by the NBD, the
    model in which nobody ever drops out (the common limit of all three models). At or
    below ``dropout_lr_threshold = 2 ln N`` (N customers) the data show no sign of
    customers leaving: by the Bayesian information criterion the two drop-out parameters
    do not earn their place (for 3,000 customers the threshold is 16.0; a test at the 5 %
    level, 3.84, flags drop-out in noise once customers number in the thousands and the
    whole-day rounding of purchase dates is enough to "explain").

Churn can be estimated (``churn_estimable``) when the likelihood-ratio statistic reaches
the threshold: customers are seen leaving. (A drop-out parameter at a boundary alone does
not decide it: ``a`` and ``b`` both running to infinity is the legitimate limit of one
drop-out probability shared by everyone.) The fit is ``degenerate`` when any check fails;
its ``message`` then says whether drop-out is invisible or only imprecise.
"""

from __future__ import annotations

import dataclasses
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy.special import digamma, gammaln
from threadpoolctl import threadpool_limits

from rfm._numbers import readable

__all__ = ["BOUNDARY_RATIO", "FitDiagnosis"]

BOUNDARY_RATIO: Final = 1e4
"""A parameter more than this many times above or below its natural scale is at a boundary."""

DAYS_PER_MONTH: Final = 365.25 / 12

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class FitDiagnosis:
    """What a purchase-model fit can and cannot tell, with the evidence.

    Attributes
    ----------
    model : str
        Display name of the model ("BG/NBD", "MBG/NBD", "Pareto/NBD").
    status : {"ok", "degenerate", "not fitted on data"}
        ``"ok"`` only when every check passed. A fit that stopped at a boundary is never
        reported as plainly converged.
    degenerate : bool
        Any check failed: the parameters are not all pinned down by the data.
    churn_estimable : bool
        Drop-out is visible in the data (the likelihood-ratio check), so P(alive) and
        churn probabilities are estimates (imprecise ones when ``degenerate``). When False,
        show them as "cannot be estimated". True for models built with ``from_params``.
    reasons : tuple of str
        One plain sentence per failed check.
    message : str
        One or two plain sentences for the analyst (what this history can and cannot tell).
    boundary_params, nan_se_params, imprecise_params : tuple of str
        Names of the parameters that failed each check (see the module docstring).
    dropout_lr_statistic : float or None
        ``2 * (LL(model) - LL(NBD without drop-out))``, >= 0; None for models built with
        ``from_params``.
    dropout_lr_threshold : float or None
        ``2 ln N`` for N fitted customers: drop-out is visible above it.
    history_days : float
        Longest customer tenure in the fitted summary (days).
    penalizer : float
        The penalizer of the fit (a penalised fit can hide a boundary; the checks still apply).
    """

    model: str
    status: Literal["ok", "degenerate", "not fitted on data"]
    degenerate: bool
    churn_estimable: bool
    reasons: tuple[str, ...]
    message: str
    boundary_params: tuple[str, ...] = ()
    nan_se_params: tuple[str, ...] = ()
    imprecise_params: tuple[str, ...] = ()
    dropout_lr_statistic: float | None = None
    dropout_lr_threshold: float | None = None
    history_days: float = 0.0
    penalizer: float = 0.0


def history_phrase(days: float) -> str:
    """'5 weeks', '7 months', '3.5 years' of data, as an analyst would say it.

    Examples
    --------
    >>> history_phrase(36), history_phrase(200), history_phrase(365 * 3.5)
    ('5 weeks', '7 months', '3.5 years')
    """
    if days < 60:
        weeks = max(1, round(days / 7))
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    months = days / DAYS_PER_MONTH
    if months < 24:
        return f"{round(months)} months"
    return f"{months / 12:.1f} years".replace(".0 years", " years")


def nbd_log_likelihood(x: FloatArray, T: FloatArray, weight: FloatArray) -> float:
    r"""Maximised log-likelihood of the NBD (no drop-out) on the same data.

    :math:`L = \frac{\Gamma(r+x)}{\Gamma(r)} \frac{\alpha^r}{(\alpha+T)^{r+x}}`, the
    limit of the BG/NBD as :math:`a \to 0`, of the MBG/NBD likewise and of the Pareto/NBD
    as :math:`s \to 0` (Fader, Hardie & Lee 2005, eq. 6 with the drop-out term removed).
    ``T`` in the time unit of the model's ``log_likelihood_`` (days); ``weight`` counts
    the customers each row stands for.
    """
    # Terms in x alone once per distinct x (a few hundred values at most).
    levels, level_inverse = np.unique(x, return_inverse=True)
    level_weight = np.bincount(level_inverse.ravel(), weights=weight, minlength=levels.size)
    total = float(np.sum(weight))
    scale = float(np.sum(weight * T) / total) or 1.0
    t_scaled = T / scale

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha = np.exp(log_params)
        log_at = np.log(alpha + t_scaled)
        ll = (
            np.sum(level_weight * gammaln(r + levels))
            + total * (r * np.log(alpha) - gammaln(r))
            - np.sum(weight * (r + x) * log_at)
        )
        d_r = (
            np.sum(level_weight * digamma(r + levels))
            + total * (np.log(alpha) - digamma(r))
            - np.sum(weight * log_at)
        )
        d_alpha = total * r / alpha - np.sum(weight * (r + x) / (alpha + t_scaled))
        grad = np.array([d_r * r, d_alpha * alpha])
        return -float(ll) / total, -grad / total

    with threadpool_limits(limits=1, user_api="blas"):  # as in _base.maximise
        result = optimize.minimize(
            objective, np.zeros(2), jac=True, method="L-BFGS-B", bounds=[(-16.0, 16.0)] * 2
        )
    r, alpha = np.exp(result.x)
    alpha *= scale
    return float(
        np.sum(level_weight * gammaln(r + levels))
        + total * (r * np.log(alpha) - gammaln(r))
        - np.sum(weight * (r + x) * np.log(alpha + T))
    )


def diagnose_fit(
    *,
    model: str,
    names: tuple[str, ...],
    values: FloatArray,
    standard_errors: FloatArray,
    natural_scale: FloatArray,
    dropout_params: tuple[str, ...],
    dropout_lr_statistic: float | None,
    n_customers: int,
    history_days: float,
    penalizer: float,
) -> FitDiagnosis:
    """Run the checks of the module docstring on fitted values (used by ``fit``)."""
    relative = values / natural_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        log_relative = np.abs(np.log(relative))
    boundary = tuple(
        n for n, v in zip(names, log_relative, strict=True) if v > np.log(BOUNDARY_RATIO)
    )
    fitted_on_data = dropout_lr_statistic is not None
    nan_se = (
        tuple(n for n, se in zip(names, standard_errors, strict=True) if not np.isfinite(se))
        if fitted_on_data
        else ()
    )
    imprecise = (
        tuple(
            n
            for n, v, se in zip(names, values, standard_errors, strict=True)
            if np.isfinite(se) and se > v
        )
        if fitted_on_data
        else ()
    )
    shown = dict(zip(names, values, strict=True))
    errors = dict(zip(names, standard_errors, strict=True))
    reasons: list[str] = []
    if boundary:
        listed = ", ".join(f"{n} = {readable(shown[n])}" for n in boundary)
        reasons.append(
            f"The fit ran towards the edge of the parameter range ({listed}): the optimiser "
            "stopped there, but the data do not pin these parameters down."
        )
    if nan_se:
        reasons.append(
            f"The standard errors of {', '.join(nan_se)} cannot be computed: the likelihood "
            "is flat there, so any nearby value fits the data as well."
        )
    if imprecise:
        listed = ", ".join(
            f"{n} = {readable(shown[n])} ± {readable(errors[n], digits=2)}" for n in imprecise
        )
        reasons.append(
            f"The standard errors are larger than the estimates ({listed}): these "
            "parameters are uncertain by more than a factor of e."
        )
    threshold = 2.0 * float(np.log(max(n_customers, 2))) if fitted_on_data else None
    no_dropout = (
        dropout_lr_statistic is not None
        and threshold is not None
        and dropout_lr_statistic <= threshold
    )
    if no_dropout:
        reasons.append(
            f"A model in which nobody ever leaves fits this history about as well as the "
            f"{model} (likelihood-ratio statistic {dropout_lr_statistic:.1f}, not above "
            f"{threshold:.1f}): the data show no sign of drop-out."
        )
    uncertain_dropout = [n for n in dropout_params if n in (*boundary, *nan_se, *imprecise)]
    degenerate = bool(reasons)
    span = history_phrase(history_days)
    if not fitted_on_data:
        status: Literal["ok", "degenerate", "not fitted on data"] = "not fitted on data"
        message = (
            f"This {model} was built from given parameters, not fitted here: nothing can be "
            "said about how well this data pins it down."
        )
        if boundary:
            message += " " + reasons[0]
    elif no_dropout:
        status = "degenerate"
        message = (
            f"No sign yet of customers leaving: churn cannot be estimated from {span} of "
            f"data. The {model}'s P(alive) and churn probabilities are not estimates here; "
            "expected purchases still are."
        )
    elif uncertain_dropout:
        status = "degenerate"
        message = (
            f"Customers are seen leaving, but {span} of data do not pin down how fast: "
            f"{reasons[0]} Read the {model}'s churn figures as rough orders of magnitude."
        )
    elif degenerate:
        status = "degenerate"
        message = (
            f"Customers are seen leaving, but the {model} fit is uncertain: {reasons[0]} "
            "Read its forecasts as rough orders of magnitude."
        )
    else:
        status = "ok"
        message = (
            f"The {model} fit is well determined: every parameter is inside its range with a "
            f"standard error smaller than its value, and customers are seen leaving in {span} "
            f"of data (likelihood-ratio statistic {dropout_lr_statistic:.1f} against no drop-out)."
        )
    return FitDiagnosis(
        model=model,
        status=status,
        degenerate=degenerate,
        churn_estimable=not no_dropout,
        reasons=tuple(reasons),
        message=message,
        boundary_params=boundary,
        nan_se_params=nan_se,
        imprecise_params=imprecise,
        dropout_lr_statistic=dropout_lr_statistic,
        dropout_lr_threshold=threshold,
        history_days=float(history_days),
        penalizer=float(penalizer),
    )
