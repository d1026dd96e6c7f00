"""Every message fanbot sends to Telegram goes through here: HTML, no link previews, and a 429
waited out for exactly the retry_after Telegram asked for (a guess would be too short, or idle).

The steady pace (about 30 messages a second overall, 20 a minute per group) is kept by PTB's
AIORateLimiter on the bot; it is built with max_retries=0 so that a 429 reaches this module.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]
RETRIES_ON_429 = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta; either works
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def waiting_out_429(call: Callable[[], Awaitable[T]], sleep: Sleep = asyncio.sleep) -> T:
    """Run a Bot API call; on 429 wait exactly retry_after and try again (a few times)."""
    for attempt in range(RETRIES_ON_429 + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == RETRIES_ON_429:
                raise
            wait = retry_seconds(exc)
            log.warning("Telegram asked to wait %.0f s (429); waiting", wait)
            await sleep(wait)
    raise AssertionError("unreachable")


async def send_html(
    bot: Bot,
    chat_id: int | str,
    text: str,
    *,
    keyboard: InlineKeyboardMarkup | ForceReply | None = None,
    reply_to: int | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Message:
    return await waiting_out_429(
        lambda: bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=keyboard,
            reply_parameters=(
                None
                if reply_to is None
                else ReplyParameters(reply_to, allow_sending_without_reply=True)
            ),
        ),
        sleep,
    )
