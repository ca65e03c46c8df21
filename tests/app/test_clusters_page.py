"""Clusters page: automatic and chosen k give the library's clusters of the view."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from threadpoolctl import threadpool_limits

import rfm
from rfm.filters import Filters
from rfm.view import analysis_view
from rfm_app import keys
from tests.app.analytics_helpers import minimal_csv, sample_transactions, texts
from tests.app.conftest import open_page

PAGE = "pages/clusters.py"


@pytest.fixture(scope="module")
def germany() -> AppTest:
    return open_page(PAGE, country="Germany")


def _library(k: int | None) -> rfm.ClusterResult:
    customers = analysis_view(
        sample_transactions(), filters=Filters.of(country=("Germany",))
    ).customers
    # One OpenMP thread, as the app does: KMeans oversubscribes a busy 2-core host.
    with threadpool_limits(limits=1):
        return rfm.cluster(customers, k=k, random_state=0)


def test_automatic_k_profiles_equal_the_library(germany: AppTest) -> None:
    assert not germany.exception, [e.value for e in germany.exception]
    assert not germany.error, texts(germany.error)
    expected = _library(None)
    profiles = germany.dataframe[0].value
    assert profiles["cluster_name"].tolist() == expected.profiles["cluster_name"].to_list()
    assert profiles["customers"].tolist() == expected.profiles["customers"].to_list()
    assert any(f"k = {expected.k} (used)" in caption for caption in texts(germany.caption))


def test_choosing_k_gives_k_clusters(germany: AppTest) -> None:
    germany.radio(key=keys.CLUSTERS_MODE).set_value("Choose k").run()
    germany.slider(key=keys.CLUSTERS_K).set_value(5).run()
    assert not germany.exception
    profiles = germany.dataframe[0].value
    expected = _library(5)
    assert len(profiles) == 5
    assert profiles["customers"].tolist() == expected.profiles["customers"].to_list()
    assert sum(profiles["customers"]) == expected.labels.height


def test_without_optional_columns_clusters_still_work(
    minimal_page: Callable[[str], AppTest],
) -> None:
    app = minimal_page(PAGE)
    customers = pl.read_csv(minimal_csv())["customer_id"].n_unique()
    assert sum(app.dataframe[0].value["customers"]) == customers
