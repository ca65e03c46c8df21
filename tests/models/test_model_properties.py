"""Properties that hold for any parameters and histories (hypothesis), and numerical edges."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rfm

shape = st.floats(0.05, 5.0)
scale = st.floats(0.5, 200.0)


@st.composite
def histories(draw: Any) -> pl.DataFrame:
    size = draw(st.integers(1, 6))
    tenure = draw(st.lists(st.integers(0, 2000), min_size=size, max_size=size))
    recency = [draw(st.integers(0, t)) for t in tenure]
    repeats = [
        draw(st.integers(0, 300)) if t - r > 0 else 0 for t, r in zip(tenure, recency, strict=True)
    ]
    return pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(size)],
            "purchase_days": [x + 1 for x in repeats],
            "recency_days": recency,
            "tenure_days": tenure,
        }
    )


def _models(r: float, alpha: float, a: float, b: float) -> list[Any]:
    # a != 1 keeps the BG/NBD expectation's (a - 1) denominator away from its removable pole.
    return [
        rfm.BetaGeo.from_params({"r": r, "alpha": alpha, "a": a, "b": b}),
        rfm.ModifiedBetaGeo.from_params({"r": r, "alpha": alpha, "a": a, "b": b}),
        rfm.ParetoNBD.from_params({"r": r, "alpha": alpha, "s": a, "beta": b * alpha}),
    ]


@settings(max_examples=60, deadline=None)
@given(histories(), shape, scale, shape.filter(lambda a: abs(a - 1) > 1e-3), shape)
@example(
    pl.DataFrame(
        {"customer_id": ["x"], "purchase_days": [1001], "recency_days": [90], "tenure_days": [100]}
    ),
    0.2426,
    30.895,
    0.7929,
    2.4259,
)
def test_p_alive_is_a_probability_and_one_without_repeats_for_bg_nbd(
    summary: pl.DataFrame, r: float, alpha: float, a: float, b: float
) -> None:
    for model in _models(r, alpha, a, b):
        p = model.p_alive(summary)
        assert p["p_alive"].is_between(0.0, 1.0).all()
        assert ((p["p_alive"] + p["churn_probability"] - 1.0).abs() < 1e-12).all()
    bg = _models(r, alpha, a, b)[0].p_alive(summary)
    no_repeat = (summary["purchase_days"] == 1).to_numpy()
    assert (bg["p_alive"].to_numpy()[no_repeat] == 1.0).all()


@settings(max_examples=40, deadline=None)
@given(
    histories(),
    shape,
    scale,
    shape.filter(lambda a: abs(a - 1) > 1e-3),
    shape,
    st.lists(st.floats(0.0, 3000.0), min_size=2, max_size=5),
)
def test_expected_purchases_never_decrease_with_the_horizon(
    summary: pl.DataFrame, r: float, alpha: float, a: float, b: float, horizons: list[float]
) -> None:
    for model in _models(r, alpha, a, b):
        values = np.array(
            [
                model.expected_purchases(summary, h)["expected_purchases"].to_numpy()
                for h in sorted(horizons)
            ]
        )
        assert np.all(np.isfinite(values))
        assert np.all(values >= -1e-12)
        assert np.all(np.diff(values, axis=0) >= -1e-9 * (1 + np.abs(values[1:])))


@settings(max_examples=40, deadline=None)
@given(
    histories(),
    shape,
    scale,
    shape.filter(lambda a: abs(a - 1) > 1e-3),
    shape,
    st.sampled_from([1 / 7, 1 / 24, 7.0, 30.0]),
    st.floats(1.0, 400.0),
)
def test_rescaling_time_changes_no_prediction(
    summary: pl.DataFrame,
    r: float,
    alpha: float,
    a: float,
    b: float,
    factor: float,
    horizon: float,
) -> None:
    """Measuring time in another unit (and scaling alpha, beta with it) changes nothing."""
    rescaled = summary.with_columns(pl.col("recency_days") * factor, pl.col("tenure_days") * factor)
    days_models = _models(r, alpha, a, b)
    other = _models(r, alpha * factor, a, b)
    for in_days, in_other in zip(days_models, other, strict=True):
        np.testing.assert_allclose(
            in_other.p_alive(rescaled)["p_alive"].to_numpy(),
            in_days.p_alive(summary)["p_alive"].to_numpy(),
            rtol=1e-9,
            atol=1e-300,
        )
        np.testing.assert_allclose(
            in_other.expected_purchases(rescaled, horizon * factor)["expected_purchases"],
            in_days.expected_purchases(summary, horizon)["expected_purchases"],
            rtol=1e-7,
            atol=1e-12,
        )


@pytest.mark.parametrize("model_class", [rfm.BetaGeo, rfm.ModifiedBetaGeo])
def test_p_alive_of_a_heavy_buyer_gone_silent_is_zero_without_warnings(model_class: Any) -> None:
    summary = pl.DataFrame(
        {
            "customer_id": ["heavy"],
            "purchase_days": [1001],
            "recency_days": [90],
            "tenure_days": [100],
        }
    )  # x=1000, t_x=10
    model = model_class.from_params({"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259})
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        p = model.p_alive(summary)
        expected = model.expected_purchases(summary, 365)
        ll = model.log_likelihood(summary)
    assert p["p_alive"][0] == 0.0
    assert p["churn_probability"][0] == 1.0
    assert expected["expected_purchases"][0] == 0.0
    assert np.isfinite(ll["log_likelihood"][0])


def test_pareto_nbd_heavy_buyer_gone_silent_without_warnings() -> None:
    summary = pl.DataFrame(
        {
            "customer_id": ["heavy"],
            "purchase_days": [1001],
            "recency_days": [90],
            "tenure_days": [100],
        }
    )
    model = rfm.ParetoNBD.from_params({"r": 0.553, "alpha": 74.1, "s": 0.606, "beta": 81.7})
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        p = model.p_alive(summary)["p_alive"][0]
    assert p == pytest.approx(0.0, abs=1e-300)


def test_heavy_recent_buyer_expectation_stays_finite() -> None:
    """x = 5000 bought yesterday: the Euler-transformed 2F1 term does not overflow."""
    summary = pl.DataFrame(
        {"customer_id": ["a"], "purchase_days": [5001], "recency_days": [1], "tenure_days": [1000]}
    )
    model = rfm.BetaGeo.from_params({"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = model.expected_purchases(summary, 100)["expected_purchases"][0]
    # Close to the individual's rate 5000/1000 per day times 100 days, shrunk a little.
    assert 300 < value < 500


def test_standard_errors_shrink_with_the_square_root_of_the_data(
    cdnow_summary: pl.DataFrame,
) -> None:
    """Four copies of the data: same estimates, standard errors halved (Fisher information)."""
    once = rfm.BetaGeo().fit(cdnow_summary)
    four = rfm.BetaGeo().fit(pl.concat([cdnow_summary] * 4))
    for name, value in once.params_.as_dict().items():
        assert getattr(four.params_, name) == pytest.approx(value, rel=1e-5)
        se = getattr(once.standard_errors_, name)
        assert 0 < se < value
        assert getattr(four.standard_errors_, name) == pytest.approx(se / 2, rel=1e-3)
    assert four.log_likelihood_ == pytest.approx(4 * once.log_likelihood_, rel=1e-9)


def test_penalizer_shrinks_log_parameters_towards_zero(cdnow_summary: pl.DataFrame) -> None:
    free = rfm.BetaGeo().fit(cdnow_summary)
    shrunk = rfm.BetaGeo(penalizer=1.0).fit(cdnow_summary)
    # r is far below 1 without a penalty; the penalty on log(r) pulls it towards 1.
    assert free.params_.r < shrunk.params_.r < 1.0
    assert shrunk.log_likelihood_ < free.log_likelihood_


def test_gamma_gamma_currency_rescaling(cdnow_summary: pl.DataFrame) -> None:
    """Spend in cents: p and q unchanged, gamma and expected spend times 100."""
    euros = rfm.GammaGamma().fit(cdnow_summary)
    cents_summary = cdnow_summary.with_columns(pl.col("avg_repeat_value") * 100)
    cents = rfm.GammaGamma().fit(cents_summary)
    assert cents.params_.p == pytest.approx(euros.params_.p, rel=1e-6)
    assert cents.params_.q == pytest.approx(euros.params_.q, rel=1e-6)
    assert cents.params_.gamma == pytest.approx(100 * euros.params_.gamma, rel=1e-6)
    np.testing.assert_allclose(
        cents.expected_spend(cents_summary)["expected_spend"],
        100 * euros.expected_spend(cdnow_summary)["expected_spend"],
        rtol=1e-6,
    )
