"""The app_commands tree, generated from the core's declarations (no per-command Discord code).

Each core Command becomes an `app_commands.Command` whose callback signature is synthesized
from its Params, so discord.py's own machinery builds the option payloads (types, ranges,
choices, autocomplete) and parses what Discord sends back. Names and descriptions in other
languages come from the message catalogues (bot/locale) through `CatalogueTranslator` at sync.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from adapters.discord.forms import CommandForm, fits_a_form
from adapters.discord.interactions import Responder
from bot.commands import EVERYONE, Command, Param, ParamKind, Role
from bot.core import SOMETHING_WENT_WRONG, Core
from bot.i18n import N_, SOURCE_LANGUAGE, normalize, translator
from bot.replies import error_reply
from bot.text import shorten

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 100
STRING_OPTION_MAX = 6000  # Discord's max_length for a string option
CHOICES_MAX = 25


class CatalogueTranslator(app_commands.Translator):
    """Every command, option and choice in each language we have a catalogue for.

    Names are looked up with their msgctxt ("command", "param", "choice") so a name and a
    sentence that happen to match stay apart; descriptions are the help text's msgid.
    """

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        return localized(string, locale.value)


def localized(string: locale_str, locale: str) -> str | None:
    """The text Discord shows in `locale`, or None where it is English (the default)."""
    language = normalize(locale)
    if language is None or language == SOURCE_LANGUAGE:
        return None
    tr = translator(language)
    english = string.extras.get("english", string.message)
    kind = string.extras.get("context")
    text = tr.pgettext(kind, english) if kind else tr._(english)
    if text == english:
        return None
    return text if kind else shorten(text, DESCRIPTION_MAX)


def _text(english: str, limit: int = DESCRIPTION_MAX) -> locale_str:
    return locale_str(shorten(english, limit) or "…", english=english)


def _name(english: str, context: str) -> locale_str:
    return locale_str(english, context=context)


def _annotation(param: Param) -> Any:
    """The Python type discord.py turns into the option type Discord shows."""
    if param.kind is ParamKind.INTEGER:
        if param.minimum is None and param.maximum is None:
            return int
        low = param.minimum if param.minimum is not None else -(2**53)
        high = param.maximum if param.maximum is not None else 2**53
        return app_commands.Range[int, low, high]
    if param.kind is ParamKind.FACT:
        return app_commands.Range[int, 1, 2**53]
    return app_commands.Range[str, 1, min(param.max_length, STRING_OPTION_MAX)]


def guild_only(command: Command) -> bool:
    return not command.in_private or command.allowed != EVERYONE


def build_command(command: Command, responder: Responder) -> app_commands.Command:
    """One slash command for a core Command: options, choices, autocomplete, permissions."""

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        raw = {name: None if value is None else str(value) for name, value in options.items()}
        if (
            command.form
            and fits_a_form(command, raw)
            and await responder.may_use(interaction, command)
        ):
            await interaction.response.send_modal(CommandForm(responder, command, raw))
            return
        await responder.run(interaction, command, raw)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, locale_str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    autocomplete: dict[str, Any] = {}
    for param in command.params:
        parameters.append(
            inspect.Parameter(
                param.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(param),
                # A form asks for what is missing, so on Discord its options are all optional.
                default=inspect.Parameter.empty if param.required and not command.form else None,
            )
        )
        descriptions[param.name] = _text(param.help)
        if param.choices and len(param.choices) <= CHOICES_MAX:
            choices[param.name] = [
                app_commands.Choice(name=_name(c, "choice"), value=c) for c in param.choices
            ]
        elif param.suggest == "subjects" or param.choices:
            autocomplete[param.name] = _completer(responder, command, param.name)
    # discord.py reads a callback's options from inspect.signature(), which honours
    # __signature__ (Python's own protocol); the rest goes through its public decorators.
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    app_commands.describe(**descriptions)(callback)
    # Options keep their English names and get a localized name per language at sync.
    app_commands.rename(**{p.name: _name(p.name, "param") for p in command.params})(callback)
    app_commands.choices(**choices)(callback)
    app_commands.autocomplete(**autocomplete)(callback)
    if guild_only(command):
        app_commands.guild_only()(callback)
    if Role.CHAT_ADMIN in command.allowed:
        # A hint for Discord's UI that server admins may override; the core checks every call.
        app_commands.default_permissions(manage_guild=True)(callback)
    built = app_commands.Command(
        name=_name(command.name, "command"),
        description=_text(command.help),
        callback=callback,
    )
    return built


def _completer(responder: Responder, command: Command, param: str) -> Any:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await responder.complete(command, param, current)

    return complete


class FanbotTree(app_commands.CommandTree):
    """A tree whose failures reach the person as a short message, never a traceback."""

    responder: Responder

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            message = N_(
                "This command changed since it was registered; a bot operator needs to run "
                "`fanbot discord sync`."
            )
        else:
            message = SOMETHING_WENT_WRONG
        log.error(
            "interaction for %s failed", getattr(interaction.command, "name", "?"), exc_info=error
        )
        if interaction.type is discord.InteractionType.autocomplete:
            return
        try:
            tr = await self.responder.speaker(interaction)
            await self.responder.show(interaction, error_reply(tr._(message), tr=tr))
        except discord.HTTPException:
            log.warning("could not tell the person that the interaction failed")


def build_tree(client: discord.Client, core: Core, responder: Responder) -> FanbotTree:
    """Every core command as a global slash command on a new tree for `client`."""
    tree = FanbotTree(client)
    tree.responder = responder
    for command in core.registry.listed():
        tree.add_command(build_command(command, responder))
    return tree
