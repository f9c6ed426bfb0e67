"""What a client selected of a read, as plain data: for each key of the answer, in order, the
value to put there. GraphQL builds one from a query's selection; the repositories turn it into
one statement in which PostgreSQL writes the whole answer (app.repositories.documents).

Names are the domain's field names (`database_id`, `status_label`) and relations' names
(`municipalities`, `goals`, `current_status`); a connection's parts are `edges`, `node`,
`cursor`, `nodes` and `page_info` with its four fields."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from app.core.errors import DomainError
from app.core.pagination import PageRequest


@dataclass(frozen=True)
class Value:
    """A field of the object, written after `prefix` when there is one (a global id)."""

    name: str
    prefix: str | None = None


@dataclass(frozen=True)
class Constant:
    """The same text for every object (GraphQL's `__typename`)."""

    text: str


@dataclass(frozen=True)
class Related:
    """A related object, list or page of them. `arguments` are the client's, by name; a service
    binds them into `where` (the repository's filter) and `day` (the day the answer is as of)."""

    name: str
    shape: Shape
    arguments: tuple[tuple[str, Hashable], ...] = ()
    page: PageRequest | None = None
    where: Hashable = None
    day: date | None = None

    def argument(self, name: str) -> Hashable:
        return dict(self.arguments).get(name)


Member = Value | Constant | Related
Shape = tuple[tuple[str, Member], ...]


class Unsupported(DomainError):
    """The shape asks for something no statement writes; the caller reads it the usual way."""

    code = "unsupported_shape"
