"""A store that stops taking writes while fanbot serves (made immutable under it, as a disk
turned read-only would be): each change is refused with the reason, the operator reads one
line per failure and no traceback, and `chat` and `run` end with exit 1, not 0.

`chattr +i` stops writes even through files already open, and even for root (whom file modes
do not stop); where it cannot be used the test is skipped, saying why.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fanbot_process import FANBOT, TIMEOUT, environment, fanbot, seeded_store

OPERATOR = {"USER": "ops", "LOGNAME": "ops", "FANBOT_ADMINS": "console:ops"}


def _chattr_works(folder: Path) -> str | None:
    """None if `chattr +i` can make a file in `folder` immutable here; else why not."""
    if shutil.which("chattr") is None:
        return "chattr is not installed"
    probe = folder / "probe"
    probe.write_text("x")
    made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
    if made.returncode != 0:
        return f"chattr +i is refused here: {made.stderr.strip()}"
    try:
        with probe.open("a") as fh:
            fh.write("y")
        return "an immutable file still takes writes here"
    except PermissionError:
        return None
    finally:
        subprocess.run(["chattr", "-i", str(probe)], check=True)
        probe.unlink()


@pytest.fixture
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("store")
    why = _chattr_works(folder)
    if why is not None:
        pytest.skip(f"needs chattr +i to stop writes to an open store: {why}")
    seeded = seeded_store(tmp_path_factory.mktemp("seeded"))
    db = folder / "fanbot.db"
    db.write_bytes(seeded)
    yield db
    for path in folder.iterdir():  # pytest must be able to remove it
        subprocess.run(["chattr", "-i", str(path)], check=False)


def _read_until(stream, text: str) -> str:
    seen = ""
    while text not in seen:
        line = stream.readline()
        assert line, f"fanbot ended before saying {text!r}: {seen}"
        seen += line
    return seen


@pytest.mark.parametrize("command", ["chat", "run"])
def test_a_store_that_stops_taking_writes_is_said_and_run_exits_1(
    tmp_path: Path, store: Path, command: str
) -> None:
    env = {**environment(store, OPERATOR), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*FANBOT, command],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/addalias V Tae2 https://example.org/a\n")
        proc.stdin.flush()
        assert "Recorded." in _read_until(proc.stdout, "Recorded.")
        # The file and its -wal; the -shm is shared memory, which SQLite maps and would take
        # a SIGBUS on, where a read-only mount makes SQLite map it read-only instead.
        files = [str(store), f"{store}-wal"]
        subprocess.run(["chattr", "+i", *files], check=True)
        out, err = proc.communicate(
            "/addalias V Tae3 https://example.org/a\n/milestone Tae3\n/quit\n", timeout=TIMEOUT
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "The bot's store could not be read or written" in out
    assert "so nothing was changed" in out and "I don't know anyone called “Tae3”" in out
    assert "Traceback" not in err and "Something went wrong" not in out
    failures = [line for line in err.splitlines() if "the change was not made" in line]
    assert len(failures) == 1, err
    assert f"/addalias: {store} could not be read or written" in failures[0]
    said = [line for line in err.splitlines() if line.startswith("fanbot: ")]
    assert said == [
        f"fanbot: 1 write(s) to {store} failed while serving (it turned read-only, or its disk "
        "filled up or failed); see the log."
    ]
    assert proc.returncode == 1
    subprocess.run(["chattr", "-i", *files], check=True)
    # Once writable again, the first change is there and the refused one is not.
    assert fanbot(["ask", "/milestone Tae2"], tmp_path, store).returncode == 0
    assert fanbot(["ask", "/milestone Tae3"], tmp_path, store).returncode == 1
