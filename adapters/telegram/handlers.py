"""Telegram updates to core calls: commands, page buttons, inline queries, membership changes.

Nothing here knows a particular command: a message's /command is looked up in the core's
registry, so a command added to the core answers on Telegram with no code in this package.
Etiquette: another bot's command (/milestone@otherbot), an edited message, a sticker, a bare
/start or an unknown command in a group get silence; in a private chat an unknown command gets
a hint. /start (the core's welcome) answers in a private chat, and as /start@thisbot in a group.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from cachetools import LRUCache, TTLCache
from telegram import (
    CallbackQuery,
    ChatMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram import (
    Chat as TgChat,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.telegram.choices import ANSWER_MAX, line_of, with_choices
from adapters.telegram.render import render
from adapters.telegram.send import NO_PREVIEW, Sleep, send_html, waiting_out_429
from bot.admin.forms import CONTROLS, Forms, Ready, Step
from bot.args import parse_args, split_command
from bot.commands import Command, Role
from bot.context import Caller, Chat
from bot.core import TYPE_A_COMMAND, Core
from bot.errors import FanbotError
from bot.i18n import Translator, translator
from bot.replies import Choice, Reply, error_reply
from bot.text import shorten

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
INLINE_COMMANDS = ("milestone", "release", "status")
PAGES_KEPT = 2048  # page sets whose buttons still work; older ones say "ask again"
ADMIN_CHECK_SECONDS = 60.0
START = "start"  # what Telegram sends when someone opens the bot (t.me/bot?start=… adds a word)


def _given(command: Command, line: str) -> dict[str, str] | None:
    """The values typed after the command; None when they don't parse (the core says why)."""
    try:
        return parse_args(command, split_command(line)[1])
    except FanbotError:
        return None


def chat_of(chat: TgChat) -> Chat:
    kind = (
        "private"
        if chat.type == TgChat.PRIVATE
        else ("channel" if chat.type == TgChat.CHANNEL else "group")
    )
    return Chat(platform="telegram", id=str(chat.id), kind=kind, title=chat.title)


def command_of(text: str, bot_username: str) -> tuple[str, str] | None:
    """'/milestone@thisbot V' -> ('/milestone V', 'milestone'); None if meant for another bot."""
    head, _, rest = text.strip().partition(" ")
    head, _, newline_rest = head.partition("\n")
    rest = f"{newline_rest} {rest}".strip()
    name, _, addressee = head.lstrip("/").partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return f"/{name} {rest}".strip(), name.lower()


class Handlers:
    """The callbacks the Application calls; one instance per running bot."""

    def __init__(self, core: Core, sleep: Sleep = asyncio.sleep):
        self.core = core
        self.forms = Forms(core)
        self.sleep = sleep
        # Each page set with the reply's choices and its language: turning a page redraws the
        # whole keyboard, so what is not kept here would vanish (or turn English) at "Next".
        self._pages: LRUCache[str, tuple[list[str], tuple[Choice, ...], str]] = LRUCache(
            PAGES_KEPT
        )
        self._page_ids = itertools.count(1)
        self._admins: TTLCache[tuple[int, int], bool] = TTLCache(4096, ADMIN_CHECK_SECONDS)

    # ---- commands

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or not message.text:
            return
        parsed = command_of(message.text, context.bot.username)
        if parsed is None:
            return  # another bot's command: not ours to answer
        line, name = parsed
        key = (chat.id, user.id if user else chat.id)
        private = chat.type == TgChat.PRIVATE
        command = self.core.registry.get(name)
        where = chat_of(chat)
        if name in CONTROLS and self.forms.is_open(key):
            step = self.forms.control(key, name)
            if step is not None:
                caller = await self._caller(context, message, command)
                await self._show_step(context, message, caller, where, step)
            return
        if command is None and not private:
            return  # in a group an unknown command is most likely another bot's
        if name == START and not private and "@" not in message.text.split(maxsplit=1)[0]:
            return  # every bot in a group has a /start: only /start@thisbot is ours
        await self.core.chats.chat_seen(where)
        caller = await self._caller(context, message, command)
        if command is not None and command.form:
            given = _given(command, line)
            if (
                given is not None
                and self.forms.wanted(command, given)
                and command.permits(await self.core.roles_of(caller))
            ):
                tr = await self.core.translator_for(caller, where)
                prompt = self.forms.open(key, command, given, tr)
                await self._show_step(context, message, caller, where, prompt)
                return
        await self._show(context, message, await self.core.handle_line(line, caller, where))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Plain text: the next value of a step-by-step form, if its sender has one open."""
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or user is None or not message.text:
            return
        step = await self.forms.answer((chat.id, user.id), message.text)
        if step is None:
            if chat.type == TgChat.PRIVATE:  # talking to the bot itself: say how to ask
                caller = await self._caller(context, message, None)
                tr = await self.core.translator_for(caller, chat_of(chat))
                await self._show(context, message, error_reply(tr._(TYPE_A_COMMAND), tr=tr))
            return  # in a group, chatter is not for fanbot
        command = step.command if isinstance(step, Ready) else None
        caller = await self._caller(context, message, command)
        await self._show_step(context, message, caller, chat_of(chat), step)

    async def _caller(
        self, context: ContextTypes.DEFAULT_TYPE, message: Message, command: Command | None
    ) -> Caller:
        """Who sent the message; whether they administer the group is asked only when it matters."""
        chat, user = message.chat, message.from_user
        private = chat.type == TgChat.PRIVATE
        return Caller(
            platform="telegram",
            user_id=str(user.id if user else chat.id),
            name=(user.full_name if user else chat.title) or "someone",
            # Telegram's IETF tag of the user's app language; absent for channels and some
            # clients, when the chat's choice or FANBOT_LANGUAGE decides.
            language=user.language_code if user else None,
            is_chat_admin=private
            or (
                command is not None
                and Role.CHAT_ADMIN in command.allowed
                and await self._is_admin(context, chat.id, message)
            ),
        )

    async def _show_step(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        message: Message,
        caller: Caller,
        where: Chat,
        step: Step,
    ) -> None:
        """A form's next question (as a reply the asker's app opens for them), or its result."""
        if isinstance(step, Ready):
            reply = await self.core.invoke(step.command.name, step.raw, caller, where)
            await self._show(context, message, reply)
            return
        await send_html(
            context.bot,
            message.chat.id,
            render(step)[0],
            keyboard=ForceReply(selective=True),
            reply_to=message.message_id,
            sleep=self.sleep,
        )

    async def _show(
        self, context: ContextTypes.DEFAULT_TYPE, message: Message, reply: Reply
    ) -> None:
        pages = render(reply)
        await send_html(
            context.bot,
            message.chat.id,
            pages[0],
            keyboard=self._keyboard(pages, reply.choices, reply.language),
            reply_to=None if message.chat.type == TgChat.PRIVATE else message.message_id,
            sleep=self.sleep,
        )

    async def _is_admin(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, message: Message
    ) -> bool:
        """Whether the sender administers this group: asked of Telegram, kept for a minute."""
        if message.sender_chat is not None:  # an anonymous admin speaks as the group itself
            return message.sender_chat.id == chat_id
        user_id = message.from_user.id
        known = self._admins.get((chat_id, user_id))
        if known is None:
            try:
                member = await waiting_out_429(
                    lambda: context.bot.get_chat_member(chat_id, user_id), self.sleep
                )
                known = member.status in ADMIN_STATUSES
            except TelegramError as exc:
                log.warning("could not ask Telegram who administers %s: %s", chat_id, exc)
                return False
            self._admins[(chat_id, user_id)] = known
        return known

    # ---- pages

    def _keyboard(
        self,
        pages: list[str],
        choices: tuple[Choice, ...] = (),
        language: str | None = None,
        index: int = 0,
        key: str | None = None,
    ) -> InlineKeyboardMarkup | None:
        """The reply's choices over the pager's row, on whichever page is shown; the pager's
        words in the reply's language."""
        if len(pages) < 2:
            return with_choices(choices, None)
        tr = translator(language)
        if key is None:
            key = str(next(self._page_ids))
            self._pages[key] = (pages, choices, tr.language)
        row = []
        if index > 0:
            back = tr._("◀ Previous")
            row.append(InlineKeyboardButton(back, callback_data=f"pg:{key}:{index - 1}"))
        position = tr._("{page} / {pages}").format(
            page=tr.number(index + 1), pages=tr.number(len(pages))
        )
        row.append(InlineKeyboardButton(position, callback_data="pg:noop"))
        if index < len(pages) - 1:
            on = tr._("Next ▶")
            row.append(InlineKeyboardButton(on, callback_data=f"pg:{key}:{index + 1}"))
        return with_choices(choices, InlineKeyboardMarkup([row]))

    async def _presser(self, query: CallbackQuery) -> Translator:
        """The language to answer a pressed button in: the chat's choice, else the presser's."""
        user = query.from_user
        caller = Caller("telegram", str(user.id), user.full_name, language=user.language_code)
        message = query.message
        where = chat_of(message.chat) if message is not None else Chat("telegram", str(user.id))
        return await self.core.translator_for(caller, where)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        parts = (query.data or "").split(":")
        kept = self._pages.get(parts[1]) if len(parts) == 3 else None
        if parts == ["pg", "noop"]:
            await query.answer()
            return
        if kept is None or not parts[2].isdigit() or int(parts[2]) >= len(kept[0]):
            tr = await self._presser(query)
            await query.answer(tr._("These pages have expired; ask the command again."))
            return
        pages, choices, language = kept
        index = int(parts[2])
        await query.answer()
        await waiting_out_429(
            lambda: query.edit_message_text(
                pages[index],
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=self._keyboard(pages, choices, language, index, parts[1]),
            ),
            self.sleep,
        )

    async def on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A choice pressed: its command runs as the presser; a refusal is shown only to them."""
        query = update.callback_query
        if query is None:
            return
        line = line_of(query.data or "")
        message = query.message
        if line is None or not isinstance(message, Message):
            tr = await self._presser(query)
            await query.answer(tr._("This choice has expired; ask the command again."))
            return
        private = message.chat.type == TgChat.PRIVATE
        user = query.from_user
        caller = Caller(
            "telegram",
            str(user.id),
            user.full_name or "someone",
            private,
            language=user.language_code,  # a refusal in the presser's language
        )
        reply = await self.core.handle_line(line, caller, chat_of(message.chat))
        if reply.error:
            said = " ".join(line.text for line in reply.lines) or reply.title
            await query.answer(shorten(said, ANSWER_MAX), show_alert=True)
            return
        await query.answer()
        await self._show(context, message, reply)

    # ---- inline mode

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """'@bot V' in any chat: V's milestones, releases and status, ready to share."""
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()[:100]
        results = []
        if text:
            caller = Caller(
                "telegram",
                str(query.from_user.id),
                query.from_user.full_name,
                language=query.from_user.language_code,
            )
            where = Chat(platform="telegram", id=f"inline:{query.from_user.id}")
            for name in INLINE_COMMANDS:
                if self.core.registry.get(name) is None:
                    continue
                reply = await self.core.handle_line(f"/{name} {text}", caller, where)
                if reply.error:
                    continue
                first = reply.lines[0].text if reply.lines else ""
                results.append(
                    InlineQueryResultArticle(
                        id=name,
                        title=reply.title[:200],
                        description=first[:200],
                        input_message_content=InputTextMessageContent(
                            render(reply)[0],
                            parse_mode=ParseMode.HTML,
                            link_preview_options=NO_PREVIEW,
                        ),
                    )
                )
        await waiting_out_429(
            lambda: query.answer(results, cache_time=60, is_personal=False), self.sleep
        )

    # ---- membership

    async def on_my_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Removed or blocked: stop posting there. Added back: posts may resume."""
        change = update.my_chat_member
        if change is None:
            return
        chat = chat_of(change.chat)
        status = change.new_chat_member.status
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            await self.core.chats.chat_gone("telegram", chat.id, f"the bot was {status}")
        else:
            await self.core.chats.chat_seen(chat)

    async def on_migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: everything tied to the old id follows the new one."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        old, new = str(message.chat.id), str(message.migrate_to_chat_id)
        await self.core.chats.chat_moved("telegram", old, new)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Whatever went wrong is logged in one line; the bot keeps serving everyone else."""
        log.error("a Telegram update failed: %r", context.error, exc_info=context.error)
