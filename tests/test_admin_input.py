"""What an admin types, checked before anything is written: sources, users, values, keys."""

from __future__ import annotations

import pytest

from bot.admin.input import detail_value, parse_source, parse_user, slugify
from bot.errors import FanbotError
from storage.models import Source


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("https://www.soompi.com/a/1", Source("soompi.com", "https://www.soompi.com/a/1")),
        ("www.allkpop.com/x", Source("allkpop.com", "https://www.allkpop.com/x")),
        ("Soompi — https://soompi.com/a", Source("Soompi", "https://soompi.com/a")),
        ("Chart data: Circle Chart, 2024", Source("Chart data: Circle Chart, 2024")),
        ("  Weverse   post\n by V ", Source("Weverse post by V")),
    ],
)
def test_sources_are_an_address_a_citation_or_both(text: str, source: Source) -> None:
    assert parse_source(text) == source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "needs a source"),
        ("--", "needs a source"),
        ("javascript:alert(1)", "starts with https://"),
        ("see ftp://files.example.com/x", "starts with https://"),
        ("https://a.com/1 https://b.com/2", "one web address"),
        ("https://localhost:8080/x", "not a web address"),
        ("https://a.com:99999/x", "not a web address"),
        ("http://[::1", "not a web address"),
        ("x" * 600, "too long"),
    ],
)
def test_bad_sources_are_refused(text: str, message: str) -> None:
    with pytest.raises(FanbotError, match=message):
        parse_source(text)


@pytest.mark.parametrize(
    ("text", "platform", "user"),
    [
        ("discord:123", "telegram", ("discord", "123")),
        ("<@!456>", "discord", ("discord", "456")),
        ("789", "telegram", ("telegram", "789")),
        ("Console:ops", "telegram", ("console", "ops")),
    ],
)
def test_users_are_named_by_platform_and_id(text: str, platform: str, user: tuple) -> None:
    assert parse_user(text, platform) == user


@pytest.mark.parametrize("text", ["@mina", "789", "telegram:12a", "discord:", "console:a b"])
def test_users_that_cannot_be_named(text: str) -> None:
    with pytest.raises(FanbotError):
        parse_user(text, "console")


def test_detail_values_are_typed_by_field() -> None:
    assert detail_value("value", "1,000,000") == 1_000_000
    assert detail_value("until", "2025-6") == "2025-06"
    assert detail_value("featured", "V, IU, V") == ["V", "IU"]
    with pytest.raises(FanbotError, match="whole number"):
        detail_value("value", "1e6")
    with pytest.raises(FanbotError, match="no day 31"):
        detail_value("since", "2024-06-31")


def test_keys_are_made_of_the_words() -> None:
    assert slugify("Love wins all — MV!", "fact") == "love-wins-all-mv"
    assert slugify("뷔 (V)", "subject") == "뷔-v"
    assert slugify("!!!", "fact") == "fact"
