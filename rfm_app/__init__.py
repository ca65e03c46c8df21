"""The Streamlit side of RFM Studio: chart builders, widget helpers and cached wrappers.

Pages in ``pages/`` import from here; the numbers themselves come from :mod:`rfm`,
which never imports Streamlit.

Importing this package sets one process-wide default before anything loads polars:
polars' allocator (jemalloc, configured through ``_RJEM_MALLOC_CONF``) keeps freed
pages for 0.5 s and then only marks them free (``MADV_FREE``), which the kernel counts
as resident until it runs short of memory. A server computing one step after another
then holds each step's freed memory under the next one. Here freed pages go back to
the kernel at once (in the server, a freed 760 MiB frame was returned within 0.05 s).
What it does to the peak of a 1M-line upload is within this machine's run-to-run
spread: 835-850 MiB in three runs with the setting passed in the environment, 913-964
MiB in the four final runs with the app setting it, 892-950 MiB returning pages after
0.1 s, 940 MiB with polars' default (one run); see ``benchmarks/results/app.md``. The
runs passed in the environment took ~30 % more CPU time on the heaviest pages, the
final runs did not. An operator's own ``_RJEM_MALLOC_CONF`` is left as it is.
"""

from __future__ import annotations

import os as _os

ALLOCATOR_SETTING = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""Default for ``_RJEM_MALLOC_CONF``, read once when polars is first loaded."""

_os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_SETTING)
