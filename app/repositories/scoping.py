"""The one place that decides which owned rows a caller may see.

Every scoped repository read goes through a function here; a row outside the result is,
for that caller, a row that does not exist (404, never 403).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.principal import Principal
from app.repositories.tables import User


def visible_users(principal: Principal) -> ColumnElement[Any]:
    """Admins see every account; anyone else sees only their own; anonymous callers see none."""
    if principal.is_admin:
        return sa.true()
    if principal.user_id is None:
        return sa.false()
    return col(User.id) == principal.user_id
