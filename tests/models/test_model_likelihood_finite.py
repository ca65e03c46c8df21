"""Purchase-model log-likelihoods and gradients are finite wherever an optimiser may go.

Log-parameters range over [-8, 8] (the optimiser works on the time axis scaled to the mean
tenure, so this is e^-8 .. e^8 mean tenures), histories include no repeats, a purchase at
T, repeats all at time 0, huge x and tiny or huge T. Overflow, invalid operations and
division by zero raise; underflow to 0 (e.g. a weight of e^-800) is the right answer and
is allowed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from rfm.models import beta_geo, modified_beta_geo, pareto_nbd
from rfm.models._base import PurchaseHistory

MODULES = [beta_geo, modified_beta_geo, pareto_nbd]

log_param = st.floats(-8.0, 8.0)
times = st.one_of(st.floats(1e-8, 1e6), st.sampled_from([1e-8, 1e-3, 1.0, 5.5e4, 1e6]))
repeats = st.one_of(st.integers(0, 50), st.sampled_from([0, 1, 1000, 100_000, 1_000_000]))


@st.composite
def rows(draw: Any) -> tuple[float, float, float]:
    """One valid ``(x, t_x, T)``: t_x = 0 without repeats, otherwise 0 <= t_x <= T."""
    x = float(draw(repeats))
    T = draw(times)
    if x == 0:
        return x, 0.0, T
    where = draw(st.sampled_from(["zero", "at_T", "inside", "just_before_T"]))
    t_x = {
        "zero": 0.0,
        "at_T": T,
        "inside": T * draw(st.floats(0.0, 1.0)),
        "just_before_T": T * (1.0 - 1e-9),
    }[where]
    return x, t_x, T


histories = st.lists(rows(), min_size=1, max_size=8)


@contextmanager
def strict() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


def _arrays(history: list[tuple[float, float, float]]) -> PurchaseHistory:
    x, t_x, T = (np.array(column, dtype=np.float64) for column in zip(*history, strict=True))
    return PurchaseHistory(x, t_x, T, np.ones(x.size))


# Found by the lead on rfm.summarize(load_sample().head(4000)) (time in units of the mean
# tenure, 229.1 days): the optimiser walked to large s and beta, where the old 2F1 form
# gave wrong likelihoods (A_0 = 0) and then inf - inf = nan for x = 0 at this point.
SMALL_SLICE_NAN = (0.6353634466817025, -0.4959742080293895, 5.137769286963881, 5.471219812340328)
SMALL_SLICE_NAN_ROWS = [(0.0, 0.0, 0.04364591104178576), (0.0, 0.0, 0.06546886656267863)]
SMALL_SLICE_PATH = (0.635, -0.496, 5.287, 5.623)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=150, deadline=None)
@given(st.tuples(log_param, log_param, log_param, log_param), histories)
@example(SMALL_SLICE_NAN, SMALL_SLICE_NAN_ROWS)
@example(SMALL_SLICE_PATH, [(1.0, 0.0436, 0.89), (1.0, 0.0393, 1.95), (23.0, 1.81, 1.82)])
@example((0.637, -0.495, 5.586, 5.919), [(1.0, 0.0393, 0.3797), (0.0, 0.0, 1.97)])
@example((8.0, -8.0, 8.0, -8.0), [(1e6, 1e-8, 1e6), (0.0, 0.0, 1e-8), (1e6, 1e6, 1e6)])
@example((-8.0, 8.0, -8.0, 8.0), [(1e6, 0.0, 1e6), (1.0, 1e-8, 1e-8), (0.0, 0.0, 1e6)])
@example((0.0, 0.0, 0.0, 0.0), [(2.0, 1.0, 1.0), (100.0, 1.0 - 1e-9, 1.0)])
def test_log_likelihood_and_gradient_are_finite(
    module: Any,
    log_params: tuple[float, float, float, float],
    history: list[tuple[float, float, float]],
) -> None:
    data = _arrays(history)
    point = np.array(log_params)
    with strict():
        ll = module.log_likelihood(point, data.x, data.t_x, data.T)
        value, grad = module._objective(point, data)
    assert np.all(np.isfinite(ll)), ll
    # A likelihood of a discrete count times densities can exceed 1, but not at x = 0 with
    # no time observed; and the objective is the sum of the per-row values.
    assert np.isfinite(value)
    assert value == pytest.approx(float(np.sum(ll)), rel=1e-9, abs=1e-9)
    assert np.all(np.isfinite(grad)), grad


@settings(max_examples=100, deadline=None)
@given(st.tuples(log_param, log_param, log_param, log_param), histories)
@example(SMALL_SLICE_NAN, SMALL_SLICE_NAN_ROWS)
@example(SMALL_SLICE_PATH, [(1.0, 0.0436, 0.89), (23.0, 1.81, 1.82)])
def test_pareto_nbd_p_alive_is_a_probability(
    log_params: tuple[float, float, float, float], history: list[tuple[float, float, float]]
) -> None:
    data = _arrays(history)
    with strict():
        p = pareto_nbd.p_alive(np.exp(np.array(log_params)), data.x, data.t_x, data.T)
    assert np.all((p >= 0) & (p <= 1)), p
    # Buying at T proves the customer alive then.
    at_T = (data.t_x == data.T) & (data.x > 0)
    assert np.all(p[at_T] == 1.0)


def _quad_log_likelihood(params: np.ndarray, x: float, t_x: float, T: float) -> float:
    """Hardie (2005) eq. 18 with the death-time integral done by scipy's adaptive QUADPACK.

    The integrand is divided by its value at t_x (its maximum when r + x >= 1) so that it
    does not underflow; an independent check of the quadrature in rfm.
    """
    r, alpha, s, beta = params

    def log_f(tau: float) -> float:
        return float(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau))

    peak = log_f(t_x)
    integral, _ = integrate.quad(
        lambda tau: np.exp(log_f(tau) - peak), t_x, T, epsabs=0.0, epsrel=1e-12, limit=200
    )
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_dead = np.log(s) + peak + np.log(integral) if integral > 0 else -np.inf
    return float(
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_alive, log_dead)
    )


@pytest.mark.parametrize(
    "log_params",
    [
        SMALL_SLICE_NAN,
        SMALL_SLICE_PATH,
        (0.637, -0.495, 5.586, 5.919),
        tuple(np.log([0.553, 10.58 / 7, 0.606, 11.67 / 7])),
        (-2.0, 3.0, 1.0, -1.0),
    ],
)
@pytest.mark.parametrize(
    "row",
    [
        (0.0, 0.0, 0.0436),
        (0.0, 0.0, 1.97),
        (1.0, 0.0436, 0.89),
        (1.0, 0.0393, 1.95),
        (23.0, 1.81, 1.82),
        (5.0, 0.2, 0.2 + 1e-7),
        (1.0, 0.0, 30.0),
    ],
)
def test_pareto_nbd_likelihood_matches_adaptive_quadrature(
    log_params: tuple[float, ...], row: tuple[float, float, float]
) -> None:
    """The per-customer likelihood against scipy.integrate.quad of the same integral.

    At the small-slice points the old 2F1 difference returned A_0 = 0 for most customers
    (likelihoods off by up to e^-1000 in the dead term).
    """
    x, t_x, T = row
    expected = _quad_log_likelihood(np.exp(np.array(log_params)), x, t_x, T)
    got = pareto_nbd.log_likelihood(
        np.array(log_params), np.array([x]), np.array([t_x]), np.array([T])
    )[0]
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-10)
