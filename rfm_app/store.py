"""Uploaded datasets kept on the server, so a link survives a reload and can be shared.

Plain Python (no Streamlit): :mod:`rfm_app.session` connects it to the URL and the page.

Layout under the store's folder::

    catalogue.sqlite3     one row per dataset: token, name, digest, size, times, settings
    data/<token>.bin      the uploaded bytes, exactly as received

The original bytes are kept rather than a parsed table, so every reading setting (sheet,
columns, date format) stays changeable after a reopen; a reopening session parses them
again through the same per-session caches as an upload.

A dataset is named by a random token (:func:`secrets.token_urlsafe`), never by the hash
of its content: anyone holding the file could compute the hash, nobody can guess the
token. Whoever has the token can open the dataset until it expires.

Bounds: a total size, a number of datasets and a time to live from the upload. When a
new upload needs room, expired datasets go first, then the least recently used.

Concurrency: many sessions (threads) and server processes share the folder. The bytes
are written to a temporary name and renamed into place (:func:`os.replace`), so a reader
never sees a half-written file; the catalogue row is inserted only after the rename, in
a SQLite transaction (WAL journal), so a token is never visible before its bytes are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from rfm_app import format as fmt

logger = logging.getLogger(__name__)

DEFAULT_DIRECTORY: Final = Path(tempfile.gettempdir()) / "rfm-studio-store"
DEFAULT_MAX_BYTES: Final = 500_000_000
"""500 MB for all stored datasets together."""
DEFAULT_MAX_DATASETS: Final = 50
DEFAULT_TTL_DAYS: Final = 7.0
"""A dataset is deleted this many days after its upload."""

ENVIRONMENT: Final = {
    "dir": "RFM_STORE_DIR",
    "max_bytes": "RFM_STORE_MAX_BYTES",
    "max_datasets": "RFM_STORE_MAX_DATASETS",
    "ttl_days": "RFM_STORE_TTL_DAYS",
}
"""Setting name (as in the ``[rfm_store]`` secrets section) -> environment variable."""

TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What :func:`secrets.token_urlsafe` produces; anything else is not looked up."""
_TOKEN_BYTES: Final = 18  # 144 random bits, 24 characters in a URL
_ORPHAN_AGE: Final = 3600.0  # seconds before a file without a catalogue row is swept
_SCHEMA_VERSION: Final = 1
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS datasets (
    token       TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL,   -- SHA-256 of the bytes, checked on every open
    size        INTEGER NOT NULL,
    created     REAL NOT NULL,   -- seconds since the epoch (UTC)
    last_used   REAL NOT NULL,
    columns     TEXT,            -- JSON [[canonical, file column], ...]; NULL = as detected
    sheet       TEXT,
    date_format TEXT,
    as_of       TEXT,            -- ISO date
    currency    TEXT             -- NULL = not chosen; '' = no symbol
)
"""


class StoreError(ValueError):
    """The store cannot keep or configure a dataset; the message says why."""


@dataclass(frozen=True)
class StoreLimits:
    """Where the store lives and how much it keeps.

    Parameters
    ----------
    directory : Path
        Folder of the catalogue and the data files (created if missing).
    max_bytes : int
        Total size of all stored datasets; a single larger upload is not kept.
    max_datasets : int
        Number of datasets kept; ``0`` turns the store off.
    ttl_days : float
        Days from its upload until a dataset is deleted.

    Examples
    --------
    >>> limits = StoreLimits.from_settings({"max_datasets": 10}, environ={})
    >>> limits.max_datasets, limits.max_bytes == DEFAULT_MAX_BYTES
    (10, True)
    >>> StoreLimits.from_settings({}, environ={"RFM_STORE_TTL_DAYS": "1.5"}).ttl_days
    1.5
    """

    directory: Path = DEFAULT_DIRECTORY
    max_bytes: int = DEFAULT_MAX_BYTES
    max_datasets: int = DEFAULT_MAX_DATASETS
    ttl_days: float = DEFAULT_TTL_DAYS

    @property
    def enabled(self) -> bool:
        """False when the owner turned the store off (``max_datasets = 0``)."""
        return self.max_datasets > 0 and self.max_bytes > 0

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, object], *, environ: Mapping[str, str] | None = None
    ) -> StoreLimits:
        """Read the ``[rfm_store]`` secrets section; environment variables win over it.

        Raises :class:`StoreError` naming the setting when a value is not usable.
        """
        env = os.environ if environ is None else environ
        unknown = sorted(set(settings) - set(ENVIRONMENT))
        if unknown:
            msg = (
                f"Unknown [rfm_store] setting(s) {unknown}; the store reads "
                f"{sorted(ENVIRONMENT)}. Check the spelling in .streamlit/secrets.toml."
            )
            raise StoreError(msg)
        values: dict[str, object] = {}
        for name, variable in ENVIRONMENT.items():
            if variable in env and env[variable] != "":
                values[name] = env[variable]
            elif name in settings:
                values[name] = settings[name]
        directory = Path(str(values.get("dir", DEFAULT_DIRECTORY))).expanduser()
        return cls(
            directory=directory,
            max_bytes=int(_number(values, "max_bytes", default=DEFAULT_MAX_BYTES, whole=True)),
            max_datasets=int(
                _number(values, "max_datasets", default=DEFAULT_MAX_DATASETS, whole=True)
            ),
            ttl_days=_number(values, "ttl_days", default=DEFAULT_TTL_DAYS, whole=False),
        )


def _number(values: Mapping[str, object], name: str, *, default: float, whole: bool) -> float:
    raw = values.get(name, default)
    number: float | None = None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            number = float(str(raw).replace("_", "")) if isinstance(raw, str) else float(raw)
        except ValueError:
            number = None
    if number is None or number != number or number < 0 or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a number"
        msg = (
            f"The store setting {name} must be {kind} >= 0 "
            f"({ENVIRONMENT[name]} or [rfm_store] {name}). Got {raw!r}."
        )
        raise StoreError(msg)
    return number


@dataclass(frozen=True)
class ReadingSettings:
    """How a stored dataset is read and shown; all ``None`` means "as detected"."""

    columns: tuple[tuple[str, str], ...] | None = None
    date_format: str | None = None
    as_of: date | None = None
    sheet: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class StoredDataset:
    """One dataset in the store: its catalogue entry, and its bytes when opened."""

    token: str
    name: str
    digest: str
    size: int
    created: datetime
    last_used: datetime
    expires: datetime
    settings: ReadingSettings
    data: bytes = field(default=b"", repr=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatasetStore:
    """Uploaded datasets on disk, named by random tokens, bounded and safe to share.

    Parameters
    ----------
    limits : StoreLimits
        Folder and bounds.
    clock : callable, optional
        Returns the current UTC time (tests move it forward to check expiry).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> store = DatasetStore(StoreLimits(directory=Path(folder)))
    >>> kept = store.save(b"customer_id,order_date,amount\\n", name="orders.csv")
    >>> store.open(kept.token).data
    b'customer_id,order_date,amount\\n'
    >>> store.forget(kept.token), store.open(kept.token)
    (True, None)
    """

    def __init__(self, limits: StoreLimits, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.limits = limits
        self._clock = clock
        self._data_dir = limits.directory / "data"
        self._data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._catalogue = limits.directory / "catalogue.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                with _transaction(db):
                    db.execute(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    # -- what a session does -------------------------------------------------------------

    def save(
        self, data: bytes, *, name: str, settings: ReadingSettings | None = None
    ) -> StoredDataset:
        """Keep ``data`` under a new random token, making room if needed.

        Raises :class:`StoreError` when the store is off or ``data`` alone is larger
        than the store's total size.
        """
        if not self.limits.enabled:
            msg = "The dataset store is turned off on this server (max_datasets = 0)."
            raise StoreError(msg)
        if len(data) > self.limits.max_bytes:
            msg = (
                f"The file ({fmt.size(len(data))}) is larger than this server keeps for "
                f"sharing ({fmt.size(self.limits.max_bytes)} in all)."
            )
            raise StoreError(msg)
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        settings = settings or ReadingSettings()
        path = self._path(token)
        _write_atomically(path, data)  # complete on disk before any row names it
        now = self._clock().timestamp()
        try:
            with self._connect() as db, _transaction(db):
                victims = self._make_room(db, now, incoming=len(data))
                db.execute(
                    "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        token,
                        name,
                        hashlib.sha256(data).hexdigest(),
                        len(data),
                        now,
                        now,
                        *_settings_row(settings),
                    ),
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._delete_files(victims)
        found = self.describe(token)
        assert found is not None  # just inserted, inside the bounds
        return found

    def open(self, token: str, *, touch: bool = True) -> StoredDataset | None:
        """The dataset named ``token`` with its bytes, or ``None`` when there is none
        (never stored, forgotten, expired or evicted). ``touch`` marks it as used now."""
        entry = self.describe(token)
        if entry is None:
            return None
        try:
            data = self._path(token).read_bytes()
        except FileNotFoundError:  # forgotten or evicted by another session meanwhile
            return None
        if hashlib.sha256(data).hexdigest() != entry.digest:
            logger.error("Stored dataset %s does not match its digest; dropping it", token[:6])
            self.forget(token)
            return None
        if touch:
            with self._connect() as db, _transaction(db):
                db.execute(
                    "UPDATE datasets SET last_used = ? WHERE token = ?",
                    (self._clock().timestamp(), token),
                )
        return replace(entry, data=data)

    def describe(self, token: str) -> StoredDataset | None:
        """The catalogue entry of ``token`` (without bytes), or ``None``; an expired
        entry is deleted on sight."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM datasets WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        entry = self._entry(row)
        if entry.expires <= self._clock():
            self.forget(token)
            return None
        return entry

    def update_settings(self, token: str, settings: ReadingSettings) -> bool:
        """Replace the reading settings of ``token``; False when it is gone."""
        if not TOKEN_PATTERN.fullmatch(token):
            return False
        with self._connect() as db, _transaction(db):
            cursor = db.execute(
                "UPDATE datasets SET columns = ?, sheet = ?, date_format = ?, as_of = ?, "
                "currency = ? WHERE token = ?",
                (*_settings_row(settings), token),
            )
        return cursor.rowcount == 1

    def forget(self, token: str) -> bool:
        """Delete ``token`` and its bytes at once; False when it did not exist."""
        if not TOKEN_PATTERN.fullmatch(token):
            return False
        with self._connect() as db, _transaction(db):
            cursor = db.execute("DELETE FROM datasets WHERE token = ?", (token,))
        self._delete_files([token])
        return cursor.rowcount == 1

    # -- housekeeping --------------------------------------------------------------------

    def usage(self) -> tuple[int, int]:
        """``(datasets, bytes)`` currently kept."""
        with self._connect() as db:
            count, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM datasets"
            ).fetchone()
        return int(count), int(total)

    def tokens(self) -> list[str]:
        """Every token kept, least recently used first."""
        with self._connect() as db:
            rows = db.execute("SELECT token FROM datasets ORDER BY last_used, created").fetchall()
        return [str(row[0]) for row in rows]

    def prune(self) -> int:
        """Delete expired datasets and leftover files of interrupted saves; returns how
        many datasets went."""
        with self._connect() as db, _transaction(db):
            victims = self._make_room(db, self._clock().timestamp(), incoming=None)
        self._delete_files(victims)
        self._sweep_orphans()
        return len(victims)

    def _make_room(self, db: sqlite3.Connection, now: float, *, incoming: int | None) -> list[str]:
        """Delete the rows of expired datasets, then (for an ``incoming`` upload of that
        many bytes) the least recently used until it fits; returns their tokens."""
        ttl = self.limits.ttl_days * 86400.0
        expired = [
            str(row[0])
            for row in db.execute("SELECT token FROM datasets WHERE created + ? <= ?", (ttl, now))
        ]
        victims = list(expired)
        if incoming is not None:
            count, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM datasets WHERE created + ? > ?",
                (ttl, now),
            ).fetchone()
            rows = db.execute(
                "SELECT token, size FROM datasets WHERE created + ? > ? "
                "ORDER BY last_used, created",
                (ttl, now),
            ).fetchall()
            for token, size in rows:
                if (
                    count + 1 <= self.limits.max_datasets
                    and total + incoming <= self.limits.max_bytes
                ):
                    break
                victims.append(str(token))
                count -= 1
                total -= size
        db.executemany("DELETE FROM datasets WHERE token = ?", [(token,) for token in victims])
        if victims:
            logger.info("Dataset store: %d dataset(s) expired or evicted", len(victims))
        return victims

    def _sweep_orphans(self) -> None:
        known = set(self.tokens())
        cutoff = time.time() - _ORPHAN_AGE
        for path in self._data_dir.iterdir():
            token = path.name.split(".")[0]
            with contextlib.suppress(FileNotFoundError):
                if token not in known and path.stat().st_mtime < cutoff:
                    path.unlink()

    def _delete_files(self, tokens: list[str]) -> None:
        for token in tokens:
            self._path(token).unlink(missing_ok=True)

    def _path(self, token: str) -> Path:
        return self._data_dir / f"{token}.bin"

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        # One short-lived connection per operation: safe across threads and processes.
        db = sqlite3.connect(self._catalogue, timeout=30.0, isolation_level=None)
        return contextlib.closing(db)

    def _entry(self, row: tuple[object, ...]) -> StoredDataset:
        token, name, digest, size, created, last_used, columns, sheet, date_format, as_of, cur = row
        created_at = datetime.fromtimestamp(float(created), UTC)  # type: ignore[arg-type]
        return StoredDataset(
            token=str(token),
            name=str(name),
            digest=str(digest),
            size=int(size),  # type: ignore[call-overload]
            created=created_at,
            last_used=datetime.fromtimestamp(float(last_used), UTC),  # type: ignore[arg-type]
            expires=created_at + timedelta(days=self.limits.ttl_days),
            settings=ReadingSettings(
                columns=None
                if columns is None
                else tuple((str(a), str(b)) for a, b in json.loads(str(columns))),
                date_format=None if date_format is None else str(date_format),
                as_of=None if as_of is None else date.fromisoformat(str(as_of)),
                sheet=None if sheet is None else str(sheet),
                currency=None if cur is None else str(cur),
            ),
        )


def _settings_row(settings: ReadingSettings) -> tuple[str | None, ...]:
    return (
        None if settings.columns is None else json.dumps([list(pair) for pair in settings.columns]),
        settings.sheet,
        settings.date_format,
        None if settings.as_of is None else settings.as_of.isoformat(),
        settings.currency,
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: one writer at a time, readers never blocked."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the name only ever shows the complete bytes."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
