"""Steps run ahead in a forked process, each result taken when the process that forked needs it."""

from __future__ import annotations

import fcntl
import gc
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress

from sangokushi.build.errors import STOPPING

# Where a process forked with threads running is safe enough for steps that start no thread
# and touch no lock another thread may hold (Linux). macOS's system libraries are not safe to
# use after fork, and Windows has none.
AVAILABLE = hasattr(os, "fork") and sys.platform.startswith("linux")
_SIZE = struct.Struct("<Q")
PIPE_BYTES = 1 << 20


class Ahead:
    """``steps`` (name, callable) run one after another in a forked process, from ``start``.

    ``take(name)`` waits for that step's return value; ``None`` when the process ended without
    it: a step that raised (a bug, an interrupt) ends the steps, and the taker runs it itself
    to see why. A value for which ``last`` is true (a failure the taker will report) ends them
    too. ``stop`` ends the process and says which steps it may have begun without their
    result being taken.
    """

    def __init__(
        self,
        steps: Sequence[tuple[str, Callable[[], object]]],
        last: Callable[[object], bool] = lambda value: False,
    ) -> None:
        self.steps, self.last = list(steps), last
        self.pid = 0
        self.taken: set[str] = set()
        self._results: dict[str, object] = {}
        self._reader: int = -1
        self._ended = False

    def start(self) -> None:
        """Fork the process that runs the steps (``OSError`` if none can be forked)."""
        read, write = os.pipe()
        with suppress(OSError, AttributeError):
            # Room for a large book's results while the taker is busy: else the steps wait.
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        sys.stdout.flush()
        sys.stderr.flush()
        # An interrupt in the forked process must reach it inside ``_run``, never in the
        # caller's code it was forked from.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        # The forked process's collections then leave the objects it was forked with alone,
        # and with them the pages it shares with this one (each one it wrote to, it copies).
        frozen = gc.get_freeze_count()
        gc.freeze()
        try:
            pid = os.fork()
            if pid == 0:  # the forked process: never returns, nor leaves this block
                self._run(read, write, blocked)
        except OSError:
            os.close(read)
            os.close(write)
            raise
        finally:
            if not frozen:
                gc.unfreeze()
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(write)
        self.pid, self._reader = pid, read

    def _run(self, read: int, write: int, blocked: set[signal.Signals]) -> None:
        code = 0
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(read)
            with os.fdopen(write, "wb") as out:
                for name, step in self.steps:
                    value = step()
                    data = pickle.dumps((name, value))
                    out.write(_SIZE.pack(len(data)) + data)
                    out.flush()
                    if self.last(value):
                        break
        except BaseException:  # a bug, an interrupt: the taker runs what is left itself
            code = 1
        finally:
            os._exit(code)

    def __contains__(self, name: str) -> bool:
        """Whether ``name`` is a step whose result has not been taken."""
        return name not in self.taken and any(name == step for step, _ in self.steps)

    def take(self, name: str) -> object | None:
        """The step's return value, once it has one."""
        if name not in self:
            return None
        while name not in self._results and not self._ended:
            message = self._next()
            if message is None:
                self._ended = True
                break
            self._results[message[0]] = message[1]
        self.taken.add(name)
        return self._results.pop(name, None)

    def _next(self) -> tuple[str, object] | None:
        head = self._read(_SIZE.size)
        if head is None:
            return None
        data = self._read(_SIZE.unpack(head)[0])
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError, AttributeError):
            return None

    def _read(self, size: int) -> bytes | None:
        chunks, left = [], size
        while left:
            chunk = os.read(self._reader, left)
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def stop(self) -> list[str]:
        """End the process (at once if it still runs) and reap it; the steps not taken that it
        may have begun."""
        if self.pid:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self._reader >= 0:
            os.close(self._reader)
            self._reader = -1
        self._ended = True
        return [name for name, _ in self.steps if name not in self.taken]
