"""The path a person takes, in a real Chromium: open, upload, read a KPI, visit every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.app.analytics_helpers import SMALL_CSV  # hand-computed: 3 customers, revenue 70

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PAGES = ["Data", "Overview", "Segments"]


def _settle(page: Page) -> None:
    # The script state flips to "running" shortly after an interaction; wait for the
    # run to finish, then give Vega a moment to draw.
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(700)


def _upload(page: Page, path: Path, data: bytes) -> None:
    """Choose "Upload a file" on the Data page and upload ``data`` as ``path``, as a person does."""
    page.get_by_text("Upload a file", exact=True).click()
    _settle(page)
    path.write_bytes(data)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    _settle(page)


def _stable_box(page: Page, locator: Locator) -> FloatRect:
    """The locator's box once it has kept the same place for half a second."""
    previous = None
    for _ in range(40):
        box = locator.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        page.wait_for_timeout(500)
    assert previous is not None
    return previous


def _no_exception(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def _metric(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _open(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').filter(
        has_text=title
    ).first.click()
    _settle(page)
    expect(page.locator("h1").first).to_have_text(title)


def _shoot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        page.screenshot(path=str(folder / f"{name}.png"))


def test_sample_then_upload_then_every_page(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path | None
) -> None:
    page.goto(app_url)
    _settle(page)
    expect(page.locator("h1").first).to_have_text("Data")
    _no_exception(page)
    _shoot(page, screenshot_dir, "data_sample")

    # A fresh link shows the sample on every page.
    for title in PAGES[1:]:
        _open(page, title)
        _no_exception(page)
        _shoot(page, screenshot_dir, f"{title.lower()}_sample")
    _open(page, "Overview")
    sample_customers = _metric(page, "Customers")
    assert sample_customers.replace(",", "").isdigit()

    # Upload a file the way a person does.
    _open(page, "Data")
    _upload(page, tmp_path / "orders.csv", SMALL_CSV)
    _no_exception(page)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible()
    _shoot(page, screenshot_dir, "data_upload")

    _open(page, "Overview")
    assert _metric(page, "Customers") == "3"
    assert _metric(page, "Revenue") == "$70.00"
    _no_exception(page)
    _shoot(page, screenshot_dir, "overview_upload")

    _open(page, "Segments")
    _no_exception(page)
    _shoot(page, screenshot_dir, "segments_upload")


def test_a_bad_upload_shows_an_error_not_a_traceback(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path | None
) -> None:
    page.goto(app_url)
    _settle(page)
    _upload(page, tmp_path / "bad.csv", b"a,b\n1,2\n")
    error = page.locator('[data-testid="stAlertContentError"]').first
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()  # the first thing seen, not below the form
    _no_exception(page)
    # The form shows this file's columns, not the sample's left over in the browser.
    customer = page.locator('[data-testid="stSelectbox"]').filter(has_text="Customer ID").first
    expect(customer).not_to_contain_text("customer_id")
    _shoot(page, screenshot_dir, "data_bad_upload")
