"""An upload the dataset store keeps: the session drops its bytes (its own copy and
Streamlit's), and the Data page keeps working on the following runs in a real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app.analytics_helpers import SMALL_CSV  # hand-computed: 3 customers, 5 orders
from tests.browser.test_app_browser import _metric, _no_exception, _open, _settle, _shoot, _upload

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms


def test_a_kept_upload_keeps_working_once_its_bytes_are_dropped(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path | None
) -> None:
    page.goto(app_url)
    _settle(page)
    _upload(page, tmp_path / "orders.csv", SMALL_CSV)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
    # Runs after the upload: the uploader's file is gone from Streamlit's manager.
    for _ in range(2):
        page.locator("h1").first.click()
        page.keyboard.press("r")
        _settle(page)
        _no_exception(page)
        expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
    _shoot(page, screenshot_dir, "data_upload_bytes_dropped")
    _open(page, "Overview")
    _no_exception(page)
    assert _metric(page, "Customers") == "3"
    _open(page, "Data")
    _no_exception(page)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
