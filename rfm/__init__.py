"""RFM Studio: RFM segments, clusters, churn risk and lifetime value from transactions.

The flow is ``read_transactions`` -> ``summarize`` -> ``score`` -> ``segment``, with
``cluster`` and the models working on the same one-row-per-customer summary.
"""

from __future__ import annotations

from rfm.clustering import ClusterResult, cluster
from rfm.errors import ConvergenceError, DataError, NotFittedError
from rfm.kpis import Kpis, kpis
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
from rfm.summary import SUMMARY_COLUMNS, summarize

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RULES",
    "SEGMENTS",
    "SUMMARY_COLUMNS",
    "ClusterResult",
    "ConvergenceError",
    "DataError",
    "Kpis",
    "NotFittedError",
    "Segment",
    "activity_status",
    "cluster",
    "kpis",
    "rules_frame",
    "score",
    "segment",
    "segment_levels",
    "segment_table",
    "summarize",
]
