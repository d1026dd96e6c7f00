"""The shared pieces every adapter leans on: line parsing, page splitting, token redaction."""

from __future__ import annotations

import io
import logging

import pytest

from bot.args import parse_args, tokenize
from bot.commands import Command, Param, ParamKind
from bot.errors import FanbotError
from bot.logsetup import REDACTED, configure
from bot.text import clean_input, split_pages


async def _noop(ctx, **kw):  # pragma: no cover - never called
    raise AssertionError


SUBSCRIBE = Command(
    "subscribe",
    "s",
    (
        Param("time", ParamKind.TIME, "t", required=False),
        Param("zone", ParamKind.TIMEZONE, "z", required=False),
        Param("who", ParamKind.SUBJECT, "w", required=False, many=True),
    ),
    _noop,
)
ONE = Command("milestone", "m", (Param("who", ParamKind.SUBJECT, "w"),), _noop)
TWO = Command(
    "add", "a", (Param("date", ParamKind.DATE, "d"), Param("text", ParamKind.TEXT, "t")), _noop
)


@pytest.mark.parametrize(
    ("command", "rest", "expected"),
    [
        (ONE, "Kim Taehyung", {"who": "Kim Taehyung"}),
        (ONE, '"Kim Taehyung"', {"who": "Kim Taehyung"}),
        (ONE, "", {}),
        (
            TWO,
            "2024-01-24 IU released “Love wins all”",
            {"date": "2024-01-24", "text": "IU released “Love wins all”"},
        ),
        (
            SUBSCRIBE,
            "21:00 America/New_York V, IU",
            {"time": "21:00", "zone": "America/New_York", "who": "V, IU"},
        ),
        (SUBSCRIBE, "V IU", {"who": "V IU"}),
        (SUBSCRIBE, "UTC V", {"zone": "UTC", "who": "V"}),
        (SUBSCRIBE, "8:30 V", {"time": "8:30", "who": "V"}),
    ],
)
def test_parse_args(command: Command, rest: str, expected: dict) -> None:
    assert parse_args(command, rest) == expected


def test_too_many_words_are_refused() -> None:
    with pytest.raises(FanbotError, match="don't know what to do with “x y”"):
        parse_args(
            Command("today", "t", (Param("date", ParamKind.DATE, "d", required=False),), _noop),
            "2025-01-24 x y",
        )


def test_an_unclosed_quote_is_just_a_character() -> None:
    assert [t.text for t in tokenize('"Kim Tae')] == ['"Kim', "Tae"]


def test_clean_input_drops_control_characters() -> None:
    assert clean_input("  V\x00\x1b[31m\n\tIU\u202e ") == "V[31m IU"


def test_split_pages_respects_the_limit_and_keeps_blocks_whole() -> None:
    blocks = [f"line {i} " + "x" * 30 for i in range(50)] + ["y" * 250]
    pages = split_pages(blocks, 100)
    assert all(len(p) <= 100 for p in pages)
    assert "".join(pages).replace("\n", "") == "".join(blocks)
    assert pages[0].split("\n")[0] == blocks[0]
    assert split_pages([], 10) == [""]


def test_tokens_never_reach_a_log_line() -> None:
    out = io.StringIO()
    token = "123456:SECRET-token_value"
    handler = configure("DEBUG", [token], stream=out)
    try:
        logging.getLogger("httpx").warning("POST https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"failed with {token}")
        except RuntimeError:
            logging.getLogger("telegram.ext").exception("boom %s", token)
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert token not in text
    assert text.count(REDACTED) >= 3
