"""The Streamlit side of RFM Studio: chart builders, widget helpers and cached wrappers.

Pages in ``pages/`` import from here; the numbers themselves come from :mod:`rfm`,
which never imports Streamlit.

Importing this package sets one process-wide default before anything loads polars:
polars' allocator (jemalloc, configured through ``_RJEM_MALLOC_CONF``) keeps freed
pages for 0.5 s and then only marks them free (``MADV_FREE``), which the kernel counts
as resident until it is short of memory. A server computing one page after another
then holds each step's freed memory under the next one: for a 1M-line upload the pages
peaked 50-160 MiB higher (``benchmarks/results/app.md``). Here freed pages are reused
within 0.1 s and returned right after, at no measured cost in CPU time. An operator's
own ``_RJEM_MALLOC_CONF`` is left as it is (``dirty_decay_ms:0`` returns them at once:
lower peaks still, ~30 % more CPU time on the heaviest pages).
"""

from __future__ import annotations

import os as _os

ALLOCATOR_SETTING = "dirty_decay_ms:100,muzzy_decay_ms:0"
"""Default for ``_RJEM_MALLOC_CONF``, read once when polars is first loaded."""

_os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_SETTING)
