"""Configuration from the environment. Every variable is documented in README.md."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.pagination import MAX_PAGE_SIZE

MIN_SECRET_BYTES = 32
SECRET_FILE_NAME = "jwt-secret"  # noqa: S105 (a file name, not a secret)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INSTRUMENTA_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "INSTRUMENTA_DATABASE_URL")
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "INSTRUMENTA_DATABASE_READ_URL"),
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    data_dir: Path = Path(".instrumenta")

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "INSTRUMENTA_HOST"))
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "INSTRUMENTA_PORT"))

    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256", "ES256"] = "HS256"
    jwt_secret: SecretStr | None = None
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "instrumenta"
    jwt_audience: str = "instrumenta-api"
    token_lifetime_minutes: int = Field(default=60, ge=1, le=24 * 60)

    admin_email: str = "admin@instrumenta.local"
    admin_password: SecretStr | None = None

    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    # GraphQL limits: a query over one is refused with an error naming the limit.
    graphql_max_depth: int = Field(default=15, ge=3, le=100)
    graphql_max_aliases: int = Field(default=30, ge=0, le=1000)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    graphql_max_page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    # Objects one answer may hold, each list counted at its `first` (app.api.graphql.cost).
    graphql_max_objects: int = Field(default=100_000, ge=100, le=10_000_000)
    # Nested reads whose whole selection PostgreSQL can write are answered by one statement
    # (app.api.graphql.lookahead); off, every field resolves on its own, as tests compare.
    graphql_whole_reads: bool = True

    @model_validator(mode="after")
    def _check_keys(self) -> Settings:
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"INSTRUMENTA_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        if self.uses_asymmetric_key and not (self.jwt_private_key_file and self.jwt_public_key_file):
            raise ValueError(
                f"INSTRUMENTA_JWT_ALGORITHM={self.jwt_algorithm} needs INSTRUMENTA_JWT_PRIVATE_KEY_FILE "
                "and INSTRUMENTA_JWT_PUBLIC_KEY_FILE"
            )
        return self

    @property
    def uses_asymmetric_key(self) -> bool:
        return not self.jwt_algorithm.startswith("HS")

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @cached_property
    def signing_key(self) -> str:
        if self.uses_asymmetric_key:
            assert self.jwt_private_key_file is not None
            return self.jwt_private_key_file.read_text()
        return self._hmac_secret()

    @cached_property
    def verification_key(self) -> str:
        if self.uses_asymmetric_key:
            assert self.jwt_public_key_file is not None
            return self.jwt_public_key_file.read_text()
        return self._hmac_secret()

    def _hmac_secret(self) -> str:
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return load_or_create_secret(self.data_dir / SECRET_FILE_NAME)


def load_or_create_secret(path: Path) -> str:
    """The HMAC secret kept in the data directory: generated once, then reused by every process."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        candidate.write_text(secrets.token_urlsafe(48))
        candidate.chmod(0o600)
        try:
            # link() fails if another process created the file first: both then read the winner's.
            path.hardlink_to(candidate)
        except FileExistsError:
            pass
        finally:
            candidate.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes")
    return secret
