"""The catalogue's cost in requests and time, against the MusicBrainz emulator on 127.0.0.1.

1. Following a 7-member group with 300 release groups at one request a second: the requests
   made beside the least the API allows (1 lookup + the members' lookups + the pages of 100),
   and the time beside what that count costs at 1 request/s (the pacing floor).
2. A resync of 50 followed artists that changed nothing (at a fast test interval): what it
   wrote (facts, audit entries), which should be nothing but each artist's last-synced time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.musicbrainz.client import MusicBrainzClient
from bench.report import Report
from bot.catalog.sync import sync_all, sync_artist
from bot.settings import PROJECT_ROOT
from storage.store import Store
from tests.emulators.musicbrainz_api import BTS, MusicBrainzEmulator, _artist, _release_group

ZONE = ZoneInfo("Asia/Seoul")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RELEASE_GROUPS = 300
FOLLOWED = 50
FAST = 0.02


async def follow_group(folder: Path) -> tuple[int, int, float, int]:
    """(requests made, the least possible, seconds taken, facts added) at 1 request/s."""
    async with MusicBrainzEmulator(min_interval=1.0) as mb:
        groups = mb.release_groups[BTS]
        day = dt.date(2000, 1, 1)
        while len(groups) < RELEASE_GROUPS:
            day += dt.timedelta(days=17)
            groups.append(_release_group(f"Bench {len(groups)}", "Single", day.isoformat()))
        members = len(mb.artists[BTS]["relations"])
        least = 1 + members + math.ceil(RELEASE_GROUPS / 100)
        async with (
            await Store.open(folder / "group.db") as store,
            MusicBrainzClient(mb.url, "bench@example.org", interval=1.0) as client,
        ):
            await store.seed_if_empty(PROJECT_ROOT / "seeds")
            start = time.perf_counter()
            report = await sync_artist(store, client, BTS, NOW, ZONE)
            took = time.perf_counter() - start
        return report.requests, least, took, report.added


async def resync_unchanged(folder: Path) -> tuple[int, int, int, float]:
    """(facts written, audit entries written, requests, seconds) for a resync of 50."""
    async with MusicBrainzEmulator(min_interval=FAST) as mb:
        artists = []
        for n in range(FOLLOWED):
            artist = _artist(f"Bench Soloist {n}", "Person", f"199{n % 10}-0{1 + n % 9}-1{n % 9}")
            mb.add(artist)
            mb.release_groups[artist["id"]] = [
                _release_group(f"Bench {n}-{k}", "Single", f"20{10 + k}-05-0{1 + n % 9}")
                for k in range(5)
            ]
            artists.append(artist["id"])
        async with (
            await Store.open(folder / "fifty.db") as store,
            MusicBrainzClient(mb.url, "bench@example.org", interval=FAST) as client,
        ):
            for mbid in artists:
                await sync_artist(store, client, mbid, NOW, ZONE)
            _, facts_before = await store.facts.export_all()
            audit_before = await store.audit.count()
            requests = client.requests
            start = time.perf_counter()
            await sync_all(store, client, NOW + dt.timedelta(days=1), ZONE)
            took = time.perf_counter() - start
            _, facts_after = await store.facts.export_all()
            changed = sum(a != b for a, b in zip(facts_before, facts_after, strict=True))
            changed += abs(len(facts_after) - len(facts_before))
            return (
                changed,
                await store.audit.count() - audit_before,
                client.requests - requests,
                took,
            )


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        requests, least, took, added = await follow_group(Path(tmp))
        changed, audited, resync_requests, resync_took = await resync_unchanged(Path(tmp))
    report = Report("catalog")
    report.figures.update(
        {
            "follow": {"requests": requests, "least": least, "seconds": took, "facts": added},
            "resync": {
                "artists": FOLLOWED,
                "requests": resync_requests,
                "seconds": resync_took,
                "facts_written": changed,
                "audit_written": audited,
            },
            "targets": {
                "following a group takes the least requests the API allows": requests == least,
                f"a resync of {FOLLOWED} unchanged artists writes nothing": changed == audited == 0,
            },
        }
    )
    report.text("### Catalogue (MusicBrainz emulator on 127.0.0.1)")
    report.table(
        ["step", "requests", "least the API allows", "time", "at 1 request/s"],
        [
            [
                f"follow a 7-member group, {RELEASE_GROUPS} release groups ({added} facts)",
                requests,
                least,
                f"{took:.1f} s",
                f"{least - 1} s of pacing",
            ]
        ],
    )
    report.text(
        f"A resync of {FOLLOWED} followed artists that changed nothing ({resync_requests} "
        f"requests at {FAST} s apart, {resync_took:.1f} s): {changed} facts and {audited} audit "
        "entries written (only each artist's last-synced time)."
    )
    report.finish()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
