"""The console adapter: chat with the core in a terminal, no token needed."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from bot.context import Caller, Chat
from bot.core import Core
from bot.notify import Delivery
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
    """Read a line, answer it, until end of input or /quit."""
    caller, chat_ = console_identity()
    interactive = stdin.isatty()
    print("fanbot console — /help lists the commands, /quit or Ctrl-D leaves.", file=stdout)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit", "quit", "exit"):
            break
        reply = await core.handle_line(line, caller, chat_)
        print(render(reply), file=stdout, flush=True)
        print(file=stdout)


class ConsoleNotifier:
    """Scheduled posts for the console chat: printed where the conversation is."""

    platform = "console"

    def __init__(self, stdout: TextIO = sys.stdout):
        self.stdout = stdout

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        print(f"\n[daily post] {render(reply)}\n", file=self.stdout, flush=True)
        return Delivery(chat_id=chat_id)
