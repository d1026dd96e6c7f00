"""/language: a chat admin picks the language fanbot answers and posts in here (issue 17)."""

from __future__ import annotations

from bot.commands import Command, Param, ParamKind, Role, declare
from bot.context import Context
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.replies import Reply, ReplyBuilder

AUTO = "auto"
LANGUAGE_NAMES = {"en": N_("English"), "ko": N_("Korean")}


def describe(tr: Translator, chosen: str | None, default: str) -> str:
    """The chat's language as a line for /language and /subscriptions."""
    if chosen is None:
        return tr._(
            "Language: each person's own (from their app), else {default}. "
            "A chat admin can set one with /language."
        ).format(default=tr._(LANGUAGE_NAMES.get(default, default)))
    return tr._("Language: {language}, for everyone here.").format(
        language=tr._(LANGUAGE_NAMES.get(chosen, chosen))
    )


@declare(
    "language",
    "The language I answer and post in here: ko, en, or auto (each person's own)",
    Param(
        "language",
        ParamKind.CHOICE,
        "ko (한국어), en (English) or auto",
        choices=(*LANGUAGES, AUTO),
    ),
    allowed=frozenset({Role.CHAT_ADMIN}),
    writes=True,
)
async def language(ctx: Context, language: str) -> Reply:
    chosen = None if language == AUTO else language
    await ctx.store.chats.set_language(
        ctx.chat.platform, ctx.chat.id, chosen, ctx.chat.kind, ctx.chat.title
    )
    # The answer is already in the new language; with auto, in the asker's own.
    tr = translator(chosen or ctx.caller.language or ctx.core.language)
    b = ReplyBuilder(title=tr._("Language set"), language=tr.language)
    b.line(describe(tr, chosen, ctx.core.language))
    return b.build()


def language_commands() -> list[Command]:
    return [language]
