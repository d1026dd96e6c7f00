"""The search index is the store's to keep (issue 19): whatever path writes a name or a fact
(an import, an admin alias, the catalogue), `/search` finds it, and `stale_index` is empty."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from storage import bundle as bundles
from storage.store import Store
from tests.conftest import SEEDS

AT = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


async def _alias_added_by_import(store: Store, tmp_path: Path, alias: str) -> None:
    bundle = await store.export_bundle(at=AT)
    bundle.subjects = [
        replace(s, aliases=(*s.aliases, alias)) if s.slug == "iu" else s for s in bundle.subjects
    ]
    path = tmp_path / "bundle.yaml"
    bundles.write_file(path, bundles.dump(bundle))
    await store.import_bundle(bundles.read_file(path), str(path), at=AT + dt.timedelta(hours=1))


async def test_an_alias_imported_is_searchable(store: Store, tmp_path: Path) -> None:
    assert not await store.search.search("Jieungsi")
    await _alias_added_by_import(store, tmp_path, "Jieungsi")
    found = await store.search.search("Jieungsi")
    assert found and all(any(s.slug == "iu" for s in f.subjects) for f in found)
    assert await store.facts.stale_refs() == []


async def test_stale_refs_sees_a_search_entry_out_of_step(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "own.db") as store:
        await store.seed_if_empty(SEEDS)
        assert await store.facts.stale_refs() == []
        first = min(f.id for f in await store.facts.dated_facts())
        async with store.db.transaction() as ex:
            await ex.execute("UPDATE facts_fts SET names = 'nobody' WHERE rowid = ?", (first,))
        assert await store.facts.stale_refs() == [first]
        async with store.db.transaction() as ex:
            await ex.execute("DELETE FROM facts_fts WHERE rowid = ?", (first,))
        assert await store.facts.stale_refs() == [first]


async def test_an_alias_added_by_an_admin_is_searchable_and_its_removal_too(store: Store) -> None:
    iu = await store.facts.subject_by_slug("iu")
    assert iu is not None
    async with store.transaction() as tx:
        await tx.names.add_alias(iu.id, "Dlwlrma")
    assert await store.search.search("Dlwlrma")
    async with store.transaction() as tx:
        await tx.names.remove_alias(iu.id, "Dlwlrma")
    assert await store.search.search("Dlwlrma") == []
