"""The Movement page in a real Chromium: a link with the earlier date opens it, its charts
draw, and changing the date writes it back to the address bar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import rfm
from rfm_app import format as fmt
from tests.app.analytics_helpers import sample_transactions
from tests.browser.test_app_browser import _no_exception, _settle, _shoot

pytestmark = pytest.mark.browser


def test_the_movement_page_reads_and_writes_its_date_in_the_url(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(f"{app_url}/movement?since=2023-06-30")
    _settle(page)
    _no_exception(page)
    expect(page.locator("h1").first).to_have_text("Movement")
    view = rfm.analysis_view(sample_transactions())
    moved = rfm.segment_migration(view.transactions, earlier="2023-06-30", later=view.as_of)
    down = moved.customers.filter(moved.customers["change"] == "down").height
    expect(
        page.get_by_text(f"Since 2023-06-30, {fmt.count(down)} customers moved down")
    ).to_be_visible()
    # The flow chart, the transition matrix and the cohort heatmap.
    expect(page.locator(".vega-embed")).to_have_count(3, timeout=60_000)
    _shoot(page, screenshot_dir, "movement_sample")

    # Three months earlier with the keyboard: the page follows, and so does the link.
    month = page.locator('[data-testid="stDateInputField"] [data-type="month"]').filter(
        has=page.locator("xpath=self::*[starts-with(@aria-label, 'month, Compare')]")
    )
    month.click()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.mouse.click(700, 60)
    expect(page.get_by_text("Since 2023-03-30,")).to_be_visible(timeout=60_000)
    expect(page).to_have_url(re.compile(r"since=2023-03-30"))
