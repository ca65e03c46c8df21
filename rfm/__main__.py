"""``python -m rfm``; see :mod:`rfm.cli`."""

from __future__ import annotations

import sys

from rfm.cli import main

if __name__ == "__main__":
    sys.exit(main())
