"""Opaque keyset cursors shared by every list (REST now, GraphQL connections later)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.core.errors import InvalidInput

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")
U = TypeVar("U")
CursorValue = str | int | None


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_PAGE_SIZE
    after: tuple[CursorValue, ...] | None = None

    @classmethod
    def parse(cls, limit: int, cursor: str | None) -> PageRequest:
        return cls(limit=limit, after=decode_cursor(cursor) if cursor else None)


@dataclass(frozen=True)
class JsonPage:
    """A page whose items the database wrote as JSON: their texts comma-separated, in UTF-8,
    ready to go between a body's brackets."""

    items: bytes  # b"" for an empty page
    next_cursor: str | None


@dataclass(frozen=True)
class JsonNode:
    """A node of a tree whose bodies the database wrote as JSON objects, in UTF-8."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    body: bytes


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    # Each item's sort key, so a GraphQL edge can carry the cursor that resumes after it.
    # None for an item outside the keyed order (the state leading a compliance page).
    keys: Sequence[tuple[CursorValue, ...] | None] = ()

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.next_cursor, self.keys)

    def cursor_at(self, index: int) -> str | None:
        key = self.keys[index] if index < len(self.keys) else None
        return encode_cursor(key) if key is not None else None


def encode_cursor(values: tuple[CursorValue, ...]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[CursorValue, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("cursor is not one this API issued", code="invalid_cursor") from exc
    if not isinstance(values, list) or not all(v is None or isinstance(v, str | int) for v in values):
        raise InvalidInput("cursor is not one this API issued", code="invalid_cursor")
    return tuple(values)
