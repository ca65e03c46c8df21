"""Buy-till-you-die purchase models, the Gamma-Gamma spend model, CLV and holdout checks.

One model per module; each module's likelihood is a pure function of log-parameters
written in the paper's terms. All durations are in days.
"""

from __future__ import annotations

from rfm.models.beta_geo import BetaGeo, BetaGeoParams
from rfm.models.gamma_gamma import GammaGamma, GammaGammaParams
from rfm.models.holdout import (
    CalibrationHoldout,
    HoldoutEvaluation,
    ModelSelection,
    calibration_holdout,
    evaluate_holdout,
    select_model,
)
from rfm.models.modified_beta_geo import ModifiedBetaGeo
from rfm.models.pareto_nbd import ParetoNBD, ParetoNBDParams
from rfm.models.value import clv, expected_value

__all__ = [
    "BetaGeo",
    "BetaGeoParams",
    "CalibrationHoldout",
    "GammaGamma",
    "GammaGammaParams",
    "HoldoutEvaluation",
    "ModelSelection",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ParetoNBDParams",
    "calibration_holdout",
    "clv",
    "evaluate_holdout",
    "expected_value",
    "select_model",
]
