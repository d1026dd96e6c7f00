"""The console chat in a real pseudo-terminal: line editing, history, Ctrl-C and Ctrl-D."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
UP, LEFT = "\x1b[A", "\x1b[D"


def spawn(tmp_path: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "TELEGRAM_"))}
    env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
    env.update(FANBOT_DB=str(tmp_path / "fanbot.db"), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return pexpect.spawn(
        sys.executable,
        ["-m", "adapters.cli", "chat"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 200),
    )


def test_arrows_edit_and_recall_ctrl_c_clears_ctrl_d_leaves(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    child.expect("fanbot>")
    child.send("/status V\r")
    child.expect("military service")
    child.expect("fanbot>")
    # Up recalls /status V; Left moves into the line; the edit lands where the cursor is.
    child.send(UP + LEFT * 2 + "X\x7f" + "\r")
    child.expect("military service")  # the recalled line, unchanged after X and backspace
    child.expect("fanbot>")
    child.send("/milestone nobody-at-all\x03")  # Ctrl-C: the line is dropped, the chat goes on
    child.expect("fanbot>")
    child.send("/milestone V\r")
    child.expect("10 million likes")
    child.expect("fanbot>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "^[[A" not in child.before and "nobody-at-all" not in child.before
