"""diagnose(): degenerate fits are recognised and explained; good fits are not flagged.

References: CDNOW (published fits with small standard errors: fine), data simulated with
no drop-out at all (a -> 0: the NBD, where the drop-out parameters cannot be estimated),
and data simulated with drop-out.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl
import pytest

import rfm
from rfm.errors import ConvergenceError
from rfm.models.beta_geo import BetaGeoParams, simulate_summary
from rfm.models.diagnosis import history_phrase, nbd_log_likelihood

PURCHASE_MODELS = [rfm.BetaGeo, rfm.ModifiedBetaGeo, rfm.ParetoNBD]


def _fit(model_class: Any, summary: pl.DataFrame) -> Any:
    """Fit as choose_purchase_model does: penalizers in turn when a fit runs off."""
    for penalizer in (0.0, 0.001, 0.01):
        try:
            return model_class(penalizer=penalizer).fit(summary)
        except ConvergenceError:
            continue
    raise AssertionError("no penalizer converged")


@pytest.fixture(scope="module")
def no_dropout() -> pl.DataFrame:
    return simulate_summary(BetaGeoParams(r=0.5, alpha=20.0, a=1e-9, b=3.0), 3000, random_state=5)


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_cdnow_fits_are_well_determined(model_class: Any, cdnow_summary: pl.DataFrame) -> None:
    diagnosis = model_class().fit(cdnow_summary).diagnose()
    assert diagnosis.status == "ok" and not diagnosis.degenerate
    assert diagnosis.churn_estimable and diagnosis.reasons == ()
    assert diagnosis.dropout_lr_statistic > 300  # customers visibly leave in CDNOW
    assert diagnosis.dropout_lr_threshold == pytest.approx(2 * np.log(2357))
    assert "well determined" in diagnosis.message and "9 months" in diagnosis.message


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_no_dropout_is_degenerate_and_said_plainly(
    model_class: Any, no_dropout: pl.DataFrame
) -> None:
    model = _fit(model_class, no_dropout)
    diagnosis = model.diagnose()
    assert diagnosis is model.diagnosis_
    assert diagnosis.degenerate and diagnosis.status == "degenerate"
    assert not diagnosis.churn_estimable
    assert diagnosis.dropout_lr_statistic < diagnosis.dropout_lr_threshold
    assert diagnosis.message.startswith(
        "No sign yet of customers leaving: churn cannot be estimated from 12 months of data."
    )
    assert any("no sign of drop-out" in reason for reason in diagnosis.reasons)


def test_a_fit_at_the_boundary_is_never_reported_ok(no_dropout: pl.DataFrame) -> None:
    """The unpenalised Pareto/NBD "converges" with s -> 0 and beta -> infinity: the
    parameters are named at the boundary, without standard errors, and the status says so."""
    diagnosis = rfm.ParetoNBD().fit(no_dropout).diagnose()
    assert set(diagnosis.boundary_params) == {"s", "beta"}
    assert set(diagnosis.nan_se_params) >= {"s", "beta"}
    assert diagnosis.status == "degenerate"
    assert "edge of the parameter range (s = " in diagnosis.reasons[0]
    # Written for people: beta ran off to a huge value, shown without "e+".
    assert not re.search(r"\de[+-]\d", " ".join(diagnosis.reasons)), diagnosis.reasons


@pytest.mark.parametrize("model_class", [rfm.BetaGeo, rfm.ModifiedBetaGeo])
def test_a_penalised_fit_hides_the_boundary_but_not_from_the_ratio_test(
    model_class: Any, no_dropout: pl.DataFrame
) -> None:
    """A penalizer pulls a back inside with a small standard error -- only the comparison
    with the no-drop-out NBD shows that nothing was estimated."""
    model = model_class(penalizer=0.01).fit(no_dropout)
    assert model.standard_errors_.a < model.params_.a  # looks pinned down
    diagnosis = model.diagnose()
    assert diagnosis.boundary_params == () and diagnosis.nan_se_params == ()
    assert not diagnosis.churn_estimable and diagnosis.status == "degenerate"


@pytest.mark.parametrize("model_class", PURCHASE_MODELS)
def test_visible_dropout_is_estimable(model_class: Any) -> None:
    leaving = simulate_summary(BetaGeoParams(r=0.5, alpha=20.0, a=1.0, b=3.0), 3000)
    diagnosis = model_class().fit(leaving).diagnose()
    assert diagnosis.churn_estimable
    assert diagnosis.dropout_lr_statistic > 10 * diagnosis.dropout_lr_threshold


def test_from_params_is_not_judged_on_data() -> None:
    diagnosis = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.9, "a": 0.79, "b": 2.43}).diagnose()
    assert diagnosis.status == "not fitted on data" and diagnosis.churn_estimable
    stuck = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.9, "a": 1e-7, "b": 2.43}).diagnose()
    assert stuck.boundary_params == ("a",)
    assert "edge of the parameter range (a = 1 × 10⁻⁷)" in stuck.message


def test_diagnose_before_fit_raises_not_fitted() -> None:
    with pytest.raises(rfm.NotFittedError, match="not fitted yet, so diagnose"):
        rfm.ParetoNBD().diagnose()


def test_nbd_log_likelihood_matches_the_bg_nbd_limit(no_dropout: pl.DataFrame) -> None:
    """The NBD maximum equals the BG/NBD likelihood at a -> 0 maximised over r, alpha."""
    x = (no_dropout["purchase_days"] - 1).to_numpy().astype(float)
    T = no_dropout["tenure_days"].to_numpy().astype(float)
    nbd = nbd_log_likelihood(x, T, np.ones(x.size))
    fitted = _fit(rfm.BetaGeo, no_dropout)
    limit = rfm.BetaGeo.from_params({**fitted.params_.as_dict(), "a": 1e-12, "b": 1.0})
    at_limit = limit.log_likelihood(no_dropout)["log_likelihood"].sum()
    assert nbd >= at_limit - 1e-6  # the NBD maximum is at least any a -> 0 point
    assert nbd == pytest.approx(at_limit, abs=0.5)  # and the BG/NBD fit is near it


def test_run_off_error_names_the_parameters(no_dropout: pl.DataFrame) -> None:
    with pytest.raises(ConvergenceError, match=r"ran off towards 0 or infinity .*a = "):
        rfm.BetaGeo().fit(no_dropout)


@pytest.mark.parametrize(
    ("days", "text"), [(3, "1 week"), (36, "5 weeks"), (200, "7 months"), (1278, "3.5 years")]
)
def test_history_phrase(days: float, text: str) -> None:
    assert history_phrase(days) == text
