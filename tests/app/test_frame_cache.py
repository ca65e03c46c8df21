"""The app's caches are bounded by bytes (issue 15, item 3): rfm_app.frame_cache.

Sizes are checked against what a polars value takes by construction (8 bytes a Float64,
16 bytes a String view plus its text), and evictions against the order the entries were
used in; no timing and no resident-memory figures (those live in benchmarks/).
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import polars as pl
import pytest

import rfm
from rfm_app import pipeline
from rfm_app.frame_cache import FrameCache, cached, frame_bytes
from tests.app.analytics_helpers import minimal_csv

KIB = 1024


def floats(n: int, value: float = 1.0) -> pl.DataFrame:
    """A frame of exactly ``8 * n`` bytes (one Float64 column, no nulls)."""
    return pl.DataFrame({"x": [value] * n})


def test_frame_bytes_counts_numbers_text_views_and_arrays() -> None:
    assert frame_bytes(floats(1000)) == 8000
    text = pl.Series(["abc"] * 1000)  # 3 bytes of text and a 16-byte view each
    assert frame_bytes(text) == 1000 * (3 + 16)
    assert frame_bytes(np.zeros(250)) == 2000
    # Containers are followed; a frame reached twice counts once.
    frame = floats(100)
    assert frame_bytes({"a": [frame, frame], "b": (text, None, "label", 3)}) == 800 + 19_000


def test_the_least_recently_used_entries_go_first() -> None:
    cache = FrameCache(max_bytes=24 * KIB)  # room for three 8 KiB frames
    for key in "abc":
        cache.get(key, lambda: floats(KIB))
    cache.get("a", lambda: pytest.fail("a is kept"))  # a is now the most recently used
    cache.get("d", lambda: floats(KIB))
    assert cache.keys() == ["c", "a", "d"]  # b, the least recently used, went
    assert cache.nbytes == 3 * 8 * KIB
    cache.get("e", lambda: floats(2 * KIB))  # 16 KiB: c and a make room
    assert cache.keys() == ["d", "e"]
    assert cache.nbytes == 24 * KIB <= cache.max_bytes


def test_a_value_larger_than_the_budget_is_returned_and_not_kept() -> None:
    cache = FrameCache(max_bytes=8 * KIB)
    small = cache.get("small", lambda: floats(KIB))
    big = cache.get("big", lambda: floats(KIB + 1))
    assert big.height == KIB + 1
    assert "big" not in cache
    assert cache.get("small", lambda: pytest.fail("small is kept")) is small
    assert cache.nbytes == 8 * KIB


def test_a_frame_held_by_two_entries_counts_once() -> None:
    cache = FrameCache(max_bytes=16 * KIB)
    frame = floats(KIB)
    cache.get("result", lambda: (frame, "report"))
    cache.get("view", lambda: {"transactions": frame, "customers": floats(KIB // 2)})
    assert cache.nbytes == 8 * KIB + 4 * KIB
    cache.discard("result")
    assert cache.nbytes == 12 * KIB  # the view still holds the frame
    cache.discard("view")
    assert cache.nbytes == 0


def test_entries_expire_after_their_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("rfm_app.frame_cache.time.monotonic", lambda: now[0])
    cache = FrameCache(max_bytes=KIB, ttl=60)
    first = cache.get("a", lambda: floats(10, 1.0))
    now[0] += 59
    assert cache.get("a", lambda: floats(10, 2.0)) is first
    now[0] += 2
    assert cache.get("a", lambda: floats(10, 2.0))["x"][0] == 2.0


def test_the_same_key_is_computed_once_by_concurrent_callers() -> None:
    cache = FrameCache(max_bytes=KIB * KIB)
    calls: list[int] = []
    start = threading.Barrier(8)
    results: list[pl.DataFrame] = []

    def compute() -> pl.DataFrame:
        calls.append(1)
        return floats(KIB)

    def worker() -> None:
        start.wait(timeout=30)
        results.append(cache.get("same", compute))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 1
    assert len(results) == 8 and all(result is results[0] for result in results)


def test_an_error_is_not_kept_and_does_not_block_the_key() -> None:
    cache = FrameCache(max_bytes=KIB)

    def fail() -> pl.DataFrame:
        raise ValueError("bad file")

    with pytest.raises(ValueError, match="bad file"):
        cache.get("a", fail)
    assert "a" not in cache
    assert cache.get("a", lambda: floats(4)).height == 4


def test_a_tag_goes_when_its_last_session_lets_go() -> None:
    cache = FrameCache(max_bytes=64 * KIB)
    cache.get(("read", "file-a"), lambda: floats(KIB), tag="file-a")
    cache.get(("view", "file-a"), lambda: floats(KIB), tag="file-a")
    cache.get(("read", "file-b"), lambda: floats(KIB), tag="file-b")
    cache.hold("file-a")
    cache.hold("file-a")  # two sessions on the same file
    cache.release("file-a")
    assert len(cache) == 3
    cache.release("file-a")
    assert cache.keys() == [("read", "file-b")]
    assert cache.nbytes == 8 * KIB


def test_taking_a_tag_up_again_within_the_grace_keeps_its_entries() -> None:
    cache = FrameCache(max_bytes=64 * KIB, grace=3600)
    cache.get("a", lambda: floats(KIB), tag="file-a")
    cache.hold("file-a")
    cache.release("file-a")  # the entries would go in an hour
    cache.hold("file-a")  # a reload: the same file again
    assert "a" in cache
    assert cache._held["file-a"].timer is None  # the pending drop was called off


def test_cached_keys_on_arguments_but_not_on_underscored_ones() -> None:
    store = FrameCache(max_bytes=KIB * KIB)
    calls: list[str] = []

    @cached(lambda: store, tag="digest")
    def read(digest: str, _data: bytes, sheet: str | None = None) -> pl.DataFrame:
        calls.append(digest)
        return floats(len(_data))

    first = read("d1", b"abc")
    assert read("d1", b"other bytes, same digest") is first
    assert read("d1", b"abc", sheet="2") is not first
    assert calls == ["d1", "d1"]
    assert read.key("d1", b"x") in store  # type: ignore[attr-defined]
    assert store.discard_tag("d1") == 2


def test_the_pipeline_keeps_the_cleaned_table_but_drops_the_text_table() -> None:
    data = minimal_csv()
    digest = hashlib.sha256(data).hexdigest()
    result = pipeline._transactions(digest, data, None, None)
    assert isinstance(result, rfm.ReadResult)
    cache = pipeline.shared_frames()
    assert pipeline._transactions.key(digest, data, None, None) in cache  # type: ignore[attr-defined]
    assert pipeline._raw_table.key(digest, data, None) not in cache  # type: ignore[attr-defined]
    assert cache.nbytes <= pipeline.SHARED_BYTES


def test_a_profile_read_after_the_cleaning_does_not_keep_the_text_table() -> None:
    # Another visitor's Data page asks for the profile once the cleaned table is shared.
    data = minimal_csv() + b"C009999,2021-03-28 10:00:00,1.00\n"
    digest = hashlib.sha256(data).hexdigest()
    source = pipeline.Source.from_bytes(data, name="t.csv", kind="upload")
    assert isinstance(pipeline._transactions(digest, data, None, None), rfm.ReadResult)
    profile = pipeline.table_profile(digest, source)
    assert isinstance(profile, pipeline.TableProfile)
    assert profile.rows == rfm.read_table(data).frame.height
    assert pipeline._raw_table.key(digest, data, None) not in pipeline.shared_frames()  # type: ignore[attr-defined]


def test_compact_keeps_every_value_and_the_ids_as_text() -> None:
    lines = pl.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "order_id": ["1", "2", "3", "4"],
            "amount": [1.0, 2.0, 3.0, -1.0],
            "country": ["France", None, "France", "Chile"],
            "category": ["Toys", "Books", "Toys", "Toys"],
            "note": ["x", "y", "z", "w"],  # not a canonical text column: left alone
        }
    )
    compacted = pipeline.compact(lines)
    assert compacted.schema["country"] == pl.Categorical
    assert compacted.schema["category"] == pl.Categorical
    assert compacted.schema["customer_id"] == pl.String  # joined on its values
    assert compacted.schema["order_id"] == pl.String
    assert compacted.schema["note"] == pl.String
    assert compacted.with_columns(pl.col("country", "category").cast(pl.String)).equals(lines)
    # Each line now takes 4 bytes in these columns instead of a 16-byte view.
    assert frame_bytes(compacted["country"]) < frame_bytes(lines["country"])
    by_country = rfm.breakdown(compacted, by="country").sort("country")
    assert by_country.equals(rfm.breakdown(lines, by="country").sort("country"))
