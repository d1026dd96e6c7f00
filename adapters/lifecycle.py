"""Starting platform adapters so that one platform's trouble never stops the others.

A refused token is final: the operator must fix it, so it is said once, plainly. Anything
else (the platform unreachable, a 5xx, a timeout) is retried in the background with growing
pauses; the adapters that did start keep serving meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from tenacity import AsyncRetrying, retry_if_not_exception_type, wait_exponential

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("fanbot")

FIRST_PAUSE = 1.0  # seconds; doubling up to MAX_PAUSE
MAX_PAUSE = 300.0


class TokenRefused(Exception):
    """The platform refused the token: nothing will start until the operator changes it."""


class Startable(Protocol):
    name: str

    async def start(self) -> None: ...


async def start_or_retry(
    service: Startable, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> bool:
    """Start a service, retrying transient failures for as long as it takes.

    Returns True once started, False if its token was refused (which is logged).
    """
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=FIRST_PAUSE, max=MAX_PAUSE),
            retry=retry_if_not_exception_type(TokenRefused),
            sleep=sleep,
            reraise=True,
            before_sleep=lambda state: log.warning(
                "the %s adapter could not start (%s); trying again in %.0f s",
                service.name,
                state.outcome.exception() if state.outcome else "?",
                state.next_action.sleep if state.next_action else 0,
            ),
        ):
            with attempt:
                attempts += 1
                await service.start()
    except TokenRefused as exc:
        log.error("the %s adapter cannot start: %s", service.name, exc)
        return False
    log.info(
        "%s adapter started%s", service.name, f" after {attempts} attempts" if attempts > 1 else ""
    )
    return True


async def settle(core: Core) -> None:
    """Build the name index, then leave everything built so far out of later collections.

    A bot lives for weeks; what it built at start (libraries, the name index) lives as long.
    gc.freeze() spares the collector walking those objects again at every full collection,
    which otherwise costs CPU on every answer and stalls answers now and then.
    """
    await core.resolver.warm()
    gc.collect()
    gc.freeze()
