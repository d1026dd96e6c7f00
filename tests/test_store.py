"""The store on a real SQLite file: migrations, persistence, refusal of foreign files, import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import bundle as bundles
from storage import search
from storage.bundle import BundleError
from storage.db import latest_version
from storage.errors import NotASQLiteFile, StoreTooNew
from storage.models import FactKind, NewSubject, PartialDate
from storage.store import Store
from tests.conftest import SEEDS


async def test_migrations_wal_and_foreign_keys(store: Store, db_path: Path) -> None:
    assert await store.db.user_version() == latest_version()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"subjects", "aliases", "memberships", "facts", "fact_subjects", "facts_fts"} <= tables
    row = await store.db.fetchone("PRAGMA foreign_keys")
    assert row[0] == 1


async def test_seed_has_the_article_facts(store: Store) -> None:
    v = await store.facts.subject_by_slug("v")
    assert v is not None and {"Taehyung", "Kim Taehyung", "뷔", "김태형"} <= set(v.aliases)
    assert [g.slug for g in v.groups] == ["bts"]
    iu = await store.facts.subject_by_slug("iu")
    assert iu is not None and iu.kind.value == "soloist" and not iu.groups
    milestones = await store.facts.facts_about([v.id], FactKind.MILESTONE)
    assert len(milestones) == 1
    record = milestones[0]
    assert record.date == PartialDate(2024, 1, 28)
    assert record.details["value"] == 10_000_000
    assert record.details["time_taken"] == "6 h 55 min"
    assert {s.slug for s in record.subjects} == {"v", "iu"}
    assert record.sources[0].published == "2024-01-28"
    mv = [
        f
        for f in await store.facts.facts_about([iu.id], FactKind.RELEASE)
        if f.details["type"] == "music video"
    ]
    assert mv and {s.slug for s in mv[0].subjects} == {"iu", "v"}


async def test_restart_keeps_every_fact(tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    async with await Store.open(path) as first:
        assert await first.seed_if_empty(SEEDS)
        before = bundles.dump(await first.export_bundle())
    async with await Store.open(path) as again:
        assert not await again.seed_if_empty(SEEDS)  # not empty: no second seeding
        assert bundles.dump(await again.export_bundle()) == before
        assert await again.facts.count_facts() == 8


async def test_seed_import_is_idempotent(store: Store) -> None:
    before = bundles.dump(await store.export_bundle())
    seed = bundles.read_dir(SEEDS)
    await store.import_bundle(seed, "seeds")
    await store.import_bundle(seed, "seeds")
    assert bundles.dump(await store.export_bundle()) == before


async def test_export_import_round_trip(store: Store, tmp_path: Path) -> None:
    exported = bundles.dump(await store.export_bundle())
    path = tmp_path / "export.yaml"
    path.write_text(exported, encoding="utf-8")
    async with await Store.open(tmp_path / "other.db") as other:
        await other.import_bundle(bundles.read_file(path), str(path))
        assert bundles.dump(await other.export_bundle()) == exported


async def test_a_bad_bundle_changes_nothing(store: Store) -> None:
    before = bundles.dump(await store.export_bundle())
    data = {
        "subjects": [{"key": "jk", "name": "Jung Kook", "kind": "member", "groups": ["bts"]}],
        "facts": [
            {
                "key": "ok",
                "kind": "event",
                "date": "2024-02-01",
                "summary": "fine",
                "subjects": ["jk"],
                "sources": [{"title": "t"}],
            },
            {
                "key": "bad",
                "kind": "event",
                "date": "2024-02-01",
                "summary": "names a ghost",
                "subjects": ["nobody"],
                "sources": [{"title": "t"}],
            },
        ],
    }
    with pytest.raises(BundleError, match="nobody"):
        await store.import_bundle(bundles.parse(data, "test"), "test")
    assert bundles.dump(await store.export_bundle()) == before


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        ({"date": "2024-02-30"}, "has no day 30"),
        ({"date": "24/01/2024"}, "is not a date"),
        ({"kind": "rumour"}, "kind must be one of"),
        ({"sources": []}, "at least one source"),
        ({"subjects": []}, "at least one subject"),
        ({"details": {"colour": "red"}}, "has no field colour"),
    ],
)
def test_bundle_validation_names_the_problem(fact: dict, message: str) -> None:
    raw = {
        "key": "k",
        "kind": "event",
        "date": "2024-01-01",
        "summary": "s",
        "subjects": ["v"],
        "sources": [{"title": "t"}],
        **fact,
    }
    with pytest.raises(BundleError, match=message):
        bundles.parse({"facts": [raw]}, "f.yaml")


async def test_not_a_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 10
    path.write_bytes(content)
    with pytest.raises(NotASQLiteFile, match="not a SQLite database"):
        await Store.open(path)
    assert path.read_bytes() == content


async def test_a_store_from_a_newer_fanbot_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    conn.close()
    content = path.read_bytes()
    with pytest.raises(StoreTooNew, match="newer fanbot"):
        await Store.open(path)
    assert path.read_bytes() == content


async def test_a_failed_write_rolls_back(store: Store) -> None:
    count = await store.facts.count_facts()
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as ex:
            await ex.execute(
                "INSERT INTO facts(key, kind, summary, year) VALUES ('x', 'event', 'x', 2024)"
            )
            raise RuntimeError("boom")
    assert await store.facts.count_facts() == count


async def test_full_text_search_finds_words_and_names(store: Store) -> None:
    assert [f.key for f in await store.search.search("instagram likes")] == [
        "v-instagram-10m-likes"
    ]
    assert {f.key for f in await store.search.search("뷔 likes")} == {"v-instagram-10m-likes"}
    assert await store.search.search('"; DROP TABLE facts; --') == []
    assert await store.facts.count_facts() == 8


async def test_a_fact_keeps_its_subjects_and_sources_right_through_every_write(
    store: Store, db_path: Path
) -> None:
    """Facts carry a copy of their subjects and sources (for speed); no write may leave it stale."""
    v = await store.facts.subject_by_slug("v")
    assert v is not None
    renamed = NewSubject(
        v.slug, "Kim Taehyung V", v.kind, v.aliases, tuple(g.slug for g in v.groups)
    )
    async with store.transaction() as tx:
        await tx.names.upsert_subject(renamed)
    (record,) = await store.facts.facts_about([v.id], FactKind.MILESTONE)
    assert "Kim Taehyung V" in {s.name for s in record.subjects}
    # A subject removed from the tables is gone from the copy too (cascading delete).
    iu = await store.facts.subject_by_slug("iu")
    assert iu is not None
    about_iu = sorted(f.id for f in await store.facts.facts_about([iu.id]))
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM subjects WHERE slug = 'iu'")
        conn.execute(
            "UPDATE fact_sources SET title = 'Renamed source' WHERE fact_id = ?", (record.id,)
        )
    again = await store.facts.fact(record.id)
    assert again is not None and {s.slug for s in again.subjects} == {"v"}
    assert {s.title for s in again.sources} == {"Renamed source"}
    # The copies follow; the search entries, kept by the store's writes, do not follow SQL
    # behind its back, and the check says which (then the store's own indexing mends them).
    assert await store.facts.stale_refs() == about_iu
    async with store.db.transaction() as ex:
        await search.index_facts(ex, about_iu)
    assert await store.facts.stale_refs() == []
    # The check itself: a copy changed behind the triggers' back is reported.
    with conn:
        conn.execute("UPDATE facts SET source_refs = '[]' WHERE id = ?", (record.id,))
    assert await store.facts.stale_refs() == [record.id]
    with conn:
        conn.execute(
            "UPDATE facts SET source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = ?)"
            " WHERE id = ?",
            (record.id, record.id),
        )
    conn.close()


async def test_a_store_from_before_the_kept_copies_is_filled_in_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Store.open(path) as first:
        await first.seed_if_empty(SEEDS)
        before = bundles.dump(await first.export_bundle())
    conn = sqlite3.connect(path)
    with conn:  # back to schema 7: no copies, no triggers, no views
        for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
        ).fetchall():
            conn.execute(f"DROP {kind.upper()} {name}")
        conn.execute("DROP TABLE changes")  # ... and 0031's change signal
        conn.execute("DROP TABLE job_runs")  # ... and 0032's once-a-day jobs
        conn.execute("ALTER TABLE facts DROP COLUMN subject_refs")
        conn.execute("ALTER TABLE facts DROP COLUMN source_refs")
        # ... and 0010's ledger (the old one-row-per-post deliveries table).
        conn.execute("DROP TABLE delivery_pages")
        conn.execute("DROP TABLE deliveries")
        conn.execute(
            "CREATE TABLE deliveries (subscription_id INTEGER NOT NULL, local_date TEXT NOT NULL,"
            " delivered_at TEXT NOT NULL, chat_id TEXT NOT NULL,"
            " message_ids TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (subscription_id, local_date))"
        )
        conn.execute("ALTER TABLE subscriptions DROP COLUMN owed_from")
        # ... and 0011's catalogue.
        conn.execute("DROP TABLE subject_mbids")
        conn.execute("DROP TABLE catalog_followed")
        conn.execute("ALTER TABLE chats DROP COLUMN language")  # ... and 0030's
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    async with await Store.open(path) as again:
        assert await again.db.user_version() == latest_version()
        assert await again.facts.stale_refs() == []
        assert bundles.dump(await again.export_bundle()) == before
