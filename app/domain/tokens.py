"""Every line of JWT code in Instrumenta (python-jose, as the design card fixes).

python-jose has unfixed forgeries that need a verifier to take a public key, or an empty key,
as an HMAC secret. So: exactly one algorithm is accepted (the header must name it), HMAC
secrets are at least 32 bytes and never look like a key, and every registered claim is required.
Swapping to another JWT library touches this file only.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTError

from app.core.errors import Unauthenticated
from app.core.settings import MIN_SECRET_BYTES, Settings

_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")
_CLOCK_SKEW_SECONDS = 60
# Tokens whose signature was checked, kept for the accounts using the API at a time: nationally
# the gestores of 5,570 municipalities, SES and COSEMS staff. About 600 bytes each (5 MB in all).
TOKENS_KEPT = 8192
_KEY_MARKERS = ("-----BEGIN", "ssh-", "ecdsa-", '{"kty"')


class InvalidToken(Unauthenticated):
    code = "invalid_token"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.lifetime = timedelta(minutes=settings.token_lifetime_minutes)
        self._signing_key = settings.signing_key
        self._verification_key = settings.verification_key
        if not settings.uses_asymmetric_key:
            _check_hmac_secret(self._verification_key)
        # A client sends its token with every request, and checking a signature costs a tenth
        # of a page's Python time: a token checked once is only checked again for expiry.
        self._checked = lru_cache(maxsize=TOKENS_KEPT)(self._check)

    def issue(self, subject: uuid.UUID, role: str) -> IssuedToken:
        now = datetime.now(UTC)
        claims = {
            "sub": str(subject),
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._signing_key, algorithm=self.algorithm, headers={"typ": "JWT"})
        return IssuedToken(access_token=token, expires_in=int(self.lifetime.total_seconds()))

    def verify(self, token: str) -> uuid.UUID:
        """The subject of a valid token; anything else is InvalidToken."""
        subject, expires_at = self._checked(token)
        if int(time.time()) > expires_at:  # as python-jose judges `exp` (whole seconds), with no leeway
            raise InvalidToken("the bearer token has expired")
        return subject

    def _check(self, token: str) -> tuple[uuid.UUID, int]:
        """The subject and expiry of a valid token, every claim checked; raises InvalidToken.
        Only `exp` can turn a valid token invalid later (no token this API issues has `nbf`)."""
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken("the bearer token is not a JWT") from exc
        if header.get("alg") != self.algorithm:
            raise InvalidToken(f"the bearer token must be signed with {self.algorithm}")
        try:
            claims = jwt.decode(
                token,
                self._verification_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={f"require_{claim}": True for claim in _REQUIRED_CLAIMS} | {"leeway": 0},
            )
        except ExpiredSignatureError as exc:
            raise InvalidToken("the bearer token has expired") from exc
        except JWTError as exc:
            raise InvalidToken("the bearer token's signature, audience, issuer or claims are not valid") from exc
        if int(claims["iat"]) > time.time() + _CLOCK_SKEW_SECONDS:
            raise InvalidToken("the bearer token was issued in the future")
        try:
            return uuid.UUID(str(claims["sub"])), int(claims["exp"])
        except ValueError as exc:
            raise InvalidToken("the bearer token names no account") from exc


def _check_hmac_secret(secret: str) -> None:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the JWT HMAC secret must be at least {MIN_SECRET_BYTES} bytes")
    if secret.lstrip().startswith(_KEY_MARKERS):
        raise ValueError("the JWT HMAC secret looks like a public or private key; use a random secret")
