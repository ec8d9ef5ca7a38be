"""Where a build's time went: each edition's phases, measured as they run, left in a file."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

# In BUILDDIR's work folder after every build (`make bench` reads it): the last build's phases.
FILE = "timings.json"
# What a step is told to record of its phases (``Timings.add`` of one edition): name, start,
# end (``time.monotonic()``), detail.
Record = Callable[[str, float, float, str], None]


@dataclass(frozen=True)
class Phase:
    """One phase of an edition: seconds from the build's start, what it did, and whether it
    ran in the main thread (Sphinx, one edition after another) or beside it (LaTeX)."""

    edition: str
    name: str
    start: float
    end: float
    detail: str = ""
    main: bool = True


@dataclass
class Timings:
    """The phases of one build, from any thread."""

    origin: float = field(default_factory=time.monotonic)
    phases: list[Phase] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, edition: str, name: str, start: float, end: float, detail: str = "") -> None:
        """A phase that ran from ``start`` to ``end`` (``time.monotonic()``)."""
        since = round(start - self.origin, 3), round(end - self.origin, 3)
        main = threading.current_thread() is threading.main_thread()
        with self._guard:
            self.phases.append(Phase(edition, name, *since, detail, main))

    def extend(self, phases: list[Phase]) -> None:
        """Phases recorded elsewhere with the same ``origin`` (another process's)."""
        with self._guard:
            self.phases.extend(phases)

    @contextmanager
    def phase(self, edition: str, name: str) -> Iterator[list[str]]:
        """Time what runs inside; a text put in the list yielded is the phase's detail."""
        start, detail = time.monotonic(), []
        try:
            yield detail
        finally:
            self.add(edition, name, start, time.monotonic(), "; ".join(detail))

    def save(self, path: Path) -> None:
        phases = sorted(self.phases, key=lambda p: (p.start, p.end))
        text = json.dumps([asdict(p) for p in phases], ensure_ascii=False, indent=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")


def load(path: Path) -> list[Phase]:
    """The phases a build left, or none."""
    try:
        return [Phase(**p) for p in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return []
