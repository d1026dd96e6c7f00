"""Builds the Telegram service for `fanbot run` when TELEGRAM_BOT_TOKEN is set.

fanbot drives the Application's lifecycle itself (initialize, start, start_polling or
start_webhook; then stop and shutdown) so it shares one event loop with Discord and the
scheduler; `run_polling` would want the loop for itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from adapters.lifecycle import TokenRefused
from adapters.telegram.handlers import Handlers
from adapters.telegram.notifier import TelegramNotifier
from adapters.telegram.send import Sleep
from bot.commands import Command, Role
from bot.core import Core
from bot.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, Translator, translator
from bot.settings import Settings
from bot.text import shorten

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram's broadcast limit
GROUP_PER_MINUTE = 20  # Telegram's limit for one group


def menu(commands: list[Command], tr: Translator | None = None) -> list[BotCommand]:
    """Telegram's command menu: names as declared, the one-line help (translated) as description."""
    tr = tr or translator()
    return [BotCommand(c.name, shorten(tr._(c.help), 256)) for c in commands]


DESCRIPTION = N_(
    "fanbot knows the releases, records and members' status of the artists you follow, "
    "answers to any form of a name (V, Taehyung, 뷔) and shows the source of every claim. "
    "Chat admins can subscribe a group to a daily anniversary digest."
)
SHORT_DESCRIPTION = N_("Releases, records and members' status of K-pop artists, with sources.")


class TelegramService:
    name = "telegram"

    def __init__(
        self,
        settings: Settings,
        core: Core,
        *,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
        poll_timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
    ):
        assert settings.telegram_bot_token is not None
        self.settings = settings
        self.core = core
        self.poll_timeout = poll_timeout
        self.handlers = Handlers(core, sleep)
        limiter = AIORateLimiter(
            overall_max_rate=overall_per_second,
            overall_time_period=1,
            group_max_rate=group_per_minute,
            group_time_period=60,
            max_retries=0,  # a 429 reaches send.py, which waits exactly retry_after
        )
        self.app: Application = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_base_file_url)
            .rate_limiter(limiter)
            .concurrent_updates(True)
            .build()
        )
        self._add_handlers()
        self.notifier = TelegramNotifier(self.app.bot, core.chats, sleep)

    def _add_handlers(self) -> None:
        h = self.handlers
        app = self.app
        app.add_handler(
            MessageHandler(filters.StatusUpdate.MIGRATE & filters.UpdateType.MESSAGE, h.on_migrated)
        )
        # New messages only: an edited command is not asked again.
        app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, h.on_command))
        app.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, h.on_text)
        )
        app.add_handler(CallbackQueryHandler(h.on_button, pattern=r"^pg:"))
        app.add_handler(CallbackQueryHandler(h.on_choice, pattern=r"^ch:"))
        app.add_handler(InlineQueryHandler(h.on_inline))
        app.add_handler(ChatMemberHandler(h.on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(h.on_error)

    async def _set_menus(self) -> None:
        """Everyone's commands by default; chat admins also see theirs; bot admins see all."""
        listed = self.core.registry.listed()
        everyone = [c for c in listed if Role.EVERYONE in c.allowed]
        admins = everyone + [
            c for c in listed if Role.CHAT_ADMIN in c.allowed and c not in everyone
        ]
        bot = self.app.bot
        for language in LANGUAGES:
            tr = translator(language)
            code = None if language == SOURCE_LANGUAGE else language
            await bot.set_my_commands(
                menu(everyone, tr), scope=BotCommandScopeDefault(), language_code=code
            )
            await bot.set_my_commands(
                menu(admins, tr), scope=BotCommandScopeAllChatAdministrators(), language_code=code
            )
            for platform, user_id in self.settings.admins:
                if platform == "telegram" and user_id.lstrip("-").isdigit():
                    await bot.set_my_commands(
                        menu(listed, tr),
                        scope=BotCommandScopeChat(int(user_id)),
                        language_code=code,
                    )
            await bot.set_my_description(tr._(DESCRIPTION), language_code=code)
            await bot.set_my_short_description(tr._(SHORT_DESCRIPTION), language_code=code)

    async def start(self) -> None:
        app = self.app
        try:
            await app.initialize()
        except InvalidToken:
            raise TokenRefused(
                "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather"
            ) from None
        try:
            await self._set_menus()
        except Exception as exc:  # a menu is a nicety; answering commands is not
            log.warning("could not set the Telegram command menu: %s", exc)
        await app.start()
        assert app.updater is not None
        url = self.settings.telegram_webhook_url
        if url:
            await app.updater.start_webhook(
                listen=self.settings.telegram_webhook_listen,
                port=self.settings.telegram_webhook_port,
                url_path=urlsplit(url).path.lstrip("/"),
                webhook_url=url,
                secret_token=self.settings.webhook_secret(),
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("Telegram: receiving updates by webhook")
        else:
            await app.updater.start_polling(
                timeout=dt.timedelta(seconds=self.poll_timeout), allowed_updates=Update.ALL_TYPES
            )
            log.info("Telegram: long polling as @%s", app.bot.username)

    async def stop(self) -> None:
        app = self.app
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def telegram_service(settings: Settings, core: Core) -> TelegramService | None:
    if settings.telegram_bot_token is None:
        return None
    return TelegramService(settings, core)
