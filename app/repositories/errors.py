from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

UNIQUE_VIOLATION = "23505"


class DuplicateKey(Exception):
    """A unique constraint refused a row; `constraint` names it (see the naming convention)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


async def flush_unique(session: AsyncSession) -> None:
    """Flush, turning a unique violation into DuplicateKey (the domain decides what it means).
    Other integrity errors are bugs, not client input, and propagate as they are."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        cause = getattr(exc.orig, "__cause__", None)
        if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        raise DuplicateKey(getattr(cause, "constraint_name", None) or str(exc.orig)) from exc
