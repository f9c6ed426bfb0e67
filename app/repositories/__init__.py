"""All SQL lives in this package, and so does the filter by the caller's territory (scoping.py)."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from app.repositories.audit import AuditRepository
from app.repositories.documents import DocumentRepository
from app.repositories.goals import GoalRepository
from app.repositories.instruments import InstrumentRepository
from app.repositories.organizations import OrganizationRepository
from app.repositories.panels import PanelRepository
from app.repositories.status_imports import StatusImportRepository
from app.repositories.territory import TerritoryRepository
from app.repositories.users import UserRepository


class Repositories:
    """Every repository, over the one session (and so the one transaction) of a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.territory = TerritoryRepository(session)
        self.organizations = OrganizationRepository(session)
        self.users = UserRepository(session)
        self.instruments = InstrumentRepository(session)
        self.goals = GoalRepository(session)
        self.documents = DocumentRepository(session)
        self.panels = PanelRepository(session)
        self.status_imports = StatusImportRepository(session)
        self.audit = AuditRepository(session)

    def savepoint(self) -> AsyncSessionTransaction:
        """A nested transaction: leaving it by an exception undoes only what was written inside
        (one GraphQL mutation among several in a request)."""
        return self.session.begin_nested()

    async def serialize(self, task: str) -> None:
        """Hold a lock named `task` until this transaction ends, so that processes starting at
        once (several workers or hosts) run the task one after the other."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(task.encode())})
