"""`fanbot import` and `fanbot export` as an operator meets them (issue 14, items 8, 11, 18, 19):
corrections survive an import, every change is audited, an export is atomic and a bundle cut
short is refused, a full disk or a locked store says so, and large bundles load fast.

Real processes and real SQLite files; the full disk is a real tmpfs of a few kilobytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from storage import bundle as bundles
from storage.models import FactKind, NewFact, PartialDate, Source
from storage.store import Store
from tests.conftest import SEEDS, text_of
from tests.test_cli import run

SEED = SEEDS / "001_love_wins_all.yaml"
OPS = Caller("console", "ops", "ops")
TERMINAL = Chat("console", "console", "private", "terminal")
CORRECTED = "IU released her pre-release single Love wins all on 24 January 2024"
EDIT_1 = ["admin", "--as", "ops", "edit", "#1", "summary", CORRECTED, "https://example.com/fix"]


def history(tmp_path: Path, fact: str, **env: str) -> str:
    return run(["admin", "history", fact], tmp_path, **env).stdout


# ---- item 8: an import keeps later corrections and records what it changes -------------------


def test_importing_the_seed_keeps_an_admin_correction(tmp_path: Path) -> None:
    assert run(EDIT_1, tmp_path).returncode == 0
    result = run(["import", str(SEED)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Kept 1 changed after the bundle was exported" in result.stdout
    assert "#1: sources, summary" in result.stdout and "--overwrite" in result.stdout
    answer = run(["ask", "/release Love wins all"], tmp_path).stdout
    assert CORRECTED in answer and "example.com" in answer
    assert "import" not in history(tmp_path, "#1")  # nothing changed, nothing recorded

    result = run(["import", "--overwrite", str(SEED)], tmp_path)
    assert result.returncode == 0 and "1 changed" in result.stdout and "Kept" not in result.stdout
    answer = run(["ask", "/release Love wins all"], tmp_path).stdout
    assert "IU released her pre-release single Love wins all (#1)" in answer
    shown = history(tmp_path, "#1")
    assert f"import {SEED.name}" in shown and f"summary: {CORRECTED} → IU released" in shown


def test_an_import_records_every_change_as_import_file(tmp_path: Path) -> None:
    add = ["admin", "--as", "ops", "addevent", "IU", "2024-02-03", "IU sang", "https://a.com/x"]
    assert run(add, tmp_path).returncode == 0
    bundle = tmp_path / "all.yaml"
    assert run(["export", str(bundle)], tmp_path).returncode == 0
    other = {"FANBOT_DB": str(tmp_path / "other.db")}
    result = run(["import", str(bundle)], tmp_path, **other)
    assert result.returncode == 0, result.stderr
    assert "1 facts added, 0 changed; 1 audit entries added" in result.stdout
    shown = history(tmp_path, "#9", **other)
    assert "ops (console ops): added #9: IU sang" in shown  # the history it brought
    assert "import all.yaml (import /" in shown and "): added #9: IU sang" in shown
    again = run(["import", str(bundle)], tmp_path, **other)
    assert "0 facts added, 0 changed." in again.stdout  # the same bundle twice adds nothing
    assert history(tmp_path, "#9", **other) == shown


@pytest.fixture
async def timed(tmp_path: Path) -> AsyncIterator[tuple[Store, Core, FixedClock]]:
    store = await Store.open(tmp_path / "timed.db")
    await store.seed_if_empty(SEEDS)
    clock = FixedClock(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC))
    core = Core(store, clock, all_commands(), admins=frozenset({("console", "ops")}))
    yield store, core, clock
    await store.close()


async def test_only_changes_after_the_export_are_kept(
    timed: tuple[Store, Core, FixedClock],
) -> None:
    store, core, clock = timed
    before = await store.export_bundle(at=clock.now())  # 12:00, before the correction
    before.facts[3] = replace(
        before.facts[3], details={**before.facts[3].details, "time_taken": "7 h"}
    )
    clock.advance(dt.timedelta(hours=1))
    line = f'/edit #4 scope "{CORRECTED}" https://example.com/fix'
    assert not (await core.handle_line(line, OPS, TERMINAL)).error
    clock.advance(dt.timedelta(hours=1))
    later = await store.export_bundle(at=clock.now())  # 14:00, after it

    # A bundle exported after the correction wins where it says otherwise.
    later.facts[3] = replace(later.facts[3], summary="Reworded")
    report = await store.import_bundle(later, "later.yaml", at=clock.now())
    assert report.facts_changed == 1 and report.kept == []
    fact = await store.facts.fact(4)
    assert fact is not None and fact.summary == "Reworded" and fact.details["scope"] == CORRECTED

    # The earlier one keeps what changed since its export (the correction, the later import)
    # and brings in what nobody changed since.
    clock.advance(dt.timedelta(hours=1))
    report = await store.import_bundle(before, "before.yaml", at=clock.now())
    assert [(k.what, k.fields) for k in report.kept] == [("#4", ("scope", "sources", "summary"))]
    fact = await store.facts.fact(4)
    assert fact is not None and fact.details["scope"] == CORRECTED
    assert fact.summary == "Reworded" and fact.details["time_taken"] == "7 h"
    entries = await store.audit.for_target("fact", "4")
    assert [(e.actor.name, e.action) for e in entries] == [
        ("ops", "edit"),
        ("import later.yaml", "edit"),
        ("import before.yaml", "edit"),
    ]
    assert entries[-1].after is not None and entries[-1].after["version"] == fact.version
    assert entries[-1].at == clock.now()


async def test_an_alias_added_after_the_export_survives_an_import(
    timed: tuple[Store, Core, FixedClock],
) -> None:
    store, core, clock = timed
    seed = bundles.read_file(SEED)
    line = "/addalias IU Jieunie https://example.com/nick"
    assert not (await core.handle_line(line, OPS, TERMINAL)).error
    report = await store.import_bundle(seed, "seed.yaml", at=clock.now())
    assert [(k.what, k.fields) for k in report.kept] == [("subject IU", ("alias Jieunie",))]
    iu = await store.facts.subject_by_slug("iu")
    assert iu is not None and "Jieunie" in iu.aliases
    await store.import_bundle(seed, "seed.yaml", at=clock.now(), overwrite=True)
    iu = await store.facts.subject_by_slug("iu")
    assert iu is not None and "Jieunie" not in iu.aliases


async def test_round_trip_keeps_every_field(timed: tuple[Store, Core, FixedClock]) -> None:
    store, core, clock = timed
    line = "/addstatus V 2023-12-11 active https://example.com/v"
    assert not (await core.handle_line(line, OPS, TERMINAL)).error
    exported = await store.export_bundle(at=clock.now())
    assert any(f.details.get("since") == "2023-12-11" for f in exported.facts)
    assert any(f.details.get("as_of") == "2024-01-28" for f in exported.facts)
    read = bundles.parse(bundles.load_text(bundles.dump(exported), "x"), "x")
    assert read.facts == exported.facts and read.subjects == exported.subjects
    assert read.exported_at == exported.exported_at.replace(microsecond=0)
    assert read.extra == exported.extra


# ---- item 18: atomic export, an end marker, a full disk and a locked store say so -------------


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` mounted at `folder` (skips when mounting is not permitted)."""
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int = 0) -> None:
    """Write to `folder` until the disk refuses, then give back `leave` bytes."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))


def test_export_to_a_full_disk_says_so_and_leaves_the_old_file(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "64k") as disk:
        target = disk / "all.yaml"
        target.write_text("the previous export\n", "utf-8")
        fill(disk, leave=2048)
        result = run(["export", str(target)], tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert f"cannot write {target}: the disk is full" in result.stderr
        assert "it was left as it was" in result.stderr
        assert target.read_text("utf-8") == "the previous export\n"
        assert sorted(p.name for p in disk.iterdir()) == ["all.yaml", "filler"]


def test_a_bundle_cut_short_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    assert (
        run(
            ["admin", "--as", "ops", "addevent", "IU", "2024-02-03", "IU sang", "a.com/x"], tmp_path
        ).returncode
        == 0
    )
    bundle = tmp_path / "all.yaml"
    assert run(["export", str(bundle)], tmp_path).returncode == 0
    lines = bundle.read_text("utf-8").splitlines(keepends=True)
    facts_at = lines.index("facts:\n")
    other = {"FANBOT_DB": str(tmp_path / "other.db")}
    before = run(["export", "-"], tmp_path, **other).stdout

    cut = tmp_path / "cut.yaml"  # cut at an entry boundary: still valid YAML
    cut.write_text("".join(lines[: facts_at + 5]), "utf-8")
    assert yaml.safe_load(cut.read_text("utf-8"))["facts"]
    result = run(["import", str(cut)], tmp_path, **other)
    assert result.returncode == 1 and "Traceback" not in result.stderr  # bad input
    assert "ends early" in result.stderr and "nothing was imported" in result.stderr

    edited = tmp_path / "edited.yaml"  # an entry lost in the middle: the count tells
    edited.write_text("".join(lines[: facts_at + 2] + lines[facts_at + 3 :]), "utf-8")
    result = run(["import", str(edited)], tmp_path, **other)
    assert result.returncode == 1
    assert "counts 9 facts but the file holds 8" in result.stderr
    assert (
        run(["export", "-"], tmp_path, **other).stdout.split("subjects:")[1]
        == before.split("subjects:")[1]
    )


@contextlib.contextmanager
def locked(db: Path) -> Iterator[None]:
    """Another program holding the store's write lock."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_store_locked_too_long_says_so_in_chat_and_on_the_command_line(tmp_path: Path) -> None:
    assert run(["ask", "/help"], tmp_path).returncode == 0  # the store exists, seeded
    db = tmp_path / "data" / "fanbot.db"
    with locked(db):
        imported = run(["import", str(SEED)], tmp_path)
        added = run(
            ["admin", "--as", "ops", "addevent", "IU", "2024-02-03", "IU sang", "a.com/x"],
            tmp_path,
        )
    assert imported.returncode == 2 and "Traceback" not in imported.stderr
    assert "is locked: another program held it for over 5 s" in imported.stderr
    assert added.returncode == 1 and "Something went wrong" not in added.stdout
    assert "The bot's store is busy" in added.stdout and "nothing was changed" in added.stdout
    assert "Traceback" not in added.stderr


async def test_a_full_disk_under_the_store_says_so_in_chat(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "4m") as disk:
        store = await Store.open(disk / "fanbot.db")
        try:
            await store.seed_if_empty(SEEDS)
            clock = FixedClock(dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
            core = Core(store, clock, all_commands(), admins=frozenset({("console", "ops")}))
            fill(disk)
            reply = await core.handle_line(
                '/addevent IU 2024-02-03 "IU sang" https://a.com/x', OPS, TERMINAL
            )
            assert reply.error
            assert "the disk is full, so nothing was changed" in text_of(reply)
            (disk / "filler").unlink()
            assert await store.facts.count_facts() == 8
        finally:
            await store.close()


# ---- item 11: large bundles, item 19: the loader -----------------------------------------------


def _synthetic(n: int) -> dict:
    return {
        "subjects": [{"key": "iu", "name": "IU", "kind": "soloist"}],
        "facts": [
            {
                "key": f"k{i}",
                "kind": "event",
                "date": "2024-01-24",
                "summary": f"IU did thing {i}",
                "subjects": ["iu"],
                "sources": [{"title": "t"}],
            }
            for i in range(n)
        ],
    }


def test_forty_thousand_facts_are_checked_for_repeats_at_once() -> None:
    data = _synthetic(40_000)
    started = time.process_time()
    bundle = bundles.parse(data, "big")
    assert len(bundle.facts) == 40_000
    assert time.process_time() - started < 15  # main's list.count per key took about a minute
    data["facts"][39_999]["key"] = "k7"
    with pytest.raises(bundles.BundleError, match="fact key\\(s\\) listed twice: k7"):
        bundles.parse(data, "big")


def test_the_yaml_loader_is_libyaml() -> None:
    assert not yaml.__with_libyaml__ or issubclass(bundles._Loader, yaml.CSafeLoader)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "facts:\n  - key: a\n    kind: event\n    summary: one\n    summary: two\n",
            "the key 'summary' is given twice",
        ),
        ("facts: !!python/object/apply:os.system ['true']\n", "is not valid YAML"),
        (
            "subjects: [{key: iu, name: IU, kind: soloist}]\nfacts:\n  - {key: a, kind: event, "
            "date: 2024-02-30, summary: s, subjects: [iu], sources: [{title: t}]}\n",
            "has no day 30",
        ),
        # A line that json reads with a key twice is not taken by the fast path either.
        ('facts:\n- {"key": "a", "key": "b"}\n', "the key 'key' is given twice"),
    ],
)
def test_the_loader_keeps_its_refusals(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(bundles.BundleError, match=message):
        bundles.read_file(path)


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda t: t.strip() != ""
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=_TEXT, title=_TEXT, what=st.lists(_TEXT, max_size=3))
def test_an_export_reads_the_same_by_json_lines_and_by_any_yaml_reader(
    summary: str, title: str, what: list[str]
) -> None:
    fact = NewFact(
        key="k",
        kind=FactKind.EVENT,
        summary=summary.strip(),
        date=PartialDate(2024, 1, 24),
        subjects=("iu",),
        sources=(Source(title=title.strip()),),
        details={"what": what or "x"},
    )
    text = bundles.dump(bundles.Bundle(facts=[fact]))
    fast = bundles.load_text(text, "x")
    assert fast == yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the safe loader
    assert bundles.parse(fast, "x").facts[0].summary == fact.summary


# ---- item 19: the same fact, and only then ----------------------------------------------------


async def test_two_different_milestones_on_one_platform_and_day_are_both_kept(
    timed: tuple[Store, Core, FixedClock],
) -> None:
    store, core, clock = timed
    first = '/addmilestone V 2024-02-01 "V topped the Instagram Reels chart" a.com/1 Instagram'
    second = '/addmilestone V 2024-02-01 "V gained a million followers" a.com/2 Instagram'
    assert not (await core.handle_line(first, OPS, TERMINAL)).error
    reply = await core.handle_line(second, OPS, TERMINAL)
    assert not reply.error, text_of(reply)
    # A true duplicate is still refused: the same summary, or every identifying detail alike.
    again = await core.handle_line(first.replace("a.com/1", "a.com/3"), OPS, TERMINAL)
    assert again.error and "already recorded as #9" in text_of(again)
    views = '/addmilestone V 2024-02-02 "{}" a.com/4 YouTube views 1000'
    assert not (await core.handle_line(views.format("MV hit 1,000 views"), OPS, TERMINAL)).error
    reworded = await core.handle_line(views.format("1,000 views for the MV"), OPS, TERMINAL)
    assert reworded.error and "already recorded as #11" in text_of(reworded)
