"""What the crowd benchmark and the shared chart specs rely on, against a real server.

* The protocol-level load client (``benchmarks/bench_load.py crowd --client ws``) gets
  the KPIs a person sees on the Overview in Chromium.
* The Customers page map fetches the world atlas from the app's own static files and
  draws every country of it, at the root and under a sub-path (``server.baseUrlPath``,
  as behind a proxy or on Community Cloud).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from benchmarks.bench_load import protocol_visit
from rfm_app import charts
from tests.app.analytics_helpers import sample_transactions
from tests.browser.conftest import ROOT, running_app
from tests.browser.test_app_browser import _open, _settle

pytestmark = pytest.mark.browser

ATLAS = ROOT / "static" / "countries-110m.json"


def _shown_metrics(page: Page) -> dict[str, str]:
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics.first).to_be_visible(timeout=60_000)
    shown = {}
    for index in range(metrics.count()):
        metric = metrics.nth(index)
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def test_the_protocol_client_receives_the_kpis_the_page_shows(page: Page, app_url: str) -> None:
    # Playwright's sync API holds this thread's event loop: the client runs in another.
    with ThreadPoolExecutor(1) as pool:
        visit = pool.submit(asyncio.run, protocol_visit(app_url)).result(timeout=300)
    assert visit.error is None, visit.error
    assert visit.first_page is not None and visit.overview is not None
    page.goto(app_url)
    _settle(page)
    _open(page, "Overview")
    shown = _shown_metrics(page)
    assert visit.metrics == shown
    assert len(shown) == 8 and shown["Customers"] == "3,000"


def _mapped_countries() -> int:
    countries = sample_transactions().select(pl.col("country").unique())
    return countries.select(charts.map_names(pl.col("country")).drop_nulls().n_unique()).item()


def _check_map(page: Page, url: str) -> None:
    atlas: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: atlas.append((r.status, r.url)) if r.url.endswith(charts.ATLAS_URL) else None,
    )
    page.goto(f"{url}/customers")
    heading = page.get_by_text("Where customers are", exact=True).first
    heading.wait_for(timeout=60_000)
    heading.scroll_into_view_if_needed()
    _settle(page)
    # The chart fetches the atlas after the script has finished: wait for the answer (on a
    # loaded CI machine it can come seconds later) rather than read the list at once.
    for _ in range(240):
        if atlas:
            break
        page.wait_for_timeout(250)
    assert atlas == [(200, f"{url}/{charts.ATLAS_URL}")]
    # Vega draws each country as a path: the grey land layer has every atlas country, the
    # coloured layer the countries of the view (the sample's, mapped to atlas names).
    layers = page.locator(".vega-embed g.mark-shape")
    expect(layers).to_have_count(2, timeout=30_000)
    geometries = json.loads(ATLAS.read_text())["objects"]["countries"]["geometries"]

    def drawn() -> list[list[str]]:
        return [
            layers.nth(i).evaluate(
                "g => Array.from(g.querySelectorAll('path'))"
                ".filter(p => (p.getAttribute('d') || '').length > 10)"
                ".map(p => p.getAttribute('fill'))"
            )
            for i in range(2)
        ]

    fills = drawn()
    for _ in range(120):  # until Vega has drawn every country (or 30 s)
        if len(fills[0]) == len(geometries) and fills[1]:
            break
        page.wait_for_timeout(250)
        fills = drawn()
    assert fills[0] == ["#e9ecef"] * len(geometries)
    assert len(fills[1]) == _mapped_countries() > 3
    assert "#e9ecef" not in fills[1]


def test_the_world_map_draws_the_atlas_it_fetched_from_the_app(page: Page, app_url: str) -> None:
    _check_map(page, app_url)


@pytest.fixture(scope="module")
def sub_path_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under ``/team/rfm`` (``server.baseUrlPath``), as behind a proxy."""
    folder = tmp_path_factory.mktemp("streamlit_sub")
    with running_app(
        "--server.baseUrlPath", "team/rfm", folder=folder, base_path="/team/rfm"
    ) as url:
        yield url


def test_the_world_map_works_under_a_sub_path(page: Page, sub_path_url: str) -> None:
    _check_map(page, sub_path_url)
