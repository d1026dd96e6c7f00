"""A command's form (bot.admin.forms) as a Discord modal: one text input per question.

Discord allows at most five text inputs in a modal; parameters past the fifth keep the values
given as slash-command options. What was typed as options pre-fills the form, and the core
is invoked once the form is submitted, with the same checks as any other call.
"""

from __future__ import annotations

from collections.abc import Mapping

import discord

from adapters.discord.interactions import Responder
from bot.admin.forms import FormField, form_fields
from bot.commands import Command
from bot.text import shorten

MAX_INPUTS = 5
INPUT_MAX = 4000  # Discord's limit for one text input
LABEL_MAX = 45
FORM_TIMEOUT = 900.0


def _label(field: FormField) -> str:
    return shorten(field.label.capitalize(), LABEL_MAX)


def fits_a_form(command: Command, given: Mapping[str, str | None]) -> bool:
    """False when a given value could not pre-fill its input; the core then refuses it itself."""
    for field in form_fields(command)[:MAX_INPUTS]:
        value = given.get(field.name)
        if value is not None and len(value) > min(field.max_length, INPUT_MAX):
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
        for field in form_fields(command)[:MAX_INPUTS]:
            limit = min(field.max_length, INPUT_MAX)
            text_input: discord.ui.TextInput = discord.ui.TextInput(
                label=_label(field),
                placeholder=shorten(field.help, 100),
                default=self.given.get(field.name),
                required=field.required,
                max_length=limit,
                style=discord.TextStyle.paragraph if limit > 200 else discord.TextStyle.short,
                custom_id=f"fanbot:{field.name}",
            )
            self.inputs[field.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        raw = dict(self.given)
        for name, text_input in self.inputs.items():
            raw[name] = text_input.value or None
        await self.responder.run(interaction, self.command, raw)
