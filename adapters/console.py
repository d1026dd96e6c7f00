"""The console adapter: chat with the core in a terminal, no token needed."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import Iterator
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.context import Caller, Chat
from bot.core import Core
from bot.i18n import N_, translator
from bot.reminders.notify import Delivery
from bot.replies import Reply, plain_blocks

PROMPT = "fanbot> "


def render(reply: Reply) -> str:
    """Plain text: the title, each line, the sources as footnotes."""
    blocks = plain_blocks(reply)
    if reply.error:
        blocks[0] = "! " + blocks[0]
    return "\n".join(blocks)


def console_identity(user: str | None = None) -> tuple[Caller, Chat]:
    """Whoever runs the terminal operates this fanbot: the chat admin of the console chat."""
    name = user or getpass.getuser()
    return (
        Caller(platform="console", user_id=name, name=name, is_chat_admin=True),
        Chat(platform="console", id="console", kind="private", title="terminal"),
    )


async def ask(core: Core, line: str) -> Reply:
    caller, chat = console_identity()
    return await core.handle_line(line, caller, chat)


async def chat(core: Core, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read a line, answer it, until end of input or /quit.

    In a terminal, prompt_toolkit edits the line (arrows, history); Ctrl-C clears it, Ctrl-D
    leaves, and log lines and daily posts print above the prompt. Piped input is read as is.
    """
    greeting = N_("fanbot console — /help lists the commands, /quit or Ctrl-D leaves.")
    print(translator(core.language)._(greeting), file=stdout)  # FANBOT_LANGUAGE / --language
    if stdin.isatty() and stdout.isatty():
        await _edited_lines(core)
    else:
        await _piped_lines(core, stdin, stdout)


async def _answer(core: Core, line: str, stdout: TextIO) -> bool:
    """Answer one line; False when it asks to leave."""
    line = line.strip()
    if line in ("/quit", "/exit", "quit", "exit"):
        return False
    if line:
        caller, chat_ = console_identity()
        reply = await core.handle_line(line, caller, chat_)
        print(render(reply), file=stdout, flush=True)
        print(file=stdout)
    return True


async def _piped_lines(core: Core, stdin: TextIO, stdout: TextIO) -> None:
    while line := await asyncio.to_thread(stdin.readline):
        if not await _answer(core, line, stdout):
            break


async def _edited_lines(core: Core) -> None:
    session: PromptSession[str] = PromptSession(history=InMemoryHistory())
    with patch_stdout(raw=True), _logs_above_prompt():
        while True:
            try:
                line = await session.prompt_async(PROMPT)
            except KeyboardInterrupt:  # Ctrl-C: drop the line, as a shell does
                continue
            except EOFError:  # Ctrl-D on an empty line
                break
            if not await _answer(core, line, sys.stdout):
                break


@contextlib.contextmanager
def _logs_above_prompt() -> Iterator[None]:
    """Point the log handlers at patch_stdout's stderr while the prompt is shown."""
    moved = [
        (h, h.stream)
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.stream in (sys.__stderr__, sys.__stdout__)
    ]
    for handler, _ in moved:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


class ConsoleNotifier:
    """Scheduled posts for the console chat: printed where the conversation is."""

    platform = "console"

    def __init__(self, stdout: TextIO | None = None):
        self.stdout = stdout  # None: wherever sys.stdout is then (above the prompt)

    def pages(self, reply: Reply) -> list[Reply]:
        return [reply]  # a terminal takes any length

    async def send_page(self, chat_id: str, page: Reply, key: str) -> Delivery:
        label = translator(page.language)._("[daily post]")  # the post's own language
        print(f"\n{label} {render(page)}\n", file=self.stdout or sys.stdout, flush=True)
        return Delivery(chat_id=chat_id)
