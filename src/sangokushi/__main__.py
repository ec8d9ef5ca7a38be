"""``python -m sangokushi``: the ``sangokushi`` command."""

from __future__ import annotations

from sangokushi.build.cli import entry

entry()
