"""From a customer list to the Customer page in a real Chromium: selecting a row of the
Segments page's top customers links to that customer, keeping the sidebar filters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rfm.filters import Filters
from rfm.view import analysis_view
from rfm_app import format as fmt
from tests.app.analytics_helpers import sample_transactions
from tests.browser.test_app_browser import _no_exception, _settle, _shoot, _stable_box

pytestmark = pytest.mark.browser


def _expect_metric(page: Page, label: str, value: str) -> None:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(value, timeout=120_000)


def test_a_top_customer_opens_on_the_customer_page(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(f"{app_url}/segments?country=France")
    _settle(page)
    hint = page.get_by_text("Select a row to open that customer.").first
    grid = page.locator('[data-testid="stDataFrame"]').nth(1)  # top customers by spend
    link = page.locator('[data-testid="stPageLink"] a').filter(has_text="Open customer").first
    # The grid is a canvas: click the selection checkbox of its first row (below the
    # 35-pixel header). Charts above it may still be growing when the script goes idle,
    # so wait until the grid stops moving; if a click still lands beside the row, try
    # again (a missed click selects nothing, so a retry cannot undo a selection).
    for _attempt in range(3):
        hint.scroll_into_view_if_needed()
        box = _stable_box(page, grid)
        page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)
        try:
            expect(link).to_be_visible(timeout=30_000)
            break
        except AssertionError:
            _settle(page)
    expect(link).to_be_visible(timeout=30_000)
    customer_id = link.inner_text().strip().split()[-1]

    view = analysis_view(sample_transactions(), filters=Filters.of(country=("France",)))
    top = view.customers.sort(["monetary", "customer_id"], descending=[True, False]).row(
        0, named=True
    )
    assert customer_id == top["customer_id"]

    link.click()
    expect(page).to_have_url(re.compile(rf"/customer\?.*customer={customer_id}"))
    assert "country=France" in page.url
    _expect_metric(page, "Segment", top["segment"])
    _expect_metric(page, "Net spend", fmt.money(top["monetary"]))
    expect(page.locator(".vega-embed").nth(1)).to_be_visible(timeout=120_000)
    _settle(page)
    _no_exception(page)
    _shoot(page, screenshot_dir, "customer_drilldown")
