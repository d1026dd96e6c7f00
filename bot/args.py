"""From a line of text to raw arguments by name: the one parser every text platform uses.

Discord hands the core its options by name already; Telegram and the console send a line.
Either way the core then converts raw strings to typed values in one place (bot/convert.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands import Command, Param, ParamKind
from bot.errors import FanbotError
from bot.i18n import N_
from bot.text import clean_input, shorten
from bot.zones import looks_like_zone

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」"}
_LOOKS = {
    ParamKind.DATE: re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"),
    ParamKind.PARTIAL_DATE: re.compile(r"^\d{4}(-\d{1,2}){0,2}$"),
    ParamKind.INTEGER: re.compile(r"^[+-]?\d+$"),
    ParamKind.TIME: re.compile(r"^\d{1,2}(:\d{2})?\s*(am|pm)?$", re.I),
    ParamKind.FACT: re.compile(r"^#?\d+$"),
}


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # where the token (its opening quote included) starts in the line


def tokenize(line: str) -> list[Token]:
    """Whitespace-separated words; "quoted words" stay together. An unclosed quote is literal."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        close = _QUOTES.get(line[i])
        if close is not None:
            end = line.find(close, i + 1)
            if end != -1:
                tokens.append(Token(line[i + 1 : end], i))
                i = end + 1
                continue
        start = i
        while i < n and not line[i].isspace():
            i += 1
        tokens.append(Token(line[start:i], start))
    return tokens


def split_command(line: str) -> tuple[str, str]:
    """'/milestone V' -> ('milestone', 'V'). The leading slash is optional."""
    stripped = line.strip()
    if stripped.startswith("/"):
        stripped = stripped[1:]
    name, _, rest = stripped.partition(" ")
    return name.strip().lower(), rest.strip()


def _looks_like(param: Param, text: str) -> bool:
    pattern = _LOOKS.get(param.kind)
    if pattern is not None:
        return bool(pattern.match(text))
    if param.kind is ParamKind.TIMEZONE:
        return looks_like_zone(text)
    if param.kind is ParamKind.CHOICE:
        return text.lower() in {c.lower() for c in param.choices}
    return True


def _greedy(param: Param) -> bool:
    return param.kind in (ParamKind.TEXT, ParamKind.SUBJECT)


def _unquote(text: str) -> str:
    tokens = tokenize(text)
    return tokens[0].text if len(tokens) == 1 else text


def parse_args(command: Command, rest: str) -> dict[str, str]:
    """Assign the words after a command to its parameters, by position and by type.

    The last text or name parameter takes the rest of the line, so "Kim Taehyung" needs no
    quotes. An optional typed parameter (a date, a time, a number) is skipped when the word
    at its place is not of its type and a later parameter can take it.
    """
    tokens = tokenize(rest)
    raw: dict[str, str] = {}
    t = 0
    params = command.params
    for index, param in enumerate(params):
        if t >= len(tokens):
            break
        is_last = index == len(params) - 1
        if is_last and (_greedy(param) or param.many):
            raw[param.name] = _unquote(rest[tokens[t].start :].strip())
            t = len(tokens)
            break
        if not param.required and not is_last and not _looks_like(param, tokens[t].text):
            continue
        raw[param.name] = tokens[t].text
        t += 1
    if t < len(tokens):
        extra = shorten(clean_input(" ".join(tok.text for tok in tokens[t:])), 60)
        if not params:
            raise FanbotError(
                N_("/{command} takes no arguments; I don't know what to do with “{extra}”."),
                command=command.name,
                extra=extra,
            )
        raise FanbotError(
            N_("/{command} takes {n} arguments; I don't know what to do with “{extra}”.")
            if len(params) != 1
            else N_("/{command} takes 1 argument; I don't know what to do with “{extra}”."),
            command=command.name,
            n=len(params),
            extra=extra,
        )
    return raw
