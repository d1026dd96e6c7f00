"""Answers are reused until the store changes, whoever changes it: this process or another.

The "other process" is a second Store on the same SQLite file with its own core, exactly
what `fanbot admin …` run beside a running bot is.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from storage.bundle import Bundle
from storage.store import Store
from tests.conftest import FAN, ask, text_of

ADMIN = Caller("console", "root-admin", "Root")
HELPER = Caller("telegram", "777", "Mina")
GROUP = Chat("telegram", "-100", "group", "fans")
ADD_MV = (
    '/addmilestone IU 2024-03-05 "Love wins all music video reached 100 million views" '
    "https://www.soompi.com/article/lwa-100m YouTube views 100000000"
)


async def test_a_repeated_question_gets_the_same_answer_object(core: Core) -> None:
    first = await ask(core, "/milestone V")
    again = await ask(core, "/milestone  V ")
    assert not first.error
    assert again is first  # served from what was kept, not recomputed


async def test_a_change_in_this_process_shows_at_once(core: Core) -> None:
    before = await ask(core, "/milestone IU")
    assert "100 million views" not in text_of(before)
    added = await ask(core, ADD_MV, ADMIN)
    assert not added.error, text_of(added)
    assert "100 million views" in text_of(await ask(core, "/milestone IU"))


async def test_a_change_by_another_process_shows_at_once(core: Core, other: Core) -> None:
    assert "100 million views" not in text_of(await ask(core, "/milestone IU"))
    added = await ask(other, ADD_MV, ADMIN)
    assert not added.error, text_of(added)
    assert "100 million views" in text_of(await ask(core, "/milestone IU"))


async def test_a_name_added_by_another_process_resolves_at_once(core: Core, other: Core) -> None:
    assert (await ask(core, "/milestone Taetae")).error
    added = await ask(other, '/addalias V Taetae "Soompi, 2024"', ADMIN)
    assert not added.error, text_of(added)
    reply = await ask(core, "/milestone Taetae")
    assert not reply.error, text_of(reply)
    assert "10 million likes" in text_of(reply)


async def test_a_name_added_elsewhere_while_this_process_also_wrote_resolves(
    core: Core, other: Core
) -> None:
    """Both processes wrote between two questions: the new name must still be learned."""
    assert (await ask(core, "/milestone Taetae")).error
    added = await ask(other, '/addalias V Taetae "Soompi, 2024"', ADMIN)
    assert not added.error, text_of(added)
    await core.store.chats.ensure("telegram", "-100", "group", "fans")  # this process writes too
    reply = await ask(core, "/milestone Taetae")
    assert not reply.error, text_of(reply)


async def test_writes_that_change_no_name_keep_the_name_index(core: Core) -> None:
    await ask(core, "/milestone V")
    builds = core.resolver.builds
    for n in range(3):
        await core.store.chats.ensure("telegram", f"-10{n}", "group", "fans")
        await ask(core, "/milestone V")
    assert not (await ask(core, ADD_MV, ADMIN)).error
    await ask(core, "/milestone V")
    assert core.resolver.builds == builds  # no rebuild for chats or facts
    assert not (await ask(core, '/addalias V Taetae "Soompi, 2024"', ADMIN)).error
    await ask(core, "/milestone Taetae")
    assert core.resolver.builds == builds + 1


async def test_a_subject_renamed_by_another_process_answers_with_its_new_name(
    core: Core, other: Core
) -> None:
    """The resolver keeps whole subjects in memory; a rename elsewhere must still show."""
    assert (await ask(core, "/milestone 뷔")).title == "Milestones of V"
    exported = await other.store.export_bundle()
    renamed = [
        dataclasses.replace(s, name="Kim Taehyung") if s.slug == "v" else s
        for s in exported.subjects
    ]
    await other.store.import_bundle(Bundle(subjects=renamed), "a rename")
    reply = await ask(core, "/milestone 뷔")
    assert reply.title == "Milestones of Kim Taehyung", text_of(reply)
    assert "Kim Taehyung: military service" in text_of(await ask(core, "/status BTS"))


async def test_editor_rights_granted_and_taken_elsewhere_apply_at_once(
    core: Core, other: Core
) -> None:
    assert (await core.handle_line(ADD_MV, HELPER, GROUP)).error
    granted = await ask(other, "/editor add telegram:777 Mina", ADMIN)
    assert not granted.error, text_of(granted)
    reply = await core.handle_line(ADD_MV, HELPER, GROUP)
    assert not reply.error, text_of(reply)
    removed = await ask(other, "/editor remove telegram:777", ADMIN)
    assert not removed.error, text_of(removed)
    refused = await core.handle_line("/undo", HELPER, GROUP)
    assert refused.error and "Only" in text_of(refused)


async def test_answers_depend_on_the_day(core: Core, clock: FixedClock) -> None:
    import datetime as dt

    first = await ask(core, "/today")
    assert "Love wins all" in text_of(first)  # 2025-01-24 KST
    clock.set(clock.now() + dt.timedelta(days=1))
    assert "Love wins all" not in text_of(await ask(core, "/today"))


async def test_help_is_not_shared_between_callers(core: Core) -> None:
    fan_help = text_of(await ask(core, "/help", FAN))
    admin_help = text_of(await ask(core, "/help", ADMIN))
    assert "/addrelease" in admin_help and "/addrelease" not in fan_help


async def test_fanbot_keep_answers_off_computes_every_answer_afresh(
    db_path: Path, store: Store
) -> None:
    """FANBOT_KEEP_ANSWERS=false (what the benchmarks run) recomputes; the default keeps."""
    from bot.app import open_core
    from bot.settings import Settings

    for keep, kept_hits in ((False, 0), (True, 1)):
        core = await open_core(
            Settings(_env_file=None, fanbot_db=db_path, fanbot_keep_answers=keep)  # type: ignore[call-arg]
        )
        try:
            first = await ask(core, "/milestone V")
            again = await ask(core, "/milestone V")
            assert (again is first) is keep
            assert (core.watch.asked, core.watch.kept_hits) == (2, kept_hits)
        finally:
            await core.store.close()
