"""The dataset store: reopen by token, expiry, eviction, forget, and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rfm_app.store import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DATASETS,
    DEFAULT_TTL_DAYS,
    AttachedTable,
    DatasetStore,
    ReadingSettings,
    StoreError,
    StoreLimits,
    parse_key,
)

CSV = b"customer_id,order_date,amount\nA,2024-01-02,10.5\nB,2024-02-03,7\n"
SETTINGS = ReadingSettings(
    columns=(("amount", "Sales"), ("customer_id", "Client"), ("order_date", "Date")),
    date_format="%d/%m/%Y",
    as_of=date(2024, 6, 30),
    sheet="Orders",
    currency="",  # "no symbol" is a choice, unlike None
)


class Clock:
    """A UTC clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _store(folder: Path, clock: Clock | None = None, **limits: float) -> DatasetStore:
    return DatasetStore(
        StoreLimits(directory=folder, **limits),  # type: ignore[arg-type]
        clock=clock or Clock(),
    )


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in (folder / "data").iterdir())


def test_reopen_by_token_gives_the_same_bytes_and_settings(tmp_path: Path) -> None:
    kept = _store(tmp_path).save(CSV, name="orders.csv", settings=SETTINGS)
    # A new store object on the same folder: another session, process, or a restart.
    found = _store(tmp_path).open(kept.token)
    assert found is not None
    assert found.data == CSV
    assert found.name == "orders.csv"
    assert found.size == len(CSV)
    assert found.digest == hashlib.sha256(CSV).hexdigest()
    assert found.settings == SETTINGS


def test_settings_changes_are_kept(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    assert kept.settings == ReadingSettings()
    assert store.update_settings(kept.token, SETTINGS)
    found = _store(tmp_path).open(kept.token)
    assert found is not None
    assert found.settings == SETTINGS
    assert found.data == CSV  # settings never touch the bytes
    assert not store.update_settings("no-such-token-at-all-here", SETTINGS)


def test_the_token_is_random_not_the_content_hash(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = store.save(CSV, name="a.csv")
    second = store.save(CSV, name="a.csv")
    assert first.token != second.token
    digest = hashlib.sha256(CSV).hexdigest()
    assert digest not in first.token
    assert first.token not in digest
    assert len(first.token) >= 22  # at least 128 random bits
    assert set(first.token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


def test_a_dataset_expires_its_time_to_live_after_the_upload(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock, ttl_days=2)
    kept = store.save(CSV, name="orders.csv")
    assert kept.expires == clock.now + timedelta(days=2)
    clock.advance(days=1, hours=23)
    assert store.open(kept.token) is not None  # opening does not extend the life
    clock.advance(hours=1)
    assert store.open(kept.token) is None
    assert _files(tmp_path) == []  # expired bytes are deleted, not just hidden
    assert store.usage() == (0, 0)


def test_prune_deletes_expired_datasets_nobody_opens(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock, ttl_days=1)
    old = store.save(CSV, name="old.csv")
    clock.advance(hours=12)
    young = store.save(CSV + b"C,2024-03-04,1\n", name="young.csv")
    clock.advance(hours=13)
    assert store.prune() == 1
    assert store.tokens() == [young.token]
    assert _files(tmp_path) == [f"{young.token}.bin"]
    assert store.describe(old.token) is None


def test_eviction_at_the_size_limit_drops_the_least_recently_used(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock, max_bytes=250)
    first = store.save(b"1" * 100, name="first.csv")
    clock.advance(minutes=1)
    second = store.save(b"2" * 100, name="second.csv")
    clock.advance(minutes=1)
    assert store.open(first.token) is not None  # first is now the most recently used
    clock.advance(minutes=1)
    third = store.save(b"3" * 100, name="third.csv")  # 300 > 250: one must go
    assert store.open(second.token) is None
    assert store.tokens() == [first.token, third.token]
    assert store.usage() == (2, 200)
    assert _files(tmp_path) == sorted(f"{t.token}.bin" for t in (first, third))


def test_eviction_at_the_count_limit(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock, max_datasets=3)
    tokens = []
    for index in range(5):
        tokens.append(store.save(f"{index}".encode(), name=f"{index}.csv").token)
        clock.advance(seconds=1)
    assert store.tokens() == tokens[2:]
    assert len(_files(tmp_path)) == 3


def test_a_file_larger_than_the_whole_store_is_refused_and_nothing_is_evicted(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path, max_bytes=100)
    kept = store.save(b"x" * 60, name="small.csv")
    with pytest.raises(
        StoreError, match=r"\(101 B\) is larger than this server keeps for sharing \(100 B in all\)"
    ):
        store.save(b"y" * 101, name="big.csv")
    assert store.tokens() == [kept.token]


def test_a_store_turned_off_keeps_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path, max_datasets=0)
    with pytest.raises(StoreError, match="turned off"):
        store.save(CSV, name="orders.csv")


def test_forget_deletes_at_once(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    other = store.save(CSV, name="other.csv")
    assert store.forget(kept.token)
    assert store.open(kept.token) is None
    assert _store(tmp_path).open(kept.token) is None
    assert _files(tmp_path) == [f"{other.token}.bin"]
    assert not store.forget(kept.token)  # twice is harmless


@pytest.mark.parametrize(
    "token",
    ["", "short", "A" * 24, "x' OR '1'='1", "../../etc/passwd", "a" * 65, "ü" * 24],
)
def test_a_missing_or_malformed_token_finds_nothing(tmp_path: Path, token: str) -> None:
    store = _store(tmp_path)
    store.save(CSV, name="orders.csv")
    assert store.open(token) is None
    assert store.describe(token) is None
    assert not store.forget(token)
    assert store.usage() == (1, len(CSV))


def test_bytes_that_no_longer_match_their_digest_are_not_served(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    (tmp_path / "data" / f"{kept.token}.bin").write_bytes(CSV[:-5])  # damaged on disk
    assert store.open(kept.token) is None
    assert store.usage() == (0, 0)


def test_leftovers_of_an_interrupted_save_are_swept_after_an_hour(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    stale = tmp_path / "data" / "abandonedabandonedxyz.q1w2e3.tmp"
    fresh = tmp_path / "data" / "inprogressinprogressxy.r4t5y6.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    store.prune()
    assert not stale.exists()
    assert fresh.exists()  # may belong to a save still running in another process
    assert store.open(kept.token) is not None


def test_the_catalogue_uses_write_ahead_logging(tmp_path: Path) -> None:
    _store(tmp_path)
    with sqlite3.connect(tmp_path / "catalogue.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- attached tables and the parsed transactions ---------------------------------------------

PEOPLE = b"Customer ID,Gender\nA,F\nB,M\n"
PEOPLE_DIGEST = hashlib.sha256(PEOPLE).hexdigest()
ATTACHED = (
    AttachedTable(table="customers", name="people.csv", digest=PEOPLE_DIGEST),
    AttachedTable(table="returns", name="sheet Returns", digest="0" * 64, sheet="Returns"),
)


def test_an_attached_table_is_kept_counted_and_reopened_with_the_settings(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    assert store.keep_attachment(kept.token, PEOPLE)
    assert store.update_settings(kept.token, replace(SETTINGS, attachments=ATTACHED))
    found = _store(tmp_path).open(kept.token)
    assert found is not None
    assert found.settings.attachments == ATTACHED
    assert found.size == len(CSV) + len(PEOPLE)
    assert store.usage() == (1, len(CSV) + len(PEOPLE))
    assert store.attachment(kept.token, PEOPLE_DIGEST) == PEOPLE
    assert store.attachment(kept.token, "f" * 64) is None
    assert _files(tmp_path) == sorted([f"{kept.token}.bin", f"{kept.token}.{PEOPLE_DIGEST}.bin"])


def test_settings_without_an_attached_table_delete_its_bytes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    store.keep_attachment(kept.token, PEOPLE)
    store.update_settings(kept.token, ReadingSettings(attachments=ATTACHED))
    assert store.update_settings(kept.token, ReadingSettings(attachments=ATTACHED[1:]))
    assert _files(tmp_path) == [f"{kept.token}.bin"]
    assert store.usage() == (1, len(CSV))


def test_forget_deletes_the_attached_and_parsed_tables(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    other = store.save(CSV, name="other.csv")
    store.keep_attachment(kept.token, PEOPLE)
    store.keep_parsed(kept.token, pl.DataFrame({"a": [1]}), key="k", notes="{}")
    assert len(_files(tmp_path)) == 4
    assert store.forget(kept.token)
    assert _files(tmp_path) == [f"{other.token}.bin"]


def test_an_attached_table_counts_toward_the_size_limit(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock, max_bytes=250)
    first = store.save(b"1" * 100, name="first.csv")
    clock.advance(minutes=1)
    second = store.save(b"2" * 100, name="second.csv")
    # 100 + 100 + 60 > 250: the least recently used other dataset goes, never this one.
    assert store.keep_attachment(second.token, b"p" * 60)
    assert store.tokens() == [second.token]
    assert store.usage() == (1, 160)
    assert store.describe(first.token) is None
    with pytest.raises(StoreError, match=r"attached file \(100 B\) and the dataset together"):
        store.keep_attachment(second.token, b"q" * 100)


def test_a_forgotten_dataset_keeps_no_attached_table(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    store.forget(kept.token)
    assert not store.keep_attachment(kept.token, PEOPLE)
    assert not store.keep_parsed(kept.token, pl.DataFrame({"a": [1]}), key="k", notes="{}")
    assert _files(tmp_path) == []


def test_parsed_transactions_reopen_as_they_were_kept(tmp_path: Path) -> None:
    transactions = pl.DataFrame(
        {
            "customer_id": ["A", "B", None],
            "order_date": [datetime(2024, 1, 2, 10, 30), datetime(2024, 2, 3), None],
            "amount": [10.5, -7.0, 1.25],
            "is_return": [False, True, False],
            "birth_date": [date(1980, 5, 1), None, date(1990, 1, 1)],
            "quantity": [1, -2, 3],
        }
    )
    notes = json.dumps({"quality": {"rows_read": 3}, "attached": []})
    key = parse_key(CSV_DIGEST, columns=None, date_format=None, sheet=None, attachments=ATTACHED)
    store = _store(tmp_path)
    kept = store.save(CSV, name="orders.csv")
    assert store.keep_parsed(kept.token, transactions, key=key, notes=notes)
    parquet = tmp_path / "data" / f"{kept.token}.parsed.parquet"
    assert pl.read_parquet_metadata(parquet)["rfm_studio.parse_key"] == key

    found = _store(tmp_path).open_parsed(kept.token, key)
    assert found is not None
    assert_frame_equal(found[0], transactions)
    assert json.loads(found[1]) == json.loads(notes)
    assert store.usage() == (1, len(CSV) + parquet.stat().st_size)
    # Other settings (here a date format) were not parsed: nothing to reopen.
    other = parse_key(
        CSV_DIGEST, columns=None, date_format="%d/%m/%Y", sheet=None, attachments=ATTACHED
    )
    assert store.open_parsed(kept.token, other) is None
    # A new parse replaces the old one (one file per dataset).
    assert store.keep_parsed(kept.token, transactions.head(1), key=other, notes=notes)
    assert store.open_parsed(kept.token, key) is None
    reopened = store.open_parsed(kept.token, other)
    assert reopened is not None and reopened[0].height == 1
    assert len(_files(tmp_path)) == 2


def test_a_parsed_table_that_does_not_fit_is_not_kept(tmp_path: Path) -> None:
    store = _store(tmp_path, max_bytes=len(CSV) + 100)  # a Parquet file is larger
    kept = store.save(CSV, name="orders.csv")
    assert not store.keep_parsed(kept.token, pl.DataFrame({"a": [1]}), key="k", notes="{}")
    assert store.open_parsed(kept.token, "k") is None
    assert _files(tmp_path) == [f"{kept.token}.bin"]


def test_a_version_1_catalogue_is_upgraded_in_place(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    token = "OldTokenFromVersionOne123"
    (tmp_path / "data" / f"{token}.bin").write_bytes(CSV)
    with sqlite3.connect(tmp_path / "catalogue.sqlite3") as db:
        db.execute(V1_SCHEMA)
        db.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # token, name, digest, size, created, last_used, columns, sheet, date format,
            # as-of, currency
            (token, "old.csv", CSV_DIGEST, len(CSV), 1.767e9, 1.767e9, None, "Orders", *V1_REST),
        )
        db.execute("PRAGMA user_version = 1")
    store = _store(tmp_path)
    found = store.open(token)
    assert found is not None
    assert found.data == CSV
    assert found.settings == ReadingSettings(sheet="Orders", currency="€")
    assert found.parsed is None
    assert store.keep_attachment(token, PEOPLE)
    _store(tmp_path)  # opening again does not upgrade twice


def test_a_catalogue_with_a_new_column_but_an_old_version_mark_still_opens(
    tmp_path: Path,
) -> None:
    # Version 1 by its mark, with one of version 2's columns already there (a build
    # between the two wrote it): the upgrade adds only the missing one, and the store
    # works instead of being off for good ("duplicate column name: attachments").
    (tmp_path / "data").mkdir()
    token = "HalfUpgradedToken12345678"
    (tmp_path / "data" / f"{token}.bin").write_bytes(CSV)
    with sqlite3.connect(tmp_path / "catalogue.sqlite3") as db:
        db.execute(V1_SCHEMA)
        db.execute("ALTER TABLE datasets ADD COLUMN attachments TEXT")
        db.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (token, "old.csv", CSV_DIGEST, len(CSV), 1.767e9, 1.767e9, None, None, *V1_REST, None),
        )
        db.execute("PRAGMA user_version = 1")
    store = _store(tmp_path)
    found = store.open(token)
    assert found is not None and found.data == CSV
    assert store.keep_attachment(token, PEOPLE)
    with sqlite3.connect(tmp_path / "catalogue.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2


CSV_DIGEST = hashlib.sha256(CSV).hexdigest()
V1_REST = (None, None, "€")
V1_SCHEMA = """
CREATE TABLE datasets (
    token TEXT PRIMARY KEY, name TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,
    created REAL NOT NULL, last_used REAL NOT NULL, columns TEXT, sheet TEXT,
    date_format TEXT, as_of TEXT, currency TEXT
)
"""


# -- two processes at once -----------------------------------------------------------------


def _content(name: str) -> bytes:
    # Each file's bytes follow from its name, so a reader can check what it got.
    return (name * 500).encode()


def _writer(folder: str, writer: int, count: int) -> dict[str, str]:
    store = DatasetStore(StoreLimits(directory=Path(folder), max_datasets=12))
    saved = {}
    for index in range(count):
        name = f"w{writer}-{index}.csv"
        saved[store.save(_content(name), name=name).token] = name
    return saved


def _reader(folder: str, wanted: int) -> tuple[int, int]:
    store = DatasetStore(StoreLimits(directory=Path(folder), max_datasets=12))
    opened = wrong = 0
    deadline = time.monotonic() + 240  # generous: CI machines are shared
    while opened < wanted and time.monotonic() < deadline:
        for token in store.tokens():
            found = store.open(token)
            if found is not None:
                opened += 1
                wrong += found.data != _content(found.name)
    return opened, wrong


def test_two_processes_writing_at_once_never_leave_a_half_written_dataset(
    tmp_path: Path,
) -> None:
    DatasetStore(StoreLimits(directory=tmp_path, max_datasets=12))  # the schema, once

    # Three fresh interpreters (not a multiprocessing pool: inside a pytest-xdist worker a
    # spawned child re-runs the worker's own __main__ and the pool can hang).
    def start(call: str) -> subprocess.Popen[str]:
        code = (
            f"import json; from tests.test_store import _reader, _writer; print(json.dumps({call}))"
        )
        return subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )

    folder = str(tmp_path)
    jobs = [start(f"_writer({folder!r}, {w}, 15)") for w in (1, 2)]
    jobs.append(start(f"_reader({folder!r}, 30)"))
    results = [json.loads(job.communicate(timeout=300)[0]) for job in jobs]
    assert all(job.returncode == 0 for job in jobs)
    saved = {token: name for found in results[:2] for token, name in found.items()}
    opened, wrong = results[2]
    assert len(saved) == 30  # every save succeeded despite the other writer
    assert opened >= 30
    assert wrong == 0  # every dataset a reader opened had exactly its writer's bytes
    store = DatasetStore(StoreLimits(directory=tmp_path, max_datasets=12))
    kept = store.tokens()
    assert len(kept) == 12  # the bound held with two writers evicting at once
    assert set(kept) <= set(saved)
    for token in kept:
        found = store.open(token)
        assert found is not None
        assert found.data == _content(saved[token])
    # Exactly the catalogued files are on disk: no temporary or orphaned leftovers.
    assert _files(tmp_path) == sorted(f"{token}.bin" for token in kept)


# -- configuration -------------------------------------------------------------------------


def test_limits_default_when_nothing_is_configured() -> None:
    limits = StoreLimits.from_settings({}, environ={})
    assert limits.max_bytes == DEFAULT_MAX_BYTES == 500_000_000
    assert limits.max_datasets == DEFAULT_MAX_DATASETS == 50
    assert limits.ttl_days == DEFAULT_TTL_DAYS == 7
    assert limits.enabled


def test_limits_from_secrets_and_environment(tmp_path: Path) -> None:
    secrets = {"dir": str(tmp_path / "s"), "max_bytes": 1_000, "ttl_days": 3, "max_datasets": 4}
    limits = StoreLimits.from_settings(secrets, environ={})
    assert limits == StoreLimits(
        directory=tmp_path / "s", max_bytes=1000, max_datasets=4, ttl_days=3.0
    )
    environ = {"RFM_STORE_DIR": str(tmp_path / "e"), "RFM_STORE_MAX_BYTES": "2_000"}
    limits = StoreLimits.from_settings(secrets, environ=environ)
    assert (limits.directory, limits.max_bytes, limits.max_datasets) == (tmp_path / "e", 2000, 4)
    assert not StoreLimits.from_settings({"max_datasets": 0}, environ={}).enabled


@pytest.mark.parametrize(
    ("settings", "environ", "match"),
    [
        ({"max_bytes": "lots"}, {}, r"max_bytes must be a whole number >= 0.*Got 'lots'"),
        ({}, {"RFM_STORE_MAX_DATASETS": "2.5"}, r"RFM_STORE_MAX_DATASETS.*Got '2.5'"),
        ({"ttl_days": -1}, {}, r"ttl_days must be a number >= 0.*Got -1"),
        ({"ttl_days": True}, {}, r"ttl_days.*Got True"),
        ({"max_byte": 10}, {}, r"Unknown \[rfm_store\] setting\(s\) \['max_byte'\]"),
    ],
)
def test_unusable_limits_say_which_setting(
    settings: dict[str, object], environ: dict[str, str], match: str
) -> None:
    with pytest.raises(StoreError, match=match):
        StoreLimits.from_settings(settings, environ=environ)


# -- documentation -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_documents_the_defaults_and_a_usable_example() -> None:
    import re
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Sharing a dataset", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].strip("`"): cells
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert rows["max_bytes"][2].startswith(f"`{DEFAULT_MAX_BYTES:_}`")
    assert rows["max_datasets"][2] == f"`{DEFAULT_MAX_DATASETS}`"
    assert float(rows["ttl_days"][2].strip("`")) == DEFAULT_TTL_DAYS
    assert {name: cells[1].strip("`") for name, cells in rows.items()} == {
        "dir": "RFM_STORE_DIR",
        "max_bytes": "RFM_STORE_MAX_BYTES",
        "max_datasets": "RFM_STORE_MAX_DATASETS",
        "ttl_days": "RFM_STORE_TTL_DAYS",
    }
    (block,) = re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL)
    limits = StoreLimits.from_settings(tomllib.loads(block)["rfm_store"], environ={})
    assert (limits.max_bytes, limits.max_datasets, limits.ttl_days) == (2_000_000_000, 200, 3)


def test_the_secrets_example_is_usable() -> None:
    import tomllib

    from rfm.sources import SourceSpec

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    limits = StoreLimits.from_settings(example["rfm_store"], environ={})
    assert (limits.max_bytes, limits.max_datasets, limits.ttl_days) == (
        DEFAULT_MAX_BYTES,
        DEFAULT_MAX_DATASETS,
        DEFAULT_TTL_DAYS,
    )
    assert SourceSpec.from_mapping(example["rfm_source"]).kind == "file"


def test_the_store_docstring_examples_run() -> None:
    import doctest

    import rfm_app.store

    failed, attempted = doctest.testmod(rfm_app.store)
    assert attempted > 0
    assert failed == 0


def test_save_describes_its_entry_even_when_another_session_evicts_it_at_once(
    tmp_path: Path,
) -> None:
    """Between the insert's commit and the answer, another process making room may evict
    the new entry (seen in CI: two writers, twelve places); save still says what it kept."""
    other = DatasetStore(StoreLimits(directory=tmp_path, max_datasets=12))

    class Racing(DatasetStore):
        def _delete_files(self, victims):  # type: ignore[no-untyped-def]
            for token in other.tokens():  # the other session evicts everything, now
                other.forget(token)
            super()._delete_files(victims)

    saved = Racing(StoreLimits(directory=tmp_path, max_datasets=12)).save(
        b"a,b\n1,2\n", name="x.csv"
    )
    assert saved.name == "x.csv" and saved.size == len(b"a,b\n1,2\n")
    assert other.open(saved.token) is None  # gone, as a link to it would find
