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
    numeric = [
        (total(point + step * e) - total(point - step * e)) / (2 * step) for e in np.eye(4)
    ]
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
        (np.sum(gamma_gamma.log_likelihood(point + step * e, x, spend))
         - np.sum(gamma_gamma.log_likelihood(point - step * e, x, spend))) / (2 * step)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


def test_pareto_likelihood_on_distinct_pairs_equals_per_row() -> None:
    from rfm.models import pareto_nbd

    history = _history()
    x = np.round(history.x[:50]).repeat(3)
    t_x = np.round(history.t_x[:50]).repeat(3)
    T = np.round(history.T[:50]).repeat(3)
    pairs = pareto_nbd.time_pairs(x, t_x, T)
    assert pairs.x.size < x.size
    point = np.log([0.55, 10.6, 0.61, 11.7])
    np.testing.assert_allclose(
        pareto_nbd.log_likelihood(point, x, t_x, T, pairs),
        pareto_nbd.log_likelihood(point, x, t_x, T),
        rtol=1e-13,
    )
