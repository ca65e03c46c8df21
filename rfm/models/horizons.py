"""Honest horizons: say when a forecast reaches further than the data behind it.

:func:`horizon_warnings` returns plain sentences (empty when all is well) for three cases,
with documented thresholds:

- the forecast horizon is longer than the history the model was fitted on (a 6-month
  forecast from 5 weeks of data extrapolates far beyond what was seen);
- the holdout of the model check is shorter than :data:`MIN_HOLDOUT_DAYS` (60 days): too
  few purchases fall in it to tell the models apart or to trust the accuracy figures;
- the horizon is more than :data:`MAX_HORIZON_TO_HOLDOUT` (4) times the holdout: the
  check only covers the first part of what is forecast.
"""

from __future__ import annotations

from typing import Final

from rfm.errors import DataError
from rfm.models.diagnosis import history_phrase

__all__ = ["MAX_HORIZON_TO_HOLDOUT", "MIN_HOLDOUT_DAYS", "horizon_warnings"]

MIN_HOLDOUT_DAYS: Final = 60
"""A model check on a shorter holdout (days) gets a warning."""

MAX_HORIZON_TO_HOLDOUT: Final = 4.0
"""A forecast horizon more than this many times the holdout gets a warning."""


def _days(value: object, name: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    msg = f"The '{name}' parameter of horizon_warnings must be a number of days > 0. Got {value!r}."
    raise DataError(msg)


def horizon_warnings(
    *,
    history_days: float,
    horizon_days: float,
    holdout_days: float | None = None,
    min_holdout_days: float = MIN_HOLDOUT_DAYS,
    max_horizon_to_holdout: float = MAX_HORIZON_TO_HOLDOUT,
) -> tuple[str, ...]:
    """Warnings for a forecast horizon longer than the history or a short model check.

    Parameters
    ----------
    history_days
        Days of history the forecasting model was fitted on (first transaction to as_of).
    horizon_days
        Forecast horizon in days.
    holdout_days
        Length of the model check's holdout window (``CalibrationHoldout.holdout_days``),
        or None when there is no check.
    min_holdout_days
        Holdouts shorter than this get a warning (default :data:`MIN_HOLDOUT_DAYS`, 60).
    max_horizon_to_holdout
        Horizons longer than this many holdouts get a warning (default 4).

    Returns
    -------
    tuple of str
        Plain sentences, most important first; empty when nothing needs saying.

    Examples
    --------
    >>> for text in horizon_warnings(history_days=36, horizon_days=182, holdout_days=13):
    ...     print(text)
    The 6-month forecast reaches further ahead than the 5 weeks of history it is based on: read it as a rough extrapolation, not an estimate.
    The model check's holdout is only 13 days long (at least 60 are advised): too few purchases fall in it to tell how well the models forecast.
    The forecast covers 182 days but the model check only 13: its accuracy figures say nothing about the later part of the forecast.
    >>> horizon_warnings(history_days=730, horizon_days=182, holdout_days=120)
    ()
    """
    history = _days(history_days, "history_days")
    horizon = _days(horizon_days, "horizon_days")
    holdout = _days(holdout_days, "holdout_days", allow_none=True)
    minimum = _days(min_holdout_days, "min_holdout_days")
    ratio = _days(max_horizon_to_holdout, "max_horizon_to_holdout")
    assert history is not None and horizon is not None and minimum is not None
    assert ratio is not None
    out: list[str] = []
    if horizon > history:
        out.append(
            f"The {history_phrase(horizon).replace(' months', '-month').replace(' weeks', '-week').replace(' years', '-year')}"
            f" forecast reaches further ahead than the {history_phrase(history)} of history it "
            "is based on: read it as a rough extrapolation, not an estimate."
        )
    if holdout is not None and holdout < minimum:
        out.append(
            f"The model check's holdout is only {holdout:,.0f} days long (at least "
            f"{minimum:,.0f} are advised): too few purchases fall in it to tell how well the "
            "models forecast."
        )
    if holdout is not None and horizon > ratio * holdout:
        out.append(
            f"The forecast covers {horizon:,.0f} days but the model check only {holdout:,.0f}: "
            "its accuracy figures say nothing about the later part of the forecast."
        )
    return tuple(out)
