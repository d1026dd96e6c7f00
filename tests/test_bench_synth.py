"""The benchmarks' bulk loader writes the very rows `Store.import_bundle` writes.

The benchmark stores (up to 1,000,000 facts) are filled with plain sqlite3 in one transaction,
the per-row triggers set aside and their JSON copies and the search index built in bulk; the
benchmarks are only about fanbot if what they read is what fanbot would have written.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bench.synth import bulk_load, synth_bundle
from storage.store import Store

# Columns that say when a row was written, not what it holds.
_WHEN = {"created_at", "updated_at"}


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'facts_fts_%' ORDER BY name"
            )
        ]
        out: dict[str, list[tuple]] = {
            "schema": [
                tuple(r)
                for r in con.execute(
                    "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
                )
            ]
        }
        for name in names:
            kind = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            if kind[0] != "table":
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


def test_bulk_load_writes_what_import_writes(tmp_path: Path) -> None:
    bundle = synth_bundle(n_subjects=120, n_facts=600, seed=5)

    async def imported(path: Path) -> None:
        async with await Store.open(path) as store:
            await store.import_bundle(bundle, "test")

    async def migrated(path: Path) -> None:
        await (await Store.open(path)).close()

    asyncio.run(imported(tmp_path / "import.db"))
    asyncio.run(migrated(tmp_path / "bulk.db"))
    bulk_load(tmp_path / "bulk.db", bundle)

    want, got = _tables(tmp_path / "import.db"), _tables(tmp_path / "bulk.db")
    assert set(got) == set(want)
    for table in want:
        assert got[table] == want[table], table
    assert len(got["facts"]) == 600 and len(got["facts_fts"]) == 600
