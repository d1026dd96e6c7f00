"""A modal form for a core command declared with `form=True`: one text input per parameter.

Discord allows at most five text inputs in a modal; parameters past the fifth keep the values
given as slash-command options. What was typed as options pre-fills the form, and the core
is invoked once the form is submitted, with the same checks as any other call.
"""

from __future__ import annotations

from collections.abc import Mapping

import discord

from adapters.discord.interactions import Responder
from bot.commands import Command, Param
from bot.text import shorten

MAX_INPUTS = 5
INPUT_MAX = 4000  # Discord's limit for one text input
LABEL_MAX = 45
FORM_TIMEOUT = 900.0


def _label(param: Param) -> str:
    return shorten(param.name.replace("_", " ").capitalize(), LABEL_MAX)


def fits_a_form(command: Command, given: Mapping[str, str | None]) -> bool:
    """False when a given value could not pre-fill its input; the core then refuses it itself."""
    for param in command.params[:MAX_INPUTS]:
        value = given.get(param.name)
        if value is not None and len(value) > min(param.max_length, INPUT_MAX):
            return False
    return True


class CommandForm(discord.ui.Modal):
    def __init__(
        self, responder: Responder, command: Command, given: Mapping[str, str | None]
    ) -> None:
        super().__init__(
            title=shorten(f"/{command.name}: {command.help}", LABEL_MAX), timeout=FORM_TIMEOUT
        )
        self.responder = responder
        self.command = command
        self.given = dict(given)
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for param in command.params[:MAX_INPUTS]:
            limit = min(param.max_length, INPUT_MAX)
            text_input: discord.ui.TextInput = discord.ui.TextInput(
                label=_label(param),
                placeholder=shorten(param.help, 100),
                default=self.given.get(param.name),
                required=param.required,
                max_length=limit,
                style=discord.TextStyle.paragraph if limit > 200 else discord.TextStyle.short,
                custom_id=f"fanbot:{param.name}",
            )
            self.inputs[param.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        raw = dict(self.given)
        for name, text_input in self.inputs.items():
            raw[name] = text_input.value or None
        await self.responder.run(interaction, self.command, raw)
