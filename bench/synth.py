"""A synthetic store the size the benchmarks ask for: 100,000 facts over 10,000 subjects.

Deterministic for a seed, shaped like the real data: groups with members, soloists, every kind
of fact with its fields, dates spread over 2013-2027 (some known only to the month or year),
facts that concern one to three subjects, and the seed facts themselves so `V` resolves.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT
from storage import bundle as bundles
from storage.bundle import Bundle
from storage.models import (
    FactKind,
    NewFact,
    NewSubject,
    PartialDate,
    Source,
    SubjectKind,
)
from storage.store import Store

_SYLLABLES = [
    "min",
    "ji",
    "seo",
    "hyun",
    "jun",
    "woo",
    "soo",
    "na",
    "ra",
    "yeon",
    "tae",
    "ha",
    "eun",
    "bin",
    "kyu",
    "dong",
    "chan",
    "joon",
    "ah",
    "rin",
]
_HANGUL = ["민", "지", "서", "현", "준", "우", "수", "나", "라", "연", "태", "하", "은", "빈"]
_STATES = ["active", "military service", "hiatus", "active"]


def _name(rng: random.Random) -> tuple[str, str]:
    parts = rng.sample(range(len(_SYLLABLES)), 2)
    latin = "".join(_SYLLABLES[i] for i in parts).capitalize()
    hangul = "".join(_HANGUL[i % len(_HANGUL)] for i in parts)
    return latin, hangul


def _date(rng: random.Random) -> PartialDate:
    year = rng.randint(2013, 2027)
    roll = rng.random()
    if roll < 0.05:
        return PartialDate(year)
    month = rng.randint(1, 12)
    if roll < 0.15:
        return PartialDate(year, month)
    return PartialDate(year, month, rng.randint(1, 28))


def _details(kind: FactKind, rng: random.Random, n: int, date: PartialDate) -> dict:
    if kind is FactKind.RELEASE:
        return {"title": f"Song {n}", "type": rng.choice(["single", "album", "music video"])}
    if kind is FactKind.MILESTONE:
        return {
            "platform": rng.choice(["YouTube", "Spotify", "Instagram"]),
            "metric": rng.choice(["views", "streams", "likes"]),
            "value": rng.randint(1, 900) * 1_000_000,
        }
    if kind is FactKind.STATUS:
        # As in the seeds: some began on their date, some were only seen then ("as of"),
        # some have ended, so digests meet day counts, as-of statuses and status ends.
        roll = rng.random()
        out: dict = {"state": rng.choice(_STATES)}
        out["since" if roll < 0.5 else "as_of"] = date.iso()
        if roll < 0.25 and date.day is not None:
            out["until"] = (
                f"{min(date.year + rng.randint(1, 2), 2027)}-{date.month:02d}-{date.day:02d}"
            )
        return out
    return {"what": f"Event number {n}"}


def synth_bundle(n_subjects: int = 10_000, n_facts: int = 100_000, seed: int = 1) -> Bundle:
    """Subjects and facts in the seed format; the real seed facts come first, unchanged."""
    rng = random.Random(seed)
    out = bundles.read_dir(PROJECT_ROOT / "seeds")
    groups: list[str] = []
    slugs = [s.slug for s in out.subjects]
    for i in range(max(0, n_subjects - len(out.subjects))):
        latin, hangul = _name(rng)
        slug = f"s{i}"
        if i % 10 == 0:
            kind, member_of = SubjectKind.GROUP, ()
            groups.append(slug)
        elif groups and i % 10 < 7:
            kind, member_of = SubjectKind.MEMBER, (groups[-1],)
        else:
            kind, member_of = SubjectKind.SOLOIST, ()
        out.subjects.append(
            NewSubject(
                slug=slug,
                name=f"{latin} {i}",
                kind=kind,
                aliases=(f"{hangul}{i}", f"{latin.lower()}{i}"),
                groups=member_of,
            )
        )
        slugs.append(slug)
    source = Source(title="Synthetic benchmark source", publisher="bench")
    kinds = list(FactKind)
    for n in range(max(0, n_facts - len(out.facts))):
        kind = kinds[n % len(kinds)]
        date = _date(rng)
        about = tuple(dict.fromkeys(rng.choice(slugs) for _ in range(rng.randint(1, 3))))
        out.facts.append(
            NewFact(
                key=f"synth-{n}",
                kind=kind,
                summary=f"Synthetic {kind} fact {n}",
                date=date,
                subjects=about,
                sources=(source,),
                details=_details(kind, rng, n, date),
            )
        )
    return out


async def build_store(
    path: Path | str, n_subjects: int = 10_000, n_facts: int = 100_000, seed: int = 1
) -> None:
    """Write the synthetic store to a fresh SQLite file (removing any file already there).

    Store.open makes the schema (every migration); `Store.import_bundle` fills it in one
    transaction as seeding does (nothing audited), through the store's bulk write
    (storage/bulk.py): the benchmarks read exactly what fanbot writes.
    """
    path = Path(path)
    _remove(path)
    bundle = synth_bundle(n_subjects, n_facts, seed)
    async with await Store.open(path) as store:
        await store.import_bundle(bundle, "bench")


CACHE = PROJECT_ROOT / "data" / "bench-cache"


async def cached_store(
    n_subjects: int = 10_000, n_facts: int = 100_000, seed: int = 1, copy_to: Path | None = None
) -> Path:
    """The synthetic store, built once (a few minutes) and reused; a copy when copy_to is given.

    The cache is keyed by this generator and the migrations, so a schema change rebuilds it.
    """
    built = _cache_path(n_subjects, n_facts, seed)
    if not built.exists():
        partial = built.with_suffix(".partial")
        await build_store(partial, n_subjects, n_facts, seed)
        partial.rename(built)
    if copy_to is None:
        return built
    _remove(Path(copy_to))
    shutil.copyfile(built, copy_to)
    return Path(copy_to)


def _cache_path(n_subjects: int, n_facts: int, seed: int) -> Path:
    digest = hashlib.sha1(Path(__file__).read_bytes())
    for migration in sorted((PROJECT_ROOT / "storage" / "migrations").glob("*.sql")):
        digest.update(migration.read_bytes())
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE / f"synth-{n_subjects}-{n_facts}-{seed}-{digest.hexdigest()[:12]}.db"


def _remove(path: Path) -> None:
    """A database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    import asyncio
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/bench.db")
    started = time.perf_counter()
    asyncio.run(build_store(target, *(int(a) for a in sys.argv[2:4])))
    print(f"built {target} in {time.perf_counter() - started:.1f} s")
