"""Logins, the per-account throttle, and tokens that must be refused."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from pydantic import SecretStr, ValidationError

from app.core.settings import Settings
from app.domain.tokens import InvalidToken, TokenService
from tests.support import PASSWORD, Account


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(settings: Settings, subject: uuid.UUID, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": str(subject),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    return {k: v for k, v in (claims | overrides).items() if v is not None}


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_password_login_and_me(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    response = await client.post("/api/v1/auth/token", data={"username": gestor.user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    me = await _me(client, body["access_token"])
    assert me.status_code == 200
    assert me.json()["role"] == "gestor"
    assert me.json()["municipality_code"] == "1302603"
    assert "secret_hash" not in me.json()


async def test_wrong_password_is_401_problem(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    response = await client.post(
        "/api/v1/auth/token", data={"username": accounts["gestor"].user.email, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_credentials"
    unknown = await client.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": "x"})
    assert unknown.json()["code"] == "invalid_credentials"


async def test_failed_logins_are_rate_limited_per_account(
    client: httpx.AsyncClient, accounts: dict[str, Account], settings: Settings
) -> None:
    email = accounts["gestor"].user.email
    for _ in range(settings.login_max_failures):
        wrong = await client.post("/api/v1/auth/token", data={"username": email, "password": "not the password"})
        assert wrong.status_code == 401
    blocked = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["Retry-After"]) <= settings.login_lockout_seconds
    # Another account is not affected: the count lives on each account's row.
    other = await client.post("/api/v1/auth/token", data={"username": accounts["ses"].user.email, "password": PASSWORD})
    assert other.status_code == 200


async def test_service_account_client_credentials(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    created = await client.post(
        "/api/v1/users",
        json={"kind": "service", "name": "Integração SES-AM", "role": "ses", "uf": "AM"},
        headers=accounts["admin"].headers,
    )
    assert created.status_code == 201, created.text
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]
    assert secret
    form = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert form.status_code == 200, form.text
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    via_basic = await client.post(
        "/api/v1/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert via_basic.status_code == 200
    assert (await _me(client, via_basic.json()["access_token"])).json()["kind"] == "service"
    refused = await client.post(
        "/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "no"}
    )
    assert refused.status_code == 401
    shown_once = await client.get(f"/api/v1/users/{created.json()['id']}", headers=accounts["admin"].headers)
    assert "client_secret" not in shown_once.json()


@pytest.fixture
def subject(accounts: dict[str, Account]) -> uuid.UUID:
    return accounts["admin"].user.id


def _forgeries(settings: Settings, subject: uuid.UUID) -> dict[str, str]:
    secret = settings.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    good = _claims(settings, subject)
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(good).encode())}."
    return {
        "expired": jwt.encode(
            _claims(settings, subject, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), secret
        ),
        "other key": jwt.encode(good, "another-secret-" + "y" * 40),
        "alg none": unsigned,
        "other HS algorithm": jwt.encode(good, secret, algorithm="HS384"),
        "wrong aud": jwt.encode(_claims(settings, subject, aud="someone-else"), secret),
        "wrong iss": jwt.encode(_claims(settings, subject, iss="someone-else"), secret),
        "no exp": jwt.encode(_claims(settings, subject, exp=None), secret),
        "no jti": jwt.encode(_claims(settings, subject, jti=None), secret),
        "empty key": jwt.encode(good, ""),
        "not a jwt": "abc.def",
        "issued in the future": jwt.encode(_claims(settings, subject, iat=int(time.time()) + 3600), secret),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "expired",
        "other key",
        "alg none",
        "other HS algorithm",
        "wrong aud",
        "wrong iss",
        "no exp",
        "no jti",
        "empty key",
        "not a jwt",
        "issued in the future",
    ],
)
async def test_bad_tokens_get_401_problem(
    client: httpx.AsyncClient, settings: Settings, subject: uuid.UUID, forgery: str
) -> None:
    response = await _me(client, _forgeries(settings, subject)[forgery])
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_malformed_authorization_header_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/me", headers={"Authorization": "Token abc"})
    assert response.status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 401


@pytest.fixture(scope="module")
def rsa_settings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    directory = tmp_path_factory.mktemp("keys")
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (directory / "private.pem").write_bytes(private)
    (directory / "public.pem").write_bytes(public_pem)
    settings = Settings(
        database_url="postgresql://unused/none",
        jwt_algorithm="RS256",
        jwt_private_key_file=Path(directory / "private.pem"),
        jwt_public_key_file=Path(directory / "public.pem"),
    )
    return settings, public_pem, public_der


def test_asymmetric_keys_sign_and_verify(rsa_settings: tuple[Settings, bytes, bytes]) -> None:
    tokens = TokenService(rsa_settings[0])
    subject = uuid.uuid4()
    assert tokens.verify(tokens.issue(subject, "admin").access_token) == subject


def test_a_token_checked_once_still_expires(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = TokenService(settings)
    subject = uuid.uuid4()
    token = tokens.issue(subject, "admin").access_token
    expires_at = jwt.get_unverified_claims(token)["exp"]
    assert tokens.verify(token) == subject
    assert tokens.verify(token) == subject  # from what the first check found
    monkeypatch.setattr(time, "time", lambda: expires_at + 0.9)  # python-jose's whole seconds
    assert tokens.verify(token) == subject
    monkeypatch.setattr(time, "time", lambda: expires_at + 1.0)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token)


def test_a_refused_token_is_checked_again_every_time(settings: Settings) -> None:
    tokens = TokenService(settings)
    token = tokens.issue(uuid.uuid4(), "admin").access_token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(InvalidToken, match="signature"):
            tokens.verify(forged)


@pytest.mark.parametrize("key_form", ["pem", "der"])
def test_public_key_used_as_hmac_secret_is_refused(rsa_settings: tuple[Settings, bytes, bytes], key_form: str) -> None:
    """The python-jose forgery: HS256 signed with the verifier's own public key (PEM or DER)."""
    settings, public_pem, public_der = rsa_settings
    key = public_pem if key_form == "pem" else public_der
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(settings, uuid.uuid4())).encode())
    import hashlib
    import hmac

    signature = _b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(InvalidToken):
        TokenService(settings).verify(f"{header}.{payload}.{signature}")


def test_empty_key_forgery_is_refused(settings: Settings) -> None:
    """The other python-jose forgery: an HMAC token signed with an empty key."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(settings, uuid.uuid4())).encode())
    import hashlib
    import hmac

    signature = _b64(hmac.new(b"", f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(InvalidToken):
        TokenService(settings).verify(f"{header}.{payload}.{signature}")


def test_short_or_key_like_secrets_refuse_to_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(jwt_secret=SecretStr("too short"))
    key_like = "-----BEGIN PUBLIC KEY-----" + "A" * 64
    with pytest.raises(ValueError, match="looks like"):
        TokenService(Settings(jwt_secret=SecretStr(key_like), data_dir=tmp_path))
    with pytest.raises(ValidationError):
        Settings(jwt_algorithm="RS256")  # an asymmetric algorithm needs its key files


def test_secret_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).signing_key
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).signing_key == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600
