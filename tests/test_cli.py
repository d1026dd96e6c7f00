"""The `fanbot` command as an operator runs it: a real process over a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FANBOT = [sys.executable, "-m", "adapters.cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path, stdin: str | None = None, **env: str):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FANBOT_", "TELEGRAM_", "DISCORD_"))
    }
    environment.update({"FANBOT_DB": str(tmp_path / "data" / "fanbot.db"), **env})
    return subprocess.run(
        [*FANBOT, *args],
        cwd=tmp_path,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def export_lines(tmp_path: Path, **env: str) -> list[str]:
    """`fanbot export -` without its time line: what two exports of one store share."""
    lines = run(["export", "-"], tmp_path, **env).stdout.splitlines()
    return [line for line in lines if not line.startswith("exported_at:")]


def test_ask_in_korean_by_setting_or_option(tmp_path: Path) -> None:
    """Issue 17's "done when": FANBOT_LANGUAGE=ko fanbot ask "/milestone 뷔" is Korean."""
    result = run(["ask", "/milestone 뷔"], tmp_path, FANBOT_LANGUAGE="ko")
    assert result.returncode == 0, result.stderr
    said = "2024년 1월 28일 · 뷔의 인스타그램 게시물이 6시간 55분 만에 좋아요 1,000만 개"
    assert said in result.stdout
    assert "출처:\n[1] \"King and Queen\"" in result.stdout
    assert run(["--language", "ko", "ask", "/today 2025-01-28"], tmp_path).stdout.startswith(
        "오늘의 기념일, 2025년 1월 28일"
    )
    english = run(["--language", "en", "ask", "/milestone V"], tmp_path, FANBOT_LANGUAGE="ko")
    assert english.stdout.startswith("Milestones of V")
    wrong = run(["ask", "/help"], tmp_path, FANBOT_LANGUAGE="fr")
    assert wrong.returncode == 2 and "FANBOT_LANGUAGE" in wrong.stderr
    assert "Traceback" not in wrong.stderr


@pytest.mark.parametrize("name", ["V", "뷔", "taehyung"])
def test_ask_milestone(tmp_path: Path, name: str) -> None:
    assert "created a new store" in run(["ask", "/help"], tmp_path).stderr
    result = run(["ask", f"/milestone {name}"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "10 million likes in 6 h 55 min" in result.stdout
    assert "28 January 2024" in result.stdout
    assert "King and Queen" in result.stdout  # the source
    assert result.stderr == ""


def test_ask_status_release_today(tmp_path: Path) -> None:
    run(["ask", "/help"], tmp_path)  # creates the store (and says so on stderr)
    status = run(["ask", "/status V"], tmp_path)
    assert "military service" in status.stdout and "as" not in status.stderr
    release = run(["ask", "/release", "Love", "wins", "all"], tmp_path)
    assert "pre-release single Love wins all" in release.stdout
    today = run(["ask", "/today 2025-01-24"], tmp_path)
    assert "1st anniversary: IU released her pre-release single Love wins all" in today.stdout


def test_ask_bad_input_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    result = run(["ask", "/today 2024-02-30"], tmp_path)
    assert result.returncode == 1
    assert "2024-02 has no day 30" in result.stdout and "Usage: /today [DATE]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_chat_reads_lines_until_the_end(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, stdin="/milestone V\n\n/nonsense\n/quit\n/help\n")
    assert result.returncode == 0
    assert "10 million likes" in result.stdout
    assert "There is no command /nonsense" in result.stdout
    assert "/sources FACT" not in result.stdout  # /help came after /quit


def test_chat_greets_and_answers_in_the_language_chosen_for_the_run(tmp_path: Path) -> None:
    result = run(["--language", "ko", "chat"], tmp_path, stdin="/subscriptions\n/quit\n")
    assert result.returncode == 0, result.stderr
    greeting = "fanbot 콘솔 — /help로 명령어를 보고, /quit 또는 Ctrl-D로 나갑니다."
    assert result.stdout.startswith(greeting)
    assert "이 채팅의 매일 알림" in result.stdout


def test_reminders_preview_speaks_fanbot_language(tmp_path: Path) -> None:
    post = run(["reminders", "preview", "--date", "2025-01-24"], tmp_path, FANBOT_LANGUAGE="ko")
    assert post.returncode == 0, post.stderr
    assert post.stdout.startswith("오늘, 2025년 1월 24일\n") and "아이유" in post.stdout
    nothing = run(["--language", "ko", "reminders", "preview", "--date", "2025-01-25"], tmp_path)
    assert nothing.stdout == "2025년 1월 25일에는 아무 소식도 없어 올릴 게시물이 없습니다.\n"


def test_run_without_tokens_says_so_and_opens_the_console(tmp_path: Path) -> None:
    result = run(["run"], tmp_path, stdin="/status V\n")
    assert result.returncode == 0
    assert "No DISCORD_TOKEN or TELEGRAM_BOT_TOKEN is set" in result.stderr
    assert "military service" in result.stdout


def test_export_then_import_into_a_new_store(tmp_path: Path) -> None:
    exported = tmp_path / "all.yaml"
    assert run(["export", str(exported)], tmp_path).returncode == 0
    other = {"FANBOT_DB": str(tmp_path / "other.db")}
    result = run(["import", str(exported)], tmp_path, **other)
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again.yaml"
    assert run(["export", str(again)], tmp_path, **other).returncode == 0
    # The same bundle but for its time (the export's own, a moment later).
    first, second = (p.read_text(encoding="utf-8").splitlines() for p in (exported, again))
    assert [n for n in first if not n.startswith("exported_at:")] == [
        n for n in second if not n.startswith("exported_at:")
    ]


def test_import_of_a_broken_file_changes_nothing(tmp_path: Path) -> None:
    before = export_lines(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "facts:\n  - {key: x, kind: event, date: 2024-02-30, summary: s, subjects: [v],\n"
        "     sources: [{title: t}]}\n",
        "utf-8",
    )
    result = run(["import", str(broken)], tmp_path)
    assert result.returncode == 1  # bad input, not a failed start
    assert "has no day 30" in result.stderr and "Traceback" not in result.stderr
    assert export_lines(tmp_path) == before


def test_a_foreign_file_stops_the_start_untouched(tmp_path: Path) -> None:
    path = tmp_path / "precious.txt"
    path.write_text("not a database", "utf-8")
    result = run(["ask", "/help"], tmp_path, FANBOT_DB=str(path))
    assert result.returncode == 2
    assert "is not a SQLite database" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text("utf-8") == "not a database"


def test_a_newer_store_stops_the_start_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = run(["ask", "/help"], tmp_path, FANBOT_DB=str(path))
    assert result.returncode == 2 and "newer fanbot" in result.stderr


def test_a_wrong_setting_is_named(tmp_path: Path) -> None:
    result = run(["ask", "/help"], tmp_path, FANBOT_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "FANBOT_TIMEZONE" in result.stderr and "Mars/Olympus" in result.stderr


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FANBOT_DB=from-dotenv.db\n", "utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FANBOT_")}
    result = subprocess.run(
        [*FANBOT, "ask", "/help"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert (tmp_path / "from-dotenv.db").exists()
