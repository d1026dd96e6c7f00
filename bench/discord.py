"""Discord: answers per second through the emulator, beside a bare bot; and memory per guild.

Every bot is a real discord.py client talking HTTP and WebSocket on 127.0.0.1 to the emulator
(`tests/emulators/discord_api.py`), each in its own process. The bare bots answer every
`/milestone` with a fixed string or a fixed embed, the ceiling of the library and emulator.
fanbot is `fanbot run` over the 100,000-fact synthetic store, asked questions drawn from the
whole store (`bench.questions`), twice: FANBOT_KEEP_ANSWERS=false (every answer computed
afresh) and the production setting (answers kept). Measured one interaction at a time and 50 in
flight, in alternating rounds; autocomplete latency (prefixes of any alias) while 50 are in
flight. Then the process with 1, 1,000 and 10,000 guilds: resident memory and the time from
start to ready, fanbot beside a bare client made by the same `new_client` (same intents and
cache settings).

Run: `python -m bench.discord`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import discord
from discord import app_commands

from adapters.discord.endpoints import point_client_at
from adapters.discord.service import new_client
from bench.questions import OPTION, questions
from bench.report import Report, growth, rss_mb, scaled, verdict
from bench.synth import cached_store
from bot.settings import Settings
from tests.emulators.discord_api import DiscordEmulator, member, one_guild, text_channel

TOKEN = "bench.discord.token"
APP_ID = 920000000000000001
GUILD = (4 << 22) + 5
CHANNEL = 820000000000000001
FAN = 620000000000000003
ROUNDS = 5 if scaled(10) >= 10 else 1
SEQUENTIAL = scaled(800, 50)
CONCURRENT_TOTAL = scaled(2000, 100)
IN_FLIGHT = 50
FACTS = scaled(100_000, 1000)
GUILDS = (1, scaled(1000, 10), scaled(10_000, 100))
RATE_TARGET = 0.85  # fanbot computed afresh, of the bare bot's rate
AUTOCOMPLETE_TARGET = 1.5  # fanbot's autocomplete p99, of the bare bot's /milestone p99
BOTS = ("string", "embed", "afresh", "kept")


def _emulator() -> DiscordEmulator:
    return one_guild(TOKEN, APP_ID, GUILD, CHANNEL, FAN, heartbeat_interval_ms=30000)


FIXED_EMBED = discord.Embed(
    title="Milestones of V",
    description="28 January 2024 · V's Instagram post with IU reached 10 "
    "million likes in 6 h 55 min (#4) [1]",
).set_footer(text="Sources: [1] An article — 2024-01-28\nDates are KST calendar days.")


async def _serve_bare(embed: bool) -> None:
    """The bare bot, run as `python -m bench.discord --serve string|embed` (its own process).

    Made by fanbot's own `new_client` (same intents, cache and mention settings), with one
    command that answers a fixed reply; says "ready" on stderr once the gateway is ready.
    """
    settings = Settings(_env_file=None)
    client = new_client(settings)
    tree = app_commands.CommandTree(client)

    @tree.command(name="milestone", description="Records and milestones")
    async def milestone(interaction: discord.Interaction, who: str) -> None:
        if embed:
            await interaction.response.send_message(embed=FIXED_EMBED)
        else:
            await interaction.response.send_message("Milestones of V")

    settings = Settings()
    point_client_at(client, settings.discord_api_base_url, settings.discord_gateway_url)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await client.login(TOKEN)
    task = asyncio.create_task(client.connect(reconnect=False))
    await client.wait_until_ready()
    print("bare client ready", file=sys.stderr, flush=True)
    await stop.wait()
    await client.close()
    await asyncio.wait_for(task, 10)


def _bot_env(emu: DiscordEmulator, db: Path, kind: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE_URL=emu.api_base,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        FANBOT_DB=str(db),
        FANBOT_LOG_LEVEL="INFO",
        FANBOT_KEEP_ANSWERS="false" if kind == "afresh" else "true",
    )
    return env


@contextlib.asynccontextmanager
async def _bot_process(
    kind: str, emu: DiscordEmulator, db: Path
) -> AsyncIterator[tuple[int, float]]:
    """Start a bot in a process of its own, as in production: the emulator (Discord's side)
    and the load stay in this one, so the bot's CPU is its own and can be read from /proc.

    fanbot is the command an operator runs, `fanbot run`. Yields the pid and the seconds from
    start to ready (the line each bot logs once discord.py is ready).
    """
    fan = kind in ("afresh", "kept")
    command = ["-m", "adapters.cli", "run"] if fan else ["-m", "bench.discord", "--serve", kind]
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        env=_bot_env(emu, db, kind),
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    marker = b"discord adapter started" if fan else b"bare client ready"
    drain: asyncio.Task[None] | None = None
    try:
        while True:
            line = await asyncio.wait_for(proc.stderr.readline(), 300)
            if not line:
                raise RuntimeError(f"the {kind} bot ended before it was ready")
            if marker in line:
                break
        ready = time.perf_counter() - started
        drain = asyncio.create_task(_drain(proc.stderr))
        yield proc.pid, ready
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
        if drain is not None:
            drain.cancel()


async def _drain(stream: asyncio.StreamReader) -> None:
    """Keep reading a bot's log, so a full pipe never stalls it."""
    while await stream.readline():
        pass


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Asked:
    """Questions handed out in turn; a bare bot gets the same names under its one command."""

    def __init__(self, work: list[tuple[str, str]], bare: bool):
        self.work = work
        self.bare = bare
        self.next = 0

    def take(self) -> tuple[str, dict[str, str]]:
        kind, arg = self.work[self.next % len(self.work)]
        self.next += 1
        if self.bare:
            return "milestone", {"who": arg}
        return kind, {OPTION[kind]: arg}


async def _one(emu: DiscordEmulator, asked: Asked) -> None:
    name, options = asked.take()
    rec = await emu.inject_slash_command(
        name, options, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
    )
    callback = await emu.wait_for_callback(rec.id, timeout=30)
    assert callback.type in (4, 5), callback  # an answer, or "thinking" then the answer


async def _sequential(emu: DiscordEmulator, asked: Asked) -> float:
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        await _one(emu, asked)
    return SEQUENTIAL / (time.perf_counter() - started)


async def _concurrent(
    emu: DiscordEmulator,
    asked: Asked,
    latencies: list[float] | None,
    waits: list[float] | None = None,
    typed: list[str] | None = None,
) -> float:
    """CONCURRENT_TOTAL interactions, IN_FLIGHT at a time; autocomplete timed meanwhile.

    `waits` collects each interaction's inject-to-answer time: under a saturating load that is
    mostly queueing (in flight / throughput), the same for any request, autocomplete included.
    """
    gate = asyncio.Semaphore(IN_FLIGHT)
    done = asyncio.Event()

    async def bounded() -> None:
        async with gate:
            started = time.perf_counter()
            await _one(emu, asked)
            if waits is not None:
                waits.append(time.perf_counter() - started)

    async def autocomplete() -> None:
        assert latencies is not None and typed
        i = 0
        while not done.is_set():
            value = typed[i % len(typed)]
            i += 1
            started = time.perf_counter()
            rec = await emu.inject_autocomplete(
                "milestone", focused="who", value=value, guild_id=GUILD, user_id=FAN
            )
            await emu.wait_for_callback(rec.id, timeout=30)
            latencies.append(time.perf_counter() - started)

    side = asyncio.create_task(autocomplete()) if latencies is not None else None
    started = time.perf_counter()
    await asyncio.gather(*(bounded() for _ in range(CONCURRENT_TOTAL)))
    rate = CONCURRENT_TOTAL / (time.perf_counter() - started)
    done.set()
    if side is not None:
        await side
    return rate


@dataclass
class Figures:
    """One bot's figures over the rounds."""

    one: list[float] = field(default_factory=list)  # answers per second, one at a time
    many: list[float] = field(default_factory=list)  # answers per second, IN_FLIGHT at once
    cpu_ms: list[float] = field(default_factory=list)  # the bot process's CPU per answer
    waits: list[float] = field(default_factory=list)  # inject-to-answer, under IN_FLIGHT
    autocomplete: list[float] = field(default_factory=list)


async def _round(kind: str, db: Path, figures: Figures, work: list, typed: list[str]) -> None:
    asked = Asked(work, bare=kind in ("string", "embed"))
    async with _emulator() as emu, _bot_process(kind, emu, db) as (pid, _ready):
        await emu.wait_until_identified(60, GUILD)
        for _ in range(50):  # warm up connections and the name index
            await _one(emu, asked)
        _forget(emu)
        cpu = _cpu_seconds(pid)
        figures.one.append(await _sequential(emu, asked))
        figures.many.append(await _concurrent(emu, asked, None, figures.waits))
        answered = SEQUENTIAL + CONCURRENT_TOTAL
        figures.cpu_ms.append((_cpu_seconds(pid) - cpu) / answered * 1000)
        if kind == "afresh":
            # Autocomplete is timed in a pass of its own: its load would otherwise count
            # against fanbot's throughput and not against the bare bots'.
            _forget(emu)
            await _concurrent(emu, asked, figures.autocomplete, typed=typed)


def _forget(emu: DiscordEmulator) -> None:
    """Drop what the emulator recorded of finished interactions (nothing is in flight)."""
    emu.requests.clear()
    emu.interactions.clear()
    emu.messages.clear()


def _typed(work: list[tuple[str, str]], seed: int = 5) -> list[str]:
    """What fans type before picking a name: the first 1-4 letters of any alias."""
    rng = random.Random(seed)
    names = [arg for kind, arg in work if kind in ("milestone", "status")]
    return [n[: rng.randint(1, 4)] for n in names]


async def _measure(db: Path) -> tuple[dict[str, Figures], float]:
    figures = {kind: Figures() for kind in BOTS}
    per_round = 50 + SEQUENTIAL + CONCURRENT_TOTAL
    work = questions(db, ROUNDS * per_round // 4 + 1, seed=13)
    typed = _typed(work)
    # This process plays Discord. The emulator keeps every request, and its collections
    # stalled the load now and then: that showed as every bot's p99, not as any bot's own
    # cost. Collect rarely here (the bots' processes keep the defaults).
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    for r in range(ROUNDS):
        asked = work[r * per_round : (r + 1) * per_round]  # each round its own questions
        for kind, f in figures.items():
            await _round(kind, db, f, asked, typed)
    # The kept bot starts afresh each round: what it can find kept is a repeat in the round.
    repeats = statistics.mean(
        1 - len(set(work[r * per_round : (r + 1) * per_round])) / per_round for r in range(ROUNDS)
    )
    return figures, repeats


def _guild_emulator(guilds: int) -> DiscordEmulator:
    """The bot in `guilds` guilds, each with a text channel and its owner."""
    emu = DiscordEmulator(token=TOKEN, application_id=APP_ID, heartbeat_interval_ms=30000)
    for i in range(guilds):
        guild_id = ((5 + i) << 22) + 1
        owner = FAN + i
        emu.add_guild(
            guild_id,
            f"Fans {i}",
            owner_id=owner,
            channels=[text_channel(guild_id + 1, "general")],
            members=[member(owner, f"fan{i}")],
        )
    return emu


async def _guild_scaling(db: Path) -> dict[str, dict[int, dict[str, float]]]:
    """Resident memory once ready, and start-to-ready time, for each guild count."""
    out: dict[str, dict[int, dict[str, float]]] = {"string": {}, "kept": {}}
    for guilds in GUILDS:
        for kind in out:
            async with _guild_emulator(guilds) as emu, _bot_process(kind, emu, db) as (pid, ready):
                await asyncio.sleep(0.5)  # let the first collections after ready run
                out[kind][guilds] = {"ready_s": ready, "rss_mb": rss_mb(pid)}
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=("string", "embed"))
    args = parser.parse_args()
    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice: no PyNaCl warning
    if args.serve:
        asyncio.run(_serve_bare(args.serve == "embed"))
        return

    async def run() -> tuple[dict[str, Figures], float, dict]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(FACTS // 10, FACTS, copy_to=Path(tmp) / "bench.db")
            figures, repeats = await _measure(db)
            small = await cached_store(100, 1000, copy_to=Path(tmp) / "small.db")
            scaling = await _guild_scaling(small)
            return figures, repeats, scaling

    figures, repeats, scaling = asyncio.run(run())
    _write(figures, repeats, scaling)


def _write(figures: dict[str, Figures], repeats: float, scaling: dict) -> None:
    med = {
        k: {n: statistics.median(getattr(f, n)) for n in ("one", "many", "cpu_ms")}
        for k, f in figures.items()
    }
    report = Report("discord")
    report.figures.update({"medians": med, "repeats": repeats, "guilds": scaling})
    report.text(
        "### Discord: questions from the whole store through the emulator",
        "Real discord.py clients over HTTP + WebSocket on 127.0.0.1, each bot in its own process; "
        "the emulator and the load run in the bench's process. fanbot is `fanbot run` over the "
        f"{FACTS:,}-fact store, asked `/milestone`, `/status`, `/release` and `/today` drawn from "
        "the whole store, with FANBOT_KEEP_ANSWERS=false (computed afresh) and as shipped "
        "(answers kept); the bare bots (made by fanbot's `new_client`) answer `/milestone` of the "
        f"same names with a fixed string or embed. {ROUNDS} alternating rounds, medians.",
    )
    string, embed = med["string"], med["embed"]
    targets = {}
    rows = []
    for key, label in (("one", "one at a time"), ("many", f"{IN_FLIGHT} in flight")):
        fresh, kept = med["afresh"][key], med["kept"][key]
        ok = fresh / embed[key] >= RATE_TARGET
        targets[f"Discord afresh ≥ {RATE_TARGET:.0%} of the bare bot (embed), {label}"] = ok
        rows.append(
            (
                label,
                f"{string[key]:,.0f}/s",
                f"{embed[key]:,.0f}/s",
                f"{fresh:,.0f}/s",
                f"{kept:,.0f}/s",
                f"{fresh / string[key]:.0%}",
                f"{fresh / embed[key]:.0%}: {verdict(ok)}",
                f"{kept / embed[key]:.0%}",
            )
        )
    cpu = {k: med[k]["cpu_ms"] for k in BOTS}
    rows.append(
        (
            "bot process CPU per answer (lower is better)",
            f"{cpu['string']:.2f} ms",
            f"{cpu['embed']:.2f} ms",
            f"{cpu['afresh']:.2f} ms",
            f"{cpu['kept']:.2f} ms",
            f"{cpu['afresh'] / cpu['string']:.0%}",
            f"{cpu['afresh'] / cpu['embed']:.0%}",
            f"{cpu['kept'] / cpu['embed']:.0%}",
        )
    )
    report.table(
        (
            "load",
            "bare, fixed string",
            "bare, fixed embed",
            "fanbot, afresh",
            "fanbot, kept",
            "afresh / string",
            f"afresh / embed (target ≥ {RATE_TARGET:.0%})",
            "kept / embed",
        ),
        rows,
    )
    report.text(
        f"Questions asked again within a round (the most kept answers could serve there): "
        f"{repeats:.0%}."
    )
    bare_p99 = _p(figures["string"].waits, 0.99)
    lat = figures["afresh"].autocomplete
    ok = _p(lat, 0.99) <= AUTOCOMPLETE_TARGET * bare_p99
    targets[f"autocomplete p99 ≤ {AUTOCOMPLETE_TARGET:g}× the bare bot's /milestone p99"] = ok
    waits = [
        ("`/milestone` to the bare bot, fixed string", figures["string"].waits, ""),
        ("`/milestone` to the bare bot, fixed embed", figures["embed"].waits, ""),
        ("questions to fanbot, afresh", figures["afresh"].waits, ""),
        ("questions to fanbot, kept", figures["kept"].waits, ""),
        (
            f"autocomplete to fanbot (afresh; {len(lat)} requests)",
            lat,
            f"{_p(lat, 0.99) / bare_p99:.1f}× the bare string p99 (target ≤ "
            f"{AUTOCOMPLETE_TARGET:g}×): {verdict(ok)}",
        ),
    ]
    report.text(f"Inject-to-answer times under the {IN_FLIGHT}-in-flight load:")
    report.table(
        ("request", "p50", "p99", "judged"),
        [
            (label, f"{_p(v, 0.5) * 1000:.1f} ms", f"{_p(v, 0.99) * 1000:.1f} ms", judged)
            for label, v, judged in waits
        ],
    )
    rows = []
    per_guild = {}
    for kind, label in (("string", "bare client (`new_client`)"), ("kept", "`fanbot run`")):
        by = scaling[kind]
        first, last = by[GUILDS[0]], by[GUILDS[-1]]
        per_guild[kind] = (last["rss_mb"] - first["rss_mb"]) * 1024 / (GUILDS[-1] - GUILDS[0])
        rows.append(
            (
                label,
                *(f"{by[g]['rss_mb']:.0f} MB / {by[g]['ready_s']:.1f} s" for g in GUILDS),
                f"{per_guild[kind]:.1f} KB",
                f"memory {growth([by[g]['rss_mb'] for g in GUILDS])}; "
                f"ready {growth([by[g]['ready_s'] for g in GUILDS])}",
            )
        )
    ok = per_guild["kept"] <= per_guild["string"]
    targets["Discord memory per guild ≤ the bare client's"] = ok
    report.text(
        "The process in 1 to "
        f"{GUILDS[-1]:,} guilds of the emulator (each with a text channel and its owner; "
        "fanbot over a 1,000-fact store): resident memory once ready, and the time from start "
        "to ready (interpreter and imports included)."
    )
    report.table(
        (
            "process",
            *(f"{g:,} guild{'s' if g > 1 else ''}: RSS / start→ready" for g in GUILDS),
            "memory per guild",
            "growth per ×10 guilds",
        ),
        rows,
    )
    report.text(f"Memory per guild, fanbot against the bare client: {verdict(ok)}.")
    report.figures["targets"] = targets
    report.finish()


if __name__ == "__main__":
    main()
