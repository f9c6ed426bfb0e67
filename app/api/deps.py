"""Per-request plumbing: the unit of work (one transaction, or the read connections), the caller,
paging, If-Match."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request, UploadFile
from fastapi.security import OAuth2PasswordBearer

from app.core.errors import DomainError, InvalidInput, PreconditionFailed
from app.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from app.core.principal import Principal
from app.core.settings import Settings
from app.domain.auth import AuthService
from app.domain.tokens import InvalidToken, TokenService
from app.repositories import Repositories
from app.repositories.database import Database

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def _unit_of_work(request: Request) -> AsyncIterator[Repositories]:
    """One transaction per request that writes, committed before the response is sent (so a
    failed commit is the client's 500, never a 200 for lost work) and rolled back on any error.
    A request that only reads gets Database's read connections, statement by statement."""
    database: Database = request.app.state.database
    read_only = await _only_reads(request)
    async with database.turn(read_only=read_only), database.session(read_only=read_only) as session:
        try:
            yield Repositories(session)
        except DomainError as exc:
            await (session.commit() if exc.keeps_writes else session.rollback())
            raise
        except BaseException as exc:
            await session.rollback()
            refused = _invalid_text(exc)
            if refused is not None:
                raise refused from exc
            raise
        if not read_only:  # a read's connection commits each statement: nothing is left to commit
            await session.commit()


# Routes that may be posted to only to read, each with how to tell from the request (GraphQL:
# a query, not a mutation): set by their installers in `app.state.post_reads`, by path.
ReadTest = Callable[[Request], Awaitable[bool]]


async def _only_reads(request: Request) -> bool:
    if request.method in _READ_ONLY_METHODS:
        return True
    tests: dict[str, ReadTest] = getattr(request.app.state, "post_reads", {})
    test = tests.get(request.url.path)
    return test is not None and await test(request)


# PostgreSQL refuses text it cannot store (a NUL character): that is the client's input.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def _invalid_text(exc: BaseException) -> InvalidInput | None:
    """The client's error behind a database failure, if it was text PostgreSQL cannot store."""
    if _sqlstate(exc) in _UNSTORABLE_TEXT:
        return InvalidInput("text must not contain NUL characters", code="invalid_text")
    return None


def _sqlstate(exc: BaseException | None) -> str | None:
    while exc is not None:
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str):
            return state
        exc = exc.__cause__ or getattr(exc, "orig", None)
    return None


UnitOfWork = Annotated[Repositories, Depends(_unit_of_work, scope="function")]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def tokens_of(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def auth_service(request: Request, repositories: UnitOfWork) -> AuthService:
    return AuthService(repositories, tokens_of(request), settings_of(request))


async def _principal(
    request: Request, repositories: UnitOfWork, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    if token is None and request.headers.get("authorization"):
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    # auth_service called, not declared as a dependency: FastAPI would solve the unit of work again.
    return await (await auth_service(request, repositories)).principal(token)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


async def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, at most {MAX_PAGE_SIZE}.")] = (
        DEFAULT_PAGE_SIZE
    ),
    cursor: Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")] = None,
) -> PageRequest:
    return PageRequest.parse(limit, cursor)


Paging = Annotated[PageRequest, Depends(_page)]


async def _expected_version(
    if_match: Annotated[str | None, Header(description="ETag of the version you read; 412 if stale.")] = None,
) -> int | None:
    """The version an If-Match header names; `*` or no header means any version."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = re.fullmatch(r'\s*"(\d{1,18})"\s*', if_match)  # strong ETags only (RFC 9110 §13.1.1)
    if match is None:
        raise PreconditionFailed(f"If-Match {if_match!r} is not an ETag this API issued")
    return int(match.group(1))


ExpectedVersion = Annotated[int | None, Depends(_expected_version)]


def etag(version: int) -> str:
    return f'"{version}"'


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


async def read_upload(request: Request, upload: UploadFile) -> bytes:
    """The uploaded file, refused past the configured size."""
    limit = settings_of(request).max_upload_bytes
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"{upload.filename or 'the file'} is larger than {limit} bytes")
    return content
