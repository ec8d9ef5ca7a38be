"""``python -m sangokushi``: the ``sangokushi`` command."""

from __future__ import annotations

import sys

from sangokushi.build.cli import main

sys.exit(main())
