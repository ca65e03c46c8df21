"""Buy-till-you-die purchase models, the Gamma-Gamma spend model, CLV and holdout checks.

One model per module; each module's likelihood is a pure function of log-parameters
written in the paper's terms, with the equations and papers cited in its docstring:

- :class:`BetaGeo` -- BG/NBD (Fader, Hardie & Lee 2005), :mod:`rfm.models.beta_geo`;
- :class:`ModifiedBetaGeo` -- MBG/NBD (Batislam, Denizel & Filiztekin 2007);
- :class:`ParetoNBD` -- Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's
  2005 derivation note);
- :class:`GammaGamma` -- spend per purchase (Fader & Hardie 2013);
- :func:`expected_value` and :func:`clv` combine a purchase model with the spend model;
- :func:`calibration_holdout`, :func:`evaluate_holdout` and :func:`select_model` check the
  forecasts on the data's own future.

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
