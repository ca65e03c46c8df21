r"""Pareto/NBD: Poisson purchases while alive, exponential lifetimes.

Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting Your Customers: Who
Are They and What Will They Do Next?", *Management Science* 33(1), 1-24; expressions as
derived in Fader, P. S. and Hardie, B. G. S. (2005), "A Note on Deriving the Pareto/NBD
Model and Related Expressions" (brucehardie.com/notes/009).

While alive a customer buys at Poisson rate :math:`\lambda \sim \text{Gamma}(r, \alpha)`
and stays alive an exponential time with rate :math:`\mu \sim \text{Gamma}(s, \beta)`.
Integrating over :math:`\lambda` and :math:`\mu` given the time of death :math:`\tau`
(Hardie 2005, section 2) gives the likelihood

.. math::

   L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
       \left\{\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s}
       + s \int_{t_x}^{T} \frac{d\tau}{(\alpha+\tau)^{r+x}(\beta+\tau)^{s+1}}\right\}.

Hardie writes the integral as :math:`A_0/(r+s+x)` with :math:`A_0 = G(t_x) - G(T)` and
:math:`G` a Gauss hypergeometric function :math:`{}_2F_1` (eqs. 19-22). That form fails in
floating point exactly where fits wander: the difference of two nearly equal ``G`` loses
every digit when :math:`s` and :math:`\beta` are large, and ``scipy.special.hyp2f1``
returns ``inf`` or wrong values for large or integer-like parameters. Here the integral is
evaluated directly, in log space, by Gauss-Legendre quadrature in
:math:`u = \ln(\min(\alpha, \beta) + \tau)`, where the log-integrand is concave (so the
integrand is unimodal); the quadrature is centred on its mode and cut where it has fallen
below :math:`e^{-38}` of the peak. The same nodes give the analytic gradient (derivatives
under the integral sign). :math:`\alpha` and :math:`\beta` are in days, :math:`r, s`
unitless.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from scipy.special import digamma, gammaln

from rfm.models._base import (
    FloatArray,
    PurchaseHistory,
    PurchaseModel,
    _Params,
    weighted_sums,
)


@dataclasses.dataclass(frozen=True)
class ParetoNBDParams(_Params):
    """Pareto/NBD parameters; ``alpha`` and ``beta`` in days, ``r`` and ``s`` unitless."""

    r: float
    alpha: float
    s: float
    beta: float


#: Gauss-Legendre rule on [-1, 1]; with 2 panels either side of the mode this integrates
#: the death-time integral to ~1e-13 relative error (checked against scipy.integrate.quad
#: in the tests).
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_UNIT_NODES = (_NODES + 1.0) / 2.0  # on [0, 1]
_LOG_UNIT_WEIGHTS = np.log(_WEIGHTS / 2.0)
_PANELS = 4
#: Rows whose log-integrand varies by at most this on a u-range this short get 1 panel.
_EASY_DROP = 4.0
#: The integrand is dropped where it is below exp(-_SPAN) of its peak (relative to 1e-16).
_SPAN = 38.0


class DeathIntegral(NamedTuple):
    r"""Quadrature of :math:`\int_{t_x}^T (\alpha+\tau)^{-p}(\beta+\tau)^{-q}\,d\tau`.

    ``log_value`` per row (``-inf`` when ``t_x == T``), and for the gradient the averages
    of :math:`\ln(\alpha+\tau)`, :math:`1/(\alpha+\tau)`, :math:`\ln(\beta+\tau)` and
    :math:`1/(\beta+\tau)` weighted by the integrand (0 for empty integrals).
    """

    log_value: FloatArray
    mean_log_alpha: FloatArray
    mean_inv_alpha: FloatArray
    mean_log_beta: FloatArray
    mean_inv_beta: FloatArray


def death_integral(
    p: FloatArray, q: float, alpha: float, beta: float, lo: FloatArray, hi: FloatArray
) -> DeathIntegral:
    r"""Log of :math:`\int_{lo}^{hi} (\alpha+\tau)^{-p}(\beta+\tau)^{-q}\,d\tau`, ``q > 1``.

    In :math:`u = \ln y`, :math:`y = c + \tau`, :math:`c = \min(\alpha, \beta)`, the
    integrand times :math:`d\tau/du` is :math:`e^{\psi(u)}` with
    :math:`\psi = (1 - p_c)u - p_o\ln(y + D)`, :math:`D = |\alpha - \beta|` and
    :math:`p_c, p_o` the exponents of the terms with and without the offset. :math:`\psi`
    is concave with its mode at :math:`y^* = (1-p_c)D/(p_o+p_c-1)` (when :math:`p_c < 1`),
    so the range where the integrand matters is found by Newton steps from outside,
    which never overshoot on a concave function.

    Examples
    --------
    >>> import numpy as np
    >>> out = death_integral(np.array([2.0]), 2.0, 1.0, 1.0, np.array([0.0]), np.array([1.0]))
    >>> round(float(np.exp(out.log_value[0])), 12)  # int_0^1 (1+t)^-4 dt = (1 - 2**-3) / 3
    0.291666666667
    """
    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), lo.shape)
    c = min(alpha, beta)
    offset = abs(alpha - beta)
    if alpha <= beta:
        p_c, p_o = p, np.full(lo.shape, q)
    else:
        p_c, p_o = np.full(lo.shape, q), p

    # v = u - ln(c + lo) in [0, width]: offsets from the lower limit keep full precision
    # when hi - lo is tiny next to c + lo.
    start = c + lo
    log_start = np.log(start)
    width = np.log1p((hi - lo) / start)

    def psi(v: FloatArray) -> FloatArray:  # psi(u) minus (1 - p_c) * log_start
        shape = (-1,) + (1,) * (v.ndim - 1)  # rows of v are the integrals
        return (1.0 - p_c.reshape(shape)) * v - p_o.reshape(shape) * np.log(
            start.reshape(shape) * np.exp(v) + offset
        )

    def slope(v: FloatArray) -> FloatArray:
        y = start * np.exp(v)
        return (1.0 - p_c) - p_o * y / (y + offset)

    rising = p_c < 1.0
    y_mode = np.where(rising, (1.0 - np.where(rising, p_c, 0.0)) * offset, 0.0) / (p_o + p_c - 1.0)
    tiny = np.finfo(np.float64).tiny
    v_mode = np.clip(np.log(np.maximum(y_mode, tiny)) - log_start, 0.0, width)
    level = psi(v_mode) - _SPAN
    a, b = np.zeros(lo.shape), width
    for _ in range(8):
        gap = psi(a) - level
        move = (gap < 0) & (a < v_mode)
        a = np.where(move, a - gap / np.where(move, slope(a), 1.0), a)
        gap = psi(b) - level
        move = (gap < 0) & (b > v_mode)
        b = np.where(move, b - gap / np.where(move, slope(b), 1.0), b)
    a, b = np.clip(a, 0.0, v_mode), np.clip(b, v_mode, width)
    # _PANELS equal panels on [a, b], with an edge at the mode when it is inside (half of
    # the panels either side); the mode is at a for most rows (r + x >= 1 or alpha > beta).
    # Rows whose integrand is nearly flat on a short range (most short gaps t_x..T) need
    # one panel: e^(-k v) on [0, 1] has Gauss-Legendre error < 1e-16 with 16 nodes for
    # k <= 4.
    easy = (psi(v_mode) - np.minimum(psi(a), psi(b)) <= _EASY_DROP) & (b - a <= _EASY_DROP)
    inside = (v_mode > a)[:, None]
    halves = np.linspace(0.0, 1.0, _PANELS // 2 + 1)
    split = np.concatenate(
        [
            a[:, None] + (v_mode - a)[:, None] * halves[:-1],
            v_mode[:, None] + (b - v_mode)[:, None] * halves,
        ],
        axis=1,
    )
    even = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, _PANELS + 1)
    hard_edges = np.where(inside, split, even)[~easy]
    easy_edges = np.stack([a, b], axis=1)[easy]
    out = np.empty((5, lo.size))
    for rows, edges in ((easy, easy_edges), (~easy, hard_edges)):
        if not edges.shape[0]:
            continue
        out[:, rows] = _quadrature(edges, start[rows], p_c[rows], p_o[rows], offset, alpha <= beta)
    log_value = out[0] + (1.0 - p_c) * log_start
    return DeathIntegral(log_value, out[1], out[2], out[3], out[4])


def _quadrature(
    edges: FloatArray,
    start: FloatArray,
    p_c: FloatArray,
    p_o: FloatArray,
    offset: float,
    alpha_first: bool,
) -> FloatArray:
    """Gauss-Legendre sums over panels ``edges`` (rows x panels+1) of ``death_integral``.

    Returns rows of: log of the sum (without the ``(1 - p_c) ln start`` factor) and the
    node averages of ``ln(alpha + tau)``, ``1 / (alpha + tau)``, ``ln(beta + tau)``,
    ``1 / (beta + tau)`` under the integrand (0 for empty integrals).
    """
    size = edges.shape[0]
    left, panel = edges[:, :-1], np.diff(edges, axis=1)
    v = (left[:, :, None] + panel[:, :, None] * _UNIT_NODES).reshape(size, -1)
    # Log quadrature weights per panel (-inf for empty panels, e.g. when t_x == T).
    filled = panel > 0
    log_panel = np.where(filled, np.log(np.where(filled, panel, 1.0)), -np.inf)
    log_weight = (log_panel[:, :, None] + _LOG_UNIT_WEIGHTS).reshape(size, -1)
    col = (-1, 1)
    y = start.reshape(col) * np.exp(v)
    log_y = np.log(start).reshape(col) + v
    other = y + offset
    log_other = np.log(other)
    log_terms = log_weight + (1.0 - p_c.reshape(col)) * v - p_o.reshape(col) * log_other
    peak = np.max(log_terms, axis=1)
    empty = ~np.isfinite(peak)
    terms = np.exp(log_terms - np.where(empty, 0.0, peak)[:, None])
    total = np.sum(terms, axis=1)
    safe_total = np.where(empty, 1.0, total)
    weight = terms / safe_total[:, None]
    log_sum = np.where(empty, -np.inf, peak + np.log(safe_total))

    def mean(values: FloatArray) -> FloatArray:
        return np.einsum("ij,ij->i", weight, values)

    near, far = (y, other), (log_y, log_other)
    if not alpha_first:
        near, far = (other, y), (log_other, log_y)
    return np.stack([log_sum, mean(far[0]), mean(1.0 / near[0]), mean(far[1]), mean(1.0 / near[1])])


def _log_alive_and_dead(
    params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, DeathIntegral]:
    """Log of the two terms in the braces of the likelihood (alive at T; died in (t_x, T])."""
    r, alpha, s, beta = params
    x, t_x, T = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (x, t_x, T))
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    death = death_integral(r + x, s + 1.0, alpha, beta, t_x, T)
    return log_alive, np.log(s) + death.log_value, death


def log_likelihood(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood (Hardie 2005, eq. 18), in log space.

    Parameters
    ----------
    log_params
        ``log([r, alpha, s, beta])``.
    x, t_x, T
        Repeat purchases, time of the last purchase, observation length.

    Examples
    --------
    A customer observed for no time at all has likelihood 1:

    >>> import numpy as np
    >>> float(log_likelihood(np.log([0.5, 10.0, 0.6, 12.0]), np.array([0.0]),
    ...                      np.array([0.0]), np.array([0.0]))[0])
    0.0
    """
    r, alpha, s, beta = np.exp(log_params)
    log_alive, log_dead, _ = _log_alive_and_dead(np.array([r, alpha, s, beta]), x, t_x, T)
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_alive, log_dead)
    )


def _objective(log_params: FloatArray, history: PurchaseHistory) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its analytic gradient in log-parameters."""
    x, t_x, T, weight = history.x, history.t_x, history.T, history.weight
    r, alpha, s, beta = np.exp(log_params)
    log_alive, log_dead, death = _log_alive_and_dead(np.array([r, alpha, s, beta]), x, t_x, T)
    log_sum = np.logaddexp(log_alive, log_dead)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_sum
    alive = np.exp(log_alive - log_sum)
    dead = np.exp(log_dead - log_sum)
    # Derivatives of the death integral under the integral sign, as node averages.
    mean_log_a, mean_inv_a = death.mean_log_alpha, death.mean_inv_alpha
    mean_log_b, mean_inv_b = death.mean_log_beta, death.mean_inv_beta
    d_r = (
        digamma(r + x) - digamma(r) + np.log(alpha) - alive * np.log(alpha + T) - dead * mean_log_a
    )
    d_alpha = r / alpha - (r + x) * (alive / (alpha + T) + dead * mean_inv_a)
    d_s = np.log(beta) - alive * np.log(beta + T) + dead * (1.0 / s - mean_log_b)
    d_beta = s / beta - alive * s / (beta + T) - dead * (s + 1.0) * mean_inv_b
    sums = weighted_sums(weight, (ll, d_r, d_alpha, d_s, d_beta))
    return float(sums[0]), sums[1:] * np.array([r, alpha, s, beta])


def p_alive(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    r"""P(alive | x, t_x, T) for the Pareto/NBD (Hardie 2005, eq. 36-37).

    .. math::

       P(\text{alive}) = 1 \Big/ \left(1 + s\,(\alpha+T)^{r+x}(\beta+T)^s
       \int_{t_x}^{T} \frac{d\tau}{(\alpha+\tau)^{r+x}(\beta+\tau)^{s+1}}\right)
    """
    log_alive, log_dead, _ = _log_alive_and_dead(params, x, t_x, T)
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


def p_no_purchase(
    params: FloatArray, t: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""P(no purchase in :math:`(T, T+t]` | x, t_x, T) for the Pareto/NBD.

    A customer alive at :math:`T` with rates :math:`\lambda, \mu` buys in the window
    unless they die before their next purchase or the next purchase comes after
    :math:`T+t`; by memorylessness,
    :math:`P(\text{a purchase}) = \int_0^t \lambda e^{-(\lambda+\mu)u}\,du`. Given
    the history and being alive, :math:`\lambda \sim \text{Gamma}(r+x, \alpha+T)` and
    :math:`\mu \sim \text{Gamma}(s, \beta+T)` independently (the "alive" term of the
    likelihood factors), and averaging under the integral sign gives

    .. math::

       P(\text{none}) = 1 - P(\text{alive})\,(r+x)(\alpha+T)^{r+x}(\beta+T)^{s}
       \int_T^{T+t} \frac{d\tau}{(\alpha+\tau)^{r+x+1}(\beta+\tau)^{s}},

    the :math:`n = 0` case of Fader, Hardie & Shang's conditional PMF (brucehardie.com,
    note 028, eq. 16), integrated here by the same quadrature as the likelihood.
    """
    r, alpha, s, beta = params
    x, t_x, T = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (x, t_x, T))
    window = death_integral(r + x + 1.0, s, alpha, beta, T, T + t)
    log_buys = np.log(r + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + window.log_value
    return 1.0 - p_alive(params, x, t_x, T) * np.minimum(np.exp(log_buys), 1.0)


class ParetoNBD(PurchaseModel[ParetoNBDParams]):
    """Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

    Same interface and hyperparameters as :class:`rfm.BetaGeo`; ``params_`` is a
    :class:`ParetoNBDParams` with ``alpha`` and ``beta`` in days. The gradient is
    analytic, but every evaluation integrates over the time of death for each distinct
    customer row (64 nodes), so fits cost several times the BG/NBD's.

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

    display_name = "Pareto/NBD"
    _params_type = ParetoNBDParams
    _time_params = ("alpha", "beta")
    _dropout_params = ("s", "beta")

    _objective = staticmethod(_objective)
    _p_alive = staticmethod(p_alive)
    _conditional_expected = staticmethod(conditional_expected_purchases)
    _p_no_purchase = staticmethod(p_no_purchase)

    _log_likelihood = staticmethod(log_likelihood)
    _start_params = (1.0, 1.0, 1.0, 1.0)
