"""The one place that decides which owned rows a caller may see.

Every scoped repository read goes through a function here; a row outside the result is,
for that caller, a row that does not exist (404, never 403).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.principal import Principal, Role
from app.repositories.tables import STATUSES, Instrument, RegionMembership, User


def visible_users(principal: Principal) -> ColumnElement[Any]:
    """Admins see every account; anyone else sees only their own; anonymous callers see none."""
    if principal.is_admin:
        return sa.true()
    if principal.user_id is None:
        return sa.false()
    return col(User.id) == principal.user_id


_NATIONAL_READERS = frozenset({Role.ADMIN, Role.CONASEMS})
_UF_READERS = frozenset({Role.COSEMS, Role.SES})
# Anonymous callers see instruments once they are past drafting (product.md §5).
_PUBLIC_STATUSES = tuple(status for status in STATUSES if status not in ("nao_iniciado", "em_elaboracao"))


def instrument_scope(principal: Principal) -> Principal:
    """What of `principal` visible_instruments reads (a test holds the two together): the
    statements kept compiled for reuse are kept per scope, so callers who see the same
    instruments share them, where keeping them per account would build one for each."""
    return Principal(
        user_id=None,
        role=principal.role,
        uf=principal.uf,
        municipality_code=principal.municipality_code,
        region_codes=principal.region_codes,
    )


def visible_instruments(principal: Principal) -> ColumnElement[Any]:
    """National roles see every instrument; UF roles their UF's; an apoiador the instruments of
    its regions and of their member municipalities; gestor and conselho their ente's;
    anonymous callers the ones past drafting. Reads only what instrument_scope keeps."""
    role = principal.role
    if role in _NATIONAL_READERS or (role is Role.AUDITOR and principal.uf is None):
        return sa.true()
    if role in _UF_READERS or role is Role.AUDITOR:
        return col(Instrument.uf) == principal.uf
    if role is Role.APOIADOR:
        regions = sorted(principal.region_codes)
        members = sa.select(col(RegionMembership.municipality_code)).where(
            col(RegionMembership.region_code).in_(regions), col(RegionMembership.valid_to).is_(None)
        )
        return sa.or_(col(Instrument.region_code).in_(regions), col(Instrument.municipality_code).in_(members))
    if role in (Role.GESTOR, Role.CONSELHO):
        if principal.municipality_code is not None:
            return col(Instrument.municipality_code) == principal.municipality_code
        return sa.and_(col(Instrument.owner_type) == "state", col(Instrument.uf) == principal.uf)
    return col(Instrument.status).in_(_PUBLIC_STATUSES)
