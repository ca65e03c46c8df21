"""The Streamlit side of RFM Studio: chart builders, widget helpers and cached wrappers.

Pages in ``pages/`` import from here; the numbers themselves come from :mod:`rfm`,
which never imports Streamlit.

Importing this package sets one process-wide default before anything loads polars:
polars' allocator (jemalloc, configured through ``_RJEM_MALLOC_CONF``) keeps freed
pages for 0.5 s and then only marks them free (``MADV_FREE``), which the kernel counts
as resident until it runs short of memory. A server computing one step after another
then holds each step's freed memory under the next one. Here freed pages go back to
the kernel at once. For a 1M-line upload, the process peak over every page fell from
924-950 MiB (4 runs, pages returned after 0.1 s) or 940 MiB (polars' default, one
run) to 835-850 MiB (3 runs), for ~30 % more CPU time on the heaviest pages (the Data page
7.9 -> 9.9 s, Churn & CLV 10 -> 13 s) and none measurable for visitors on the sample
(20 at once: 5.8 CPU-s in all). See ``benchmarks/results/app.md``. An operator's own
``_RJEM_MALLOC_CONF`` is left as it is (``dirty_decay_ms:100,muzzy_decay_ms:0`` gives
back the CPU time for ~100 MiB more at the peak).
"""

from __future__ import annotations

import os as _os

ALLOCATOR_SETTING = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""Default for ``_RJEM_MALLOC_CONF``, read once when polars is first loaded."""

_os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_SETTING)
