"""Freezing the startup objects keeps the garbage collector working for what comes later.

Run in a fresh interpreter: freezing is for the whole process, and a pytest worker must
not be frozen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rfm_app.heap import freeze_startup_objects

ROOT = Path(__file__).absolute().parents[2]

_CHILD = """
import gc, json, weakref

import polars, streamlit  # what the app imports
from rfm_app.heap import freeze_startup_objects

before = len(gc.get_objects())
froze = freeze_startup_objects(only_in_a_server=False)
again = freeze_startup_objects(only_in_a_server=False)
frozen = gc.get_freeze_count()
walked = len(gc.get_objects())


class Node:
    pass


# A reference cycle made after the freeze, as a session's objects are, holding data.
a, b = Node(), Node()
a.other, b.other = b, a
a.data = polars.DataFrame({"x": list(range(1000))})
alive = weakref.ref(a)
del a, b
gc.collect(2)
print(json.dumps({"before": before, "froze": froze, "again": again, "frozen": frozen,
                  "walked": walked, "cycle_collected": alive() is None}))
"""


def test_freezing_moves_startup_objects_out_and_later_cycles_are_still_collected() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["froze"] is True and found["again"] is False  # once per process
    # The imports' objects (over 100,000) are frozen; a full collection walks few.
    assert found["frozen"] > 0.9 * found["before"] > 50_000
    assert found["walked"] < 0.05 * found["frozen"]
    assert found["cycle_collected"]


def test_nothing_is_frozen_outside_a_streamlit_server() -> None:
    import gc

    count = gc.get_freeze_count()
    assert freeze_startup_objects() is False  # pytest: no server runs this
    assert gc.get_freeze_count() == count
