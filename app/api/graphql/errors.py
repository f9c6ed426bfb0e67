"""Errors in GraphQL: the same stable `code` REST sends, as a typed `Problem` in a mutation's
payload or in `extensions` of a query's error; anything unexpected is masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON

from app.core.errors import DomainError, InvalidInput

logger = logging.getLogger("instrumenta")
# graphql-core's words for a variable or argument whose value does not fit its type
_BAD_VALUE = re.compile(r"^Variable '\$\w+' (?:got|has) invalid value|^Expected value of type")


@strawberry.type
class ProblemDetail:
    """One invalid input field."""

    loc: list[str]
    message: str


@strawberry.type(description="Why a write was refused: REST's problem+json, with the same `code` and `status`.")
class Problem:
    code: str
    status: int
    title: str
    detail: str
    errors: list[ProblemDetail] | None = None
    allowed: list[str] | None = strawberry.field(
        default=None, description="What is allowed instead (a transition's or a level's)."
    )
    extra: JSON | None = strawberry.field(default=None, description="Any further members REST's problem carries.")

    @classmethod
    def of(cls, error: DomainError) -> Problem:
        extra = {key: value for key, value in error.extra.items() if key != "allowed"}
        allowed = error.extra.get("allowed")
        details = getattr(error, "details", None)
        return cls(
            code=error.code,
            status=error.status,
            title=error.title,
            detail=error.detail,
            errors=[ProblemDetail(loc=loc, message=message) for loc, message in details] if details else None,
            allowed=[str(item) for item in allowed] if allowed is not None else None,
            extra=cast(JSON, extra) if extra else None,
        )


class InvalidFields(InvalidInput):
    """An input object that fails the same validation as REST's body."""

    def __init__(self, error: ValidationError, argument: str) -> None:
        self.details = [([argument, *(str(part) for part in e["loc"])], e["msg"]) for e in error.errors()]
        summary = "; ".join(f"{'.'.join(loc)}: {message}" for loc, message in self.details[:5])
        super().__init__(summary or "the input is invalid")


class ProblemCodes(SchemaExtension):
    """Every error gets `extensions.code` and `extensions.status`: a DomainError its own; a
    malformed or over-limit document `invalid_query`; anything else is masked as
    `internal_error` (and logged)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_with_code(error) for error in result.errors]


def _with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {"code": original.code, "status": original.status, **original.extra}
        return _copy(error, error.message, extensions)
    if _BAD_VALUE.search(error.message):  # a value of the wrong type: REST's 422
        return _copy(error, error.message, {"code": "invalid_input", "status": 422})
    if original is None or error.path is None:  # the document, or one of its limits
        return _copy(error, error.message, {"code": "invalid_query", "status": 400})
    logger.error("unexpected error in GraphQL field %s", ".".join(map(str, error.path)), exc_info=original)
    return _copy(error, "something went wrong on our side", {"code": "internal_error", "status": 500})


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )
