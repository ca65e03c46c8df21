"""The analytics pages in a real Chromium: every page draws, a filtered deep link opens
the same view, filters follow the user across pages and into the URL, and clicking a
segment focuses the other charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rfm.filters import Filters
from rfm.view import analysis_view
from rfm_app import format as fmt
from tests.app.analytics_helpers import sample_transactions
from tests.browser.test_app_browser import _no_exception, _open, _settle, _shoot, _stable_box

pytestmark = pytest.mark.browser

ANALYTICS = {"Clusters": "clusters", "Churn & CLV": "churn", "Customers": "customers"}


def _no_error(page: Page) -> None:
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)


def _expect_chips(page: Page, label: str, values: list[str]) -> None:
    """Wait until the sidebar multiselect labelled ``label`` shows exactly ``values``."""
    widget = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
    tags = widget.locator('[data-testid="stMultiSelectTagsContainer"]').first.locator("[data-tag]")
    expect(tags).to_have_text(values, timeout=30_000)


def _expect_metric(page: Page, label: str, value: str) -> None:
    """Wait (a rerun may still be drawing) until the metric ``label`` shows ``value``."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(value, timeout=60_000)


def test_every_analytics_page_draws_on_the_sample(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(app_url)
    _settle(page)
    for title, name in ANALYTICS.items():
        _open(page, title)
        # Model fits and clustering show progress, then finish.
        page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000
        )
        _no_exception(page)
        _no_error(page)
        expect(page.locator(".vega-embed").first).to_be_visible()
        _shoot(page, screenshot_dir, f"{name}_sample")


def test_a_filtered_deep_link_opens_the_same_view(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(f"{app_url}/overview?country=France&segment=Champions")
    _settle(page)
    _no_exception(page)
    expect(page.locator("h1").first).to_have_text("Overview")
    _expect_chips(page, "Country", ["France"])
    _expect_chips(page, "Segment", ["Champions"])
    expected = analysis_view(
        sample_transactions(), filters=Filters.of(country=("France",), segments=("Champions",))
    ).customers
    _expect_metric(page, "Customers", fmt.count(expected.height))
    _shoot(page, screenshot_dir, "overview_deep_link")

    # The view follows the user to another page, and stays in the address bar.
    _open(page, "Customers")
    _no_exception(page)
    assert "country=France" in page.url and "segment=Champions" in page.url
    expect(page.get_by_text("Country: France", exact=False).first).to_be_visible()
    _shoot(page, screenshot_dir, "customers_deep_link")


def test_choosing_a_filter_puts_it_in_the_url(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/overview")
    _settle(page)
    widget = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Country").first
    widget.locator("input").click()
    page.keyboard.type("Spain")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _settle(page)
    expect(page).to_have_url(re.compile(r"country=Spain"))
    expected = analysis_view(
        sample_transactions(), filters=Filters.of(country=("Spain",))
    ).customers
    _expect_metric(page, "Customers", fmt.count(expected.height))


def test_clicking_a_segment_focuses_the_other_charts(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(f"{app_url}/customers")
    _settle(page)
    chart = page.locator(".vega-embed").first
    chart.scroll_into_view_if_needed()
    box = _stable_box(page, chart)
    # The first bar (Champions, the longest) starts just right of the labels, at the top.
    page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + 12)
    _settle(page)
    _no_exception(page)
    focus = page.get_by_text("Focused on", exact=False).first
    expect(focus).to_be_visible()
    assert "Champions" in focus.inner_text()
    _shoot(page, screenshot_dir, "customers_focused")
