"""Python's cyclic garbage collector, paused while an import holds its file's rows.

An import keeps every row it plans alive until it writes them, so each of the collector's full
passes walks all of them again, and it makes a pass each time the survivors grow by a quarter:
those passes were a quarter to a third of a 50,000-meta goal matrix's import. Reference counting frees what
the import drops in the meantime; only cycles wait for the collector, which runs again once the
last pause ends."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


class _Pauses:
    """Pauses may overlap (two imports at once): the collector resumes when the last one ends,
    and only if it was running when the first began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = 0
        self._resume = False

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._lock:
            if self._held == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._held += 1
        try:
            yield
        finally:
            with self._lock:
                self._held -= 1
                if self._held == 0 and self._resume:
                    gc.enable()


_PAUSES = _Pauses()


def collector_paused() -> AbstractContextManager[None]:
    """No cyclic collection in this process until the block ends (see the module's docstring)."""
    return _PAUSES.hold()
