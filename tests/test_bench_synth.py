"""The benchmarks' stores hold the very rows fanbot's own writes make.

The benchmark stores (up to 1,000,000 facts) are filled by `Store.import_bundle`, whose bulk
write (storage/bulk.py) sets the per-row triggers aside and builds the JSON copies and the
search index at the end; the benchmarks are only about fanbot if what they read is what the
per-row path (every trigger firing) would have written.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.synth import build_store, synth_bundle
from storage.store import Store
from tests.test_bulk_write import assert_same, fill_row_by_row, tables


def test_the_bench_store_holds_what_the_per_row_path_writes(tmp_path: Path) -> None:
    bundle = synth_bundle(n_subjects=120, n_facts=600, seed=5)

    async def per_row(path: Path) -> None:
        async with await Store.open(path) as store:
            await fill_row_by_row(store, bundle)

    asyncio.run(per_row(tmp_path / "rows.db"))
    asyncio.run(build_store(tmp_path / "bulk.db", n_subjects=120, n_facts=600, seed=5))

    skip = ("changes",)  # counts writes, not what they left
    got, want = tables(tmp_path / "bulk.db", skip), tables(tmp_path / "rows.db", skip)
    assert_same(got, want)
    assert len(got["facts"]) == 600 and len(got["facts_fts"]) == 600
    assert got["audit_log"] == []  # filled as seeding is: nothing recorded
