"""AppTest fixtures: run the real entrypoint, upload files through st.file_uploader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rfm_app import keys
from tests.app.analytics_helpers import minimal_csv, texts

ROOT = Path(__file__).absolute().parents[2]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
UPLOAD = "Upload a file"

Uploader = Callable[..., AppTest]


@pytest.fixture(autouse=True)
def _dataset_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploads in a test go to a store folder of its own, never the server default."""
    monkeypatch.setenv("RFM_STORE_DIR", str(tmp_path_factory.mktemp("store")))


def _new_session() -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    at.run()
    return at


@pytest.fixture
def app() -> AppTest:
    """A fresh session of the app, first run done (the Data page on the sample)."""
    return _new_session()


def open_page(page: str, **query_params: str) -> AppTest:
    """A fresh session on the sample, opened at ``page`` with sidebar filters in the URL."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=180)
    for name, value in query_params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(page).run()
    return at


@pytest.fixture
def new_session() -> Callable[[], AppTest]:
    """Start further independent sessions (another browser tab, another user)."""
    return _new_session


@pytest.fixture
def upload() -> Uploader:
    """``upload(at, name, data)``: choose "Upload a file" and upload ``data`` as ``name``."""

    def _upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
        at.radio(key=keys.DATA_SOURCE_KIND).set_value(UPLOAD).run()
        at.file_uploader(key=keys.DATA_UPLOAD).upload(name, data, mime).run()
        return at

    return _upload


def metrics(at: AppTest) -> dict[str, str]:
    """Metric label -> displayed value on the current page."""
    return {metric.label: metric.value for metric in at.metric}


@pytest.fixture
def read_metrics() -> Callable[[AppTest], dict[str, str]]:
    """``read_metrics(at)``: metric label -> displayed value on the current page."""
    return metrics


@pytest.fixture
def minimal_page(app: AppTest, upload: Uploader) -> Callable[[str], AppTest]:
    """``minimal_page(page)``: upload :func:`minimal_csv`, open ``page``, check it drew cleanly."""

    def _open(page: str) -> AppTest:
        upload(app, "minimal.csv", minimal_csv())
        app.switch_page(page).run()
        assert not app.exception, [e.value for e in app.exception]
        assert not app.error, texts(app.error)
        return app

    return _open
