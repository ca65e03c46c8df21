"""Every page runs on the bundled sample without an exception or an error message."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRYPOINT = str(Path(__file__).absolute().parents[2] / "streamlit_app.py")

PAGES = ["pages/data.py", "pages/overview.py", "pages/segments.py", "pages/movement.py"]


def test_data_page_is_the_default_and_shows_the_sample(app: AppTest) -> None:
    assert not app.exception
    assert not app.error
    assert app.title[0].value == "Data"
    assert app.radio(key="data.source_kind").value == "Sample data"
    assert any("customers" in success.value for success in app.success)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_sample(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == page.removeprefix("pages/").removesuffix(".py").capitalize()


def test_no_markdown_is_rendered_as_raw_html(app: AppTest) -> None:
    for page in PAGES:
        app.switch_page(page).run()
        assert not [md.value for md in app.markdown if md.allow_html]


@pytest.mark.parametrize("page", PAGES[1:])
def test_deep_link_on_a_cold_server_still_goes_through_the_router(page: str) -> None:
    # A fresh AppTest starts like a fresh server: Streamlit's legacy pages/ discovery
    # would run the page file directly, without page config, sidebar or navigation.
    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    at.switch_page(page).run()
    assert not at.exception
    assert at.title[0].value == page.removeprefix("pages/").removesuffix(".py").capitalize()
    assert any("Sample data" in md.value for md in at.sidebar.markdown)
