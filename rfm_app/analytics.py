"""Cached wrappers for the analytics pages (Churn & CLV, Clusters, Customers).

Same rules as :mod:`rfm_app.pipeline`: every cache is keyed on the file's SHA-256
(``digest``), the reading ``settings`` and the view ``filters`` -- never on a large
frame -- is per session and bounded, and returns a :class:`Failure` instead of raising,
so a page can say what is wrong and carry on with its other sections.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl
import streamlit as st
from threadpoolctl import threadpool_limits

import rfm
from rfm.filters import FilteredData, Filters
from rfm.forecast import customer_forecast, default_calibration_end, horizon_days
from rfm_app import filters as view_filters
from rfm_app import pipeline, session
from rfm_app.pipeline import TTL, Failure, _failure


@dataclass(frozen=True)
class FittedModels:
    """The churn (BG/NBD) and spend (Gamma-Gamma) models of one view."""

    purchase: rfm.BetaGeo
    spend: rfm.GammaGamma
    customers: pl.DataFrame
    """The customers the models describe (segmented summary with positive spend)."""
    left_out: int
    """Customers left out because their repeat purchases net to zero or less."""


@dataclass(frozen=True)
class ModelCheck:
    """Calibration / holdout comparison of the purchase models."""

    calibration_end: dt.date
    holdout_end: dt.date
    holdout_days: int
    customers: int
    scores: pl.DataFrame
    evaluations: dict[str, Any]
    best: str
    penalizer: float = 0.0
    """The penalizer of every candidate: the one the forecast's BG/NBD needed."""


def _view(
    digest: str, data: bytes, settings: session.Settings, filters: Filters
) -> FilteredData | Failure:
    # The same cached view the app's pipeline draws the Overview from (not a copy).
    return pipeline._view(
        digest,
        data,
        settings.columns,
        settings.date_format,
        settings.as_of,
        filters,
        settings.sheet,
    )


def current_view() -> FilteredData | Failure:
    """Transactions and segmented customers of this session's data and filters."""
    return pipeline.view(
        session.current_source(), session.current_settings(), view_filters.current()
    )


def _key() -> tuple[str, bytes, session.Settings, Filters]:
    source = session.current_source()
    return source.digest, source.data, session.current_settings(), view_filters.current()


@st.cache_resource(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def _models(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters
) -> FittedModels | Failure:
    view = _view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    # Gamma-Gamma needs positive repeat spend; customers whose repeat days net to zero
    # (e.g. everything returned) cannot be described by it.
    usable = pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    customers = view.customers.filter(usable)
    try:
        purchase = _fit_penalized(rfm.BetaGeo, customers)
        spend = _fit_penalized(rfm.GammaGamma, customers)
    except Exception as error:
        return _failure(error)
    return FittedModels(purchase, spend, customers, view.customers.height - customers.height)


PENALIZERS = (0.0, 0.001, 0.01)
"""Penalizers tried in turn. On logs where hardly anyone seems to drop out (steady buyers)
or spend hardly differs between customers, unpenalised parameters run off to the
boundary; the library then refuses the fit and suggests a small penalizer."""

Model = TypeVar("Model", rfm.BetaGeo, rfm.GammaGamma)


def _fit_penalized(model: type[Model], customers: pl.DataFrame) -> Model:
    for penalizer in PENALIZERS[:-1]:
        try:
            return model(penalizer=penalizer).fit(customers)
        except rfm.ConvergenceError:
            continue
    return model(penalizer=PENALIZERS[-1]).fit(customers)


def fitted_models() -> FittedModels | Failure:
    """BG/NBD and Gamma-Gamma fitted on the current view (cached)."""
    return _models(*_key())


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _forecast(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, months: int
) -> pl.DataFrame | Failure:
    models = _models(digest, _data, settings, filters)
    if isinstance(models, Failure):
        return models
    try:
        return customer_forecast(
            models.customers,
            purchase_model=models.purchase,
            spend_model=models.spend,
            horizon_days=horizon_days(months),
        )
    except Exception as error:
        return _failure(error)


def forecast(months: int) -> pl.DataFrame | Failure:
    """Per-customer churn and expected revenue over ``months`` (cached)."""
    return _forecast(*_key(), months)


@st.cache_resource(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def _model_check(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, pareto: bool
) -> ModelCheck | Failure:
    view = _view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    try:
        end = default_calibration_end(view.transactions)
        split = rfm.calibration_holdout(view.transactions, calibration_end=end)
        usable = pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
        split = rfm.CalibrationHoldout(
            split.calibration.filter(usable),
            split.holdout,
            split.calibration_end,
            split.holdout_end,
            split.holdout_days,
        )
        # Judge the models as the forecast uses them: with its penalizer, if it needed one.
        models = _models(digest, _data, settings, filters)
        penalizer = 0.0 if isinstance(models, Failure) else models.purchase.penalizer
        candidates: list[Any] = [
            rfm.BetaGeo(penalizer=penalizer),
            rfm.ModifiedBetaGeo(penalizer=penalizer),
        ]
        if pareto:
            candidates.append(rfm.ParetoNBD(penalizer=penalizer))
        selection = rfm.select_model(split, candidates=candidates)
    except Exception as error:
        return _failure(error)
    return ModelCheck(
        calibration_end=split.calibration_end,
        holdout_end=split.holdout_end,
        holdout_days=split.holdout_days,
        customers=split.calibration.height,
        scores=selection.scores,
        evaluations=dict(selection.evaluations),
        best=type(selection.best).__name__,
        penalizer=penalizer,
    )


def model_check(*, pareto: bool) -> ModelCheck | Failure:
    """Calibration / holdout check of BG/NBD, MBG/NBD and, if ``pareto``, Pareto/NBD
    (cached). Pareto/NBD is optional: its fit took over a minute on some histories here
    (a 4,000-line slice of the sample) against a fraction of a second for the others."""
    return _model_check(*_key(), pareto)


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _clusters(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, k: int | None
) -> rfm.ClusterResult | Failure:
    view = _view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    try:
        # KMeans' OpenMP threads oversubscribe a busy 2-core host (50 s instead of 2 s
        # measured here); one thread is fast enough for one row per customer.
        with threadpool_limits(limits=1):
            return rfm.cluster(view.customers, k=k, random_state=0)
    except Exception as error:
        return _failure(error)


def clusters(k: int | None) -> rfm.ClusterResult | Failure:
    """KMeans clusters of the current view's customers (``k=None``: chosen by silhouette)."""
    return _clusters(*_key(), k)
