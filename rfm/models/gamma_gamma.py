r"""Gamma-Gamma model of the spend per purchase.

Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value"
(brucehardie.com/notes/025); originally Colombo & Jiang (1999).

A customer's purchase values are :math:`\text{Gamma}(p, \nu)` with
:math:`\nu \sim \text{Gamma}(q, \gamma)` across customers. The mean :math:`\bar z` of
:math:`x` repeat purchase values has the marginal density (eq. 1a)

.. math::

   f(\bar z \mid p, q, \gamma, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
   \frac{\gamma^q \bar z^{px-1} x^{px}}{(\gamma + x\bar z)^{px+q}},

and the expected spend per purchase given the history is (eq. 5) the credibility-weighted
average

.. math::

   E[Z \mid \bar z, x] = \frac{q-1}{px+q-1}\frac{p\gamma}{q-1}
   + \frac{px}{px+q-1}\bar z .

Here :math:`x = \text{purchase\_days} - 1` and :math:`\bar z = \text{avg\_repeat\_value}`
(the mean value of the purchase days after the first), as in the note. ``gamma`` is in
currency units; ``p`` and ``q`` are unitless. The model assumes spend is independent of
purchase frequency -- check the correlation before relying on it.
"""

from __future__ import annotations

import dataclasses
from typing import Self

import numpy as np
import polars as pl
from scipy.special import digamma, gammaln

from rfm._numbers import readable
from rfm.errors import ConvergenceError, DataError
from rfm.models._base import (
    FittedModel,
    FloatArray,
    _Params,
    as_float,
    collect,
    compress,
    maximise,
    weighted_sums,
)

_INPUTS = ("customer_id", "purchase_days", "avg_repeat_value")


@dataclasses.dataclass(frozen=True)
class GammaGammaParams(_Params):
    """Gamma-Gamma parameters; ``gamma`` in currency units, ``p`` and ``q`` unitless."""

    p: float
    q: float
    gamma: float


def log_likelihood(log_params: FloatArray, x: FloatArray, spend: FloatArray) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood (Fader & Hardie 2013, eq. 1a).

    Parameters
    ----------
    log_params
        ``log([p, q, gamma])``.
    x
        Repeat purchases (> 0).
    spend
        Mean value of those purchases (> 0).

    Examples
    --------
    With ``x = 1`` the density of one purchase value is a Gamma(p, nu) mixed over
    ``nu ~ Gamma(q, gamma)``; at p = q = gamma = 1 that is ``1 / (1 + z)^2``:

    >>> import numpy as np
    >>> float(np.exp(log_likelihood(np.zeros(3), np.array([1.0]), np.array([3.0]))[0]))
    0.0625
    """
    p, q, gamma = np.exp(log_params)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(spend)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * spend)
    )


def _objective(
    log_params: FloatArray, x: FloatArray, spend: FloatArray, weight: FloatArray
) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its analytic gradient in log-parameters."""
    p, q, gamma = np.exp(log_params)
    px = p * x
    log_total = np.log(gamma + x * spend)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(spend) + np.log(x) - log_total)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * spend)
    grad = weighted_sums(weight, (d_p, d_q, d_gamma)) * np.array([p, q, gamma])
    return float(np.sum(weight * log_likelihood(log_params, x, spend))), grad


def conditional_expected_spend(params: FloatArray, x: FloatArray, spend: FloatArray) -> FloatArray:
    """E[spend per purchase | x, mean spend] (Fader & Hardie 2013, eq. 5).

    Customers without repeat purchases (``x = 0``) get the population mean
    ``p * gamma / (q - 1)``; their ``spend`` is ignored.
    """
    p, q, gamma = params
    weight = p * x / (p * x + q - 1.0)
    population_mean = p * gamma / (q - 1.0)
    return (1.0 - weight) * population_mean + weight * np.where(x > 0, spend, 0.0)


class GammaGamma(FittedModel[GammaGammaParams]):
    """Gamma-Gamma spend model (Fader & Hardie 2013), fitted on the repeat customers.

    Parameters
    ----------
    penalizer
        L2 penalty on the log-parameters (``gamma`` relative to the mean spend).
    maxiter
        Iteration limit of the L-BFGS-B optimiser.

    Attributes
    ----------
    params_ : GammaGammaParams
        ``p``, ``q``, ``gamma`` (currency units).
    standard_errors_ : GammaGammaParams
        Delta-method standard errors from the Hessian in log-parameters.
    log_likelihood_ : float
        Maximised log-likelihood (spend in currency units).
    n_customers_ : int
        Repeat customers used to fit (customers with ``purchase_days >= 2``).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "purchase_days": [1, 4],
    ...     "avg_repeat_value": [None, 20.0],
    ... })
    >>> model = rfm.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> model.expected_spend(summary)["expected_spend"].round(2).to_list()
    [35.22, 21.94]
    """

    _params_type = GammaGammaParams

    def _columns(self, summary: pl.DataFrame | pl.LazyFrame, who: str) -> pl.DataFrame:
        frame = collect(summary)
        missing = [c for c in _INPUTS if c not in frame.columns]
        if missing:
            found = ", ".join(frame.columns) or "(none)"
            msg = (
                f"{who} needs a customer summary with columns {', '.join(_INPUTS)}. "
                f"Missing: {', '.join(missing)}. Columns found: {found}. "
                "Build the summary with rfm.summarize(transactions)."
            )
            raise DataError(msg)
        data = frame.select(
            "customer_id",
            (pl.col("purchase_days") - 1).cast(pl.Float64).alias("x"),
            pl.col("avg_repeat_value").cast(pl.Float64).alias("spend"),
        )
        repeat = pl.col("x") > 0
        bad = data.select(
            (pl.col("x").is_null() | (pl.col("x") < 0)).sum().alias("bad_x"),
            (repeat & (pl.col("spend").is_null() | pl.col("spend").is_nan())).sum().alias("null"),
            (repeat & (pl.col("spend") <= 0)).sum().alias("nonpositive"),
        ).row(0, named=True)
        if bad["bad_x"]:
            msg = (
                f"{who}: {bad['bad_x']} customers have a missing purchase_days or one below 1. "
                "Expected at least one purchase day per customer."
            )
            raise DataError(msg)
        if bad["null"]:
            msg = (
                f"{who}: {bad['null']} repeat customers have no avg_repeat_value. Expected the "
                "mean value of their repeat purchase days; rebuild the summary with rfm.summarize."
            )
            raise DataError(msg)
        if bad["nonpositive"]:
            msg = (
                f"{who}: {bad['nonpositive']} repeat customers have avg_repeat_value <= 0 "
                "(returns exceeding purchases?). The Gamma-Gamma model needs positive spend; "
                "leave them out, e.g. summary.filter(pl.col('avg_repeat_value') > 0)."
            )
            raise DataError(msg)
        return data

    def fit(self, summary: pl.DataFrame | pl.LazyFrame) -> Self:
        """Fit ``p, q, gamma`` by maximum likelihood on the customers with repeat purchases.

        Parameters
        ----------
        summary
            Customer summary with ``customer_id``, ``purchase_days`` and
            ``avg_repeat_value``; customers with one purchase day are skipped.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        data = self._columns(summary, "GammaGamma.fit").filter(pl.col("x") > 0)
        if data.height == 0:
            msg = (
                "GammaGamma.fit: no customer made a repeat purchase (purchase_days >= 2), so "
                "there is no repeat spend to model. Use a longer history."
            )
            raise DataError(msg)
        grouped = compress(data, ("x", "spend"))
        x, weight = as_float(grouped, "x"), as_float(grouped, "weight")
        # Optimise with spend in units of its mean; p and q do not depend on the currency.
        scale = float(data.get_column("spend").mean())  # type: ignore[arg-type]
        spend = as_float(grouped, "spend")
        total = float(weight.sum())
        penalizer = float(self.penalizer)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            ll, grad = _objective(log_params, x, spend / scale, weight)
            value = -ll / total + penalizer * float(np.sum(log_params**2))
            return value, -grad / total + 2 * penalizer * log_params

        fitted = maximise(
            objective,
            np.log(np.array([1.0, 2.0, 1.0])),
            total_weight=total,
            maxiter=self.maxiter,
            who="GammaGamma.fit",
        )
        p, q, gamma = np.exp(fitted.log_params)
        gamma *= scale
        if q <= 1.0:
            msg = (
                f"GammaGamma.fit found q = {readable(q)} <= 1, for which the mean spend is "
                "infinite. Try a penalizer (e.g. penalizer=0.01) or remove extreme spenders."
            )
            raise ConvergenceError(msg)
        se = fitted.standard_errors
        self.params_ = GammaGammaParams(float(p), float(q), float(gamma))
        self.standard_errors_ = GammaGammaParams(float(se[0]), float(se[1]), float(se[2] * scale))
        self.log_likelihood_ = _objective(np.log([p, q, gamma]), x, spend, weight)[0]
        self.n_customers_ = data.height
        return self

    def expected_spend(self, summary: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
        """Expected value of each customer's future purchases (per purchase day).

        Returns
        -------
        DataFrame
            ``customer_id``, ``expected_spend`` (currency units; the population mean for
            customers without repeat purchases).
        """
        params = self._check_fitted("expected_spend").as_array()
        data = self._columns(summary, "GammaGamma.expected_spend")
        values = conditional_expected_spend(params, as_float(data, "x"), as_float(data, "spend"))
        return data.select("customer_id").with_columns(pl.Series("expected_spend", values))


def spend_describable() -> pl.Expr:
    """Customers the Gamma-Gamma model can describe: no repeat purchase yet, or positive
    mean repeat spend (repeat days that net to zero or less, e.g. everything returned,
    have no Gamma-distributed spend)."""
    return pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)


def fit_spend_model(
    summary: pl.DataFrame, *, penalizers: tuple[float, ...] = (0.0, 0.001, 0.01)
) -> GammaGamma:
    """Fit :class:`GammaGamma` on the customers it can describe, trying ``penalizers`` in
    turn: on logs where spend hardly differs between customers the unpenalised parameters
    run off to the boundary and the fit is refused with :class:`rfm.ConvergenceError`.

    Examples
    --------
    >>> import rfm
    >>> from rfm.models.gamma_gamma import fit_spend_model
    >>> summary = rfm.summarize(rfm.datasets.simulate(300, random_state=3))
    >>> fit_spend_model(summary).penalizer
    0.0
    """
    usable = summary.filter(spend_describable())
    for penalizer in penalizers[:-1]:
        try:
            return GammaGamma(penalizer=penalizer).fit(usable)
        except ConvergenceError:
            continue
    return GammaGamma(penalizer=penalizers[-1]).fit(usable)
