from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import CurrentPrincipal, ExpectedVersion, Paging, UnitOfWork, etag
from app.api.problems import problem_responses
from app.api.schemas import CreatedUserOut, PageOut, UserOut
from app.domain.users import Account, UserCreate, UserPatch, UserService

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def user_out(account: Account) -> UserOut:
    return UserOut.model_validate(account.user.model_dump() | {"region_codes": account.region_codes})


@router.get("", responses=problem_responses(401, 422))
async def list_users(repositories: UnitOfWork, principal: CurrentPrincipal, page: Paging) -> PageOut[UserOut]:
    """Admins see every account; anyone else sees only their own."""
    accounts = await UserService(repositories).page(principal, page)
    return PageOut[UserOut].of(accounts.map(user_out))


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(400, 401, 403, 409, 422))
async def create_user(
    repositories: UnitOfWork, principal: CurrentPrincipal, body: UserCreate, response: Response
) -> CreatedUserOut:
    account = await UserService(repositories).create(principal, body)
    response.headers["Location"] = f"/api/v1/users/{account.user.id}"
    response.headers["ETag"] = etag(account.user.version)
    return CreatedUserOut.model_validate(user_out(account).model_dump() | {"client_secret": account.client_secret})


@router.get("/{user_id}", responses=problem_responses(401, 404, 422))
async def get_user(
    repositories: UnitOfWork, principal: CurrentPrincipal, user_id: uuid.UUID, response: Response
) -> UserOut:
    account = await UserService(repositories).get(principal, user_id)
    response.headers["ETag"] = etag(account.user.version)
    return user_out(account)


@router.patch("/{user_id}", responses=problem_responses(400, 401, 403, 404, 412, 422))
async def update_user(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    user_id: uuid.UUID,
    body: UserPatch,
    expected_version: ExpectedVersion,
    response: Response,
) -> UserOut:
    account = await UserService(repositories).update(principal, user_id, body, expected_version)
    response.headers["ETag"] = etag(account.user.version)
    return user_out(account)
