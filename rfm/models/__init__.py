"""Buy-till-you-die purchase models, the Gamma-Gamma spend model, CLV and holdout checks.

One model per module; each module's likelihood is a pure function of log-parameters
written in the paper's terms, with the equations and papers cited in its docstring:

- :class:`BetaGeo` -- BG/NBD (Fader, Hardie & Lee 2005), :mod:`rfm.models.beta_geo`;
- :class:`ModifiedBetaGeo` -- MBG/NBD (Batislam, Denizel & Filiztekin 2007);
- :class:`ParetoNBD` -- Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's
  2005 derivation note);
- :class:`GammaGamma` -- spend per purchase (Fader & Hardie 2013);
- :func:`expected_value` and :func:`clv` combine a purchase model with the spend model;
- :func:`calibration_holdout`, :func:`evaluate_holdout` and :func:`holdout_accuracy` check
  the forecasts on the data's own future; :func:`choose_purchase_model` picks the model
  that forecasts it best and says why (:func:`select_model` is its older, terser form);
- ``model.diagnose()`` (:class:`FitDiagnosis`, :mod:`rfm.models.diagnosis`) says when a fit
  is degenerate -- above all, when the data show no sign of customers leaving;
- :func:`churn_risk` and :func:`churn_by` give P(alive), the probability of no purchase in
  the next N days and Low / Medium / High bands, per customer and by segment;
- :func:`horizon_warnings` says when a forecast reaches further than its data.

All models read the customer summary of :func:`rfm.summarize`: ``x = purchase_days - 1``,
``t_x = tenure_days - recency_days``, ``T = tenure_days``. **All durations are in days**
(``alpha``, ``beta`` and every horizon); papers that report weeks have ``alpha`` 7 times
smaller and a log-likelihood larger by ``log(7) * sum(x)``.

Examples
--------
>>> import rfm
>>> from rfm import datasets
>>> transactions = datasets.simulate(2000, random_state=1)
>>> summary = rfm.summarize(transactions, as_of="2023-12-31")
>>> bg = rfm.BetaGeo().fit(summary)
>>> gg = rfm.GammaGamma().fit(summary)
>>> sorted(bg.params_.as_dict())
['a', 'alpha', 'b', 'r']
>>> churn = bg.p_alive(summary)            # customer_id, p_alive, churn_probability
>>> six_months = rfm.expected_value(summary, purchase_model=bg, spend_model=gg,
...                                 horizon_days=182)
>>> value = rfm.clv(summary, purchase_model=bg, spend_model=gg, horizon_days=365,
...                 discount_rate=0.01, period_days=30)   # 1% per 30-day month
>>> six_months.columns
['customer_id', 'expected_purchases', 'expected_spend', 'expected_revenue', 'expected_units']
"""

from __future__ import annotations

from rfm.models.beta_geo import BetaGeo, BetaGeoParams
from rfm.models.churn import (
    CHURN_BANDS,
    DEFAULT_BAND_THRESHOLDS,
    churn_band,
    churn_by,
    churn_risk,
)
from rfm.models.diagnosis import FitDiagnosis
from rfm.models.gamma_gamma import GammaGamma, GammaGammaParams
from rfm.models.holdout import (
    CalibrationHoldout,
    HoldoutAccuracy,
    HoldoutEvaluation,
    ModelSelection,
    calibration_holdout,
    evaluate_holdout,
    holdout_accuracy,
    select_model,
)
from rfm.models.horizons import MAX_HORIZON_TO_HOLDOUT, MIN_HOLDOUT_DAYS, horizon_warnings
from rfm.models.modified_beta_geo import ModifiedBetaGeo
from rfm.models.pareto_nbd import ParetoNBD, ParetoNBDParams
from rfm.models.selection import (
    DEFAULT_PENALIZERS,
    PURCHASE_MODELS,
    CandidateFit,
    ModelChoice,
    choose_purchase_model,
    purchase_model,
)
from rfm.models.value import clv, expected_value

__all__ = [
    "CHURN_BANDS",
    "DEFAULT_BAND_THRESHOLDS",
    "DEFAULT_PENALIZERS",
    "MAX_HORIZON_TO_HOLDOUT",
    "MIN_HOLDOUT_DAYS",
    "PURCHASE_MODELS",
    "BetaGeo",
    "BetaGeoParams",
    "CalibrationHoldout",
    "CandidateFit",
    "FitDiagnosis",
    "GammaGamma",
    "GammaGammaParams",
    "HoldoutAccuracy",
    "HoldoutEvaluation",
    "ModelChoice",
    "ModelSelection",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ParetoNBDParams",
    "calibration_holdout",
    "choose_purchase_model",
    "churn_band",
    "churn_by",
    "churn_risk",
    "clv",
    "evaluate_holdout",
    "expected_value",
    "holdout_accuracy",
    "horizon_warnings",
    "purchase_model",
    "select_model",
]
