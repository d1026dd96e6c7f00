"""The store's one change signal (issue 19): a counter per part, moved by the store itself.

Each write path is the real one (an admin command, `fanbot import`'s bundle import, a chat
remembered, a delivery claimed), made by a second Store on the same file — another process,
as `fanbot admin` beside a running bot is — and read back by the first.
"""

from __future__ import annotations

import datetime as dt

from bot.context import Caller
from bot.core import Core
from storage.backend import Changes
from storage.bundle import Bundle
from storage.editors import Editor
from storage.models import FactKind, NewFact, NewSubject, PartialDate, Source, SubjectKind
from storage.store import Store
from tests.conftest import ask, text_of

ADMIN = Caller("console", "root-admin", "Root")
AT = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)


def moved(store: Store, before: Changes) -> frozenset[str]:
    return store.db.changes().moved(before)


async def test_an_alias_moves_names_only(store: Store, other: Core) -> None:
    before = store.db.changes()
    added = await ask(other, '/addalias V Taetae "Soompi, 2024"', ADMIN)
    assert not added.error, text_of(added)
    # The alias also re-indexes V's facts for search; that is no change of a fact.
    assert moved(store, before) == {"names"}


async def test_a_fact_moves_facts_only(store: Store, other: Core) -> None:
    before = store.db.changes()
    added = await ask(
        other,
        '/addmilestone IU 2024-03-05 "Love wins all reached 100 million views" '
        "https://www.soompi.com/article/lwa-100m YouTube views 100000000",
        ADMIN,
    )
    assert not added.error, text_of(added)
    assert moved(store, before) == {"facts"}


async def test_chats_and_editors_move_chats(store: Store, other: Core) -> None:
    before = store.db.changes()
    await other.store.chats.set_language("telegram", "-100", "ko", "group", "ARMY")
    assert moved(store, before) == {"chats"}
    before = store.db.changes()
    async with other.store.transaction() as tx:
        await tx.editors.put(
            Editor("telegram", "777", "Mina", "console:root-admin", AT.isoformat())
        )
    assert moved(store, before) == {"chats"}


async def test_a_delivery_moves_nothing(store: Store, other: Core) -> None:
    sub = await other.store.subscriptions.put(
        "telegram", "-100", "group", "ARMY", dt.time(9), "Asia/Seoul", (), "root-admin", AT
    )
    before = store.db.changes()
    committed = store.db.data_version()
    claim = await other.store.subscriptions.claim(
        sub.id, dt.date(2026, 12, 2), "p1", AT, dt.timedelta(minutes=5)
    )
    assert claim is not None
    assert store.db.data_version() != committed  # the file did move
    assert moved(store, before) == frozenset()


async def test_an_import_moves_names_and_facts(store: Store, other: Core) -> None:
    before = store.db.changes()
    bundle = Bundle(
        subjects=[NewSubject("zb", "Zebrafinch", SubjectKind.SOLOIST, ("제브라",))],
        facts=[],
        extra={},
    )
    await other.store.import_bundle(bundle, "new.yaml", at=AT)
    assert "names" in moved(store, before)


async def test_a_bulk_import_moves_each_part_once_not_once_per_row(store: Store) -> None:
    """A 100,000-fact import spent a third of its time bumping counters row by row."""
    subjects = [NewSubject(f"s{i}", f"Singer {i}", SubjectKind.SOLOIST) for i in range(20)]
    facts = [
        NewFact(
            key=f"f{i}",
            kind=FactKind.EVENT,
            summary=f"Event {i}",
            date=PartialDate(2020, 1, 1 + i % 28),
            subjects=(f"s{i % 20}",),
            sources=(Source(f"Source {i}"),),
        )
        for i in range(100)
    ]
    before = store.db.changes()
    await store.import_bundle(Bundle(subjects=subjects, facts=facts), "many.yaml", at=AT)
    after = store.db.changes()
    assert (after.names - before.names, after.facts - before.facts) == (1, 1)
    assert after.chats == before.chats
    unchanged = store.db.changes()
    await store.import_bundle(Bundle(), "empty.yaml", at=AT)  # nothing written, nothing moved
    assert store.db.changes() == unchanged


async def test_nothing_committed_costs_no_read_of_the_counters(store: Store) -> None:
    first = store.db.changes()
    assert store.db.changes() is first  # the same object: only PRAGMA data_version was asked
