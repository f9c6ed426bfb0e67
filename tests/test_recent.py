"""The bounded store behind the parsed-document and shape caches."""

from __future__ import annotations

from app.core.recent import RecentlyUsed


def test_the_least_recently_used_goes_first_and_a_peek_is_no_use() -> None:
    kept: RecentlyUsed[str, int] = RecentlyUsed(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    assert kept.get("a") == 1  # a is now the most recent
    assert kept.peek("b") == 2  # b stays the least recent
    kept.keep("c", 3)
    assert (kept.peek("a"), kept.peek("b"), kept.peek("c")) == (1, None, 3)
    kept.keep("a", 10)  # kept again: its new value, and the most recent
    kept.keep("d", 4)
    assert (kept.get("a"), kept.get("c"), kept.get("d")) == (10, None, 4)
