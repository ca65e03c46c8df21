"""Every error the models raise, with its message; inputs are never modified."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm.errors import ConvergenceError, DataError, NotFittedError

PURCHASE_MODELS = [rfm.BetaGeo, rfm.ModifiedBetaGeo, rfm.ParetoNBD]


def _summary(**overrides: Any) -> pl.DataFrame:
    columns: dict[str, Any] = {
        "customer_id": ["a", "b", "c"],
        "purchase_days": [1, 3, 2],
        "recency_days": [10, 2, 40],
        "tenure_days": [10, 60, 90],
        "avg_repeat_value": [None, 12.0, 30.0],
    }
    columns.update(overrides)
    return pl.DataFrame(columns)


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_fit_without_any_repeat_customer_says_so(model_class: Any) -> None:
    summary = _summary(purchase_days=[1, 1, 1], recency_days=[10, 60, 90])
    with pytest.raises(DataError, match=r"none of the 3 customers made a repeat purchase"):
        model_class().fit(summary)


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
@pytest.mark.parametrize("method", ["p_alive", "expected_purchases", "log_likelihood"])
def test_prediction_before_fit_raises_not_fitted(model_class: Any, method: str) -> None:
    args = (30,) if method == "expected_purchases" else ()
    with pytest.raises(NotFittedError, match=rf"not fitted yet, so {method}.*\.fit\(summary\)"):
        getattr(model_class(), method)(_summary(), *args)


def test_expected_spend_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="GammaGamma is not fitted yet"):
        rfm.GammaGamma().expected_spend(_summary())


def test_not_fitted_error_is_a_value_error_and_attribute_error() -> None:
    with pytest.raises(AttributeError):
        rfm.BetaGeo().p_alive(_summary())


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_non_convergence_says_what_to_try(model_class: Any, cdnow_summary: pl.DataFrame) -> None:
    with pytest.raises(ConvergenceError, match=r"did not converge.*penalizer.*subset"):
        model_class(maxiter=1).fit(cdnow_summary)


def test_gamma_gamma_rejects_non_positive_spend() -> None:
    summary = _summary(avg_repeat_value=[None, -5.0, 0.0])
    with pytest.raises(DataError, match=r"2 repeat customers have avg_repeat_value <= 0.*filter"):
        rfm.GammaGamma().fit(summary)


def test_gamma_gamma_rejects_missing_repeat_spend() -> None:
    with pytest.raises(DataError, match=r"1 repeat customers have no avg_repeat_value"):
        rfm.GammaGamma().fit(_summary(avg_repeat_value=[None, None, 30.0]))


def test_gamma_gamma_without_repeat_customers_says_so() -> None:
    summary = _summary(purchase_days=[1, 1, 1], avg_repeat_value=[None, None, None])
    with pytest.raises(DataError, match="no customer made a repeat purchase"):
        rfm.GammaGamma().fit(summary)


def test_gamma_gamma_non_convergence_says_what_to_try(cdnow_summary: pl.DataFrame) -> None:
    with pytest.raises(ConvergenceError, match="penalizer"):
        rfm.GammaGamma(maxiter=1).fit(cdnow_summary)


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"Missing: tenure_days\. Columns found: customer_id"):
        rfm.BetaGeo().fit(_summary().drop("tenure_days"))
    with pytest.raises(DataError, match=r"Missing: avg_repeat_value"):
        rfm.GammaGamma().fit(_summary().drop("avg_repeat_value"))


def test_recency_beyond_tenure_is_rejected() -> None:
    with pytest.raises(DataError, match=r"1 customers have recency_days outside"):
        rfm.BetaGeo().fit(_summary(recency_days=[10, 70, 40]))


def test_missing_values_are_rejected() -> None:
    with pytest.raises(DataError, match=r"1 customers have a missing purchase_days"):
        rfm.BetaGeo().fit(_summary(tenure_days=[10, None, 90]))


def test_zero_purchase_days_is_rejected() -> None:
    with pytest.raises(DataError, match=r"1 customers have purchase_days < 1"):
        rfm.BetaGeo().fit(_summary(purchase_days=[0, 3, 2]))


def test_empty_summary_is_rejected() -> None:
    with pytest.raises(DataError, match="empty summary"):
        rfm.BetaGeo().fit(_summary().clear())


def test_not_a_frame_is_rejected() -> None:
    with pytest.raises(DataError, match="Got dict"):
        rfm.BetaGeo().fit({"customer_id": ["a"]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"penalizer": -1.0}, r"'penalizer' parameter of BetaGeo must be a float >= 0\. Got -1\.0"),
        ({"maxiter": 0}, r"'maxiter' parameter of BetaGeo must be an int >= 1\. Got 0"),
    ],
)
def test_bad_hyperparameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(DataError, match=match):
        rfm.BetaGeo(**kwargs).fit(_summary())


def test_hyperparameters_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        rfm.BetaGeo(0.1)  # type: ignore[misc]


@pytest.mark.parametrize("days", [-1, float("nan"), "soon"])
def test_bad_horizon(days: Any) -> None:
    model = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.0, "a": 0.8, "b": 2.4})
    with pytest.raises(DataError, match=r"'days' parameter of BetaGeo.expected_purchases"):
        model.expected_purchases(_summary(), days)


def test_clv_rejects_bad_rate_and_models() -> None:
    bg = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.0, "a": 0.8, "b": 2.4})
    gg = rfm.GammaGamma.from_params({"p": 6.0, "q": 3.7, "gamma": 15.0})
    with pytest.raises(DataError, match=r"'discount_rate' parameter of clv"):
        rfm.clv(_summary(), purchase_model=bg, spend_model=gg, horizon_days=90, discount_rate=-0.1)
    with pytest.raises(DataError, match=r"'period_days' parameter of clv must be > 0"):
        rfm.clv(
            _summary(),
            purchase_model=bg,
            spend_model=gg,
            horizon_days=90,
            discount_rate=0.01,
            period_days=0,
        )
    with pytest.raises(DataError, match=r"'spend_model' parameter of clv must be a fitted"):
        rfm.clv(
            _summary(),
            purchase_model=bg,
            spend_model=bg,  # type: ignore[arg-type]
            horizon_days=90,
            discount_rate=0.01,
        )
    with pytest.raises(NotFittedError):
        rfm.clv(
            _summary(),
            purchase_model=rfm.BetaGeo(),
            spend_model=gg,
            horizon_days=90,
            discount_rate=0.01,
        )


def _transactions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_date": [
                dt.datetime(2024, 1, 1),
                dt.datetime(2024, 2, 1),
                dt.datetime(2024, 1, 5),
            ],
            "amount": [10.0, 20.0, 5.0],
        }
    )


def test_holdout_must_end_after_calibration() -> None:
    with pytest.raises(DataError, match=r"holdout window must end after calibration_end"):
        rfm.calibration_holdout(_transactions(), calibration_end="2024-02-01")


def test_holdout_needs_calibration_customers() -> None:
    with pytest.raises(DataError, match=r"No customer purchased on or before"):
        rfm.calibration_holdout(_transactions(), calibration_end="2023-12-01")


def test_holdout_rejects_bad_dates() -> None:
    with pytest.raises(DataError, match=r"'calibration_end' parameter .* Got 'soon'"):
        rfm.calibration_holdout(_transactions(), calibration_end="soon")


def test_holdout_returns_are_not_purchases() -> None:
    tx = pl.concat(
        [
            _transactions(),
            pl.DataFrame(
                {"customer_id": ["b"], "order_date": [dt.datetime(2024, 2, 3)], "amount": [-5.0]}
            ),
        ]
    )
    split = rfm.calibration_holdout(tx, calibration_end="2024-01-10")
    rows = split.holdout.sort("customer_id").select("customer_id", "holdout_purchases").rows()
    assert rows == [("a", 1), ("b", 0)]
    assert split.holdout.sort("customer_id")["holdout_revenue"][1] == -5.0  # net revenue
    assert split.holdout_end == dt.date(2024, 2, 3)


def test_select_model_reports_candidates_that_fail(cdnow_transactions: pl.DataFrame) -> None:
    split = rfm.calibration_holdout(
        cdnow_transactions, calibration_end="1997-09-30", holdout_end="1998-06-30"
    )
    selection = rfm.select_model(split, candidates=[rfm.BetaGeo(maxiter=1), rfm.BetaGeo()])
    assert selection.scores["error"].null_count() == 1
    assert selection.scores["error"].drop_nulls()[0].startswith("BetaGeo.fit did not converge")
    with pytest.raises(ConvergenceError, match="no candidate model converged"):
        rfm.select_model(split, candidates=[rfm.ParetoNBD(maxiter=1)])
    with pytest.raises(DataError, match="at least one candidate"):
        rfm.select_model(split, candidates=[])


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_inputs_are_not_modified(model_class: Any, cdnow_summary: pl.DataFrame) -> None:
    before = cdnow_summary.clone()
    model = model_class().fit(cdnow_summary)
    model.p_alive(cdnow_summary)
    model.expected_purchases(cdnow_summary, 30)
    rfm.GammaGamma().fit(cdnow_summary).expected_spend(cdnow_summary)
    assert_frame_equal(cdnow_summary, before)


def test_lazy_summary_gives_the_same_fit(cdnow_summary: pl.DataFrame) -> None:
    eager = rfm.BetaGeo().fit(cdnow_summary).params_
    lazy = rfm.BetaGeo().fit(cdnow_summary.lazy()).params_
    assert eager == lazy


def test_gamma_gamma_without_interior_optimum_says_what_to_try() -> None:
    """Pareto-tailed spend (infinite mean) drives p to infinity: reported, not returned."""
    import numpy as np

    rng = np.random.default_rng(0)
    spend = (rng.pareto(0.7, 2000) + 1) * 10
    summary = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(2000)],
            "purchase_days": np.full(2000, 2),
            "avg_repeat_value": spend,
        }
    )
    with pytest.raises(ConvergenceError, match=r"ran off towards 0 or infinity.*penalizer"):
        rfm.GammaGamma().fit(summary)
    assert rfm.GammaGamma(penalizer=0.01).fit(summary).params_.q > 1


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.2},
        {"r": 0.2, "alpha": 30.0, "a": 0.8, "b": -1.0},
        {"r": 0.2, "alpha": 30.0, "a": 0.8, "b": 2.0, "s": 1.0},
    ],
)
def test_from_params_names_the_expected_parameters(params: dict[str, float]) -> None:
    with pytest.raises(
        DataError,
        match=r"BetaGeo.from_params needs positive numbers for "
        r"exactly r, alpha, a, b \(time in days\)",
    ):
        rfm.BetaGeo.from_params(params)
