"""What an operator sees from the real `fanbot` command: one line, never a traceback, and one
exit-code rule for every command (README, "Exit codes"): 0 answered (an empty answer too),
1 the request was refused (bad input, something it names that is not there, output that
cannot be written), 2 fanbot could not start (a setting, the store, the platform).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.fanbot_process import FANBOT, ROOT, environment, fanbot, one_line, seeded_store

SEED = str(ROOT / "seeds" / "001_love_wins_all.yaml")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A seeded store's bytes, made once: each test starts from a copy."""
    return seeded_store(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def db(tmp_path: Path, seeded: bytes) -> Path:
    path = tmp_path / "fanbot.db"
    path.write_bytes(seeded)
    return path


# -- settings and .env: refused at start, exit 2, one line naming file, line and setting --------


def test_a_non_utf8_dotenv_is_refused_naming_the_line(tmp_path: Path, db: Path) -> None:
    (tmp_path / ".env").write_bytes(b"FANBOT_TIMEZONE=Asia/Seoul\nFANBOT_DB=caf\xe9.db\n")
    line = one_line(fanbot(["ask", "/help"], tmp_path, db), 2, ".env line 2", "not UTF-8")
    assert "0xe9" in line and not (tmp_path / "café.db").exists()


@pytest.mark.parametrize(
    ("text", "dropped"),
    [
        ('FANBOT_TIMEZONE="Asia/Seoul\n', "FANBOT_TIMEZONE was not set from it"),
        ("FANBOT_DB other.db\n", "FANBOT_DB was not set from it"),  # the '=' forgotten
        ("just some words\n", "it sets nothing"),  # no setting of that name
    ],
)
def test_a_bad_dotenv_line_names_file_line_and_setting(
    tmp_path: Path, db: Path, text: str, dropped: str
) -> None:
    (tmp_path / ".env").write_text(f"# settings\nFANBOT_ADMINS=console:ops\n{text}", "utf-8")
    result = fanbot(["ask", "/help"], tmp_path, db)
    one_line(result, 2, "fanbot: .env line 3 is not NAME=value", dropped)
    assert result.stdout == ""


def test_a_misspelt_setting_in_dotenv_is_warned_about(tmp_path: Path, db: Path) -> None:
    """FANBOT_TIMEZON=UTC would leave the zone at its default without a word."""
    (tmp_path / ".env").write_text(
        "COMPOSE_PROJECT_NAME=fans\nFANBOT_TIMEZON=UTC\nDISCORD_TOKN=secret-value\n", "utf-8"
    )
    result = fanbot(["ask", "/help"], tmp_path, db)
    assert result.returncode == 0 and result.stdout
    warned = [line.split(" fanbot: ", 1)[1] for line in result.stderr.splitlines()]
    assert warned == [
        ".env line 2 sets FANBOT_TIMEZON, which fanbot does not read "
        "(did you mean FANBOT_TIMEZONE?); see .env.example",
        ".env line 3 sets DISCORD_TOKN, which fanbot does not read "
        "(did you mean DISCORD_TOKEN?); see .env.example",
    ]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("FANBOT_LOG_LEVEL", "LOUD", "FANBOT_LOG_LEVEL: unknown log level 'LOUD'"),
        ("FANBOT_ADMINS", "console", "FANBOT_ADMINS: 'console' is not platform:id"),
        ("FANBOT_ADMINS", "telegram:12,discord:me", "'discord:me': a discord user id is a number"),
        ("FANBOT_DB", " ", "FANBOT_DB: is empty; name the SQLite file"),
        ("FANBOT_DB", "postgresql://fan@db/fanbot", "FANBOT_DB: a PostgreSQL URL is not yet"),
        ("FANBOT_SEEDS", "/no/such/seeds", "FANBOT_SEEDS: /no/such/seeds is not a folder"),
    ],
)
def test_a_wrong_setting_stops_the_start(
    tmp_path: Path, db: Path, name: str, value: str, said: str
) -> None:
    for command in (["ask", "/help"], ["run"]):
        result = fanbot(command, tmp_path, db, stdin="", env={name: value})
        one_line(result, 2, "fanbot: a setting is wrong", said)
        assert "Value error" not in result.stderr


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT: 'two' is not a whole number"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT: must be 1 or more"),
        ({"DISCORD_SHARD_IDS": "1"}, "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT"),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"},
            "DISCORD_SHARD_IDS: 2 is not a shard of DISCORD_SHARD_COUNT=2 (ids are 0 to 1)",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0;1"},
            "DISCORD_SHARD_IDS: '0;1' is not a shard id; write ids like 0,1",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "-1"},
            "DISCORD_SHARD_IDS: '-1' is not a shard id",
        ),
    ],
)
def test_wrong_discord_shards_stop_the_start(
    tmp_path: Path, db: Path, env: dict[str, str], said: str
) -> None:
    """A shard Discord would refuse (4010) is said at start, before any adapter connects."""
    for command in (["ask", "/help"], ["run"]):
        result = fanbot(command, tmp_path, db, stdin="", env=env)
        one_line(result, 2, "fanbot: a setting is wrong: ", said)
        assert "SETTINGS:" not in result.stderr and "Value error" not in result.stderr


def test_blank_discord_shard_settings_are_unset(tmp_path: Path, db: Path) -> None:
    """`DISCORD_SHARD_COUNT=` as .env.example has it, uncommented: one process, every shard."""
    (tmp_path / ".env").write_text("DISCORD_SHARD_COUNT=\nDISCORD_SHARD_IDS=\n", "utf-8")
    result = fanbot(["ask", "/help"], tmp_path, db)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def test_fanbot_seeds_names_the_folder_a_new_store_is_seeded_from(tmp_path: Path) -> None:
    mine = tmp_path / "my-seeds"
    mine.mkdir()
    env = {"FANBOT_SEEDS": str(mine)}
    assert fanbot(["ask", "/milestone V"], tmp_path, tmp_path / "a.db", env=env).returncode == 1
    (mine / "seed.yaml").write_bytes(Path(SEED).read_bytes())
    answer = fanbot(["ask", "/milestone V"], tmp_path, tmp_path / "b.db", env=env)
    assert answer.returncode == 0 and "Instagram" in answer.stdout


# -- files and pipes ----------------------------------------------------------------------------


def test_export_to_a_missing_folder_is_one_line_and_writes_nothing(
    tmp_path: Path, db: Path
) -> None:
    target = tmp_path / "no" / "such" / "folder" / "facts.yaml"
    one_line(fanbot(["export", str(target)], tmp_path, db), 1, str(target), "No such file")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("args", [["ask", "/help"], ["export", "-"], ["reminders", "preview"]])
def test_a_reader_that_left_is_no_traceback(tmp_path: Path, db: Path, args: list[str]) -> None:
    """`fanbot ask "/help" | head -c1`, with the reader gone before fanbot writes a byte."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = fanbot(args, tmp_path, db, stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (1, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a full disk")
@pytest.mark.parametrize(
    "args",
    [["ask", "/sources #1"], ["export", "-"], ["reminders", "preview", "--date", "2025-03-03"]],
)
def test_output_to_a_full_disk_is_one_line(tmp_path: Path, db: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = fanbot(args, tmp_path, db, stdout=full)
    one_line(result, 1, "fanbot: could not write the output: No space left on device")


def test_a_pipe_to_head_is_quiet(tmp_path: Path, db: Path) -> None:
    """As typed; whether fanbot wrote before head left is a race, so either code is right."""
    pipeline = 'set -o pipefail; "$@" | head -c1; echo " $?"'
    result = subprocess.run(
        ["bash", "-c", pipeline, "-", *FANBOT, "export", "-"],
        cwd=tmp_path,
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() in (["f", "0"], ["f", "1"]) and result.stderr == ""


def test_import_of_a_file_that_is_no_yaml_is_one_line(tmp_path: Path, db: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("subjects: [1\n", "utf-8")
    before = db.read_bytes()
    one_line(
        fanbot(["import", str(broken)], tmp_path, db),
        1,
        f"{broken} is not valid YAML: line 2, column 1: ",
        "expected ',' or ']'",  # libyaml says "did not find expected …", PyYAML "expected …"
        "nothing was imported",
    )
    missing = tmp_path / "missing.yaml"
    one_line(fanbot(["import", str(missing)], tmp_path, db), 1, "No such file or directory")
    assert db.read_bytes() == before


# -- one exit-code rule, every command ----------------------------------------------------------

ANSWERED, REFUSED, CANNOT_START = 0, 1, 2
CASES = {
    "ask, an answer": (["ask", "/milestone V"], {}, ANSWERED),
    "ask /search, nothing found": (["ask", "/search zzqx"], {}, ANSWERED),
    "ask /today, an empty day": (["ask", "/today 2025-03-03"], {}, ANSWERED),
    "ask /upcoming, nothing due": (["ask", "/upcoming 1"], {}, ANSWERED),
    "ask, an unknown release": (["ask", "/release zzqx"], {}, REFUSED),
    "ask, an unknown person": (["ask", "/milestone Nobody"], {}, REFUSED),
    "ask, an unknown fact": (["ask", "/sources #999"], {}, REFUSED),
    "ask, a bad date": (["ask", "/today 2025-02-30"], {}, REFUSED),
    "ask, an unknown command": (["ask", "/nosuch"], {}, REFUSED),
    "ask, not an admin": (["ask", "/addalias V Tae2 https://example.org"], {}, REFUSED),
    "preview, a post": (["reminders", "preview", "--date", "2025-01-24"], {}, ANSWERED),
    "preview, no post": (["reminders", "preview", "--date", "2025-03-03"], {}, ANSWERED),
    "preview, a bad date": (["reminders", "preview", "--date", "bad"], {}, REFUSED),
    "admin, a change": (["admin", "addalias", "V", "Tae2", "https://example.org/a"], {}, ANSWERED),
    "admin, an unknown person": (
        ["admin", "addalias", "Nobody", "N2", "https://example.org/a"],
        {},
        REFUSED,
    ),
    "admin, arguments missing": (["admin", "addalias", "V"], {}, REFUSED),
    "an unknown subcommand": (["nosuch"], {}, REFUSED),
    "import, a seed": (["import", SEED], {}, ANSWERED),
    "export, to stdout": (["export", "-"], {}, ANSWERED),
    "backup, into a missing folder": (["backup", "/no/such/folder/x.db"], {}, REFUSED),
    "a wrong setting": (["ask", "/help"], {"FANBOT_TIMEZONE": "Mars/Olympus"}, CANNOT_START),
    "discord sync without a token": (["discord", "sync"], {}, CANNOT_START),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_exit_code_rule(tmp_path: Path, db: Path, case: str) -> None:
    args, env, code = CASES[case]
    result = fanbot(args, tmp_path, db, env={"USER": "ops", "LOGNAME": "ops", **env})
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if code == ANSWERED:
        assert result.stdout.strip()
    else:
        assert (result.stdout + result.stderr).strip()


def test_a_store_that_is_no_database_cannot_start(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database", "utf-8")
    one_line(fanbot(["ask", "/help"], tmp_path, path), 2, "is not a SQLite database")


@pytest.mark.parametrize("command", ["run", "web"])
async def test_servers_log_at_info_and_one_off_commands_do_not(
    tmp_path: Path, db: Path, command: str
) -> None:
    """`run` and `web` say which store they opened; `ask` says nothing it was not asked."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        *FANBOT,
        command,
        cwd=tmp_path,
        env=environment(db, {"FANBOT_WEB_PORT": str(port)}),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    ready = "fanbot console" if command == "run" else "Serving the website"
    while ready not in (line := (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()):
        assert line, f"{command} ended before saying {ready!r}"
    if command == "web":
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops it; the console chat leaves at /quit
    _, err = await asyncio.wait_for(proc.communicate(b"/quit\n"), 30)
    assert proc.returncode == 0, err.decode()  # a Ctrl-C right after "Serving…" stops cleanly
    assert f"INFO storage.db: opened the store at {db}" in err.decode()
    assert fanbot(["ask", "/help"], tmp_path, db).stderr == ""
