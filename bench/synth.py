"""A synthetic store the size the benchmarks ask for: 100,000 facts over 10,000 subjects.

Deterministic for a seed, shaped like the real data: groups with members, soloists, every kind
of fact with its fields, dates spread over 2013-2027 (some known only to the month or year),
facts that concern one to three subjects, and the seed facts themselves so `V` resolves.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
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
    normalize_name,
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

    Store.open makes the schema (every migration); `bulk_load` fills it in one transaction.
    """
    path = Path(path)
    _remove(path)
    bundle = synth_bundle(n_subjects, n_facts, seed)
    await (await Store.open(path)).close()
    bulk_load(path, bundle)


# Per-row triggers that rebuild a fact's JSON copies of its subjects and sources: the bulk
# load leaves them out while it inserts, then fills the copies for all facts at once from the
# views the triggers read (as migration 0008 does) and puts the triggers back.
_ROW_TRIGGERS = ("fact_subjects_inserted", "fact_sources_inserted")


def bulk_load(path: Path, bundle: Bundle) -> None:
    """Insert a bundle into an empty, migrated store with plain sqlite3, in one transaction.

    The rows are those `Store.import_bundle` writes (tests/test_bench_synth.py compares the
    two table by table), made in seconds instead of minutes: executemany, no per-row trips.
    """
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("BEGIN IMMEDIATE")
        triggers = [
            sql
            for (sql,) in con.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)",
                _ROW_TRIGGERS,
            )
        ]
        for name in _ROW_TRIGGERS:
            con.execute(f"DROP TRIGGER {name}")
        ids = _load_subjects(con, bundle.subjects)
        _load_facts(con, bundle.facts, ids)
        con.execute(
            "UPDATE facts SET"
            " subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id),"
            " source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = facts.id)"
        )
        con.execute(
            """
            INSERT INTO facts_fts(rowid, summary, details, names)
            SELECT f.id, f.summary,
              (SELECT group_concat(value, ' ') FROM json_tree(f.details) WHERE atom IS NOT NULL),
              (SELECT group_concat(a.alias, ' ') FROM fact_subjects fs
                 JOIN aliases a ON a.subject_id = fs.subject_id WHERE fs.fact_id = f.id)
            FROM facts f ORDER BY f.id
            """
        )
        for sql in triggers:
            con.execute(sql)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _load_subjects(con: sqlite3.Connection, subjects: list[NewSubject]) -> dict[str, int]:
    """Subjects in the order import_all takes them (groups first); their ids by slug."""
    ordered = sorted(subjects, key=lambda s: s.kind != SubjectKind.GROUP)
    con.executemany(
        "INSERT INTO subjects(slug, name, kind) VALUES (?, ?, ?)",
        [(s.slug, s.name, s.kind.value) for s in ordered],
    )
    ids = {slug: sid for slug, sid in con.execute("SELECT slug, id FROM subjects")}
    aliases = []
    for s in ordered:
        for alias in dict.fromkeys([s.name, *s.aliases]):
            if normalize_name(alias):
                aliases.append((ids[s.slug], alias, normalize_name(alias)))
    con.executemany(
        "INSERT OR IGNORE INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)", aliases
    )
    con.executemany(
        "INSERT INTO memberships(group_id, member_id) VALUES (?, ?)",
        [(ids[g], ids[s.slug]) for s in ordered for g in s.groups],
    )
    return ids


def _load_facts(con: sqlite3.Connection, facts: list[NewFact], ids: dict[str, int]) -> None:
    """Facts with the ids upsert_fact gives them, their subjects and sources in order."""
    rows, links, sources = [], [], []
    used: set[int] = set()
    top = 0  # SQLite gives a row without an id the largest id so far, plus one
    for new in facts:
        fact_id = new.id if new.id is not None and new.id not in used else top + 1
        used.add(fact_id)
        top = max(top, fact_id)
        d = new.date
        details = json.dumps(new.details, ensure_ascii=False, sort_keys=True)
        rows.append(
            (
                fact_id,
                new.key,
                new.kind.value,
                new.summary,
                d.year,
                d.month,
                d.day,
                details,
                int(new.hidden),
            )
        )
        for position, slug in enumerate(dict.fromkeys(new.subjects)):
            links.append((fact_id, ids[slug], position))
        for position, src in enumerate(new.sources):
            sources.append((fact_id, position, src.title, src.url, src.publisher, src.published))
    con.executemany(
        "INSERT INTO facts(id, key, kind, summary, year, month, day, details, hidden)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.executemany(
        "INSERT INTO fact_subjects(fact_id, subject_id, position) VALUES (?, ?, ?)", links
    )
    con.executemany(
        "INSERT INTO fact_sources(fact_id, position, title, url, publisher, published)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        sources,
    )


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
