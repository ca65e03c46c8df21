"""The analytic gradients used for fitting agree with the per-customer likelihoods."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rfm.models import beta_geo, gamma_gamma, modified_beta_geo
from rfm.models._base import PurchaseHistory


def _history() -> PurchaseHistory:
    rng = np.random.default_rng(3)
    T = rng.uniform(1, 40, 300)
    x = rng.integers(0, 30, 300).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, 300) * T, 0.0)
    return PurchaseHistory(x, t_x, T, rng.integers(1, 5, 300).astype(float))


@pytest.mark.parametrize("module", [beta_geo, modified_beta_geo])
def test_bg_objective_value_and_gradient(module: Any) -> None:
    history = _history()
    point = np.log([0.4, 3.0, 0.7, 2.2])

    def total(p: np.ndarray) -> float:
        ll = module.log_likelihood(p, history.x, history.t_x, history.T)
        return float(np.sum(history.weight * ll))

    value, grad = module._objective(point, history)
    assert value == pytest.approx(total(point), rel=1e-12)
    step = 1e-6
    numeric = [(total(point + step * e) - total(point - step * e)) / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


def test_gamma_gamma_objective_gradient() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 20, 200).astype(float)
    spend = rng.gamma(3.0, 10.0, 200)
    weight = np.ones(200)
    point = np.log([5.0, 3.0, 12.0])
    _, grad = gamma_gamma._objective(point, x, spend, weight)
    step = 1e-6
    numeric = [
        (
            np.sum(gamma_gamma.log_likelihood(point + step * e, x, spend))
            - np.sum(gamma_gamma.log_likelihood(point - step * e, x, spend))
        )
        / (2 * step)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "params", [[0.4, 3.0, 0.7, 2.2], [0.55, 0.2, 5.0, 0.1], [7.4, 0.05, 400.0, 1100.0]]
)
def test_pareto_objective_value_and_gradient(params: list[float]) -> None:
    """Both alpha >= beta and alpha < beta, and the large s, beta a fit can wander to."""
    from rfm.models import pareto_nbd

    history = _history()
    point = np.log(params)

    def total(p: np.ndarray) -> float:
        ll = pareto_nbd.log_likelihood(p, history.x, history.t_x, history.T)
        return float(np.sum(history.weight * ll))

    value, grad = pareto_nbd._objective(point, history)
    assert value == pytest.approx(total(point), rel=1e-12)
    step = 1e-6
    numeric = [(total(point + step * e) - total(point - step * e)) / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-5)
