"""The sidebar's order-date field in a real Chromium: it shows the span of the data in
view (a browser keeps its own field value unless the server tells it otherwise, which
AppTest cannot see), and a link reaching outside the data is cut with a note."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import rfm
from rfm_app import format as fmt
from tests.app.analytics_helpers import (
    SMALL_CSV,  # orders 2024-01-05 to 2024-03-20
    sample_transactions,
)
from tests.browser.test_app_browser import _metric, _no_exception, _settle, _shoot, _upload

pytestmark = pytest.mark.browser

FIELD = '[data-testid="stSidebar"] [data-testid="stDateInput"]'


def _field_text(page: Page) -> str:
    """The range the date field shows, as ``2024-01-05 – 2024-03-20``."""
    text = page.locator(FIELD).inner_text().split("\n", 1)[1]
    return " ".join(text.split()).replace(" - ", "-")


def test_the_date_field_follows_the_data_and_cuts_a_link(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path | None
) -> None:
    page.goto(app_url)
    _settle(page)
    assert _field_text(page) == "2020-01-01 – 2023-12-31"  # the sample

    _upload(page, tmp_path / "orders.csv", SMALL_CSV)
    _no_exception(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').filter(
        has_text="Overview"
    ).first.click()
    _settle(page)
    assert _field_text(page) == "2024-01-05 – 2024-03-20"
    assert page.locator(f'{FIELD} ~ [data-testid="stAlert"]').count() == 0

    # A link reaching before the sample's first day: cut, said, and applied.
    page.goto(f"{app_url}/overview?dates=2019-01-01&dates=2021-06-30")
    _settle(page)
    _no_exception(page)
    assert _field_text(page) == "2020-01-01 – 2021-06-30"
    expect(
        page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').filter(
            has_text="(2019-01-01 to 2021-06-30) reach outside the data"
        )
    ).to_be_visible()
    # The page shows the cut range's numbers, and the address bar still holds the
    # link's range, so a copy of it opens the same view (cut the same way).
    view = rfm.analysis_view(
        sample_transactions(),
        filters=rfm.Filters.of(date_range=(dt.date(2020, 1, 1), dt.date(2021, 6, 30))),
    )
    assert _metric(page, "Customers") == fmt.count(view.kpis().customers)
    assert "dates=2019-01-01&dates=2021-06-30" in page.url
    _shoot(page, screenshot_dir, "date_filter_cut_link")
