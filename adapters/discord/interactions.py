"""Interactions to core calls and replies back: who asked, where, and how the answer is shown.

One `Responder` serves every generated slash command, autocomplete, pager button and form, so
the rules live in one place: the caller's Manage Server permission (read from the interaction,
checked on every call), the chat row a later subscription needs, a defer when the core is slow,
errors and help ephemeral (even after a defer), long answers paged with buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord
from cachetools import LRUCache

from adapters.discord.choices import ChoiceMenu, RunLine, choice_select
from adapters.discord.render import render
from bot.commands import Command
from bot.context import Caller, Chat
from bot.core import SOMETHING_WENT_WRONG, Core
from bot.errors import FanbotError
from bot.i18n import Translator, translator
from bot.replies import Choice, Reply, error_reply
from bot.text import shorten

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0  # seconds; Discord drops an interaction not answered within 3
PAGER_TIMEOUT = 600.0  # buttons stop working after this (the token lives 15 minutes)


def caller_of(interaction: discord.Interaction) -> Caller:
    """The person asking; a chat admin is a member with Manage Server in this guild."""
    in_guild = interaction.guild_id is not None
    return Caller(
        platform="discord",
        user_id=str(interaction.user.id),
        name=interaction.user.display_name,
        is_chat_admin=in_guild and interaction.permissions.manage_guild,
        language=interaction.locale.value,  # the person's client language: "ko", "en-US"
    )


def chat_of(interaction: discord.Interaction) -> Chat:
    """The channel asked in: "group" in a guild, "private" in a DM or group DM."""
    channel = interaction.channel
    title = getattr(channel, "name", None)
    kind = "group" if interaction.guild_id is not None else "private"
    return Chat(platform="discord", id=str(interaction.channel_id), kind=kind, title=title)


Speaker = Callable[[discord.Interaction], Awaitable[Translator]]  # whose language to answer in


class Pager(discord.ui.View):
    """Previous/next buttons over embed pages; only the person who asked turns them.

    A reply with choices keeps its menu under the buttons on every page (a paged reply lost it
    before): anyone may pick, as on a one-page reply, and the core checks the picker's rights.
    The page count and the menu's prompt are in the reply's language (`tr`); someone else who
    presses a button is refused in their own (`speaker`: the chat's choice, else their client's).
    """

    def __init__(
        self,
        pages: list[discord.Embed],
        owner_id: int,
        tr: Translator,
        speaker: Speaker,
        timeout: float = PAGER_TIMEOUT,
        *,
        choices: tuple[Choice, ...] = (),
        run: RunLine | None = None,
    ):
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.tr = tr
        self.speaker = speaker
        self.index = 0
        self.interaction: discord.Interaction | None = None
        self.message: discord.WebhookMessage | None = None  # set when sent as a follow-up
        self.menu = None
        if choices and run is not None:
            self.menu = choice_select(choices, run, tr._("Choose one"))
        if self.menu is not None:
            self.add_item(self.menu)
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        tr = self.tr
        self.position.label = tr._("{page} / {pages}").format(
            page=tr.number(self.index + 1), pages=tr.number(len(self.pages))
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        picked = (interaction.data or {}).get("custom_id")
        if interaction.user.id == self.owner_id or (
            self.menu is not None and picked == self.menu.custom_id
        ):
            return True
        tr = await self.speaker(interaction)
        await interaction.response.send_message(
            tr._(
                "Only the person who asked can turn these pages; ask the command yourself to "
                "browse."
            ),
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.defer()

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, self.index + 1)

    async def on_timeout(self) -> None:
        try:
            if self.message is not None:
                await self.message.edit(view=None)
            elif self.interaction is not None:
                await self.interaction.edit_original_response(view=None)
        except discord.HTTPException:
            pass  # the message was deleted or the token expired: nothing to tidy


class Responder:
    """Runs core commands for interactions and shows their replies."""

    def __init__(self, core: Core, *, defer_after: float = DEFER_AFTER):
        self.core = core
        self.defer_after = defer_after
        # The core hands the same Reply object back for a repeated question; its embeds are
        # built once. Keyed by identity, the Reply kept beside them so the id stays its own.
        self._rendered: LRUCache[int, tuple[Reply, list[discord.Embed]]] = LRUCache(256)

    async def speaker(self, interaction: discord.Interaction) -> Translator:
        """The language to tell this person something in outside a command's reply (a pager
        pressed by someone else, a failure): the chat's choice, else their client's."""
        return await self.core.translator_for(caller_of(interaction), chat_of(interaction))

    async def may_use(self, interaction: discord.Interaction, command: Command) -> bool:
        """Whether the caller may use the command here: asked before a form opens, so a fan is
        refused at once (by the core, through `run`) instead of after filling it in."""
        try:
            await self.core.admit(command, caller_of(interaction), chat_of(interaction))
        except FanbotError:
            return False
        return True

    async def run(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str | None]
    ) -> None:
        """Invoke the core (deferring if it is slow) and answer with its reply."""
        name = command.name
        await self._answer(
            interaction, name, lambda caller, chat: self.core.invoke(name, raw, caller, chat)
        )

    async def run_line(self, interaction: discord.Interaction, line: str) -> None:
        """A whole command line (a picked choice), run as the person who picked it."""
        core = self.core
        await self._answer(
            interaction, line.split()[0], lambda caller, chat: core.handle_line(line, caller, chat)
        )

    async def _answer(
        self,
        interaction: discord.Interaction,
        name: str,
        call: Callable[[Caller, Chat], Awaitable[Reply]],
    ) -> None:
        loop = asyncio.get_running_loop()
        deferring: list[asyncio.Task[Any]] = []

        def defer() -> None:
            if not interaction.response.is_done():
                deferring.append(loop.create_task(interaction.response.defer(thinking=True)))

        timer = loop.call_later(self.defer_after, defer)
        try:
            chat = chat_of(interaction)
            await self.core.chats.chat_seen(chat)
            reply = await call(caller_of(interaction), chat)
        except Exception:
            log.exception("/%s failed before the core answered", name.lstrip("/"))
            tr = await self.speaker(interaction)
            reply = error_reply(tr._(SOMETHING_WENT_WRONG), tr=tr)
        finally:
            timer.cancel()
        thinking = await deferring[0] if deferring else None
        await self.show(interaction, reply, deferred=thinking)

    async def show(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        deferred: discord.InteractionCallbackResponse | None = None,
    ) -> None:
        """Send a reply as embeds: ephemeral when private, with a pager when it has pages.

        A deferred answer's visibility was fixed by the defer (`deferred`): editing "thinking…"
        cannot change it, and the first follow-up would only replace it. When the reply wants
        the other visibility, the thinking message goes and the reply follows up on its own.
        """
        pages = self._render(reply)
        private = reply.private or reply.error
        extra: dict[str, Any] = {}
        pager = None
        tr = translator(reply.language)
        if len(pages) > 1:
            owner, choices = interaction.user.id, reply.choices
            pager = Pager(pages, owner, tr, self.speaker, choices=choices, run=self.run_line)
            pager.interaction = interaction
            extra["view"] = pager
        elif reply.choices:
            extra["view"] = ChoiceMenu(reply.choices, self.run_line, tr)
        if not interaction.response.is_done():
            await interaction.response.send_message(embed=pages[0], ephemeral=private, **extra)
        elif deferred is not None and deferred.is_ephemeral() == private:
            await interaction.edit_original_response(embed=pages[0], **extra)
        else:
            if deferred is not None:
                await interaction.delete_original_response()
            message = await interaction.followup.send(
                embed=pages[0], ephemeral=private, wait=True, **extra
            )
            if pager is not None:
                pager.message = message

    def _render(self, reply: Reply) -> list[discord.Embed]:
        kept = self._rendered.get(id(reply))
        if kept is None or kept[0] is not reply:
            kept = self._rendered[id(reply)] = (reply, render(reply))
        return kept[1]

    async def complete(
        self, command: Command, param: str, typed: str
    ) -> list[discord.app_commands.Choice[str]]:
        choices = await self.core.complete(command.name, param, typed)
        return [
            discord.app_commands.Choice(name=shorten(c.label, 100), value=c.value[:100])
            for c in choices[:25]
        ]
