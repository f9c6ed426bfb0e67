from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request, Response

from app.api.deps import CurrentPrincipal, UnitOfWork, auth_service
from app.api.problems import problem_responses
from app.api.routes.users import user_out
from app.api.schemas import TokenOut, UserOut
from app.core.errors import InvalidCredentials, InvalidInput
from app.domain.auth import AuthService
from app.domain.users import UserService

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client credentials sent as HTTP Basic (RFC 6749 §2.3.1)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCredentials("the Basic authorization header is malformed") from exc
    return client_id, secret


@router.post("/token", responses=problem_responses(400, 401, 422, 429))
async def issue_token(
    request: Request,
    response: Response,
    auth: Annotated[AuthService, Depends(auth_service)],
    grant_type: Annotated[Literal["password", "client_credentials"], Form()] = "password",
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> TokenOut:
    """OAuth2 token endpoint: `password` for people, `client_credentials` for service accounts."""
    if grant_type == "password":
        if not username or password is None:
            raise InvalidInput("grant_type=password needs username and password", code="invalid_grant")
        issued = await auth.login_with_password(username, password)
    else:
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or client_secret is None:
            raise InvalidInput("grant_type=client_credentials needs client_id and client_secret", code="invalid_grant")
        issued = await auth.login_with_client_credentials(client_id, client_secret)
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get("/me", responses=problem_responses(401))
async def me(repositories: UnitOfWork, principal: CurrentPrincipal) -> UserOut:
    """The account behind the bearer token."""
    return user_out(await UserService(repositories).me(principal))
