r"""MBG/NBD: the modified BG/NBD, where customers may drop out right after the first purchase.

Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), "Empirical validation and
comparison of models for customer base analysis", *International Journal of Research in
Marketing* 24(3), 201-209 (Appendix A); the conditional expectation as in Wagner, U. and
Hoppe, D. (2008), as implemented by lifetimes.

Unlike the BG/NBD, the drop-out coin (probability :math:`p \sim \text{Beta}(a, b)`) is also
tossed after the first purchase, so a customer with no repeat purchase can be inactive.
With :math:`x` repeat purchases, the last at :math:`t_x`, observed until :math:`T`
(Batislam et al. 2007, Appendix A):

.. math::

   L = \frac{B(a, b+x+1)}{B(a, b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
     + \frac{B(a+1, b+x)}{B(a, b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}} ,

evaluated in log space with ``logaddexp``. Time units as in :mod:`rfm.models.beta_geo`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from rfm.models._base import (
    FloatArray,
    PurchaseHistory,
    PurchaseModel,
    hyp2f1,
    weighted_sums,
    with_levels,
)
from rfm.models.beta_geo import BetaGeoParams


def log_likelihood(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer MBG/NBD log-likelihood (Batislam et al. 2007, Appendix A), in log space.

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log([0.5, 6.0, 0.9, 1.6])
    >>> ll = log_likelihood(lp, np.array([0.0]), np.array([0.0]), np.array([40.0]))
    >>> bool(ll[0] > 0.5 * np.log(6 / 46))  # x = 0 may also mean "dropped out at once"
    True
    """
    return _terms(log_params, x, t_x, T)[0]


def _terms(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r, alpha, a, b = np.exp(log_params)
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x + 1.0) - gammaln(b) - gammaln(a + b + x + 1.0)
    ln_a3 = -(r + x) * np.log(alpha + T)
    ln_a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    ln_a34 = np.logaddexp(ln_a3, ln_a4)
    w4 = np.exp(ln_a4 - ln_a34)
    return ln_a1 + ln_a2 + ln_a34, 1.0 - w4, w4


def _objective(log_params: FloatArray, history: PurchaseHistory) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its analytic gradient in log-parameters.

    As for the BG/NBD, terms depending on ``x`` alone are summed over distinct ``x``.
    """
    history = with_levels(history)
    x, t_x, T, weight = history.x, history.t_x, history.T, history.weight
    levels, level_weight = history.x_values, history.x_weight
    assert levels is not None and level_weight is not None
    total = float(np.sum(weight))
    r, alpha, a, b = np.exp(log_params)

    def per_level(values: FloatArray) -> float:
        return float(np.sum(level_weight * values))

    log_alpha_t = np.log(alpha + t_x)
    log_alpha_T = np.log(alpha + T)
    ln_a3 = -(r + x) * log_alpha_T
    ln_a4 = np.log(a) - np.log(b + x) - (r + x) * log_alpha_t
    ln_a34 = np.logaddexp(ln_a3, ln_a4)
    w4 = np.exp(ln_a4 - ln_a34)
    w3 = 1.0 - w4

    ll = (
        per_level(gammaln(r + levels) + gammaln(b + levels + 1.0) - gammaln(a + b + levels + 1.0))
        + total * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b))
        + float(np.sum(weight * ln_a34))
    )
    rows = weighted_sums(
        weight,
        (
            w3 * log_alpha_T + w4 * log_alpha_t,
            (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)),
            w4,
            w4 / (b + x),
        ),
    )
    d_ab = total * digamma(a + b) - per_level(digamma(a + b + levels + 1.0))
    grad = np.array(
        [
            per_level(digamma(r + levels)) + total * (np.log(alpha) - digamma(r)) - rows[0],
            total * r / alpha - rows[1],
            d_ab + rows[2] / a,
            d_ab + per_level(digamma(b + levels + 1.0)) - total * digamma(b) - rows[3],
        ]
    )
    return ll, grad * np.array([r, alpha, a, b])


def p_alive(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    r"""P(alive | x, t_x, T) for the MBG/NBD (Batislam et al. 2007, Appendix A, eq. 5).

    .. math::

       P(\text{alive}) = 1 \Big/ \left(1 + \frac{a}{b+x}
       \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right)
    """
    r, alpha, a, b = params
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.exp(-np.logaddexp(0.0, log_odds))


def conditional_expected_purchases(
    params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""E[Y(t) | x, t_x, T] for the MBG/NBD (Batislam et al. 2007, Appendix A).

    .. math::

       E = \frac{a+b+x}{a-1}
       \left[1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
       {}_2F_1\!\left(r+x, b+x+1; a+b+x; \frac{t}{\alpha+T+t}\right)\right]
       P(\text{alive}),

    with the hypergeometric term Euler-transformed to
    :math:`(1-z)^{a-1}\,{}_2F_1(a+b-r, a-1; a+b+x; z)` so large ``x`` cannot overflow.
    """
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    c = a + b + x
    bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - r, a - 1.0, c, z)
    return c / (a - 1.0) * bracket * p_alive(params, x, t_x, T)


def p_no_purchase(
    params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""P(no purchase in :math:`(T, T+t]` | x, t_x, T) for the MBG/NBD.

    As for the BG/NBD (:func:`rfm.models.beta_geo.p_no_purchase`): given alive, the
    purchase rate is :math:`\text{Gamma}(r+x, \alpha+T)`, so

    .. math::

       P(\text{none}) = 1 - P(\text{alive})
       \left[1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}\right],

    with the MBG/NBD's P(alive), which is below 1 for customers without repeat purchases.
    """
    r, alpha, _, _ = params
    buys_if_alive = -np.expm1((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    return 1.0 - p_alive(params, x, t_x, T) * buys_if_alive


class ModifiedBetaGeo(PurchaseModel[BetaGeoParams]):
    """MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007).

    Same interface, hyperparameters and fitted attributes as :class:`rfm.BetaGeo`
    (``params_`` is a :class:`BetaGeoParams` with ``alpha`` in days). Unlike the BG/NBD,
    a customer who never repeated can have P(alive) < 1.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "purchase_days": [1, 5],
    ...     "recency_days": [10, 3], "tenure_days": [10, 200],
    ... })
    >>> model = rfm.ModifiedBetaGeo.from_params({"r": 0.525, "alpha": 43.3, "a": 0.891, "b": 1.614})
    >>> bool(model.p_alive(summary)["p_alive"][0] < 1.0)
    True
    """

    display_name = "MBG/NBD"
    _params_type = BetaGeoParams
    _time_params = ("alpha",)
    _dropout_params = ("a", "b")

    _objective = staticmethod(_objective)
    _p_alive = staticmethod(p_alive)
    _conditional_expected = staticmethod(conditional_expected_purchases)
    _p_no_purchase = staticmethod(p_no_purchase)

    _log_likelihood = staticmethod(log_likelihood)
    _start_params = (1.0, 1.0, 1.2, 2.4)
