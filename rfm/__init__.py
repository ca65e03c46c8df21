"""RFM Studio: RFM segments, clusters, churn risk and lifetime value from transactions.

The flow is ``read_transactions`` -> ``summarize`` -> ``score`` -> ``segment``, with
``cluster`` and the models working on the same one-row-per-customer summary.
"""

from __future__ import annotations

from rfm import datasets
from rfm.clustering import ClusterResult, cluster
from rfm.errors import AmbiguousDatesError, ConvergenceError, DataError, NotFittedError
from rfm.io import Limits, RawTable, ReadResult, detect_columns, read_table, read_transactions
from rfm.kpis import Kpis, kpis
from rfm.models import (
    BetaGeo,
    CalibrationHoldout,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    calibration_holdout,
    clv,
    evaluate_holdout,
    expected_value,
    select_model,
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

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RULES",
    "SEGMENTS",
    "SUMMARY_COLUMNS",
    "AmbiguousDatesError",
    "BetaGeo",
    "CalibrationHoldout",
    "ClusterResult",
    "ConvergenceError",
    "DataError",
    "GammaGamma",
    "Kpis",
    "Limits",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "QualityReport",
    "RawTable",
    "ReadResult",
    "Segment",
    "SourceSpec",
    "activity_status",
    "calibration_holdout",
    "cluster",
    "clv",
    "datasets",
    "detect_columns",
    "evaluate_holdout",
    "expected_value",
    "kpis",
    "read_source",
    "read_table",
    "read_transactions",
    "rules_frame",
    "score",
    "segment",
    "segment_levels",
    "segment_table",
    "select_model",
    "summarize",
    "summarize_source",
]
