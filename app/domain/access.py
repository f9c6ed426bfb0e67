"""Who may do what (product.md §5): each role's territory binding, and the write policies.

Read scoping of owned rows is applied in SQL by app.repositories.scoping; these rules decide
the operations a role may attempt at all (403 when it may not) and where it may write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from app.core.errors import Forbidden, InvalidInput, Unauthenticated
from app.core.principal import Principal, Role

# Roles whose binding may name an organization (their own plans later hang from it).
_ORGANIZATION_ROLES = frozenset({Role.CONASEMS, Role.COSEMS, Role.SES})


@dataclass(frozen=True)
class Binding:
    """The territory an account is bound to, as an admin writes it."""

    uf: str | None = None
    municipality_code: str | None = None
    region_codes: tuple[str, ...] = ()
    organization_id: uuid.UUID | None = None


def binding_error(role: Role, binding: Binding) -> str | None:
    """Why this binding does not fit the role, or None. UFs and codes are checked to exist elsewhere."""
    has_uf, has_municipality, has_regions = (
        binding.uf is not None,
        binding.municipality_code is not None,
        bool(binding.region_codes),
    )
    if binding.organization_id is not None and role not in _ORGANIZATION_ROLES:
        return f"role {role} is not bound to an organization"
    match role:
        case Role.ADMIN | Role.CONASEMS:
            if has_uf or has_municipality or has_regions:
                return f"role {role} is national: give no uf, municipality or regions"
        case Role.COSEMS | Role.SES:
            if not has_uf or has_municipality or has_regions:
                return f"role {role} is bound to one UF: give uf only"
        case Role.AUDITOR:
            if has_municipality or has_regions:
                return "role auditor is bound to a UF or is national: give uf or nothing"
        case Role.APOIADOR:
            if not has_regions or has_municipality:
                return "role apoiador is bound to one or more health regions: give regions"
            if len({code[:2] for code in binding.region_codes}) > 1:
                return "an apoiador's regions must all be in one UF"
        case Role.GESTOR | Role.CONSELHO:
            if has_regions or not (has_uf or has_municipality):
                return f"role {role} is bound to one municipality or one state: give municipality, or uf alone"
    return None


def check_binding(role: Role, binding: Binding) -> None:
    error = binding_error(role, binding)
    if error is not None:
        raise InvalidInput(error, code="invalid_binding")


def require_authenticated(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthenticated("this operation needs a bearer token")


def require_admin(principal: Principal) -> None:
    require_authenticated(principal)
    if not principal.is_admin:
        raise Forbidden("only an admin may do this")


def require_territory_manager(principal: Principal) -> None:
    """Health regions and their membership are drawn by the SES of each UF (CIB), or an admin."""
    require_authenticated(principal)
    if principal.role not in (Role.ADMIN, Role.SES):
        raise Forbidden("only an admin or an SES may change health regions")


def manages_uf(principal: Principal, uf: str) -> bool:
    return principal.is_admin or (principal.role is Role.SES and principal.uf == uf)


def require_organization_creator(principal: Principal, uf: str | None) -> None:
    """Admins register any organization; an SES registers its own departments."""
    require_authenticated(principal)
    if principal.is_admin:
        return
    if principal.role is Role.SES:
        if uf == principal.uf:
            return
        raise Forbidden(f"an SES registers organizations of its own UF ({principal.uf})")
    raise Forbidden("only an admin or an SES may register organizations")


@dataclass(frozen=True)
class Owner:
    """The ente an instrument belongs to, with the territory columns every owned row carries."""

    owner_type: str  # municipality | state | region | organization
    owner_code: str  # IBGE code, UF, region code, or organization id
    uf: str | None
    municipality_code: str | None = None
    region_code: str | None = None
    organization_id: uuid.UUID | None = None


_INSTRUMENT_WRITERS = frozenset({Role.ADMIN, Role.GESTOR, Role.SES, Role.COSEMS, Role.CONASEMS})


def _own_ente(principal: Principal, owner: Owner) -> bool:
    """Whether the owner is the one municipality, or the one state, the caller is bound to."""
    if principal.municipality_code is not None:
        return owner.owner_type == "municipality" and owner.municipality_code == principal.municipality_code
    return owner.owner_type == "state" and owner.uf == principal.uf


def writes_for(principal: Principal, owner: Owner) -> bool:
    """Whether the caller writes this ente's instruments (product.md §5)."""
    match principal.role:
        case Role.ADMIN:
            return True
        case Role.GESTOR:
            return _own_ente(principal, owner)
        case Role.SES:
            return owner.owner_type in ("state", "region") and owner.uf == principal.uf
        case Role.COSEMS | Role.CONASEMS:
            return owner.owner_type == "organization" and owner.organization_id == principal.organization_id
        case _:
            return False


def reports_status_for(principal: Principal, owner: Owner) -> bool:
    """The instrument's writers report on its metas; so does an apoiador, on the regional
    plans of its regions (product.md §5)."""
    if principal.role is Role.APOIADOR:
        return owner.owner_type == "region" and owner.region_code in principal.region_codes
    return writes_for(principal, owner)


@dataclass(frozen=True)
class WritePolicy:
    """Who may change something hanging from an instrument: the roles that may try at all
    (403 for the others) and, among them, the owners each caller writes for."""

    action: str
    roles: frozenset[Role]
    allows: Callable[[Principal, Owner], bool]

    def require(self, principal: Principal) -> None:
        require_authenticated(principal)
        if principal.role not in self.roles:
            raise Forbidden(f"role {principal.role} does not {self.action}")


# Roles that never write instruments (apoiador, conselho, auditor) are refused outright; a
# conselho records deliberations instead.
INSTRUMENT_WRITES = WritePolicy("write instruments", _INSTRUMENT_WRITERS, writes_for)
STATUS_REPORTS = WritePolicy("report on metas", _INSTRUMENT_WRITERS | {Role.APOIADOR}, reports_status_for)


def records_deliberations_for(principal: Principal, owner: Owner) -> bool:
    """The conselho of the ente decides its instruments; the CIB agrees a regional plan (the
    SES records it); an admin may record any."""
    match principal.role:
        case Role.ADMIN:
            return True
        case Role.CONSELHO:
            return _own_ente(principal, owner)
        case Role.SES:
            return owner.owner_type == "region" and owner.uf == principal.uf
        case _:
            return False
