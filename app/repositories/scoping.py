"""The one place that decides which owned rows a caller may see.

Every scoped repository read goes through a function here; a row outside the result is,
for that caller, a row that does not exist (404, never 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.principal import Principal, Role
from app.repositories.prepared import bound
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


@dataclass(frozen=True)
class InstrumentScope:
    """Which instruments a kind of caller sees, without whose: its role, and whether it is
    bound to a UF and to a municipality. The statements kept compiled for reuse are kept per
    scope and given the caller's own values (`scope_values`) at each execution, so the gestores
    of every municipality share one; kept per caller's values, each would be built anew (3 ms)
    as soon as more municipalities' callers came than the cache holds."""

    role: Role | None
    by_uf: bool
    by_municipality: bool


def instrument_scope(principal: Principal) -> InstrumentScope:
    return InstrumentScope(principal.role, principal.uf is not None, principal.municipality_code is not None)


def scope_values(principal: Principal) -> dict[str, Any]:
    """The values a scope's statement is given for this caller (a test holds them together)."""
    return {
        "scope_uf": principal.uf,
        "scope_municipality": principal.municipality_code,
        "scope_regions": sorted(principal.region_codes),
    }


def visible_instruments(viewer: Principal | InstrumentScope) -> ColumnElement[Any]:
    """National roles see every instrument; UF roles their UF's; an apoiador the instruments of
    its regions and of their member municipalities; gestor and conselho their ente's;
    anonymous callers the ones past drafting. A caller's predicate holds its values; a scope's
    reads them from the parameters `scope_values` names, bound at each execution."""
    if isinstance(viewer, Principal):
        scope, values = instrument_scope(viewer), scope_values(viewer)
    else:
        scope, values = viewer, None

    def given(name: str, type_: Any) -> sa.BindParameter[Any]:
        if values is None:
            return bound(name, type_)
        return sa.bindparam(name, values[name], type_=type_, unique=True)

    role = scope.role
    if role in _NATIONAL_READERS or (role is Role.AUDITOR and not scope.by_uf):
        return sa.true()
    if role in _UF_READERS or role is Role.AUDITOR:
        return col(Instrument.uf) == given("scope_uf", sa.CHAR(2))
    if role is Role.APOIADOR:
        regions = given("scope_regions", sa.ARRAY(sa.CHAR(5)))
        members = sa.select(col(RegionMembership.municipality_code)).where(
            col(RegionMembership.region_code) == sa.any_(regions), col(RegionMembership.valid_to).is_(None)
        )
        return sa.or_(col(Instrument.region_code) == sa.any_(regions), col(Instrument.municipality_code).in_(members))
    if role in (Role.GESTOR, Role.CONSELHO):
        if scope.by_municipality:
            return col(Instrument.municipality_code) == given("scope_municipality", sa.CHAR(7))
        return sa.and_(col(Instrument.owner_type) == "state", col(Instrument.uf) == given("scope_uf", sa.CHAR(2)))
    return col(Instrument.status).in_(_PUBLIC_STATUSES)
