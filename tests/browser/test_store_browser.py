"""A shared link in a real Chromium: upload, reload, then open the copied URL elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.app.analytics_helpers import SMALL_CSV  # hand-computed: 3 customers, revenue 70
from tests.app.test_store_app import COUNTRY_CSV  # the same orders with a country column
from tests.browser.conftest import running_app
from tests.browser.test_app_browser import _metric, _no_exception, _open, _settle, _shoot, _upload

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms: a shared CI machine can take this long to draw a page


def _token(page: Page) -> str | None:
    values = parse_qs(urlparse(page.url).query).get("dataset")
    return values[0] if values else None


def test_an_uploaded_dataset_survives_a_reload_and_opens_from_the_copied_link(
    page: Page,
    browser: Browser,
    browser_context_args: dict[str, Any],
    app_url: str,
    tmp_path: Path,
    screenshot_dir: Path | None,
) -> None:
    page.goto(app_url)
    _settle(page)
    _upload(page, tmp_path / "orders.csv", SMALL_CSV)
    _no_exception(page)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Anyone with the link can see this data until")).to_be_visible(
        timeout=SLOW
    )
    token = _token(page)
    assert token is not None, page.url
    expect(page.locator('[data-testid^="stSkeleton"]')).to_have_count(0, timeout=SLOW)
    _shoot(page, screenshot_dir, "data_stored_dataset")

    # F5: the same URL, a new session on the server.
    page.reload()
    _settle(page)
    _no_exception(page)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
    _open(page, "Overview")
    assert _token(page) == token  # changing page keeps the dataset in the URL
    assert _metric(page, "Customers") == "3"
    copied = page.url

    # A teammate: a fresh browser context (no cookies, no session) opens the copied link.
    context = browser.new_context(**browser_context_args)
    try:
        teammate = context.new_page()
        teammate.goto(copied)
        _settle(teammate)
        _no_exception(teammate)
        expect(teammate.locator("h1").first).to_have_text("Overview", timeout=SLOW)
        assert _metric(teammate, "Customers") == "3"
        assert _metric(teammate, "Revenue") == "$70.00"
        _shoot(teammate, screenshot_dir, "overview_shared_link")
    finally:
        context.close()


def test_a_link_to_a_missing_dataset_shows_a_message_and_the_sample(
    page: Page, app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(f"{app_url}/?dataset=NoSuchDatasetTokenHere12")
    _settle(page)
    _no_exception(page)
    expect(page.get_by_text("The dataset in this link is not available")).to_be_visible(
        timeout=SLOW
    )
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Sample data")).to_be_visible(
        timeout=SLOW
    )
    _shoot(page, screenshot_dir, "data_missing_link")


@pytest.fixture
def team_app_url(tmp_path: Path) -> Iterator[str]:
    """A second server whose secrets name a team file source (COUNTRY_CSV)."""
    team = tmp_path / "team_orders.csv"
    team.write_bytes(COUNTRY_CSV)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[rfm_source]\nkind = "file"\npath = "{team}"\n')
    with running_app("--secrets.files", str(secrets), folder=tmp_path) as url:
        yield url


def test_a_configured_team_file_is_what_a_fresh_link_opens(
    page: Page, team_app_url: str, screenshot_dir: Path | None
) -> None:
    page.goto(team_app_url)
    _settle(page)
    _no_exception(page)
    expect(page.get_by_text("3 customers, 5 orders", exact=False)).to_be_visible(timeout=SLOW)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("Team data")).to_be_visible(timeout=SLOW)
    # A cold server's first page load fetches the widgets' code lazily: wait for them.
    team = page.get_by_role("radiogroup").get_by_text("Team data")
    expect(team).to_be_visible(timeout=SLOW)
    expect(page.locator('[data-testid^="stSkeleton"]')).to_have_count(0, timeout=SLOW)
    _shoot(page, screenshot_dir, "data_team_source")
    _open(page, "Overview")
    assert _metric(page, "Customers") == "3"
    _open(page, "Data")
    page.get_by_text("Sample data", exact=True).click()  # one click away
    _settle(page)
    expect(page.get_by_text("3,000 customers", exact=False)).to_be_visible(timeout=SLOW)
