"""The cyclic collector's pauses (imports hold them): overlapping in any order, the collector
runs again only once the last one ends, and only if it ran before the first began."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    running = gc.isenabled()
    yield
    (gc.enable if running else gc.disable)()


# Each step opens a pause (None) or ends the open pause at that index (modulo how many are open).
steps = st.lists(st.none() | st.integers(min_value=0), max_size=30)


@given(running_before=st.booleans(), steps=steps)
def test_the_collector_runs_again_only_when_the_last_pause_ends(running_before: bool, steps: list[int | None]) -> None:
    (gc.enable if running_before else gc.disable)()
    open_pauses: list[AbstractContextManager[None]] = []
    for step in steps:
        if step is None or not open_pauses:
            pause = collector_paused()
            pause.__enter__()
            open_pauses.append(pause)
        else:
            open_pauses.pop(step % len(open_pauses)).__exit__(None, None, None)
        assert gc.isenabled() is (running_before and not open_pauses)
    while open_pauses:
        open_pauses.pop().__exit__(None, None, None)
    assert gc.isenabled() is running_before


def _refused_import() -> None:
    with collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the file was refused")


def test_a_failed_import_resumes_the_collector() -> None:
    gc.enable()
    with pytest.raises(RuntimeError, match="refused"):
        _refused_import()
    assert gc.isenabled()
