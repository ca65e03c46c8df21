r"""Pareto/NBD: Poisson purchases while alive, exponential lifetimes.

Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting Your Customers: Who
Are They and What Will They Do Next?", *Management Science* 33(1), 1-24; expressions as
derived in Fader, P. S. and Hardie, B. G. S. (2005), "A Note on Deriving the Pareto/NBD
Model and Related Expressions" (brucehardie.com/notes/009).

While alive a customer buys at Poisson rate :math:`\lambda \sim \text{Gamma}(r, \alpha)`
and stays alive an exponential time with rate :math:`\mu \sim \text{Gamma}(s, \beta)`.
The likelihood (Hardie 2005, eq. 18) is

.. math::

   L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
       \left\{\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right\},

with :math:`A_0 = G(t_x) - G(T)` (eqs. 19-20), where for :math:`\alpha \ge \beta`

.. math::

   G(t) = \frac{{}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+t})}
               {(\alpha+t)^{r+s+x}}
        = \frac{{}_2F_1(1, r+x; r+s+x+1; \frac{\alpha-\beta}{\alpha+t})}
               {(\alpha+t)^{r+x}(\beta+t)^s}

(Euler's transformation; the right-hand form stays bounded by :math:`(r+s+x)/s` for every
``x``), and symmetrically with :math:`\alpha, \beta` and :math:`r+x, s` swapped when
:math:`\alpha < \beta`. Everything is evaluated in log space; :math:`\alpha` and
:math:`\beta` are in days, :math:`r, s` unitless. The gradient is taken numerically.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from rfm.models._base import (
    FloatArray,
    PurchaseHistory,
    PurchaseModel,
    _Params,
    finite_difference_gradient,
    hyp2f1,
)


@dataclasses.dataclass(frozen=True)
class ParetoNBDParams(_Params):
    """Pareto/NBD parameters; ``alpha`` and ``beta`` in days, ``r`` and ``s`` unitless."""

    r: float
    alpha: float
    s: float
    beta: float


def _log_g(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray
) -> FloatArray:
    """log G(t) of the module docstring (Hardie 2005, eqs. 19-20, Euler-transformed)."""
    rsx = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        hyp = hyp2f1(1.0, r + x, rsx + 1.0, z)
        return np.log(hyp) - (r + x) * np.log(alpha + t) - s * np.log(beta + t)
    z = (beta - alpha) / (beta + t)
    hyp = hyp2f1(1.0, s + 1.0, rsx + 1.0, z)
    return np.log(hyp) + (1.0 - r - x) * np.log(alpha + t) - (s + 1.0) * np.log(beta + t)


class TimePairs(NamedTuple):
    """Distinct ``(x, t)`` over ``t`` in ``t_x`` and ``T``, and where each row's fall.

    ``G`` of the module docstring depends on ``(x, t)`` only; whole-day summaries have
    far fewer distinct pairs than rows (about 8,000 for a million customers), so the
    hypergeometric functions are evaluated once per pair while fitting.
    """

    x: FloatArray
    t: FloatArray
    at_t_x: NDArray[np.intp]
    at_T: NDArray[np.intp]


def time_pairs(x: FloatArray, t_x: FloatArray, T: FloatArray) -> TimePairs:
    """Index the distinct ``(x, t_x)`` and ``(x, T)`` pairs of the rows."""
    stacked = np.stack([np.concatenate([x, x]), np.concatenate([t_x, T])])
    distinct, inverse = np.unique(stacked, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    return TimePairs(distinct[0], distinct[1], inverse[: x.size], inverse[x.size :])


def _log_a0(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    pairs: TimePairs | None = None,
) -> FloatArray:
    """log A_0 = log(G(t_x) - G(T)); -inf when t_x == T (the customer bought at T)."""
    if pairs is None:
        log_g_tx = _log_g(r, alpha, s, beta, x, t_x)
        log_g_T = _log_g(r, alpha, s, beta, x, T)
    else:
        log_g = _log_g(r, alpha, s, beta, pairs.x, pairs.t)
        log_g_tx, log_g_T = log_g[pairs.at_t_x], log_g[pairs.at_T]
    diff = log_g_T - log_g_tx
    # G decreases in t; diff >= 0 only when t_x == T (up to rounding), where A_0 = 0.
    safe = np.where(diff < 0, diff, -1.0)
    return np.where(diff < 0, log_g_tx + np.log(-np.expm1(safe)), -np.inf)


def _log_alive_and_dead(
    params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    pairs: TimePairs | None = None,
) -> tuple[FloatArray, FloatArray]:
    r, alpha, s, beta = params
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_dead = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, T, pairs)
    return log_alive, log_dead


def log_likelihood(
    log_params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    pairs: TimePairs | None = None,
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood (Hardie 2005, eq. 18), in log space.

    Parameters
    ----------
    log_params
        ``log([r, alpha, s, beta])``.
    x, t_x, T
        Repeat purchases, time of the last purchase, observation length.
    pairs
        Optional :func:`time_pairs` of ``(x, t_x, T)``, to evaluate ``G`` once per pair.

    Examples
    --------
    A customer observed for no time at all has likelihood 1:

    >>> import numpy as np
    >>> float(log_likelihood(np.log([0.5, 10.0, 0.6, 12.0]), np.array([0.0]),
    ...                      np.array([0.0]), np.array([0.0]))[0])
    0.0
    """
    r, alpha, s, beta = np.exp(log_params)
    params = np.array([r, alpha, s, beta])
    log_alive, log_dead = _log_alive_and_dead(params, x, t_x, T, pairs)
    return (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        + np.logaddexp(log_alive, log_dead)
    )


def _prepare(history: PurchaseHistory) -> PurchaseHistory:
    return history._replace(prepared=time_pairs(history.x, history.t_x, history.T))


def _objective(log_params: FloatArray, history: PurchaseHistory) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its central-difference gradient."""
    x, t_x, T, weight = history.x, history.t_x, history.T, history.weight
    pairs = history.prepared if isinstance(history.prepared, TimePairs) else None

    def total(point: FloatArray) -> float:
        return float(np.sum(weight * log_likelihood(point, x, t_x, T, pairs)))

    return total(log_params), finite_difference_gradient(total, log_params, step=1e-5)


def p_alive(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    r"""P(alive | x, t_x, T) for the Pareto/NBD (Hardie 2005, eq. 36-37).

    .. math::

       P(\text{alive}) = 1 \Big/ \left(1 + \frac{s}{r+s+x}
       (\alpha+T)^{r+x}(\beta+T)^s A_0\right)
    """
    log_alive, log_dead = _log_alive_and_dead(params, x, t_x, T)
    return np.exp(log_alive - np.logaddexp(log_alive, log_dead))


def conditional_expected_purchases(
    params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""E[Y(t) | x, t_x, T] for the Pareto/NBD (Hardie 2005, eq. 41).

    .. math::

       E = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
           \left[1 - \left(\frac{\beta+T}{\beta+T+t}\right)^{s-1}\right] P(\text{alive}),

    with the bracket over :math:`s-1` taken as :math:`\ln\frac{\beta+T+t}{\beta+T}` at
    :math:`s = 1`.
    """
    r, alpha, s, beta = params
    log_ratio = np.log(beta + T) - np.log(beta + T + t)
    at_one = abs(s - 1.0) < 1e-12
    bracket = -log_ratio if at_one else -np.expm1((s - 1.0) * log_ratio) / (s - 1.0)
    return (r + x) * (beta + T) / (alpha + T) * bracket * p_alive(params, x, t_x, T)


class ParetoNBD(PurchaseModel[ParetoNBDParams]):
    """Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

    Same interface and hyperparameters as :class:`rfm.BetaGeo`; ``params_`` is a
    :class:`ParetoNBDParams` with ``alpha`` and ``beta`` in days. The gradient is
    numerical, so fits are slower than the BG/NBD's.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "purchase_days": [1, 5],
    ...     "recency_days": [10, 3], "tenure_days": [10, 200],
    ... })
    >>> model = rfm.ParetoNBD.from_params({"r": 0.553, "alpha": 74.1, "s": 0.606, "beta": 81.7})
    >>> p = model.p_alive(summary)["p_alive"]
    >>> bool(0 < p[0] < 1)  # unlike the BG/NBD, no repeat purchase does not mean alive
    True
    """

    _params_type = ParetoNBDParams
    _time_params = ("alpha", "beta")

    _objective = staticmethod(_objective)
    _p_alive = staticmethod(p_alive)
    _conditional_expected = staticmethod(conditional_expected_purchases)
    _prepare = staticmethod(_prepare)

    @staticmethod
    def _per_customer_log_likelihood(params: FloatArray, history: PurchaseHistory) -> FloatArray:
        return log_likelihood(np.log(params), history.x, history.t_x, history.T)

    @staticmethod
    def _start(history: PurchaseHistory) -> FloatArray:
        return np.log(np.array([1.0, 1.0, 1.0, 1.0]))
