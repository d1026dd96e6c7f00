"""`fanbot backup` / `fanbot restore` as an operator runs them, beside a running `fanbot run`:
real processes over real SQLite files."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from pathlib import Path

from tests.test_cli import FANBOT, run

OPERATOR = {"LOGNAME": "ops", "USER": "ops", "FANBOT_ADMINS": "console:ops"}


def rows_of(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {n: conn.execute(f'SELECT * FROM "{n}"').fetchall() for (n,) in names}
    finally:
        conn.close()


class Running:
    """`fanbot run` with no token: the console chat, fed line by line, answers read back."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    async def say(self, line: str, until: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        seen = ""
        while (m := re.search(until, seen)) is None:
            chunk = await asyncio.wait_for(self.proc.stdout.readline(), timeout=30)
            assert chunk, f"fanbot run ended before answering {line!r}: {seen}"
            seen += chunk.decode()
        return m.group(0)


async def start(tmp_path: Path) -> Running:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "TELEGRAM_"))}
    env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
    env.update(OPERATOR, FANBOT_DB=str(tmp_path / "data" / "fanbot.db"))
    proc = await asyncio.create_subprocess_exec(
        *FANBOT,
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return Running(proc)


async def cli(args: list[str], tmp_path: Path, **env: str):
    return await asyncio.to_thread(run, args, tmp_path, **OPERATOR, **env)


async def test_back_up_a_running_bot_and_restore_it_elsewhere(tmp_path: Path) -> None:
    bot = await start(tmp_path)
    try:
        await bot.say("/subscribe 8:30pm America/New_York V", r"(?m)^Subscribed$")
        added = await bot.say(
            '/addevent IU 2024-02-03 "IU held a fan meeting" https://a.com/1', r"Added #\d+"
        )
        fact = added.removeprefix("Added ")
        await bot.say(f"/edit {fact} date 2024-02-04 https://a.com/2", f"Changed {fact}")

        made = await cli(["backup", "backup.db"], tmp_path)  # while it runs and holds the store
        assert made.returncode == 0, made.stderr
        assert "Backed up" in made.stdout and "backup.db" in made.stdout

        store = tmp_path / "data" / "fanbot.db"
        before = rows_of(store)
        refused = await cli(["restore", "backup.db"], tmp_path)
        assert refused.returncode == 1
        assert "is in use (a running fanbot has it open). Stop fanbot" in refused.stderr
        assert "Traceback" not in refused.stderr and rows_of(store) == before
    finally:
        assert bot.proc.stdin is not None
        bot.proc.stdin.close()
        assert await asyncio.wait_for(bot.proc.wait(), timeout=30) == 0

    elsewhere = {"FANBOT_DB": str(tmp_path / "new-machine" / "fanbot.db")}
    restored = await cli(["restore", "backup.db"], tmp_path, **elsewhere)
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout
    subscriptions = await cli(["ask", "/subscriptions"], tmp_path, **elsewhere)
    assert "20:30" in subscriptions.stdout and "America/New_York" in subscriptions.stdout
    for _ in ("the edit", "the add"):
        undone = await cli(["admin", "undo"], tmp_path, **elsewhere)
        assert undone.returncode == 0 and "Undone: change" in undone.stdout, undone.stdout
    history = await cli(["ask", f"/history {fact}"], tmp_path, **elsewhere)
    assert history.stdout.count("[undone by change") == 2

    # With the bot stopped, restoring over its store works and keeps the one it replaced.
    over = await cli(["restore", "backup.db"], tmp_path)
    assert over.returncode == 0, over.stderr
    assert "The store it replaced is kept as" in over.stdout
    kept = [p.name for p in (tmp_path / "data").iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1


async def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    exported = tmp_path / "facts.yaml"
    assert (await cli(["export", str(exported)], tmp_path)).returncode == 0
    store = tmp_path / "data" / "fanbot.db"
    before = store.read_bytes()
    refused = await cli(["restore", str(exported)], tmp_path)
    assert refused.returncode == 1
    assert "is not a fanbot backup: it is not a SQLite database" in refused.stderr
    assert "The store was left as it was." in refused.stderr
    assert store.read_bytes() == before
