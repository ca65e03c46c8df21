"""A million simulated customers: the fit neither overflows nor drifts from the truth."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

import rfm
from rfm.models.beta_geo import BetaGeoParams, simulate_summary

TRUE = BetaGeoParams(r=0.25, alpha=30.0, a=0.8, b=2.5)


@pytest.mark.slow
def test_one_million_customers_recover_the_simulators_parameters() -> None:
    summary = simulate_summary(TRUE, 1_000_000, max_tenure_days=365, random_state=2024)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        model = rfm.BetaGeo().fit(summary)
        p_alive = model.p_alive(summary)
        expected = model.expected_purchases(summary, 182)
    assert model.n_customers_ == 1_000_000
    assert np.isfinite(model.log_likelihood_)
    for name, true_value in TRUE.as_dict().items():
        estimate = getattr(model.params_, name)
        se = getattr(model.standard_errors_, name)
        # Sampling error is ~0.3-1.5% at this size; 4 standard errors, plus 1% for the
        # whole-day rounding of purchase times, bounds a correct fit.
        assert abs(estimate - true_value) < 4 * se + 0.01 * true_value, (name, estimate, se)
    assert p_alive["p_alive"].is_between(0, 1).all()
    assert expected["expected_purchases"].is_finite().all()


def test_simulated_summary_moments_match_the_model() -> None:
    """The simulator agrees with the BG/NBD's own E[X(T)] (FHL 2005, eq. 9)."""
    summary = simulate_summary(TRUE, 200_000, max_tenure_days=200, random_state=7)
    mean_x = float((summary["purchase_days"] - 1).mean())  # type: ignore[arg-type]
    # E[X(t)] from the model at the sampled tenures: a customer with x=0 and T=0 forecast
    # over t = T (the unconditional expectation of eq. 9).
    newcomers = summary.select(
        "customer_id",
        pl.lit(1).alias("purchase_days"),
        pl.lit(0).alias("recency_days"),
        pl.lit(0).alias("tenure_days"),
    )
    tenures = summary["tenure_days"].to_numpy()
    model = rfm.BetaGeo.from_params(TRUE)
    expected = np.mean(
        [
            model.expected_purchases(newcomers.head(1), float(t))["expected_purchases"][0]
            for t in np.unique(tenures)
        ]
    )
    # Tenures are uniform, so averaging over the distinct tenures is averaging over customers.
    assert mean_x == pytest.approx(expected, rel=0.02)


def test_retail_simulator_transactions_recover_its_parameters() -> None:
    """Transactions from rfm.datasets.simulate (BG/NBD + Gamma-Gamma, days) -> summarize -> fit.

    The simulator's documented truth: r=0.9, alpha=60 days, a=1.4, b=5; p=6, q=4, gamma=30
    (mean order value 60). Four standard errors bound a correct fit; whole-day dates and
    same-day orders merged into one purchase day add small biases well inside that.
    """
    from rfm import datasets

    transactions = datasets.simulate(20_000, random_state=5)
    summary = rfm.summarize(transactions, as_of="2023-12-31")
    bg = rfm.BetaGeo().fit(summary)
    for name, truth in {"r": 0.9, "alpha": 60.0, "a": 1.4, "b": 5.0}.items():
        estimate, se = getattr(bg.params_, name), getattr(bg.standard_errors_, name)
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)
    gg = rfm.GammaGamma().fit(summary)
    for name, truth in {"p": 6.0, "q": 4.0, "gamma": 30.0}.items():
        estimate, se = getattr(gg.params_, name), getattr(gg.standard_errors_, name)
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)
    p, q, gamma = gg.params_.p, gg.params_.q, gg.params_.gamma
    assert p * gamma / (q - 1) == pytest.approx(60.0, rel=0.03)
