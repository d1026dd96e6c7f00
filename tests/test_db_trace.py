"""Database.trace: the statements a store ran, with their parameters, each once.

The benchmarks' floors replay exactly these statements in plain sqlite3, so a statement
reported twice (SQLite reports a statement again as each of its triggers starts) would make a
floor do more work than fanbot did, and a missing one less.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from storage.models import FactKind, NewFact, NewSubject, PartialDate, Source, SubjectKind
from storage.store import Store


@pytest.mark.asyncio
async def test_trace_reports_each_statement_once_with_its_parameters(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "t.db") as store:
        seen: list[str] = []
        await store.db.trace(seen.append)
        async with store.transaction() as tx:
            await tx.names.upsert_subject(
                NewSubject(slug="iu", name="IU", kind=SubjectKind.SOLOIST)
            )
            await tx.facts.upsert_fact(
                NewFact(
                    key="k1",
                    kind=FactKind.EVENT,
                    summary="A concert",
                    date=PartialDate(2024, 5, 1),
                    subjects=("iu",),
                    sources=(Source("An article"),),
                ),
            )
        await store.subscriptions.delivered_on(dt.date(2025, 1, 2))
        store.db.data_version()
        await store.db.trace(None)
        await store.facts.slugs()

    assert seen[0] == "BEGIN IMMEDIATE" and "COMMIT" in seen
    # Each row insert that fires triggers (the change signal, the JSON copies) is reported once.
    assert sum(s.startswith("INSERT INTO subjects") for s in seen) == 1
    assert sum(s.startswith("INSERT INTO fact_subjects") for s in seen) == 1
    assert sum(s.startswith("INSERT INTO fact_sources") for s in seen) == 1
    # Parameters are filled in, so the statement can be run again as it is.
    assert (
        "SELECT subscription_id FROM deliveries WHERE local_date = '2025-01-02'"
        " AND state = 'delivered'"
    ) in seen
    assert "PRAGMA data_version" in seen  # the watcher connection is traced too
    assert "SELECT slug FROM subjects" not in seen  # after trace(None), nothing more
