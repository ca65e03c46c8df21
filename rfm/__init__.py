"""RFM Studio: RFM segments, clusters, churn risk and lifetime value from transactions.

The flow is ``read_transactions`` -> ``analysis_view`` (the transactions cut at the
as-of date and filtered, with their customer summary, scores and segments), with
``cluster`` and the models working on the view's one-row-per-customer table. The
measures every figure counts with are defined once, in :mod:`rfm.measures`.

Clustering (scikit-learn) and the models (scipy) are imported when first used, so
``import rfm`` and ``python -m rfm --help`` stay fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from rfm import datasets, measures
from rfm.customers import customer_table
from rfm.drilldown import CustomerHistory, alive_history, customer_history, customer_lines
from rfm.errors import (
    AmbiguousDatesError,
    ConvergenceError,
    DataError,
    MixedDatesError,
    NotFittedError,
)
from rfm.filters import Filters
from rfm.io import (
    AttachReport,
    Limits,
    RawTable,
    ReadResult,
    attach_customers,
    attach_returns,
    detect_columns,
    read_table,
    read_transactions,
)
from rfm.kpis import Kpis, kpis
from rfm.movement import (
    CohortRetention,
    PeriodComparison,
    SegmentMigration,
    cohort_retention,
    period_over_period,
    segment_migration,
)
from rfm.quality import QualityReport
from rfm.scoring import score
from rfm.segments import (
    DEFAULT_RULES,
    SEGMENTS,
    Segment,
    activity_status,
    rules_frame,
    segment,
    segment_levels,
    segment_table,
)
from rfm.sources import SourceSpec, read_source, summarize_source
from rfm.summary import SUMMARY_COLUMNS, summarize
from rfm.view import AnalysisView, CustomerCounts, analysis_view, breakdown

if TYPE_CHECKING:
    from rfm.clustering import ClusterResult, cluster
    from rfm.models import (
        BetaGeo,
        CalibrationHoldout,
        FitDiagnosis,
        GammaGamma,
        HoldoutAccuracy,
        ModelChoice,
        ModifiedBetaGeo,
        ParetoNBD,
        calibration_holdout,
        choose_purchase_model,
        churn_by,
        churn_risk,
        clv,
        evaluate_holdout,
        expected_value,
        holdout_accuracy,
        horizon_warnings,
        purchase_model,
        select_model,
    )

try:  # one source for the version: the installed package's metadata (pyproject.toml)
    __version__ = version("rfm-studio")
except PackageNotFoundError:  # a checkout on sys.path that was never installed
    __version__ = "0+unknown"

# Public names whose modules import scikit-learn or scipy: loaded on first use.
_LAZY = {
    "ClusterResult": "rfm.clustering",
    "cluster": "rfm.clustering",
    "BetaGeo": "rfm.models",
    "CalibrationHoldout": "rfm.models",
    "GammaGamma": "rfm.models",
    "ModifiedBetaGeo": "rfm.models",
    "ParetoNBD": "rfm.models",
    "calibration_holdout": "rfm.models",
    "clv": "rfm.models",
    "evaluate_holdout": "rfm.models",
    "expected_value": "rfm.models",
    "select_model": "rfm.models",
    "FitDiagnosis": "rfm.models",
    "HoldoutAccuracy": "rfm.models",
    "ModelChoice": "rfm.models",
    "choose_purchase_model": "rfm.models",
    "churn_by": "rfm.models",
    "churn_risk": "rfm.models",
    "holdout_accuracy": "rfm.models",
    "horizon_warnings": "rfm.models",
    "purchase_model": "rfm.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'rfm' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_RULES",
    "SEGMENTS",
    "SUMMARY_COLUMNS",
    "AmbiguousDatesError",
    "AnalysisView",
    "AttachReport",
    "BetaGeo",
    "CalibrationHoldout",
    "ClusterResult",
    "CohortRetention",
    "ConvergenceError",
    "CustomerCounts",
    "CustomerHistory",
    "DataError",
    "Filters",
    "FitDiagnosis",
    "GammaGamma",
    "HoldoutAccuracy",
    "Kpis",
    "Limits",
    "MixedDatesError",
    "ModelChoice",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "PeriodComparison",
    "QualityReport",
    "RawTable",
    "ReadResult",
    "Segment",
    "SegmentMigration",
    "SourceSpec",
    "activity_status",
    "alive_history",
    "analysis_view",
    "attach_customers",
    "attach_returns",
    "breakdown",
    "calibration_holdout",
    "choose_purchase_model",
    "churn_by",
    "churn_risk",
    "cluster",
    "clv",
    "cohort_retention",
    "customer_history",
    "customer_lines",
    "customer_table",
    "datasets",
    "detect_columns",
    "evaluate_holdout",
    "expected_value",
    "holdout_accuracy",
    "horizon_warnings",
    "kpis",
    "measures",
    "period_over_period",
    "purchase_model",
    "read_source",
    "read_table",
    "read_transactions",
    "rules_frame",
    "score",
    "segment",
    "segment_levels",
    "segment_migration",
    "segment_table",
    "select_model",
    "summarize",
    "summarize_source",
]
