"""`fanbot admin …` and the audit trail through export and import, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import yaml

from storage import bundle as bundles
from storage.store import Store
from tests.conftest import SEEDS
from tests.test_cli import export_lines, run

ADD = [
    "admin",
    "--as",
    "ops",
    "addmilestone",
    "IU",
    "2024-02-01",
    "Love wins all music video reached 100 million views",
    "https://www.soompi.com/article/lwa-100m",
    "--platform",
    "YouTube",
    "--value",
    "100000000",
]


def test_operator_adds_edits_undoes_and_history_shows_it(tmp_path: Path) -> None:
    added = run(ADD, tmp_path)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Added #9" in added.stdout
    edited = run(["admin", "--as", "ops", "edit", "#9", "date", "2024-02-02", "Soompi"], tmp_path)
    assert edited.returncode == 0 and "Changed #9" in edited.stdout
    assert run(["admin", "--as", "ops", "undo"], tmp_path).returncode == 0
    answer = run(["ask", "/milestone IU"], tmp_path)
    assert "1 February 2024 · Love wins all music video reached 100 million views" in answer.stdout
    history = run(["admin", "history", "#9"], tmp_path).stdout
    assert history.count("ops (console ops)") == 3
    assert "added #9" in history and "changed fact #9" in history and "undid change 2" in history


def test_bad_input_exits_1_and_the_console_chat_is_no_admin(tmp_path: Path) -> None:
    bad = run(["admin", "addevent", "IU", "2024-02-30", "IU sang", "https://a.com/x"], tmp_path)
    assert bad.returncode == 1 and "has no day 30" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    # `fanbot ask` runs as the terminal's user, who is no bot admin unless FANBOT_ADMINS says so.
    line = '/addevent IU 2024-02-03 "IU sang" https://a.com/x'
    refused = run(["ask", line], tmp_path)
    assert refused.returncode == 1 and "Only bot admins or editors" in refused.stdout
    listed = run(["admin"], tmp_path)
    assert listed.returncode == 0 and "addmilestone" in listed.stdout


def test_export_and_import_carry_the_audit_trail(tmp_path: Path) -> None:
    assert run(ADD, tmp_path).returncode == 0
    edit = ["admin", "--as", "ops", "edit", "9", "value", "1,000", "x.com"]
    assert run(edit, tmp_path).returncode == 0
    assert run(["admin", "--as", "ops", "undo"], tmp_path).returncode == 0
    grant = ["admin", "--as", "ops", "editor", "add", "--user", "telegram:77", "--name", "Mi"]
    assert run(grant, tmp_path).returncode == 0
    exported = tmp_path / "all.yaml"
    assert run(["export", str(exported)], tmp_path).returncode == 0
    data = yaml.safe_load(exported.read_text("utf-8"))
    assert [e["action"] for e in data["audit"]] == ["add", "edit", "undo", "add editor"]
    assert data["audit"][1]["undone_by"] == 3 and data["audit"][2]["undoes"] == 2
    assert data["editors"][0]["user_id"] == "77"

    other = {"FANBOT_DB": str(tmp_path / "other.db")}
    result = run(["import", str(exported)], tmp_path, **other)
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again.yaml"
    assert run(["export", str(again)], tmp_path, **other).returncode == 0
    first, second = yaml.safe_load(exported.read_text("utf-8")), yaml.safe_load(again.read_text())
    for section in ("subjects", "facts", "editors"):
        assert second[section] == first[section]
    # The trail it brought, then the import's own entry: it added #9.
    assert second["audit"][:4] == first["audit"]
    assert [(e["user_name"], e["action"], e["target"]) for e in second["audit"][4:]] == [
        ("import all.yaml", "add", "9")
    ]
    # Importing the same trail twice adds nothing.
    assert run(["import", str(exported)], tmp_path, **other).returncode == 0
    third = yaml.safe_load(run(["export", "-"], tmp_path, **other).stdout)
    assert {**third, "exported_at": None} == {**second, "exported_at": None}
    history = run(["admin", "history", "9"], tmp_path, **other).stdout
    assert "undid change 2" in history


def test_a_broken_audit_section_changes_nothing(tmp_path: Path) -> None:
    before = export_lines(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("audit:\n  - {id: 1, at: yesterday, platform: x}\n", "utf-8")
    result = run(["import", str(broken)], tmp_path)
    assert result.returncode == 1 and "audit entry #1" in result.stderr
    assert "Traceback" not in result.stderr
    assert export_lines(tmp_path) == before


async def test_import_renumbers_entries_into_a_store_with_its_own_trail(tmp_path: Path) -> None:
    """Two stores' trails merge: taken ids are renumbered and undo links follow them."""
    rows = [
        {
            "id": 1,
            "at": "2025-01-24T00:00:00+00:00",
            "platform": "telegram",
            "user_id": "1",
            "user_name": "A",
            "action": "add alias",
            "target_kind": "subject",
            "target": "iu",
            "after": {"subject": "IU", "alias": "Jieunie"},
        },
        {
            "id": 2,
            "at": "2025-01-24T00:01:00+00:00",
            "platform": "telegram",
            "user_id": "1",
            "user_name": "A",
            "action": "undo",
            "target_kind": "subject",
            "target": "iu",
            "before": {"subject": "IU", "alias": "Jieunie"},
            "undoes": 1,
        },
    ]
    async with await Store.open(tmp_path / "a.db") as store:
        await store.seed_if_empty(SEEDS)
        await store.import_bundle(bundles.Bundle(extra={"audit": rows[:1]}), "first")
        other = [{**rows[0], "at": "2025-01-25T00:00:00+00:00"}, rows[1]]
        await store.import_bundle(bundles.Bundle(extra={"audit": other}), "second")
        exported = await store.audit.export_rows()
    assert [e["id"] for e in exported] == [1, 2, 3]
    assert exported[2]["undoes"] == 2 and exported[1]["at"].startswith("2025-01-25")


def test_fanbot_admin_speaks_fanbot_language_and_language(tmp_path: Path) -> None:
    """`fanbot admin` answers in FANBOT_LANGUAGE, or --language for one run (issue 17)."""
    added = run(ADD, tmp_path, FANBOT_LANGUAGE="ko")
    assert added.returncode == 0 and "#9 추가됨" in added.stdout, added.stdout + added.stderr
    assert "2024년 2월 1일 · Love wins all" in added.stdout and "기록했어요." in added.stdout
    again = run(["--language", "ko", *ADD], tmp_path)
    assert again.returncode == 1 and "이미 #9로 기록되어 있어요" in again.stdout
    history = run(["--language", "ko", "admin", "history", "#9"], tmp_path).stdout
    assert "#9의 변경 기록" in history and "#9 추가: Love wins all" in history
    english = run(["admin", "history", "#9"], tmp_path).stdout
    assert "History of #9" in english and "added #9" in english
