"""What this browser session is analysing: the source bytes and the reading settings.

Both live in ``st.session_state`` under constant keys, so they survive page changes
(Streamlit drops a widget's state when its page is not shown).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final, Literal

import streamlit as st

from rfm.datasets import sample_path
from rfm_app import keys

SAMPLE_NAME: Final = "retail"


@dataclass(frozen=True)
class Source:
    """One input file, identified by the SHA-256 of its full content (never its name)."""

    name: str
    kind: Literal["sample", "upload"]
    digest: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str, kind: Literal["sample", "upload"]) -> Source:
        """Wrap ``data``, hashing all of it."""
        return cls(name=name, kind=kind, digest=hashlib.sha256(data).hexdigest(), data=data)


@dataclass(frozen=True)
class Settings:
    """How to read the current source. ``columns=None`` means "as detected"."""

    columns: tuple[tuple[str, str], ...] | None = None
    date_format: str | None = None
    as_of: date | None = None
    sheet: str | None = None
    """Excel sheet to read; None reads the first."""

    @property
    def column_map(self) -> dict[str, str] | None:
        """``columns`` as the mapping :func:`rfm.read_transactions` takes."""
        return None if self.columns is None else dict(self.columns)


@st.cache_resource(show_spinner=False)
def sample_source() -> Source:
    """The bundled sample, read once per server process and shared (it is public)."""
    path = sample_path(SAMPLE_NAME)
    return Source.from_bytes(path.read_bytes(), name=path.name, kind="sample")


def current_source() -> Source:
    """The source this session analyses; the bundled sample until something is uploaded."""
    source = st.session_state.get(keys.SOURCE)
    return source if isinstance(source, Source) else sample_source()


def set_source(source: Source) -> None:
    """Analyse ``source`` from now on; a different file starts from detected settings."""
    if current_source().digest != source.digest:
        st.session_state[keys.SETTINGS] = Settings()
    st.session_state[keys.SOURCE] = source


def current_settings() -> Settings:
    """The reading settings for the current source."""
    settings = st.session_state.get(keys.SETTINGS)
    return settings if isinstance(settings, Settings) else Settings()


def update_settings(**changes: object) -> None:
    """Change some reading settings (keyword names as in :class:`Settings`)."""
    st.session_state[keys.SETTINGS] = replace(current_settings(), **changes)  # type: ignore[arg-type]


def currency() -> str:
    """The currency symbol chosen on the Data page (default ``$``)."""
    return str(st.session_state.get(keys.CURRENCY, "$"))
