"""Who is calling, and the territory their role is bound to (product.md §5)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    ADMIN = "admin"
    CONASEMS = "conasems"
    COSEMS = "cosems"
    APOIADOR = "apoiador"
    SES = "ses"
    GESTOR = "gestor"
    CONSELHO = "conselho"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """The caller of one request. `user_id` is None for anonymous callers."""

    user_id: uuid.UUID | None
    role: Role | None
    uf: str | None = None
    municipality_code: str | None = None
    region_codes: frozenset[str] = field(default_factory=frozenset)
    organization_id: uuid.UUID | None = None

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user_id=None, role=None)

    @classmethod
    def system(cls) -> Principal:
        """The operator running admin tasks from the command line."""
        return cls(user_id=None, role=Role.ADMIN)

    @property
    def is_authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
