"""What ends a build: a failure worth one line, or a signal."""

from __future__ import annotations

import signal

# The signals that end a build (``Interrupted``).
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class BuildError(Exception):
    """A build that failed for a reason worth one line (no traceback)."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP during a build."""
