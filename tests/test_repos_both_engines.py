"""Chats, subscriptions, the delivery ledger and editors, the same tests on SQLite and on a real
PostgreSQL server (issue 20): the repositories run unchanged on either engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

from storage.dialect import sql_for
from storage.editors import Editor
from storage.store import Store
from storage.subscriptions import PageRecord
from tests.conftest import open_store

NOW = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)
DAY = dt.date(2025, 1, 24)
LEASE = dt.timedelta(minutes=10)
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def subscribe(store: Store, chat_id: str = "-100", subjects: tuple[int, ...] = (1, 2)):
    return await store.subscriptions.put(
        "telegram", chat_id, "group", "fans", dt.time(9, 0), "Asia/Seoul", subjects, "tg:1", NOW
    )


# ---- chats --------------------------------------------------------------------------------


async def test_a_chat_is_made_once_followed_and_retired(any_store: Store) -> None:
    chats = any_store.chats
    first = await chats.ensure("telegram", "-100", "group", "fans")
    again = await chats.ensure("telegram", "-100", "supergroup")  # no title: the old one stays
    assert again.id == first.id and (again.kind, again.title, again.active) == (
        "supergroup",
        "fans",
        True,
    )
    await chats.gone("telegram", "-100", "kicked")
    gone = await chats.get("telegram", "-100")
    assert gone is not None and not gone.active and gone.inactive_reason == "kicked"
    back = await chats.ensure("telegram", "-100")
    assert back.active and back.inactive_reason is None
    row = await any_store.db.fetchone("SELECT updated_at FROM chats WHERE id = ?", (first.id,))
    assert row is not None and STAMP.fullmatch(row["updated_at"])  # the same text on both


async def test_a_chat_that_moved_takes_its_subscription_along(any_store: Store) -> None:
    chats = any_store.chats
    sub = await subscribe(any_store, "-100")
    await chats.moved("telegram", "-100", "-100999")
    assert await chats.get("telegram", "-100") is None
    moved = await any_store.subscriptions.for_chat("telegram", "-100999")
    assert moved is not None and moved.id == sub.id
    await chats.ensure("telegram", "-5")
    await chats.moved("telegram", "-5", "-100999")  # onto a known chat: nothing moves
    assert await chats.get("telegram", "-5") is not None


async def test_a_chats_language_is_set_and_cleared(any_store: Store) -> None:
    chats = any_store.chats
    made = await chats.set_language("discord", "42", "ko", "guild", "ARMY")
    assert made.language == "ko" and await chats.by_id(made.id) == made
    await chats.set_language("telegram", "-1", "ja", "group", None)
    assert await chats.languages() == {("discord", "42"): "ko", ("telegram", "-1"): "ja"}
    cleared = await chats.set_language("discord", "42", None, "guild", "ARMY")
    assert cleared.language is None and await chats.languages() == {("telegram", "-1"): "ja"}


# ---- subscriptions --------------------------------------------------------------------------


async def test_one_subscription_per_chat_changed_and_removed(any_store: Store) -> None:
    subs = any_store.subscriptions
    heard: list[int] = []
    subs.listeners.append(lambda: heard.append(1))
    first = await subscribe(any_store, subjects=(3, 1))
    assert (first.at, first.zone, first.subject_ids) == (dt.time(9), "Asia/Seoul", (3, 1))
    assert first.owed_from == NOW and first.active and first.chat_title == "fans"
    changed = await subs.put(
        "telegram", "-100", "group", None, dt.time(20, 30), "UTC", (), "tg:2", NOW
    )
    assert changed.id == first.id and changed.at == dt.time(20, 30) and changed.subject_ids == ()
    assert await subs.get(first.id) == changed and await subs.active() == [changed]
    await any_store.chats.gone("telegram", "-100", "blocked")
    stopped = await subs.get(first.id)
    assert stopped is not None and not stopped.active and stopped.inactive_reason == "blocked"
    assert await subs.active() == []
    assert await subs.remove("telegram", "-100") and not await subs.remove("telegram", "-100")
    assert await subs.get(first.id) is None and len(heard) == 4


# ---- the delivery ledger ----------------------------------------------------------------------


async def test_a_day_is_claimed_once_and_a_lapsed_lease_is_taken_over(any_store: Store) -> None:
    subs = any_store.subscriptions
    sub = await subscribe(any_store)
    mine = await subs.claim(sub.id, DAY, "a", NOW, LEASE)
    assert mine is not None and mine.pages == ()
    assert await subs.claim(sub.id, DAY, "b", NOW + dt.timedelta(minutes=9), LEASE) is None
    assert await subs.claim(sub.id, DAY, "a", NOW, LEASE) is not None  # its owner may resume
    await subs.record_page(mine, PageRecord(0, "accepted", "-100", "m1"), NOW, LEASE, last=False)
    # The page renewed the lease to NOW + 10 min: at NOW + 10 min it has run out.
    later = NOW + LEASE
    taken = await subs.claim(sub.id, DAY, "b", later, LEASE)
    assert taken is not None and taken.pages == (PageRecord(0, "accepted", "-100", "m1"),)
    assert await subs.claim(sub.id, DAY, "a", later, LEASE) is None
    assert await subs.claim(sub.id, DAY + dt.timedelta(days=1), "a", later, LEASE) is not None


async def test_pages_are_recorded_once_and_the_last_closes_the_claim(any_store: Store) -> None:
    subs = any_store.subscriptions
    sub = await subscribe(any_store)
    claim = await subs.claim(sub.id, DAY, "a", NOW, LEASE)
    assert claim is not None
    pages = [
        PageRecord(0, "accepted", "-100", "m1"),
        PageRecord(1, "unknown", "-100"),
        PageRecord(2, "accepted", "-100", "m3"),
    ]
    await subs.record_page(claim, pages[0], NOW, LEASE, last=False)
    # The same page again (a retry after a lost answer) keeps the first record.
    await subs.record_page(claim, PageRecord(0, "accepted", "-100", "x"), NOW, LEASE, last=False)
    await subs.record_page(claim, pages[1], NOW, LEASE, last=False)
    assert await subs.delivered_on(DAY) == set()
    await subs.record_page(claim, pages[2], NOW, LEASE, last=True)
    assert await subs.delivered_on(DAY) == {sub.id}
    assert await subs.ledger() == [(sub.id, DAY.isoformat())]
    assert await subs.pages_on(DAY) == {sub.id: tuple(pages)}
    row = await any_store.db.fetchone(
        "SELECT state, claimed_by, message_ids, delivered_at FROM deliveries"
        " WHERE subscription_id = ?",
        (sub.id,),
    )
    assert row is not None and (row["state"], row["claimed_by"]) == ("delivered", None)
    assert json.loads(row["message_ids"]) == ["m1", "m3"]  # page order, unknown pages left out
    assert row["delivered_at"] == "2025-01-24T00:00:00.000000Z"
    assert await subs.claim(sub.id, DAY, "b", NOW + dt.timedelta(days=1), LEASE) is None


async def test_a_released_claim_is_free_for_the_next_tick(any_store: Store) -> None:
    subs = any_store.subscriptions
    sub = await subscribe(any_store)
    claim = await subs.claim(sub.id, DAY, "a", NOW, LEASE)
    assert claim is not None
    await subs.release(claim)
    assert await subs.claim(sub.id, DAY, "b", NOW, LEASE) is not None


async def test_two_stores_claiming_the_same_days_at_once_one_wins_each(
    engine: str, engine_db: str, any_store: Store
) -> None:
    """Two processes on one database, every (subscription, day) claimed by both at the same
    moment: exactly one claim each, on SQLite's file lock as on PostgreSQL's unique row."""
    subs = [await subscribe(any_store, f"-10{n}") for n in range(10)]
    days = [DAY + dt.timedelta(days=n) for n in range(5)]
    other = await open_store(engine, engine_db)
    try:

        async def claim_all(store: Store, owner: str) -> list[bool]:
            async def one(sid: int, day: dt.date) -> bool:
                return await store.subscriptions.claim(sid, day, owner, NOW, LEASE) is not None

            return list(await asyncio.gather(*(one(s.id, d) for s in subs for d in days)))

        a, b = await asyncio.gather(claim_all(any_store, "a"), claim_all(other, "b"))
    finally:
        await other.close()
    assert [x + y for x, y in zip(a, b, strict=True)] == [1] * (len(subs) * len(days))
    rows = await any_store.db.fetchall("SELECT claimed_by, count(*) FROM deliveries GROUP BY 1")
    won = {owner: n for owner, n in (("a", sum(a)), ("b", sum(b))) if n}
    assert {r[0]: int(r[1]) for r in rows} == won  # each claim is the winner's in the store


# ---- editors ---------------------------------------------------------------------------------


async def test_editors_are_granted_changed_listed_and_removed(any_store: Store) -> None:
    mina = Editor("telegram", "789", "Mina", "telegram:1", "2025-01-01T00:00:00+00:00")
    jin = Editor("discord", "55", "Jin", "discord:1", "2025-01-02T00:00:00+00:00")
    async with any_store.transaction() as tx:
        await tx.editors.put(mina)
        await tx.editors.import_rows([jin])
        assert await tx.editors.get("telegram", "789") == mina  # its own write, in the tx
    assert await any_store.editors.is_editor("telegram", "789")
    assert await any_store.editors.all() == [jin, mina]  # by platform, then user id
    renamed = Editor("telegram", "789", "Mina K", "telegram:2", "2025-02-01T00:00:00+00:00")
    async with any_store.transaction() as tx:
        await tx.editors.put(renamed)
    assert await any_store.editors.export_rows() == [jin.to_dict(), renamed.to_dict()]
    async with any_store.transaction() as tx:
        await tx.editors.remove("telegram", "789")
        assert await tx.editors.get("telegram", "789") is None
    assert not await any_store.editors.is_editor("telegram", "789")


# ---- the dialect itself ----------------------------------------------------------------------


async def test_ids_in_and_now_utc_read_the_same_on_both(any_store: Store) -> None:
    sql = sql_for(any_store.db)
    made = [await any_store.chats.ensure("telegram", str(n)) for n in range(4)]
    wanted = [made[0].id, made[2].id]
    rows = await any_store.db.fetchall(
        f"SELECT chat_id FROM chats WHERE id IN ({sql.ids_in}) ORDER BY id",
        (json.dumps(wanted),),
    )
    assert [r["chat_id"] for r in rows] == ["0", "2"]
    row = await any_store.db.fetchone(f"SELECT {sql.now_utc} AS now")
    assert row is not None and STAMP.fullmatch(row["now"])
