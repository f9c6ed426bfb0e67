"""argon2id hashing. Hashing is CPU-bound, so it runs off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when an account does not exist, so both answers take the same time.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


async def hash_secret(secret: str) -> str:
    return await asyncio.to_thread(_hasher.hash, secret)


async def verify_secret(secret_hash: str | None, secret: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, secret_hash or _UNKNOWN_ACCOUNT_HASH, secret)
    except (VerificationError, InvalidHashError):
        return False
