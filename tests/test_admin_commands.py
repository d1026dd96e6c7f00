"""Admins change facts from chat: add, correct, remove, with sources, history and undo.

Every test goes through the core (the path every platform takes) over a real SQLite file.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.admin.commands import edit as edit_command
from bot.clock import FixedClock
from bot.context import Caller, Chat, Context
from bot.core import Core
from bot.errors import FanbotError
from storage import bundle as bundles
from storage.store import Store
from tests.conftest import ask, text_of

ADMIN = Caller("telegram", "456", "Ada")
OTHER_ADMIN = Caller("discord", "123", "Bo")
MEMBER = Caller("telegram", "789", "Mina")
GROUP = Chat("telegram", "-100", "group", "IU fans")
ADD_MV = (
    '/addmilestone IU 2024-03-05 "Love wins all music video reached 100 million views" '
    "https://www.soompi.com/article/lwa-100m YouTube views 100000000"
)


@pytest.fixture
def admin_core(store: Store, clock: FixedClock) -> Core:
    from bot.app import all_commands

    return Core(
        store,
        clock,
        all_commands(),
        admins=frozenset({("telegram", "456"), ("discord", "123")}),
    )


async def dump(store: Store) -> str:
    return bundles.dump(await store.export_bundle())


async def say(core: Core, line: str, caller: Caller = ADMIN, chat: Chat = GROUP):
    return await core.handle_line(line, caller, chat)


async def added_id(core: Core, line: str, caller: Caller = ADMIN) -> int:
    reply = await say(core, line, caller)
    assert not reply.error, text_of(reply)
    assert reply.title.startswith("Added #")
    return int(reply.title.removeprefix("Added #"))


async def test_done_when_add_answer_refuse_history(
    admin_core: Core, store: Store, clock: FixedClock
) -> None:
    # A plain member is refused with a clear message, and nothing changes.
    before = await dump(store)
    refused = await say(admin_core, ADD_MV, MEMBER)
    assert refused.error
    assert "Only bot admins or editors can use /addmilestone; nothing was changed." in text_of(
        refused
    )
    assert await dump(store) == before

    # The admin adds it with a source; /milestone IU answers it, citing the source.
    fact_id = await added_id(admin_core, ADD_MV)
    answer = await ask(admin_core, "/milestone IU", MEMBER, GROUP)
    line = next(li for li in answer.lines if li.fact_id == fact_id)
    assert line.text == "Love wins all music video reached 100 million views"
    assert answer.sources[line.refs[0] - 1].url == "https://www.soompi.com/article/lwa-100m"

    # An edit an hour later, then an undo of it: history shows all three, who and when.
    clock.advance(dt.timedelta(hours=1))
    edited = await say(admin_core, f"/edit #{fact_id} value 100,500,000 https://x.com/ch/1")
    assert not edited.error, text_of(edited)
    clock.advance(dt.timedelta(minutes=5))
    undone = await say(admin_core, "/undo")
    assert not undone.error and "Undone" in undone.title

    history = text_of(await say(admin_core, f"/history #{fact_id}", MEMBER))
    lines = history.splitlines()
    added = next(li for li in lines if "added #" in li)
    changed = next(li for li in lines if "changed fact" in li)
    undid = next(li for li in lines if "undid change" in li)
    assert "2025-01-24 09:00 KST · Ada (telegram 456)" in added
    assert "2025-01-24 10:00 KST · Ada (telegram 456)" in changed
    assert "value: 100000000 → 100500000" in changed and "[undone by change" in changed
    assert "2025-01-24 10:05 KST · Ada (telegram 456)" in undid
    assert "value: 100500000 → 100000000" in undid
    assert "soompi.com" in history and "x.com" in history  # the sources each change cited

    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.details["value"] == 100_000_000


async def test_same_fact_twice_is_already_recorded(admin_core: Core, store: Store) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    before = await dump(store)
    again = await say(admin_core, ADD_MV.replace("Love wins all music video", "The LWA MV"))
    assert again.error and f"already recorded as #{fact_id}" in text_of(again)
    twice = await say(admin_core, ADD_MV, OTHER_ADMIN)
    assert twice.error and f"already recorded as #{fact_id}" in text_of(twice)
    assert await dump(store) == before
    # A removed fact is still the same fact: re-adding points at /restore.
    assert not (await say(admin_core, f"/remove #{fact_id} https://x.com/wrong")).error
    hidden = await say(admin_core, ADD_MV)
    assert hidden.error and f"/restore #{fact_id}" in text_of(hidden)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('/addevent IU 2024-02-30 "IU sang" https://a.com/x', "has no day 30"),
        ('/addevent IU 2024-13 "IU sang" https://a.com/x', "no month 13"),
        ('/addevent IU 2024-01-24 "IU sang" javascript:alert(1)', "starts with https://"),
        ('/addevent IU 2024-01-24 "IU sang" "https://exa mple.com"', "not a web address"),
        ('/addevent IU 2024-01-24 "IU sang" ftp://files.example.com/x', "starts with https://"),
        ('/addevent IU 2024-01-24 "IU sang" https://localhost/x', "not a web address"),
        ('/addevent IU 2024-01-24 "IU sang" ".."', "needs a source"),
        ('/addevent IU 2024-01-24 "!!" https://a.com/x', "summary needs some words"),
        ('/addevent IU 2024-01-24 "' + "x" * 350 + '" https://a.com/x', "too long"),
        ('/addmilestone IU 2024-01-24 "IU won" https://a.com/x YouTube views -5', "from 0"),
        ('/addevent Jimin 2024-01-24 "Jimin sang" https://a.com/x', "/addsubject"),
        ("/addsubject Jimin member https://a.com/x", "needs their group"),
        ("/addsubject Jimin member https://a.com/x IU", "IU is not a group"),
        ("/addsubject BTS group https://a.com/x", "already recorded"),
        ("/addalias V 뷔 https://a.com/x", "already has the alias"),
        ("/removealias V V https://a.com/x", "own name"),
        ("/removealias V Jimin https://a.com/x", "has no alias"),
        ("/edit #1 state touring https://a.com/x", "has no field state"),
        ("/edit #1 date 2024-02-30 https://a.com/x", "has no day 30"),
        ("/edit #1 date 2024-01-24 https://a.com/x", "Nothing to change"),
        ("/edit #999 date 2024-01-24 https://a.com/x", "no fact #999"),
        ("/restore #1 https://a.com/x", "not removed"),
        ("/editor add @mina", "can't look up @names"),
        ("/editor add telegram:abc", "is a number"),
        ("/undo", "no change left to undo"),
    ],
)
async def test_bad_changes_are_refused_and_change_nothing(
    admin_core: Core, store: Store, line: str, message: str
) -> None:
    before = await dump(store)
    reply = await say(admin_core, line)
    assert reply.error, text_of(reply)
    assert message in text_of(reply)
    assert "went wrong" not in text_of(reply)
    assert await dump(store) == before


async def test_numbers_by_name_are_checked(admin_core: Core, store: Store) -> None:
    before = await dump(store)
    raw = {"who": "IU", "date": "2024-01-24", "summary": "IU won", "source": "https://a.com/x"}
    for value, message in [("lots", "whole number"), ("-5", "from 0"), ("9" * 30, "from 0")]:
        reply = await admin_core.invoke("addmilestone", {**raw, "value": value}, ADMIN, GROUP)
        assert reply.error and message in text_of(reply)
    assert await dump(store) == before
    reply = await admin_core.invoke("addmilestone", {**raw, "value": "1000"}, ADMIN, GROUP)
    assert not reply.error


async def test_unknown_subject_offers_to_create_it_then_names_work_at_once(
    admin_core: Core, store: Store
) -> None:
    offer = await say(admin_core, '/addevent Jimin 2024-01-24 "Jimin sang" https://a.com/x')
    assert "add them first with /addsubject NAME KIND SOURCE" in text_of(offer)
    created = await say(
        admin_core, '/addsubject Jimin member https://a.com/x BTS "지민, Park Jimin"'
    )
    assert not created.error, text_of(created)
    # The resolver sees the new subject and its aliases at once.
    assert not (await ask(admin_core, "/milestone 지민")).error
    assert "BTS and its members" in (await ask(admin_core, "/status BTS")).title
    fact_id = await added_id(admin_core, '/addevent 지민 2024-01-24 "Jimin sang" https://a.com/x')
    assert (await ask(admin_core, "/milestone Chimchim")).error
    assert not (await say(admin_core, "/addalias Jimin Chimchim https://a.com/x")).error
    answer = await ask(admin_core, "/release Chimchim")
    assert not answer.error and "Jimin" in answer.title
    assert not (await say(admin_core, "/removealias Jimin Chimchim https://a.com/y")).error
    assert (await ask(admin_core, "/milestone Chimchim")).error
    # Search knows the new alias too (the full-text index follows alias changes).
    assert not (await say(admin_core, "/addalias Jimin Mochi https://a.com/x")).error
    found = await ask(admin_core, "/search Mochi")
    assert [li.fact_id for li in found.lines] == [fact_id]


async def test_an_alias_another_artist_has_is_added_with_a_warning(admin_core: Core) -> None:
    assert not (await say(admin_core, "/addsubject Jungkook member https://a.com/x BTS")).error
    plain = await say(admin_core, "/addalias Jungkook JK https://a.com/x")
    assert "/milestone JK now answers for Jungkook." in text_of(plain)

    shared = await say(admin_core, "/addalias Jungkook Tae https://a.com/x")
    said = text_of(shared)
    assert not shared.error and "now answers for" not in said
    assert "“Tae” is also a name of V (BTS)" in said
    assert "/milestone Tae will ask which one is meant: Jungkook (BTS) or V (BTS)" in said
    # What it said is what happens.
    asked = await ask(admin_core, "/milestone Tae")
    assert asked.error and "could be several people: Jungkook (BTS), V (BTS)" in text_of(asked)

    # Written differently, the exact spelling answers for one; the others ask.
    folded = await say(admin_core, "/addalias Jungkook taehyung https://a.com/x")
    said = text_of(folded)
    assert "/milestone taehyung answers for Jungkook" in said
    assert "other spellings of it (like Taehyung) will ask which one is meant" in said
    assert "Jungkook" in (await ask(admin_core, "/milestone taehyung")).title
    assert "several people" in text_of(await ask(admin_core, "/milestone TAEHYUNG"))


async def test_edit_each_kind_of_field(admin_core: Core, store: Store) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    for field, value, check in [
        ("date", "2024-03", lambda f: f.date.iso() == "2024-03"),
        ("summary", '"LWA MV hit 100M views"', lambda f: f.summary == "LWA MV hit 100M views"),
        ("subjects", '"IU, V"', lambda f: [s.slug for s in f.subjects] == ["iu", "v"]),
        ("scope", '"fastest in 2024"', lambda f: f.details["scope"] == "fastest in 2024"),
        ("metric", "-", lambda f: "metric" not in f.details),
    ]:
        reply = await say(admin_core, f"/edit #{fact_id} {field} {value} https://a.com/{field}")
        assert not reply.error, text_of(reply)
        fact = await store.facts.fact(fact_id)
        assert fact is not None and check(fact), field
        assert any(s.url == f"https://a.com/{field}" for s in fact.sources)
    v_milestones = await ask(admin_core, "/milestone V")
    assert fact_id in [li.fact_id for li in v_milestones.lines]


async def test_two_admins_at_once_never_lose_an_update(
    admin_core: Core, store: Store, clock: FixedClock
) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    seen_by_bo = await store.facts.fact(fact_id)  # Bo opened the fact ...
    assert seen_by_bo is not None
    # ... Ada corrects it meanwhile ...
    assert not (await say(admin_core, f"/edit #{fact_id} date 2024-03-06 https://a.com/1")).error
    before = await dump(store)
    # ... and Bo's edit, made on the version Bo saw, is refused, not a silent overwrite.
    ctx = Context(core=admin_core, caller=OTHER_ADMIN, chat=GROUP, roles=frozenset())
    with pytest.raises(FanbotError, match="changed meanwhile.*See /history"):
        await edit_command.handler(
            ctx, fact=seen_by_bo, field="date", value="2024-03-07", source="https://a.com/2"
        )
    assert await dump(store) == before
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.date.iso() == "2024-03-06"


async def test_two_edits_racing_through_the_core_one_wins_one_is_told(
    admin_core: Core, store: Store
) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    ada, bo = await asyncio.gather(
        say(admin_core, f"/edit #{fact_id} date 2024-03-06 https://a.com/ada"),
        say(admin_core, f"/edit #{fact_id} date 2024-03-07 https://a.com/bo", OTHER_ADMIN),
    )
    assert not ada.error, text_of(ada)
    assert bo.error and "changed meanwhile" in text_of(bo)
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.date.iso() == "2024-03-06" and fact.version == 2


async def test_undo_follows_the_callers_own_changes(admin_core: Core, store: Store) -> None:
    seeded = await dump(store)
    first = await added_id(
        admin_core, '/addevent IU 2024-02-03 "IU held a fan meeting" https://a.com/1'
    )
    theirs = await added_id(
        admin_core, '/addevent V 2024-02-04 "V posted a photo" https://a.com/2', OTHER_ADMIN
    )
    assert not (await say(admin_core, "/addsubject Jimin member https://a.com/3 BTS")).error
    assert not (await say(admin_core, "/addalias V Tete https://a.com/4")).error
    assert not (await say(admin_core, "/editor add discord:55 Sol")).error

    assert "is an editor" not in text_of(await say(admin_core, "/undo"))
    assert not await store.editors.is_editor("discord", "55")
    await say(admin_core, "/undo")  # the alias
    assert (await ask(admin_core, "/milestone Tete")).error
    await say(admin_core, "/undo")  # the subject
    assert (await ask(admin_core, "/milestone Jimin")).error
    await say(admin_core, "/undo")  # the fact: kept, hidden
    assert await store.facts.fact(first) is None
    hidden = await store.facts.fact_any(first)
    assert hidden is not None and hidden.hidden
    assert "no change left" in text_of(await say(admin_core, "/undo"))
    assert await store.facts.fact(theirs) is not None  # Bo's change is Bo's to undo
    assert not (await say(admin_core, "/undo", OTHER_ADMIN)).error
    assert await store.facts.fact(theirs) is None
    # Every fact is as seeded again (the undone ones kept, hidden); the audit grew.
    assert (await store.facts.count_facts()) == 10
    assert seeded != await dump(store)


async def test_undo_refuses_when_someone_changed_it_since(admin_core: Core, store: Store) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    assert not (
        await say(admin_core, f"/edit #{fact_id} date 2024-03-06 https://a.com/1", OTHER_ADMIN)
    ).error
    before = await dump(store)
    reply = await say(admin_core, "/undo")
    assert reply.error and "changed again" in text_of(reply)
    assert await dump(store) == before


async def test_undo_walks_back_ones_own_changes_in_order(admin_core: Core, store: Store) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    assert not (await say(admin_core, f"/edit #{fact_id} date 2024-03-06 https://a.com/1")).error
    assert not (await say(admin_core, f"/edit #{fact_id} value 100500000 https://a.com/2")).error

    first = await say(admin_core, "/undo")  # the value
    assert not first.error and "/undo again" in text_of(first)
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.details["value"] == 100000000
    assert fact.date.iso() == "2024-03-06"
    second = await say(admin_core, "/undo")  # the date
    assert not second.error, text_of(second)
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.date.iso() == "2024-03-05"
    third = await say(admin_core, "/undo")  # the add: kept, hidden
    assert not third.error, text_of(third)
    assert await store.facts.fact(fact_id) is None
    assert "no change left" in text_of(await say(admin_core, "/undo"))


async def test_undo_still_refuses_over_someone_elses_change_in_between(
    admin_core: Core, store: Store
) -> None:
    fact_id = await added_id(admin_core, ADD_MV)
    assert not (await say(admin_core, f"/edit #{fact_id} date 2024-03-06 https://a.com/1")).error
    assert not (
        await say(admin_core, f"/edit #{fact_id} value 7 https://a.com/bo", OTHER_ADMIN)
    ).error
    assert not (await say(admin_core, f"/edit #{fact_id} summary Ada again https://a.com/2")).error
    assert not (await say(admin_core, "/undo")).error  # Ada's latest: nobody came after it
    before = await dump(store)
    reply = await say(admin_core, "/undo")  # Ada's date edit: Bo's value came after it
    assert reply.error and "changed again after your change by Bo (change" in text_of(reply)
    assert await dump(store) == before
    # Once Bo takes his change back, nothing of anyone else's stands in the way.
    assert not (await say(admin_core, "/undo", OTHER_ADMIN)).error
    again = await say(admin_core, "/undo")
    assert not again.error, text_of(again)
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.date.iso() == "2024-03-05"
    assert fact.details["value"] == 100000000 and fact.summary.startswith("Love wins all")


async def test_remove_and_restore(admin_core: Core, store: Store) -> None:
    v_milestones = await ask(admin_core, "/milestone V")
    fact_id = v_milestones.lines[0].fact_id
    removed = await say(admin_core, f"/remove #{fact_id} https://a.com/retracted")
    assert not removed.error and "/restore" in text_of(removed)
    assert fact_id not in [li.fact_id for li in (await ask(admin_core, "/milestone V")).lines]
    assert (await ask(admin_core, f"/sources #{fact_id}")).error
    restored = await say(admin_core, f"/restore #{fact_id} https://a.com/confirmed")
    assert not restored.error
    assert fact_id in [li.fact_id for li in (await ask(admin_core, "/milestone V")).lines]
    history = text_of(await ask(admin_core, f"/history {fact_id}"))
    assert "removed (hidden) fact" in history and "restored fact" in history


async def test_editor_role_is_granted_recorded_and_revoked(admin_core: Core, store: Store) -> None:
    line = '/addevent IU 2024-02-03 "IU held a fan meeting" https://a.com/1'
    assert (await say(admin_core, line, MEMBER)).error
    refused = await say(admin_core, "/editor add telegram:789 Mina", MEMBER)
    assert refused.error and "Only bot admins can use /editor" in text_of(refused)
    granted = await say(admin_core, "/editor add telegram:789 Mina")
    assert not granted.error and "Mina is now an editor" in granted.title
    assert "Mina (telegram:789)" in text_of(await say(admin_core, "/editor list"))
    fact_id = await added_id(admin_core, line, MEMBER)
    # An editor may not hand out the role.
    assert (await say(admin_core, "/editor add telegram:1 X", MEMBER)).error
    assert not (await say(admin_core, "/editor remove 789")).error  # a bare id: this platform
    assert (
        await say(admin_core, f"/edit #{fact_id} date 2024-02-04 https://a.com/2", MEMBER)
    ).error
    audit = text_of(await ask(admin_core, "/audit 5"))
    assert "made Mina (telegram:789) an editor" in audit
    assert "took the editor role from Mina (telegram:789)" in audit
    assert "Mina (telegram 789): added #" in audit


async def test_help_shows_admin_commands_only_to_those_who_may_use_them(admin_core: Core) -> None:
    fan_help = text_of(await ask(admin_core, "/help", MEMBER))
    admin_help = text_of(await ask(admin_core, "/help", ADMIN))
    for name in ("/addmilestone", "/edit", "/undo", "/editor"):
        assert name not in fan_help and name in admin_help
    assert "/history" in fan_help and "/audit" in fan_help


async def test_audit_lists_newest_first_and_history_of_a_subject(admin_core: Core) -> None:
    assert "No changes yet" in text_of(await ask(admin_core, "/audit"))
    await added_id(admin_core, ADD_MV)
    assert not (await say(admin_core, "/addalias IU 아이유님 https://a.com/x")).error
    audit = await ask(admin_core, "/audit 1")
    assert len(audit.lines) == 1 and "아이유님" in audit.lines[0].text
    assert "Showing 1 of 2" in (audit.footer or "")
    subject = text_of(await ask(admin_core, "/history IU"))
    assert "added an alias “아이유님” to IU" in subject
