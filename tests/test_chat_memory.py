"""bot.chats.memory: what adapters report about chats, against a real SQLite store.

The platform paths (a post refused, a command used again, a group upgraded) run through the
emulators in test_telegram_notifier.py and test_discord_notifier.py; this pins the rule itself.
"""

from __future__ import annotations

from bot.chats.memory import REASON_MAX, ChatMemory
from bot.context import Chat
from storage.store import Store

GROUP = Chat(platform="telegram", id="-4001", kind="group", title="IU & V fans")


async def test_a_gone_chat_is_active_again_once_seen(store: Store) -> None:
    memory = ChatMemory(store.chats)
    await memory.chat_seen(GROUP)
    await memory.chat_gone("telegram", GROUP.id, "x" * 500)
    gone = await store.chats.get("telegram", GROUP.id)
    assert gone is not None and not gone.active and gone.inactive_reason == "x" * REASON_MAX
    await memory.chat_seen(GROUP)
    back = await store.chats.get("telegram", GROUP.id)
    assert back is not None and back.active and back.inactive_reason is None


async def test_a_private_chat_is_not_recorded(store: Store) -> None:
    await ChatMemory(store.chats).chat_seen(Chat(platform="discord", id="42", kind="private"))
    assert await store.chats.get("discord", "42") is None


async def test_a_moved_chat_follows_and_its_old_id_is_forgotten(store: Store) -> None:
    memory = ChatMemory(store.chats)
    await memory.chat_seen(GROUP)
    await memory.chat_moved("telegram", GROUP.id, "-1009876543210")
    moved = await store.chats.get("telegram", "-1009876543210")
    assert moved is not None and moved.title == "IU & V fans"
    await memory.chat_seen(GROUP)  # the old id again: recorded anew, not taken as known
    assert await store.chats.get("telegram", GROUP.id) is not None
