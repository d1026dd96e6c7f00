"""`fanbot catalog …` as an operator runs it: a real process, the emulator, a real SQLite file."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.emulators.musicbrainz_api import BTS, HANEUL, MusicBrainzEmulator, V, mbid
from tests.test_cli import FANBOT

FAST = 0.1


@pytest.fixture
async def mb() -> AsyncIterator[MusicBrainzEmulator]:
    async with MusicBrainzEmulator(min_interval=FAST) as emulator:
        yield emulator


def _env(tmp_path: Path, mb: MusicBrainzEmulator, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "TELEGRAM_"))}
    env.update(
        FANBOT_DB=str(tmp_path / "fanbot.db"),
        FANBOT_CONTACT="ops@example.org",
        FANBOT_MUSICBRAINZ_URL=mb.url,
        FANBOT_MUSICBRAINZ_INTERVAL=str(FAST),
    )
    env.update(extra)
    return env


async def start(tmp_path: Path, mb: MusicBrainzEmulator, *args: str, **extra: str):
    return await asyncio.create_subprocess_exec(
        *FANBOT,
        *args,
        cwd=tmp_path,
        env=_env(tmp_path, mb, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def fanbot(tmp_path: Path, mb: MusicBrainzEmulator, *args: str, **extra: str):
    proc = await start(tmp_path, mb, *args, **extra)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_add_by_name_lists_candidates_then_add_list_sync_remove(tmp_path, mb) -> None:
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "add", "BTS")
    assert code == 0
    assert f"BTS (Group, KR, South Korean boy band)  {BTS}" in out
    assert "BTS (Person, US, US rapper)" in out and "--mbid" in out

    accepted = len(mb.accepted())
    code, out, err = await fanbot(tmp_path, mb, "catalog", "add", "--mbid", BTS)
    assert code == 0, err
    # One progress line; a 503 for the previous process's request counts as one more request.
    assert "requests, 125 facts added, 0 updated" in out and "Following BTS." in out
    assert len(mb.accepted()) - accepted == 10
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "list")
    assert code == 0 and f"BTS  {BTS}  last synced 20" in out
    # What the "done when" asks, through `fanbot ask` over the same store.
    site = mb.url.removesuffix("/ws/2/")
    for line, expected in (
        ("/milestone Jungkook", "No milestones recorded for Jung Kook yet"),
        ("/birthday BTS", "30 December 1995 · V's birthday"),
        ("/release BTS", f"{site}/release-group/"),
        ("/today 2025-12-30", "30th anniversary: V was born"),
    ):
        code, out, err = await fanbot(tmp_path, mb, "ask", line)
        assert code == 0 and expected in out, out + err
        # MusicBrainz has no records (milestones): /milestone knows him, with nothing to cite.
        assert line.startswith("/milestone") or ("MusicBrainz" in out and site in out)
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "sync")
    assert code == 0 and "requests, 0 facts added, 0 updated, 125 unchanged" in out
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "remove", "BTS")
    assert code == 0 and "No longer following BTS" in out
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "list")
    assert "No artist is followed yet" in out


async def test_bad_input_and_a_missing_contact_get_one_line(tmp_path, mb) -> None:
    code, _, err = await fanbot(tmp_path, mb, "catalog", "add", "--mbid", "BTS")
    assert code == 1 and "not a MusicBrainz id" in err
    code, _, err = await fanbot(tmp_path, mb, "catalog", "add", "--mbid", mbid("nobody"))
    assert code == 1 and "MusicBrainz has no artist" in err
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "add", "Nobody At All")
    assert code == 1 and "knows no artist called" in out
    code, _, err = await fanbot(tmp_path, mb, "catalog", "sync", FANBOT_CONTACT="")
    assert code == 2 and "FANBOT_CONTACT is not set" in err
    code, _, err = await fanbot(tmp_path, mb, "catalog", "remove", "IU")
    assert code == 1 and "not one followed artist" in err
    for output in (err, out):
        assert "Traceback" not in output


def _birth_and_releases(db: Path, member: str, artist: str) -> tuple[str, int]:
    with sqlite3.connect(db) as conn:
        born = conn.execute(
            "SELECT printf('%04d-%02d-%02d', year, month, day) FROM facts WHERE key = ?",
            (f"mb-birth-{member}",),
        ).fetchone()
        releases = conn.execute(
            "SELECT count(*) FROM facts f JOIN fact_subjects fs ON fs.fact_id = f.id"
            " JOIN subject_mbids m ON m.subject_id = fs.subject_id"
            " WHERE f.kind = 'release' AND m.mbid = ?",
            (artist,),
        ).fetchone()
    return born[0], releases[0]


async def test_a_kill_in_the_middle_of_a_sync_leaves_each_artist_whole(tmp_path, mb) -> None:
    for who in (BTS, HANEUL):
        code, _, err = await fanbot(tmp_path, mb, "catalog", "add", "--mbid", who)
        assert code == 0, err
    db = tmp_path / "fanbot.db"
    mina = mbid("Mina")
    mb.artists[V]["life-span"]["begin"] = "1995-12-31"
    mb.artists[mina]["life-span"]["begin"] = "1998-03-22"
    before_haneul = _birth_and_releases(db, mina, HANEUL)
    # BTS syncs first (by name); Haneul's release-group browse is held until the kill.
    mb.hold, mb.hold_path = asyncio.Event(), f"artist={HANEUL}"
    proc = await start(tmp_path, mb, "catalog", "sync")
    await asyncio.wait_for(mb.holding.wait(), 60)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    mb.hold.set()
    assert _birth_and_releases(db, V, BTS) == ("1995-12-31", 117)  # BTS: fully updated
    assert _birth_and_releases(db, mina, HANEUL) == before_haneul  # Haneul: as it was
    assert before_haneul[0] == "1998-03-21"
    mb.hold = None
    code, out, _ = await fanbot(tmp_path, mb, "catalog", "sync")
    assert code == 0 and "0 facts added, 1 updated" in out.split("Haneul:")[1]
