"""A builder for Japanese books: Sphinx extensions and the ``sangokushi`` command."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "llm-sangokushi"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
