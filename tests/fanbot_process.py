"""The real `fanbot` command in a subprocess, as an operator runs it, with a clean environment.

Tests of what an operator sees (exit codes, one-line messages, no traceback) run it this way:
the settings come only from what the test passes, never from the machine's environment.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

FANBOT = [sys.executable, "-m", "adapters.cli"]
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds; a process that hangs (an open aiosqlite thread) fails the test


def environment(db: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The machine's environment without fanbot's settings, plus FANBOT_DB and `env`."""
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FANBOT_", "TELEGRAM_", "DISCORD_"))
    }
    out.update(FANBOT_DB=str(db), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    out.update(env or {})
    return out


def fanbot(
    args: list[str],
    cwd: Path,
    db: Path,
    stdin: str | None = None,
    prefix: list[str] = (),  # type: ignore[assignment]
    preexec_fn: Callable[[], None] | None = None,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[str] = subprocess.PIPE,  # or where the output goes: a pipe, /dev/full
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *FANBOT, *args],
        cwd=cwd,
        env=environment(db, env),
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=preexec_fn,
    )


async def fanbot_async(
    args: list[str], cwd: Path, db: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The same, awaited: the test's event loop keeps serving an emulator meanwhile."""
    proc = await asyncio.create_subprocess_exec(
        *FANBOT,
        *args,
        cwd=cwd,
        env=environment(db, env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


def one_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """Assert the exit code and a stderr of exactly one line holding `words`; return it."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def seeded_store(folder: Path) -> bytes:
    """The bytes of a store seeded by a first `fanbot ask`, for tests to start from a copy."""
    result = fanbot(["ask", "/help"], folder, folder / "fanbot.db")
    assert result.returncode == 0, result.stderr
    return (folder / "fanbot.db").read_bytes()
