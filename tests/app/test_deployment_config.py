"""The shipped .streamlit/config.toml is safe to put behind a public link (issue 15, item 5)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from streamlit import config as streamlit_config

ROOT = Path(__file__).absolute().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    with CONFIG.open("rb") as file:
        return tomllib.load(file)


def test_visitors_never_see_tracebacks(settings: dict[str, Any]) -> None:
    shown = settings["client"]["showErrorDetails"]
    # Streamlit's own list of values; only "none" hides types, messages and tracebacks.
    allowed = {option.value for option in streamlit_config.ShowErrorDetailsConfigOptions}
    assert shown in allowed
    assert shown == "none"


def test_no_file_watcher_and_no_rerun_on_save(settings: dict[str, Any]) -> None:
    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["server"].get("runOnSave", False) is False


def test_cross_site_protection_is_on(settings: dict[str, Any]) -> None:
    assert settings["server"]["enableXsrfProtection"] is True
    assert settings["server"].get("enableCORS", True) is True


def test_every_option_is_one_streamlit_knows(settings: dict[str, Any]) -> None:
    # A misspelt key is silently ignored by Streamlit, so the setting would not apply.
    known = set(streamlit_config.get_config_options())
    options = {
        f"{section}.{name}"
        for section, values in settings.items()
        for name, value in values.items()
        if not isinstance(value, dict)
    }
    options |= {
        f"{section}.{sub}.{name}"
        for section, values in settings.items()
        for sub, inner in values.items()
        if isinstance(inner, dict)
        for name in inner
    }
    assert options - known == set()
