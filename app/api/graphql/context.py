"""What every resolver of one GraphQL request shares: the caller, the unit of work, its loaders.

Sibling fields resolve concurrently, and one database session cannot run two statements at
once: every read and write goes through `read` or `write`, which take the request's lock for
the length of one service call. Loaders batch the keys that resolvers ask for in one tick.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from app.core.errors import DomainError
from app.core.principal import Principal
from app.core.settings import Settings
from app.repositories import Repositories

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
BatchLoad = Callable[[Repositories, Sequence[K]], Awaitable[dict[K, V]]]
MAX_BATCH = 500  # keys per statement: well under PostgreSQL's 32,767 bind parameters


@dataclass
class Context(BaseContext):
    repositories: Repositories
    principal: Principal
    settings: Settings
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict)
    wrote: bool = False

    async def read(self, call: Callable[[Repositories], Awaitable[T]]) -> T:
        async with self.lock:
            if not self.wrote:
                return await call(self.repositories)
            # After a write, a failing read must not abort the transaction that holds it.
            async with self.repositories.savepoint():
                return await call(self.repositories)

    async def write(self, call: Callable[[Repositories], Awaitable[T]]) -> T | DomainError:
        """One mutation in its own savepoint: a refused write (a DomainError, returned for the
        payload) leaves nothing behind, and neither does an unexpected failure (raised). What
        loaders cached before it may be stale or expired after it, so they start afresh."""
        async with self.lock:
            self.loaders.clear()
            self.wrote = True
            try:
                async with self.repositories.savepoint():
                    return await call(self.repositories)
            except DomainError as exc:
                return exc

    def loader(self, name: Hashable, load: BatchLoad[K, V], default: Any) -> DataLoader[K, V]:
        """This request's loader called `name` (one per distinct set of arguments): it answers
        each key from one call of `load` per batch, `default` for keys `load` leaves out."""
        found: DataLoader[K, V] | None = self.loaders.get(name)
        if found is None:

            async def batch(keys: list[K]) -> list[V]:
                answers = await self.read(lambda repositories: load(repositories, keys))
                return [answers.get(key, default) for key in keys]

            found = DataLoader(load_fn=batch, max_batch_size=MAX_BATCH)
            self.loaders[name] = found
        return found
