"""Writers' turns: a few writes at a time, the others waiting in line while the line moves.

A burst of writes is a queue to drain, not an outage. How long the last of a burst waits
depends on how many came before it and how busy the machine is, so a fixed deadline on the
wait refuses writes the database was about to take. The rule here is about progress instead:
a write waits as long as writes are going in, and gives up when none has gone in for
``stall_s`` since it began waiting (the database has stopped answering), or after ``limit_s``
in all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WriterTurns:
    def __init__(self, slots: int, *, stall_s: float, limit_s: float) -> None:
        self.slots = slots
        self.stall_s = stall_s
        self.limit_s = limit_s
        self._semaphore: asyncio.Semaphore | None = None
        self._last_write_at = float("-inf")  # loop time of the last write that went in

    def went_in(self) -> None:
        """Record that a write has been committed: the line is moving."""
        self._last_write_at = asyncio.get_running_loop().time()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold a slot, taken in arrival order; TimeoutError when the line stops moving."""
        if self._semaphore is None:  # made in the running loop, not where the store was built
            self._semaphore = asyncio.Semaphore(self.slots)
        await self._wait(self._semaphore)
        try:
            yield
        finally:
            self._semaphore.release()

    async def _wait(self, semaphore: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        give_up_at = began + self.limit_s
        while True:
            deadline = min(max(began, self._last_write_at) + self.stall_s, give_up_at)
            if loop.time() >= deadline:
                raise TimeoutError("no write has gone in for a while: the store is not answering")
            try:
                async with asyncio.timeout_at(deadline):
                    await semaphore.acquire()
                return
            except TimeoutError:
                continue  # a write may have gone in meanwhile, which moves the deadline
