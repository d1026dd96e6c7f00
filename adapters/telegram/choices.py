"""A reply's choices as inline buttons, and a pressed button back to the command it runs.

The command line itself rides in the button's callback data, so a choice still works after a
restart; Telegram allows 1-64 bytes there, and a choice whose line does not fit gets no button
(the reply's text still shows the line to send). The core checks the presser's rights.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.replies import Choice
from bot.text import shorten

PREFIX = "ch:"
CALLBACK_DATA_MAX = 64  # bytes, Telegram's limit for callback_data
LABEL_MAX = 64  # a longer button label is cut off on phones anyway
ANSWER_MAX = 200  # characters in an answerCallbackQuery notification


def data_of(choice: Choice) -> str | None:
    data = PREFIX + choice.command.removeprefix("/")
    return data if len(data.encode()) <= CALLBACK_DATA_MAX else None


def line_of(data: str) -> str | None:
    """The command line a pressed button stands for; None for anything else."""
    return "/" + data.removeprefix(PREFIX) if data.startswith(PREFIX) and data != PREFIX else None


def with_choices(
    choices: tuple[Choice, ...], keyboard: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """One button a row per choice, above whatever keyboard (a pager) the reply has."""
    rows = []
    for choice in choices:
        data = data_of(choice)
        if data is not None:
            label = choice.label + (f" · {choice.description}" if choice.description else "")
            rows.append([InlineKeyboardButton(shorten(label, LABEL_MAX), callback_data=data)])
    if not rows:
        return keyboard
    return InlineKeyboardMarkup([*rows, *(keyboard.inline_keyboard if keyboard else ())])
