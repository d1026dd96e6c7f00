"""Every admin command in a Korean chat leaves no English template text (issue 17).

A group set to `/language ko` by its chat admin, who is also a bot admin with an English app,
adds, corrects, removes, restores and undoes facts, aliases and editors, and asks /history and
/audit; each success and each refusal is checked the way tests/test_korean_everywhere.py checks
the fan commands. What the admin typed (summaries, sources, names) is theirs and may stay.
The same lines in an English chat leave no Hangul but the data.
"""

from __future__ import annotations

import shlex

import pytest

from bot.admin.commands import admin_commands
from bot.admin.forms import Forms
from bot.app import all_commands
from bot.catalog.commands import catalog_commands
from bot.clock import FixedClock
from bot.commands import param_name
from bot.context import Caller, Chat
from bot.core import Core
from bot.i18n import translator
from bot.replies import Reply, plain_blocks
from storage.store import Store
from tests.test_i18n import DISCORD_NAME, HANGUL
from tests.test_korean_everywhere import HANGUL_WORD, NAMES, data_words, english_left

GROUP = Chat(platform="telegram", id="-100", kind="group", title="아미")
ADMIN = Caller("telegram", "1", "Ada", is_chat_admin=True, language="en")
EDITOR = Caller("telegram", "77", "Mina", language="en")
FAN = Caller("telegram", "88", "Bo", language="en")
# Besides the data: the platforms an id is written with (telegram:77), the command syntax a
# refusal shows as typed (SOURCE GROUP, /undo N), and MusicBrainz, a name.
ALLOWED = NAMES | {"discord", "telegram", "console", "MusicBrainz", "SOURCE", "GROUP", "N"}
ALLOWED |= {"Soompi", "ID"}  # a citation's example (a publisher); ID, as Korean writes it
MV = '"Love wins all music video reached 100 million views"'
ADD_MV = f"/addmilestone IU 2024-03-05 {MV} https://www.soompi.com/article/lwa-100m YouTube views"

# (caller, line): "{new}" is the fact the first line adds, "{last}" the latest change's number.
ASKED: list[tuple[Caller, str]] = [
    (FAN, ADD_MV),
    (ADMIN, ADD_MV + " 100000000"),
    (ADMIN, ADD_MV + " 100000000"),
    (ADMIN, '/addmilestone Zzyzx 2024-03-05 "A new record here" https://example.com/z'),
    (ADMIN, '/addmilestone IU 2024-03-06 "!!" https://example.com/z'),
    (ADMIN, '/addmilestone IU 2024-03-06 "Another record" "javascript:alert(1)"'),
    (ADMIN, '/addmilestone IU 2024-03-06 "Another record" "x"'),
    (ADMIN, '/addmilestone IU 2024-03-06 "Another record" "https://a.com/1 https://b.com/2"'),
    (ADMIN, '/addrelease IU 2024-03-07 "Shh" https://example.com/shh single'),
    (ADMIN, "/addstatus V 2025-06-10 active https://example.com/v-back"),
    (ADMIN, '/addevent IU 2024-03-08 "IU held a fan meeting" https://example.com/fm'),
    (ADMIN, "/addsubject Jimin member https://example.com/jimin"),
    (ADMIN, "/addsubject Yuna soloist https://example.com/yuna"),
    (ADMIN, "/addsubject IU soloist https://example.com/iu"),
    (ADMIN, "/addsubject Yeri group https://example.com/yeri BTS"),
    (ADMIN, "/addsubject Yeri member https://example.com/yeri IU"),
    (ADMIN, "/addalias IU 아이유님 https://example.com/a"),
    (ADMIN, "/addalias IU 아이유님 https://example.com/a"),
    (ADMIN, '/addalias "IU, V" Jiji https://example.com/a'),
    (ADMIN, "/addalias V Jieun https://example.com/a"),
    (ADMIN, "/addalias V jieun2 https://example.com/a"),
    (ADMIN, "/removealias IU 아이유님 https://example.com/a"),
    (ADMIN, "/removealias IU Nosuchname https://example.com/a"),
    (ADMIN, "/removealias IU IU https://example.com/a"),
    (ADMIN, '/edit #{new} date 2024-03-06 "Soompi correction"'),
    (ADMIN, '/edit #{new} date 2024-03-06 "Soompi correction"'),
    (ADMIN, '/edit #{new} title Shh "Soompi correction"'),
    (ADMIN, '/edit #{new} time_taken - "Soompi correction"'),
    (ADMIN, '/edit #{new} platform "?!" "Soompi correction"'),
    (ADMIN, "/remove #{new} https://example.com/wrong"),
    (ADMIN, ADD_MV + " 100000000"),
    (ADMIN, "/restore #{new} https://example.com/right"),
    (ADMIN, "/restore #{new} https://example.com/right"),
    (ADMIN, "/restore #99999 https://example.com/right"),
    (ADMIN, "/restore abc https://example.com/right"),
    (ADMIN, "/history #{new}"),
    (ADMIN, "/history #99999"),
    (ADMIN, "/history IU"),
    (ADMIN, "/history RM"),
    (ADMIN, "/audit"),
    (ADMIN, "/audit 3"),
    (ADMIN, "/undo"),
    (ADMIN, "/undo 99999"),
    (ADMIN, "/undo whatever"),
    (ADMIN, "/undo musicbrainz"),
    (ADMIN, "/editor list"),
    (ADMIN, "/editor add"),
    (ADMIN, "/editor add telegram:77 Mina"),
    (ADMIN, "/editor add telegram:77"),
    (ADMIN, "/editor add @mina"),
    (ADMIN, "/editor add telegram:abc"),
    (ADMIN, "/editor add console:a/b"),
    (ADMIN, "/editor list"),
    (EDITOR, "/undo"),
    (EDITOR, "/undo {last}"),
    (EDITOR, "/editor remove telegram:77"),
    (ADMIN, "/editor remove telegram:77"),
    (ADMIN, "/editor remove telegram:77"),
    (ADMIN, "/undo"),
    (ADMIN, "/undo {last}"),
    (ADMIN, "/audit 50"),
]


async def asked_in(core: Core, store: Store) -> list[tuple[str, Reply]]:
    """Every line of ASKED, its placeholders filled as it goes, with its reply."""
    new = ""
    out = []
    for caller, template in ASKED:
        last = (await store.audit.recent(1) or [None])[0]
        line = template.format(new=new, last=last.id if last else 0)
        reply = await core.handle_line(line, caller, GROUP)
        if not new and not reply.error and line.startswith("/addmilestone"):
            new = next(li.fact_id for li in reply.lines if li.fact_id)
        out.append((line, reply))
    return out


@pytest.fixture
def admin_core(store: Store, clock: FixedClock) -> Core:
    return Core(store, clock, all_commands(), admins=frozenset({("telegram", "1")}))


def typed(line: str) -> list[str]:
    """What the person typed is theirs: each argument, and each name of a list."""
    words = shlex.split(line)[1:]
    return [
        *words,
        *(w.strip() for word in words for w in word.replace(",", " ").replace(":", " ").split()),
    ]


def longest_first(words: list[str]) -> list[str]:
    """Replace "example.com/shh" before "example.com", or a piece of a URL stays behind."""
    return sorted(set(words), key=len, reverse=True)


async def test_every_admin_command_answers_a_korean_chat_in_korean(
    admin_core: Core, store: Store
) -> None:
    assert (await admin_core.handle_line("/language ko", ADMIN, GROUP)).title == "언어 설정됨"
    answered = await asked_in(admin_core, store)
    asked = {line.split()[0].lstrip("/") for _, line in ASKED}
    assert asked >= {c.name for c in admin_commands()}  # a new admin command needs its lines
    assert sum(r.error for _, r in answered) >= 25  # the refusals were really reached
    data = [*await data_words(store), "Ada", "Mina", "Bo"]
    left: dict[str, list[str]] = {}
    for line, reply in answered:
        assert reply.language == "ko", line
        words = [
            w for w in english_left(reply, longest_first([*data, *typed(line)])) if w not in ALLOWED
        ]
        if words:
            left[line] = words
            print(line, words, "\n".join(plain_blocks(reply)), sep="\n", end="\n\n")
    assert left == {}


async def test_the_same_admin_lines_in_an_english_chat_leave_no_korean_template_text(
    admin_core: Core, store: Store
) -> None:
    answered = await asked_in(admin_core, store)
    data = [*await data_words(store), "아이유님"]
    left: dict[str, list[str]] = {}
    for line, reply in answered:
        assert reply.language == "en", line
        text = "\n".join(plain_blocks(reply))
        for word in longest_first([*data, *typed(line)]):
            text = text.replace(word, " ")
        if found := HANGUL_WORD.findall(text):
            left[line] = found
    assert left == {}
    said = "\n".join("\n".join(plain_blocks(r)) for _, r in answered)
    for english in (  # the English wording is the one it always was
        "Only bot admins can undo someone else's change; /undo takes back yours.",
        "That is already recorded as #9: Love wins all music video reached 100 million views.",
        "Nothing to change: #9's date is that already.",
        "A milestone has no field title; its fields are summary, date, subjects, platform,",
        "Fact #9 is not removed; nothing to restore.",
        "Mina (telegram:77) is an editor already.",
        "Recorded. /undo takes it back; /history #9 shows every change.",
        "added an alias “아이유님” to IU",
    ):
        assert english in said, english


async def test_a_telegram_form_asks_in_the_language_it_was_opened_in(admin_core: Core) -> None:
    forms = Forms(admin_core)
    command = admin_core.registry.get("addmilestone")
    assert command is not None
    key = ("-100", "1")
    steps = [forms.open(key, command, {"who": "IU"}, translator("ko"))]
    steps.append(await forms.answer(key, "2024-02-30"))  # no such day: asked again
    steps.append(forms.control(key, "skip"))  # the date is needed
    steps.append(await forms.answer(key, "2024-03-05"))
    steps.append(forms.control(key, "done"))  # summary and source still needed
    steps.append(forms.control(key, "cancel"))
    data = ["IU"]
    for step in steps:
        assert isinstance(step, Reply) and step.language == "ko"
        assert [w for w in english_left(step, data) if w not in ALLOWED] == [], plain_blocks(step)
    assert steps[0].title == "/addmilestone, 8단계 중 1단계"
    assert steps[-1].title == "/addmilestone 취소됨"
    english = Forms(admin_core).open(key, command, {"who": "IU"})
    assert english.title == "/addmilestone, step 1 of 8" and english.language == "en"


def test_every_admin_option_has_a_korean_name_discord_accepts() -> None:
    """Usage lines and Discord's options name each admin value in Korean: [플랫폼], not
    [PLATFORM]; one name once per command, in Discord's rule."""
    ko = translator("ko")
    for command in [*admin_commands(), *catalog_commands()]:
        names = [param_name(ko, p.name) for p in command.params]
        assert len(set(names)) == len(names), (command.name, names)
        for name in names:
            assert DISCORD_NAME.match(name) and HANGUL.search(name), (command.name, name)
