"""A reply's choices as a select menu: picking one runs its command as the person who picked.

Anyone may open the menu; the core decides whether the picker may run the command, so a fan
who picks gets the core's refusal, shown only to them. Discord allows 25 options, and labels,
descriptions and values of at most 100 characters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.i18n import Translator, translator
from bot.replies import Choice
from bot.text import shorten

MAX_OPTIONS = 25
TEXT_MAX = 100
MENU_TIMEOUT = 600.0  # as long as a pager's buttons work

RunLine = Callable[[discord.Interaction, str], Awaitable[None]]


def choice_select(
    choices: tuple[Choice, ...], run: RunLine, placeholder: str = "Choose one"
) -> discord.ui.Select:
    """The choices as one select menu (the first 25); a pick runs its command line."""
    kept = choices[:MAX_OPTIONS]
    menu: discord.ui.Select = discord.ui.Select(
        placeholder=placeholder,
        options=[
            discord.SelectOption(
                label=shorten(c.label, TEXT_MAX),
                value=str(i),
                description=shorten(c.description, TEXT_MAX) or None,
            )
            for i, c in enumerate(kept)
        ],
    )

    async def picked(interaction: discord.Interaction) -> None:
        await run(interaction, kept[int(menu.values[0])].command)

    menu.callback = picked  # type: ignore[method-assign]
    return menu


class ChoiceMenu(discord.ui.View):
    """A one-page reply's choices, the prompt in the reply's language (`tr`); a paged reply
    carries the same menu in its Pager."""

    def __init__(
        self,
        choices: tuple[Choice, ...],
        run: RunLine,
        tr: Translator | None = None,
        timeout: float = MENU_TIMEOUT,
    ):
        super().__init__(timeout=timeout)
        self.choices = choices[:MAX_OPTIONS]
        self.menu = choice_select(choices, run, (tr or translator())._("Choose one"))
        self.add_item(self.menu)
