"""Korean and English through the real stacks (issue 17): python-telegram-bot and discord.py
against the emulators on 127.0.0.1, a real SQLite store, a digest posted at its hour."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bot.app import all_commands
from bot.commands import Command
from bot.context import Context
from bot.core import Core
from bot.reminders.runner import Reminders
from bot.replies import Choice, Line, Reply
from storage.store import Store
from tests.conftest import FixedClock
from tests.telegram_fixtures import ADMIN, FAN, GROUP, running
from tests.test_discord_adapter import CHANNEL, EXTRA, GUILD, MOD, configured_emulator
from tests.test_discord_adapter import FAN as DISCORD_FAN
from tests.test_discord_adapter import running as discord_running

KOREAN_USER, MEMBER, GROUP_ADMIN = 4242, 1001, 1002


async def test_a_korean_telegram_user_gets_korean_and_a_missing_code_gets_the_default(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as bot:
        bot.tg.set_user_language(KOREAN_USER, "ko")
        text = await bot.ask(KOREAN_USER, "/milestone 뷔")
        assert text.startswith("뷔의 기록\n2024년 1월 28일 · 뷔의 인스타그램 게시물이 6시간 55분")
        assert "좋아요 1,000만 개를 달성" in text and "출처:" in text
        assert "사용법: /status 누구…" in await bot.ask(KOREAN_USER, "/status")
        bot.tg.set_user_language(FAN, None)  # some clients send no language_code
        assert (await bot.ask(FAN, "/milestone V")).startswith("Milestones of V")
    async with running(tmp_path / "ko", fanbot_language="ko") as bot:
        bot.tg.set_user_language(FAN, None)
        assert (await bot.ask(FAN, "/milestone V")).startswith("뷔의 기록")  # FANBOT_LANGUAGE
        bot.tg.set_user_language(FAN, "en-US")
        assert (await bot.ask(FAN, "/milestone V")).startswith("Milestones of V")


async def test_a_telegram_group_set_to_english_answers_english_to_a_korean_user(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as bot:
        bot.tg.set_user_language(MEMBER, "ko")
        bot.tg.set_chat_member(GROUP, MEMBER, "member")
        refused = await bot.ask(GROUP, "/language en", user_id=MEMBER)
        assert "/language 명령어는 채팅 관리자만 쓸 수 있습니다" in refused
        assert (await bot.ask(GROUP, "/status V", user_id=MEMBER)).startswith("뷔의 근황")
        bot.tg.set_chat_member(GROUP, GROUP_ADMIN, "administrator")
        assert "English, for everyone here" in await bot.ask(
            GROUP, "/language en", user_id=GROUP_ADMIN
        )
        assert (await bot.ask(GROUP, "/status V", user_id=MEMBER)).startswith("Status of V")
        listed = await bot.ask(GROUP, "/subscriptions", user_id=MEMBER)
        assert "Language: English, for everyone here." in listed


async def test_telegram_gets_menus_and_descriptions_in_every_scope_and_language(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as bot:
        scopes = [{"type": "default"}, {"type": "all_chat_administrators"}]
        scopes.append({"type": "chat", "chat_id": ADMIN})
        for scope in scopes:
            english = {c["command"]: c["description"] for c in bot.tg.commands(scope)}
            korean = {c["command"]: c["description"] for c in bot.tg.commands(scope, "ko")}
            assert english and english.keys() == korean.keys()  # the same commands, /names kept
            assert english["milestone"] == "Records and milestones of an artist, group or member"
            assert korean["milestone"] == "아티스트, 그룹, 멤버의 기록"
        admins = {c["command"] for c in bot.tg.commands(scopes[1], "ko")}
        assert "language" in admins and "language" not in dict(
            (c["command"], 1) for c in bot.tg.commands(scopes[0], "ko")
        )
        calls = [c for c in bot.tg.calls if c.method == "setMyCommands"]
        assert len(calls) == len(scopes) * 2  # one per scope per language
        assert bot.tg.about("description", "ko").startswith("fanbot은 좋아하는 아티스트의")
        assert bot.tg.about("short_description", "").startswith("Releases, records")
        assert bot.tg.about("short_description", "ko").startswith("K팝 아티스트의")


async def digest_posted(bot, *commands: str) -> str:
    """Subscribe GROUP at 08:00 KST (its admin's app in Korean), run `commands` as the admin,
    and return the digest posted at 09:00 on 24 January 2025."""
    clock = bot.core.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() - dt.timedelta(hours=1))
    bot.tg.set_chat_member(GROUP, GROUP_ADMIN, "administrator")
    bot.tg.set_user_language(GROUP_ADMIN, "ko")  # a person's language is not the chat's
    for line in ("/subscribe 9:00 Asia/Seoul IU", *commands):
        await bot.ask(GROUP, line, user_id=GROUP_ADMIN)
    reminders = Reminders(bot.store, {"telegram": bot.service.notifier}, clock)
    clock.set(dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC))
    assert await reminders.tick() == 1
    return (await bot.reply_to(GROUP)).result["text"]


async def test_a_korean_digest_posts_at_its_hour(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        post = await digest_posted(bot, "/language ko")
        assert post.startswith("오늘, 2025년 1월 24일")
        assert "1년 전 오늘: 아이유, 선공개 싱글 「Love wins all」 발매" in post
        assert post.endswith("fanbot 매일 알림입니다. 날짜는 KST(한국 시간) 기준입니다.")


async def test_a_digest_is_in_fanbot_language_where_the_chat_chose_none(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        post = await digest_posted(bot)
        assert post.startswith("Today, 24 January 2025")
        assert "1 year ago today: IU released her pre-release single Love wins all" in post


async def test_discord_locale_ko_gets_korean_unless_the_channel_chose_english(
    core: Core,
) -> None:
    async with configured_emulator() as emu, discord_running(core, emu):

        async def slash(name: str, options: dict, user: int, locale: str = "ko"):
            rec = await emu.inject_slash_command(
                name, options, guild_id=GUILD, channel_id=CHANNEL, user_id=user, locale=locale
            )
            return await emu.wait_for_callback(rec.id)

        embed = (await slash("milestone", {"who": "V"}, DISCORD_FAN)).embeds[0]
        assert embed["title"] == "뷔의 기록"
        assert embed["description"].startswith("2024년 1월 28일 · 뷔의 인스타그램 게시물이")
        assert embed["footer"]["text"].startswith("출처: [1] ")
        refused = await slash("language", {"language": "en"}, DISCORD_FAN)
        assert refused.ephemeral and "채팅 관리자만" in refused.embeds[0]["description"]
        chosen = await slash("language", {"language": "en"}, MOD, locale="en-US")
        assert chosen.embeds[0]["title"] == "Language set"
        again = await slash("milestone", {"who": "V"}, DISCORD_FAN)
        assert again.embeds[0]["title"] == "Milestones of V"


async def _choose(ctx: Context) -> Reply:
    """A reply that offers a choice, as /catalog add NAME does (an admin command)."""
    return Reply(title="?", choices=(Choice("V", "/milestone V"), Choice("IU", "/milestone IU")))


async def _choose_among_pages(ctx: Context) -> Reply:
    """The same offer on a reply long enough to be paged: the menu rides with the pager."""
    lines = tuple(Line(f"{i}: " + "word " * 60) for i in range(60))
    return dataclasses.replace(await _choose(ctx), lines=lines)


async def test_discord_pages_and_choices_speak_the_readers_language(
    store: Store, clock: FixedClock
) -> None:
    """The page count, the footer's "Page 1 of N", a choice menu's prompt in the reply's
    language; someone else pressing the pager is told no in their own."""
    offers = [Command("choose", "Pick", (), _choose), Command("pages", "", (), _choose_among_pages)]
    core = Core(store, clock, [*all_commands(), *EXTRA, *offers])
    where = {"guild_id": GUILD, "channel_id": CHANNEL}
    async with configured_emulator() as emu, discord_running(core, emu):
        rec = await emu.inject_slash_command("long", user_id=DISCORD_FAN, locale="ko", **where)
        first = await emu.wait_for_callback(rec.id)
        original = emu.interaction(rec.id).original
        assert original is not None
        buttons = first.components[0]["components"]
        assert buttons[1]["label"].startswith("1 / ")
        assert first.embeds[0]["footer"]["text"].endswith("쪽 중 1쪽"), first.embeds[0]["footer"]

        async def press(user: int, locale: str) -> str:
            other = await emu.inject_component(
                buttons[2]["custom_id"], message_id=original.id, user_id=user, locale=locale
            )
            return (await emu.wait_for_callback(other.id)).content or ""

        assert (await press(MOD, "ko")).startswith("물어본 사람만 페이지를 넘길 수 있습니다")
        assert (await press(MOD, "en-US")).startswith("Only the person who asked")
        offer = await emu.inject_slash_command("choose", user_id=DISCORD_FAN, locale="ko", **where)
        (menu,) = (await emu.wait_for_callback(offer.id)).components[0]["components"]
        assert menu["placeholder"] == "하나를 고르세요"
        offer = await emu.inject_slash_command("choose", user_id=DISCORD_FAN, **where)
        (menu,) = (await emu.wait_for_callback(offer.id)).components[0]["components"]
        assert menu["placeholder"] == "Choose one"
        offer = await emu.inject_slash_command("pages", user_id=DISCORD_FAN, locale="ko", **where)
        rows = (await emu.wait_for_callback(offer.id)).components
        assert [c["placeholder"] for r in rows for c in r["components"] if c["type"] == 3] == [
            "하나를 고르세요"
        ]


async def test_telegram_page_buttons_speak_the_readers_language(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        for n in range(40):
            text = f'/addevent V 2023-0{1 + n % 9}-1{n % 9} "V event {n}: ' + "word " * 25
            assert "Added #" in await bot.ask(ADMIN, text + f'" https://example.com/{n}')
        bot.tg.set_user_language(KOREAN_USER, "ko")
        bot.tg.inject_message(KOREAN_USER, "/search V event")
        first = await bot.reply_to(KOREAN_USER)
        keyboard = first.params["reply_markup"]["inline_keyboard"][0]
        total = keyboard[0]["text"].split(" / ")[1]
        assert [b["text"] for b in keyboard] == [f"1 / {total}", "다음 ▶"]
        message_id = first.result["message_id"]
        bot.tg.inject_callback_query(KOREAN_USER, message_id, keyboard[1]["callback_data"])
        edit = await bot.tg.wait_for("editMessageText")
        buttons = [b["text"] for b in edit.params["reply_markup"]["inline_keyboard"][0]]
        assert buttons[0] == "◀ 이전" and buttons[1] == f"2 / {total}"
        assert (await bot.tg.wait_for("answerCallbackQuery")).ok
        bot.tg.inject_callback_query(KOREAN_USER, message_id, "pg:999999:1")
        expired = await bot.tg.wait_for("answerCallbackQuery")
        assert expired.params["text"] == "이 페이지는 만료되었습니다. 명령어를 다시 입력해 주세요."


async def test_discord_asks_for_a_sync_in_the_persons_language(core: Core) -> None:
    """A slash command Discord still shows but this fanbot no longer has (a sync is due)."""
    async with configured_emulator() as emu, discord_running(core, emu):
        said = {}
        for locale in ("ko", "en-US"):
            rec = await emu.inject_slash_command(
                "retired", {}, guild_id=GUILD, channel_id=CHANNEL, user_id=MOD, locale=locale
            )
            answer = await emu.wait_for_callback(rec.id)
            assert answer.ephemeral
            said[locale] = answer.embeds[0]["description"]
    assert said["ko"].startswith("이 명령어는 등록된 뒤에 바뀌었습니다.")
    assert "fanbot discord sync" in said["ko"]
    assert said["en-US"].startswith("This command changed since it was registered")
