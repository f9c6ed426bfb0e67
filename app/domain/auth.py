"""Logging in (passwords and client credentials) and turning a bearer token into a Principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.errors import InvalidCredentials, TooManyAttempts
from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.domain.passwords import verify_secret
from app.domain.tokens import InvalidToken, IssuedToken, TokenService
from app.repositories import Repositories
from app.repositories.tables import User
from app.repositories.users import AccountBinding


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins of one account, counted in a window; kept on the account row so every
    worker and host sees the same count."""

    max_failures: int
    window: timedelta

    def retry_after(self, now: datetime, window_start: datetime | None, failures: int) -> int | None:
        """Seconds until the account may try again, or None if it may try now."""
        if window_start is None or failures < self.max_failures:
            return None
        remaining = (window_start + self.window - now).total_seconds()
        return int(remaining) + 1 if remaining > 0 else None

    def after_failure(self, now: datetime, window_start: datetime | None, failures: int) -> tuple[datetime, int]:
        if window_start is None or now >= window_start + self.window:
            return now, 1
        return window_start, failures + 1


class AuthService:
    def __init__(self, repositories: Repositories, tokens: TokenService, settings: Settings) -> None:
        self.repositories = repositories
        self.users = repositories.users
        self.tokens = tokens
        self.throttle = LoginThrottle(settings.login_max_failures, timedelta(seconds=settings.login_lockout_seconds))

    async def login_with_password(self, email: str, password: str) -> IssuedToken:
        account = await self.users.by_login(email=email.strip().lower())
        return await self._login(account if account and account.kind == "person" else None, password)

    async def login_with_client_credentials(self, client_id: str, client_secret: str) -> IssuedToken:
        account = await self.users.by_login(client_id=client_id)
        return await self._login(account if account and account.kind == "service" else None, client_secret)

    async def _login(self, account: User | None, secret: str) -> IssuedToken:
        now = datetime.now(UTC)
        if account is not None:
            wait = self.throttle.retry_after(now, account.failed_login_window_start, account.failed_logins)
            if wait is not None:
                raise TooManyAttempts("too many failed logins for this account; try again later", retry_after=wait)
        valid = await verify_secret(account.secret_hash if account else None, secret)
        if account is None or not valid or not account.active:
            if account is not None:
                window_start, failures = self.throttle.after_failure(
                    now, account.failed_login_window_start, account.failed_logins
                )
                await self.users.record_login_failure(account, window_start=window_start, failures=failures)
            raise InvalidCredentials("unknown account, wrong secret, or inactive account")
        if account.failed_logins:
            await self.users.record_login_failure(account, window_start=now, failures=0)
        return self.tokens.issue(account.id, account.role)

    async def principal(self, bearer_token: str | None) -> Principal:
        if bearer_token is None:
            return Principal.anonymous()
        user = await self.users.binding(self.tokens.verify(bearer_token))
        if user is None or not user.active:
            raise InvalidToken("the account of this token no longer exists or is inactive")
        self.repositories.audit.act_as(user.id)  # this request's writes are this account's
        return principal_of(user)


def principal_of(user: AccountBinding) -> Principal:
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        role=role,
        uf=user.uf,
        municipality_code=user.municipality_code,
        region_codes=frozenset(user.region_codes if role == Role.APOIADOR else ()),
        organization_id=user.organization_id,
    )
