"""Errors every layer may raise; `app.api.problems` renders them as RFC 9457 problem+json.

Each error carries a stable machine `code` that clients (and the GraphQL API) can rely on.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    # A failure that must still persist what it wrote (e.g. a failed-login counter).
    keeps_writes: bool = False

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    code = "stale_version"
    title = "Precondition failed"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"
    keeps_writes = True

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    keeps_writes = True
