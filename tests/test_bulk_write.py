"""An import writes set-based (storage/bulk.py): the per-row triggers aside, each touched
fact's JSON copies and search entry built once at the end (issue 14, item 11). What it leaves
must be exactly what the per-row path leaves: the store's own writes, one fact at a time,
with every trigger firing. A failure midway leaves nothing, the triggers included.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bench.synth import synth_bundle
from storage.bulk import ROW_TRIGGERS
from storage.bundle import Bundle
from storage.models import Source
from storage.store import Store

AT = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
# Columns that say when a row was written, not what it holds.
_WHEN = {"created_at", "updated_at"}


def tables(path: Path, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every table's rows (the search index's too) and the schema, triggers included."""
    con = sqlite3.connect(path)
    try:
        out: dict[str, list[tuple]] = {
            "schema": [
                tuple(r)
                for r in con.execute(
                    "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
                )
            ]
        }
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'facts_fts_%' ORDER BY name"
            )
        ]
        for name in names:
            if name in skip:
                continue
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({name})") if r[1] not in _WHEN]
            if name == "facts_fts":
                cols = ["rowid", *cols]
            out[name] = sorted(
                con.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall(), key=repr
            )
        return out
    finally:
        con.close()


async def fill_row_by_row(store: Store, bundle: Bundle) -> None:
    """The per-row path: the store's writes one subject and one fact at a time (as admin
    commands make them), every trigger firing and each search entry written at once."""
    async with store.transaction() as tx:
        for subject in sorted(bundle.subjects, key=lambda s: s.kind.value != "group"):
            await tx.names.upsert_subject(subject)
        for fact in bundle.facts:
            await tx.facts.upsert_fact(fact)


def assert_same(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    assert set(got) == set(want)
    for table in want:
        assert got[table] == want[table], table


def changed(bundle: Bundle) -> Bundle:
    """The bundle with a new alias on a subject, and one fact's subjects, source and summary
    changed: a second import touches existing rows, not only new ones."""
    subjects = list(bundle.subjects)
    i = next(n for n, s in enumerate(subjects) if s.slug == "s1")
    subjects[i] = replace(subjects[i], aliases=(*subjects[i].aliases, "Zebrafinch"))
    facts = list(bundle.facts)
    j = next(n for n, f in enumerate(facts) if f.key == "synth-7")
    facts[j] = replace(
        facts[j],
        subjects=("s1", *facts[j].subjects),
        sources=(Source(title="A later source", url="https://example.com/later"),),
        summary="Synthetic fact seven, corrected",
    )
    return Bundle(subjects=subjects, facts=facts)


def test_an_import_leaves_what_the_per_row_path_leaves(tmp_path: Path) -> None:
    first = synth_bundle(n_subjects=80, n_facts=400, seed=3)
    second = changed(first)

    async def imported(path: Path) -> tuple[list[int], list[int]]:
        async with await Store.open(path) as store:
            await store.import_bundle(first, "a.yaml", at=AT)
            await store.import_bundle(second, "b.yaml", at=AT, overwrite=True)
            alias_hits = [f.id for f in await store.search.search("Zebrafinch")]
            return alias_hits, await store.facts.stale_refs()

    async def per_row(path: Path) -> None:
        async with await Store.open(path) as store:
            await fill_row_by_row(store, first)
            await fill_row_by_row(store, second)

    hits, stale = asyncio.run(imported(tmp_path / "import.db"))
    asyncio.run(per_row(tmp_path / "rows.db"))
    # The audit trail is the import's own (the per-row path records none), and the change
    # signal counts writes, not what they left; every other row is equal, the search index's too.
    skip = ("audit_log", "changes")
    assert_same(tables(tmp_path / "import.db", skip), tables(tmp_path / "rows.db", skip))
    assert stale == []
    # The alias added by the second import finds the facts about its subject, the one
    # fact that gained that subject among them.
    con = sqlite3.connect(tmp_path / "import.db")
    about = {
        r[0]
        for r in con.execute(
            "SELECT fact_id FROM fact_subjects JOIN subjects s ON s.id = subject_id"
            " WHERE s.slug = 's1'"
        )
    }
    seven = con.execute("SELECT id FROM facts WHERE key = 'synth-7'").fetchone()[0]
    con.close()
    assert seven in about and set(hits) == about


def test_a_failed_bulk_write_leaves_nothing_and_the_triggers_back(tmp_path: Path) -> None:
    bundle = synth_bundle(n_subjects=30, n_facts=60, seed=4)
    path = tmp_path / "store.db"

    async def fail() -> None:
        async with await Store.open(path) as store:
            before = tables(path)
            with pytest.raises(RuntimeError, match="midway"):
                async with store.transaction() as tx:
                    async with tx.bulk():
                        await tx.names.upsert_subjects(bundle.subjects)
                        await tx.facts.upsert_facts(bundle.facts)
                        raise RuntimeError("midway")
            assert tables(path) == before
            # A later write by the per-row path still has its triggers keeping the copies.
            await fill_row_by_row(store, bundle)
            assert await store.facts.stale_refs() == []

    asyncio.run(fail())
    con = sqlite3.connect(path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    con.close()
    assert set(ROW_TRIGGERS) <= names
