"""A store that takes no write says why in the chat's language (issue 17).

The store gives its reason in English words (StoreWriteFailed.reason, storage.db.for_people);
the core says each known one as a whole sentence from the catalogue. Real troubles make them:
a full tmpfs under the store, and another program holding the store's write lock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import STORE_REFUSALS, STORE_REFUSED, Core, store_refusal
from bot.i18n import translator
from storage.db import _REASONS, _UNWRITABLE
from storage.store import Store
from tests.conftest import SEEDS, text_of
from tests.test_import_export import fill, locked, tiny_disk
from tests.test_korean_everywhere import LATIN_WORD

GROUP = Chat("telegram", "-100", "group", "아미")
ADMIN = Caller("telegram", "1", "Ada", is_chat_admin=True, language="en")
ADD = '/addevent IU 2024-02-03 "IU sang" https://a.com/x'
# The one reason storage/postgres/db.py gives (it cannot be imported without psycopg's pool).
POSTGRES_REASONS = ["the database connection was lost"]


def test_every_reason_the_store_gives_is_a_sentence_in_both_languages() -> None:
    reasons = [r for name, r in _REASONS.items() if name.startswith(_UNWRITABLE)]
    ko, en = translator("ko"), translator("en")
    for reason in [*reasons, *POSTGRES_REASONS]:
        assert reason in STORE_REFUSALS, reason
        korean = store_refusal(reason, ko)
        assert LATIN_WORD.findall(korean) == [], korean
        assert "아무것도 바뀌지 않았어요" in korean
    full = "cannot be written: the disk is full"
    assert store_refusal(full, en) == STORE_REFUSED.format(reason=full)  # English as it was
    unknown = store_refusal("is on fire", ko)  # a reason not known yet: said as it came
    assert unknown == "봇 저장소에 문제가 있어 아무것도 바뀌지 않았어요: is on fire"


async def korean_core(store: Store) -> Core:
    clock = FixedClock(dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    core = Core(store, clock, all_commands(), admins=frozenset({("telegram", "1")}))
    assert not (await core.handle_line("/language ko", ADMIN, GROUP)).error
    return core


async def test_a_full_disk_is_said_in_korean(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "4m") as disk:
        store = await Store.open(disk / "fanbot.db")
        try:
            await store.seed_if_empty(SEEDS)
            core = await korean_core(store)
            fill(disk)
            reply = await core.handle_line(ADD, ADMIN, GROUP)
            (disk / "filler").unlink()
            assert reply.error and reply.language == "ko"
            assert reply.lines[0].text == (
                "봇 저장소에 쓸 수 없어요: 디스크가 가득 찼어요. 아무것도 바뀌지 않았어요."
            )
        finally:
            await store.close()


async def test_a_store_locked_too_long_is_said_in_korean(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "fanbot.db")
    try:
        await store.seed_if_empty(SEEDS)
        core = await korean_core(store)
        with locked(tmp_path / "fanbot.db"):
            reply = await core.handle_line(ADD, ADMIN, GROUP)
        assert reply.error and reply.language == "ko", text_of(reply)
        assert reply.lines[0].text == (
            "다른 프로그램이 봇 저장소를 5초 넘게 붙잡고 있어서 아무것도 바뀌지 않았어요. "
            "잠시 후 다시 시도해 주세요."
        )
        english = Caller("telegram", "1", "Ada", language="en")
        assert not (await core.handle_line("/language en", ADMIN, GROUP)).error
        with locked(tmp_path / "fanbot.db"):
            reply = await core.handle_line(ADD, english, GROUP)
        assert reply.lines[0].text.startswith(
            "The bot's store is busy (another program has held it for over 5 seconds), so "
            "nothing was changed."
        )
    finally:
        await store.close()
