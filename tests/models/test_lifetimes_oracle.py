"""Predictions equal lifetimes' (a test-only oracle) at the same parameters.

lifetimes 0.11.3 is called with the same day-based inputs; its fitters are given our
parameters through ``params_`` so only the prediction formulas are compared.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import rfm
from tests.models.cdnow import CALIBRATION_END

BG = {"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259}
MBG = {"r": 0.525, "alpha": 43.28, "a": 0.891, "b": 1.614}
PARETO = {"r": 0.553, "alpha": 74.06, "s": 0.606, "beta": 81.69}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _oracle(fitter_class: Any, params: dict[str, float]) -> Any:
    fitter = fitter_class()
    names = {"gamma": "v"}
    fitter.params_ = pd.Series({names.get(k, k): v for k, v in params.items()})
    return fitter


def _btyd(summary: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = (summary["purchase_days"] - 1).to_numpy().astype(float)
    t_x = (summary["tenure_days"] - summary["recency_days"]).to_numpy().astype(float)
    return x, t_x, summary["tenure_days"].to_numpy().astype(float)


def _quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def summary(cdnow_summary: pl.DataFrame) -> pl.DataFrame:
    # Add some heavy, long-silent and just-bought customers to the CDNOW calibration summary.
    extra = pl.DataFrame(
        {
            "customer_id": ["heavy", "silent", "fresh", "recent"],
            "recency_days": [5, 250, 0, 0],
            "tenure_days": [270, 260, 0, 100],
            "purchase_days": [60, 12, 1, 8],
            "avg_repeat_value": [40.0, 15.0, None, 22.0],
            "quantity": [100.0, 20.0, 1.0, 9.0],
        }
    )
    return pl.concat([cdnow_summary.select(extra.columns), extra], how="vertical_relaxed")


@pytest.mark.parametrize(
    ("model_class", "fitter_name", "params"),
    [
        (rfm.BetaGeo, "BetaGeoFitter", BG),
        (rfm.ModifiedBetaGeo, "ModifiedBetaGeoFitter", MBG),
        (rfm.ParetoNBD, "ParetoNBDFitter", PARETO),
    ],
)
def test_p_alive_and_expected_purchases_equal_lifetimes(
    summary: pl.DataFrame,
    lifetimes: Any,
    model_class: Any,
    fitter_name: str,
    params: dict[str, float],
) -> None:
    model = model_class.from_params(params)
    oracle = _oracle(getattr(lifetimes, fitter_name), params)
    x, t_x, T = _btyd(summary)

    ours = model.p_alive(summary)
    expected = _quiet(oracle.conditional_probability_alive, x, t_x, T)
    np.testing.assert_allclose(ours["p_alive"].to_numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(
        ours["churn_probability"].to_numpy(), 1 - expected, rtol=1e-6, atol=1e-12
    )

    for days in (30.0, 182.0, 365.0):
        ours_e = model.expected_purchases(summary, days)["expected_purchases"].to_numpy()
        expected_e = _quiet(
            oracle.conditional_expected_number_of_purchases_up_to_time, days, x, t_x, T
        )
        np.testing.assert_allclose(ours_e, expected_e, rtol=1e-6)


@pytest.mark.parametrize(
    ("model_class", "fitter_name", "params"),
    [
        (rfm.BetaGeo, "BetaGeoFitter", BG),
        (rfm.ModifiedBetaGeo, "ModifiedBetaGeoFitter", MBG),
        (rfm.ParetoNBD, "ParetoNBDFitter", PARETO),
    ],
)
def test_log_likelihood_equals_lifetimes(
    cdnow_summary: pl.DataFrame,
    lifetimes: Any,
    model_class: Any,
    fitter_name: str,
    params: dict[str, float],
) -> None:
    """Per-customer log-likelihood sums to lifetimes' negative log-likelihood."""
    x, t_x, T = _btyd(cdnow_summary)
    fitter = getattr(lifetimes, fitter_name)
    values = list(params.values())
    ones = np.ones_like(x)
    if fitter_name == "ParetoNBDFitter":
        nll = _quiet(fitter._negative_log_likelihood, values, x, t_x, T, ones, 0.0)
        expected_total = -nll  # divided by weights.mean() == 1
    else:
        nll = _quiet(fitter._negative_log_likelihood, np.log(values), x, t_x, T, ones, 0.0)
        expected_total = -nll * x.size
    ours = model_class.from_params(params).log_likelihood(cdnow_summary)
    assert ours["log_likelihood"].sum() == pytest.approx(expected_total, rel=1e-9)


def test_fitted_bg_nbd_equals_lifetimes_fit(cdnow_summary: pl.DataFrame, lifetimes: Any) -> None:
    x, t_x, T = _btyd(cdnow_summary)
    oracle = _quiet(lifetimes.BetaGeoFitter().fit, x, t_x, T)
    ours = rfm.BetaGeo().fit(cdnow_summary).params_.as_dict()
    for name in ("r", "alpha", "a", "b"):
        assert ours[name] == pytest.approx(oracle.params_[name], rel=1e-4)


def test_fitted_gamma_gamma_equals_lifetimes_fit(
    cdnow_summary: pl.DataFrame, lifetimes: Any
) -> None:
    repeaters = cdnow_summary.filter(pl.col("purchase_days") > 1)
    oracle = _quiet(
        lifetimes.GammaGammaFitter().fit,
        (repeaters["purchase_days"] - 1).to_numpy(),
        repeaters["avg_repeat_value"].to_numpy(),
    )
    ours = rfm.GammaGamma().fit(cdnow_summary).params_
    assert ours.p == pytest.approx(oracle.params_["p"], rel=1e-4)
    assert ours.q == pytest.approx(oracle.params_["q"], rel=1e-4)
    assert ours.gamma == pytest.approx(oracle.params_["v"], rel=1e-4)


def test_expected_spend_equals_lifetimes(summary: pl.DataFrame, lifetimes: Any) -> None:
    model = rfm.GammaGamma.from_params(GG)
    oracle = _oracle(lifetimes.GammaGammaFitter, GG)
    x = (summary["purchase_days"] - 1).to_numpy().astype(float)
    spend = summary["avg_repeat_value"].fill_null(0.0).to_numpy()
    expected = _quiet(oracle.conditional_expected_average_profit, x, spend)
    ours = model.expected_spend(summary)["expected_spend"].to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


@pytest.mark.parametrize(("months", "rate"), [(12, 0.01), (6, 0.0), (3, 0.05)])
def test_clv_equals_lifetimes(
    summary: pl.DataFrame, lifetimes: Any, months: int, rate: float
) -> None:
    bg = rfm.BetaGeo.from_params(BG)
    gg = rfm.GammaGamma.from_params(GG)
    oracle_bg = _oracle(lifetimes.BetaGeoFitter, BG)
    oracle_bg.predict = oracle_bg.conditional_expected_number_of_purchases_up_to_time
    oracle_gg = _oracle(lifetimes.GammaGammaFitter, GG)
    x, t_x, T = _btyd(summary)
    index = pd.Index(summary["customer_id"].to_list())
    expected = _quiet(
        oracle_gg.customer_lifetime_value,
        oracle_bg,
        pd.Series(x, index=index),
        pd.Series(t_x, index=index),
        pd.Series(T, index=index),
        pd.Series(summary["avg_repeat_value"].fill_null(0.0).to_numpy(), index=index),
        time=months,
        discount_rate=rate,
        freq="D",
    )
    ours = rfm.clv(
        summary,
        purchase_model=bg,
        spend_model=gg,
        horizon_days=30 * months,
        discount_rate=rate,
        period_days=30,
    )
    np.testing.assert_allclose(ours["clv"].to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_expected_value_is_purchases_times_spend_and_units(
    summary: pl.DataFrame, lifetimes: Any
) -> None:
    bg = rfm.BetaGeo.from_params(BG)
    gg = rfm.GammaGamma.from_params(GG)
    out = rfm.expected_value(summary, purchase_model=bg, spend_model=gg, horizon_days=182)
    x, t_x, T = _btyd(summary)
    purchases = _quiet(
        _oracle(lifetimes.BetaGeoFitter, BG).conditional_expected_number_of_purchases_up_to_time,
        182.0,
        x,
        t_x,
        T,
    )
    spend = _quiet(
        _oracle(lifetimes.GammaGammaFitter, GG).conditional_expected_average_profit,
        x,
        summary["avg_repeat_value"].fill_null(0.0).to_numpy(),
    )
    np.testing.assert_allclose(out["expected_revenue"].to_numpy(), purchases * spend, rtol=1e-6)
    units_per_day = (summary["quantity"] / summary["purchase_days"]).to_numpy()
    np.testing.assert_allclose(
        out["expected_units"].to_numpy(), purchases * units_per_day, rtol=1e-6
    )
    assert out["customer_id"].to_list() == summary["customer_id"].to_list()


def test_expected_value_without_quantity_has_no_units(summary: pl.DataFrame) -> None:
    out = rfm.expected_value(
        summary.drop("quantity"),
        purchase_model=rfm.BetaGeo.from_params(BG),
        spend_model=rfm.GammaGamma.from_params(GG),
        horizon_days=90,
    )
    assert "expected_units" not in out.columns


def test_holdout_split_and_evaluation_equal_lifetimes(
    cdnow_transactions: pl.DataFrame, lifetimes: Any
) -> None:
    split = rfm.calibration_holdout(
        cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end="1998-06-30"
    )
    assert split.holdout_days == 273
    frame = cdnow_transactions.select("customer_id", "order_date", "amount").to_pandas()
    # Shim for pandas 3: lifetimes' holdout count aggregates over the columns left after
    # grouping, so it needs a third column (the amount) to be present.
    oracle = _quiet(
        lifetimes.utils.calibration_and_holdout_data,
        frame,
        "customer_id",
        "order_date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        monetary_value_col="amount",
    )
    oracle = pl.from_pandas(oracle.reset_index()).rename({"index": "customer_id"}, strict=False)
    joined = split.holdout.join(oracle, on="customer_id", validate="1:1")
    assert joined.height == 2357
    assert (joined["holdout_purchases"] == joined["frequency_holdout"]).all()
    assert (joined["duration_holdout"] == split.holdout_days).all()

    model = rfm.BetaGeo().fit(split.calibration)
    evaluation = rfm.evaluate_holdout(model, split)
    fitter = _oracle(lifetimes.BetaGeoFitter, model.params_.as_dict())
    x, t_x, T = _btyd(split.calibration)
    predicted = _quiet(fitter.conditional_expected_number_of_purchases_up_to_time, 273.0, x, t_x, T)
    np.testing.assert_allclose(
        evaluation.per_customer["predicted_purchases"].to_numpy(), predicted, rtol=1e-6
    )
    # Aggregated like lifetimes' calibration-vs-holdout plot: mean by calibration x.
    pandas_view = (
        evaluation.per_customer.to_pandas()
        .assign(bin=lambda d: d["calibration_purchases"].clip(upper=7))
        .groupby("bin")[["predicted_purchases", "actual_purchases"]]
        .mean()
    )
    np.testing.assert_allclose(
        evaluation.by_frequency["predicted_purchases"].to_numpy(),
        pandas_view["predicted_purchases"].to_numpy(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        evaluation.by_frequency["actual_purchases"].to_numpy(),
        pandas_view["actual_purchases"].to_numpy(),
        rtol=1e-12,
    )
    mae = np.mean(np.abs(predicted - joined.sort("customer_id")["frequency_holdout"].to_numpy()))
    assert evaluation.mae == pytest.approx(mae, rel=1e-6)


def test_select_model_keeps_the_lowest_holdout_error(
    cdnow_transactions: pl.DataFrame, lifetimes: Any
) -> None:
    split = rfm.calibration_holdout(
        cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end="1998-06-30"
    )
    selection = rfm.select_model(split)
    assert set(selection.scores["model"]) == {"BetaGeo", "ModifiedBetaGeo", "ParetoNBD"}
    assert selection.scores["error"].null_count() == 3
    # Each MAE recomputed from lifetimes' predictions at the selected parameters.
    fitters = {
        "BetaGeo": lifetimes.BetaGeoFitter,
        "ModifiedBetaGeo": lifetimes.ModifiedBetaGeoFitter,
        "ParetoNBD": lifetimes.ParetoNBDFitter,
    }
    x, t_x, T = _btyd(split.calibration)
    actual = split.holdout["holdout_purchases"].to_numpy()
    maes = {}
    for name, evaluation in selection.evaluations.items():
        fitted = {
            "BetaGeo": rfm.BetaGeo,
            "ModifiedBetaGeo": rfm.ModifiedBetaGeo,
            "ParetoNBD": rfm.ParetoNBD,
        }[name]().fit(split.calibration)
        oracle = _oracle(fitters[name], fitted.params_.as_dict())
        predicted = _quiet(
            oracle.conditional_expected_number_of_purchases_up_to_time,
            float(split.holdout_days),
            x,
            t_x,
            T,
        )
        maes[name] = float(np.mean(np.abs(predicted - actual)))
        assert evaluation.mae == pytest.approx(maes[name], rel=1e-6)
    assert type(selection.best).__name__ == min(maes, key=maes.__getitem__)
    np.testing.assert_allclose(selection.scores["mae"].to_numpy(), sorted(maes.values()), rtol=1e-9)


def test_fitted_pareto_nbd_equals_lifetimes_fit_on_the_sample(lifetimes: Any) -> None:
    """The bundled sample (3,000 customers): at least lifetimes' Pareto/NBD maximum.

    lifetimes' Nelder-Mead fit does not always stop at the same point on this data (r 1.394
    or 1.422 in repeated runs), so the check is on its own likelihood formula: ours at our
    fit equals it, and is no lower than at lifetimes' fit; parameters agree loosely.
    """
    from rfm.datasets import load_sample

    sample = rfm.summarize(load_sample())
    x, t_x, T = _btyd(sample)
    oracle = _quiet(lifetimes.ParetoNBDFitter().fit, x, t_x, T)
    ours = rfm.ParetoNBD().fit(sample)
    ones = np.ones_like(x)
    nll = _quiet(
        lifetimes.ParetoNBDFitter._negative_log_likelihood,
        list(ours.params_.as_dict().values()),
        x,
        t_x,
        T,
        ones,
        0.0,
    )
    assert ours.log_likelihood_ == pytest.approx(-nll, rel=1e-9)
    nll_oracle = _quiet(
        lifetimes.ParetoNBDFitter._negative_log_likelihood,
        [oracle.params_[k] for k in ("r", "alpha", "s", "beta")],
        x,
        t_x,
        T,
        ones,
        0.0,
    )
    assert ours.log_likelihood_ >= -nll_oracle - 1e-6
    # Where lifetimes reached the same maximum, the parameters are the same; where its
    # Nelder-Mead stopped short (s 1.50 instead of 2.12 in one CI run, at a lower
    # likelihood), the check above already shows ours is the better fit.
    if ours.log_likelihood_ - -nll_oracle < 1e-3:
        for name in ("r", "alpha", "s", "beta"):
            assert getattr(ours.params_, name) == pytest.approx(oracle.params_[name], rel=0.05)


def test_pareto_nbd_fits_a_small_slice_without_warnings(lifetimes: Any) -> None:
    """The first 4,000 sample transactions used to end in nan and a ConvergenceError.

    Their likelihood rises towards s, beta -> infinity at a fixed s / beta (no spread in
    the dropout rate), a ridge where the old hypergeometric difference lost every digit.
    lifetimes' fit (too slow to run here: 15 s) stops on the same ridge at s = 183,
    beta = 58,221 days, r = 1.892, alpha = 139.7 days.
    """
    from rfm.datasets import load_sample

    summary = rfm.summarize(load_sample().head(4000))
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        model = rfm.ParetoNBD().fit(summary)
    params = model.params_
    assert params.r == pytest.approx(1.892, rel=0.01)
    assert params.alpha == pytest.approx(139.7, rel=0.01)
    assert params.s / params.beta == pytest.approx(183.33 / 58221.1, rel=0.02)
    assert params.s > 183
    # At lifetimes' stopping point our likelihood equals lifetimes' (whose hyp2f1 returns
    # nan further along the ridge, at our optimum); ours is at least as high.
    x, t_x, T = _btyd(summary)
    stop = {"r": 1.8920564919, "alpha": 139.67802748, "s": 183.32925782, "beta": 58221.118006}
    nll = _quiet(
        lifetimes.ParetoNBDFitter._negative_log_likelihood,
        list(stop.values()),
        x,
        t_x,
        T,
        np.ones_like(x),
        0.0,
    )
    at_stop = rfm.ParetoNBD.from_params(stop).log_likelihood(summary)["log_likelihood"].sum()
    assert at_stop == pytest.approx(-nll, rel=1e-9)
    assert model.log_likelihood_ >= at_stop - 1e-6
