"""A store fanbot cannot use stops every command at once: exit 2, one line, the file untouched.

Each case runs the real `fanbot` in a subprocess with a timeout, since the failure these
guard against was a process that never exited (an open aiosqlite thread) after a traceback.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fanbot_process import fanbot

ROOT = Path(__file__).resolve().parent.parent
PAGE = 4096
COMMANDS = {
    "ask": (["ask", "/milestone V"], None),
    "admin": (["admin", "addalias", "V", "Tae2", "https://example.org/a"], None),
    "export": (["export", "-"], None),
    "import": (["import", str(ROOT / "seeds" / "001_love_wins_all.yaml")], None),
    "chat": (["chat"], "/milestone V\n"),
    "run": (["run"], "/milestone V\n"),
}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a seeded, fully checkpointed store."""
    folder = tmp_path_factory.mktemp("good")
    result = fanbot(["ask", "/help"], folder, folder / "good.db")
    assert result.returncode == 0, result.stderr
    return (folder / "good.db").read_bytes()


def garbage_after_header(good: bytes) -> bytes:
    return good[:16] + b"\xab" * 5000


def damaged_schema_page(good: bytes) -> bytes:
    return good[:100] + b"\xff" * (PAGE - 100) + good[PAGE:]


def damaged_index_page(good: bytes) -> bytes:
    """An index page with an invalid page type: the file opens, quick_check fails."""
    db = bytearray(good)
    db[12 * PAGE] = 0x07  # page 13 (facts_by_date), a leaf index page (0x0a)
    return bytes(db)


def truncated(size: int | float) -> Callable[[bytes], bytes]:
    return lambda good: good[: int(size if size >= 1 else len(good) * size)]


BROKEN = {
    "garbage after the header": garbage_after_header,
    "damaged schema page": damaged_schema_page,
    "damaged index page": damaged_index_page,
    **{f"truncated to {n}": truncated(n) for n in (20, 100, 1000, PAGE, 0.5, 0.9)},
}


def assert_refused(result: subprocess.CompletedProcess[str], db: Path, reason: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith(f"fanbot: {db}") and reason in lines[0], lines[0]


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_store_stops_ask_at_once_untouched(
    tmp_path: Path, good_store: bytes, case: str
) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(BROKEN[case](good_store))
    before = db.read_bytes()
    result = fanbot(["ask", "/milestone V"], tmp_path, db)
    assert_refused(result, db, "")
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", ["garbage after the header", "truncated to 0.5"])
def test_a_broken_store_stops_every_command(
    tmp_path: Path, good_store: bytes, case: str, command: str
) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(BROKEN[case](good_store))
    before = db.read_bytes()
    args, stdin = COMMANDS[command]
    assert_refused(fanbot(args, tmp_path, db, stdin), db, "")
    assert db.read_bytes() == before


def test_a_store_that_opens_but_fails_its_check_takes_no_write(
    tmp_path: Path, good_store: bytes
) -> None:
    db = tmp_path / "damaged.db"
    db.write_bytes(damaged_index_page(good_store))
    before = db.read_bytes()
    args, _ = COMMANDS["admin"]  # today: "Recorded." on a store whose quick_check fails
    result = fanbot(args, tmp_path, db)
    assert_refused(result, db, "failed its integrity check (")
    assert "will not write to it" in result.stderr and "Page 13" in result.stderr
    assert db.read_bytes() == before


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -rm for a read-only mount")
@pytest.mark.parametrize("what", ["file", "folder"])
@pytest.mark.parametrize("command", ["ask", "run", "admin"])
def test_a_read_only_store_is_refused_at_start(
    tmp_path: Path, good_store: bytes, what: str, command: str
) -> None:
    """A read-only mount (of the file, or of its folder) is said at start; nothing hangs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "fanbot.db"
    db.write_bytes(good_store)
    target = db if what == "file" else folder
    # The sandbox may run as root, whom a chmod does not stop; a read-only bind mount does.
    mount = ["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"']
    args, stdin = COMMANDS[command]
    result = fanbot(args, tmp_path, db, stdin, prefix=[*mount, str(target)])
    assert_refused(result, db, "is read-only")
    assert "Make it writable, or point FANBOT_DB at a writable copy" in result.stderr
    assert db.read_bytes() == good_store and os.listdir(folder) == ["fanbot.db"]


def _disk_full_after(size: int) -> Callable[[], None]:
    """In the child: no file may grow past `size` bytes, as on a full disk (EFBIG, not a kill)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.parametrize("existing", [True, False], ids=["existing store", "new store"])
@pytest.mark.parametrize("command", ["ask", "import", "run"])
def test_a_full_disk_stops_the_start(
    tmp_path: Path, good_store: bytes, existing: bool, command: str
) -> None:
    db = tmp_path / "fanbot.db"
    if existing:
        db.write_bytes(good_store)
    args, stdin = COMMANDS[command]
    result = fanbot(args, tmp_path, db, stdin, preexec_fn=_disk_full_after(8192))
    assert_refused(result, db, "")
    assert "disk" in result.stderr
    if existing:
        assert db.read_bytes() == good_store


def test_an_older_schema_that_fails_to_migrate_is_one_line_and_left_as_it_was(
    tmp_path: Path, good_store: bytes
) -> None:
    db = tmp_path / "old.db"
    db.write_bytes(good_store)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 7")  # says 0008 is owed, though its views exist
    conn.commit()
    conn.close()
    before = sqlite3.connect(db).execute("SELECT sql FROM sqlite_master").fetchall()
    result = fanbot(["ask", "/help"], tmp_path, db)
    assert_refused(result, db, "migration 0008_fact_refs.sql failed")
    assert "left as it was, at schema 7" in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone() == (7,)
    assert conn.execute("SELECT sql FROM sqlite_master").fetchall() == before
    conn.close()


def test_the_start_says_where_the_store_is_and_that_it_was_created(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = fanbot(["ask", "/help"], elsewhere, Path("data/fanbot.db"))
    assert first.returncode == 0
    assert (
        f"created a new store at {elsewhere / 'data' / 'fanbot.db'} "
        "(data/fanbot.db is relative to the working directory)"
    ) in first.stderr
    again = fanbot(["run"], elsewhere, Path("data/fanbot.db"), stdin="")
    assert f"opened the store at {elsewhere / 'data' / 'fanbot.db'}" in again.stderr
    assert "created" not in again.stderr
