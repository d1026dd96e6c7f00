"""Discord throughput: `/milestone V` answered per second through the emulator, beside a bare bot.

Both bots are real discord.py clients talking HTTP and WebSocket on 127.0.0.1 to the emulator
(`tests/emulators/discord_api.py`); the bare bot answers every `/milestone` with a fixed string,
which is the ceiling of the library and emulator themselves. fanbot answers over the
100,000-fact synthetic store. Measured one interaction at a time and 50 in flight, in alternating
rounds; autocomplete latency is measured while the 50-in-flight load runs.

Run: `python -m bench.discord`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
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

from adapters.discord.service import point_at_proxies
from bench.synth import cached_store
from bot.settings import Settings
from tests.emulators.discord_api import DiscordEmulator, one_guild

TOKEN = "bench.discord.token"
APP_ID = 920000000000000001
GUILD = (4 << 22) + 5
CHANNEL = 820000000000000001
FAN = 620000000000000003
ROUNDS = 5
SEQUENTIAL = 800
CONCURRENT_TOTAL = 2000
IN_FLIGHT = 50
TYPED = ("v", "tae", "뷔", "taehyung", "김", "ji", "min", "bts", "iu", "seo")


def _emulator() -> DiscordEmulator:
    return one_guild(TOKEN, APP_ID, GUILD, CHANNEL, FAN, heartbeat_interval_ms=30000)


FIXED_EMBED = discord.Embed(
    title="Milestones of V",
    description="28 January 2024 · V's Instagram post with IU reached 10 "
    "million likes in 6 h 55 min (#4) [1]",
).set_footer(text="Sources: [1] An article — 2024-01-28\nDates are KST calendar days.")


async def _serve_bare(embed: bool) -> None:
    """The bare bot, run as `python -m bench.discord --serve string|embed` (its own process)."""
    client = discord.Client(
        intents=discord.Intents(guilds=True),
        guild_ready_timeout=0.05,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    tree = app_commands.CommandTree(client)

    @tree.command(name="milestone", description="Records and milestones")
    async def milestone(interaction: discord.Interaction, who: str) -> None:
        if embed:
            await interaction.response.send_message(embed=FIXED_EMBED)
        else:
            await interaction.response.send_message("Milestones of V")

    point_at_proxies(Settings())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await client.login(TOKEN)
    task = asyncio.create_task(client.connect(reconnect=False))
    await stop.wait()
    await client.close()
    await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def _bot_process(kind: str, emu: DiscordEmulator, db: Path) -> AsyncIterator[int]:
    """Start a bot in a process of its own, as in production: the emulator (Discord's side)
    and the load stay in this one, so the bot's CPU is its own and can be read from /proc.

    fanbot is the command an operator runs, `fanbot run`, over the synthetic store.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE_URL=emu.api_base,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        FANBOT_DB=str(db),
        FANBOT_LOG_LEVEL="WARNING",
    )
    command = (
        ["-m", "adapters.cli", "run"] if kind == "fan" else ["-m", "bench.discord", "--serve", kind]
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=env, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        await emu.wait_until_identified(60, GUILD)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _one(emu: DiscordEmulator) -> None:
    rec = await emu.inject_slash_command(
        "milestone", {"who": "v"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
    )
    callback = await emu.wait_for_callback(rec.id, timeout=30)
    assert callback.type == 4, callback


async def _sequential(emu: DiscordEmulator) -> float:
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        await _one(emu)
    return SEQUENTIAL / (time.perf_counter() - started)


async def _concurrent(
    emu: DiscordEmulator, latencies: list[float] | None, waits: list[float] | None = None
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
            await _one(emu)
            if waits is not None:
                waits.append(time.perf_counter() - started)

    async def autocomplete() -> None:
        i = 0
        while not done.is_set():
            typed = TYPED[i % len(TYPED)]
            i += 1
            started = time.perf_counter()
            rec = await emu.inject_autocomplete(
                "milestone", focused="who", value=typed, guild_id=GUILD, user_id=FAN
            )
            await emu.wait_for_callback(rec.id, timeout=30)
            assert latencies is not None
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


async def _round(kind: str, db: Path, figures: Figures) -> None:
    async with _emulator() as emu, _bot_process(kind, emu, db) as pid:
        for _ in range(50):  # warm up caches, connections, the name index
            await _one(emu)
        _forget(emu)
        cpu = _cpu_seconds(pid)
        figures.one.append(await _sequential(emu))
        figures.many.append(await _concurrent(emu, None, figures.waits))
        answered = SEQUENTIAL + CONCURRENT_TOTAL
        figures.cpu_ms.append((_cpu_seconds(pid) - cpu) / answered * 1000)
        if kind == "fan":
            # Autocomplete is timed in a pass of its own: its load would otherwise count
            # against fanbot's throughput and not against the bare bots'.
            _forget(emu)
            await _concurrent(emu, figures.autocomplete)


def _forget(emu: DiscordEmulator) -> None:
    """Drop what the emulator recorded of finished interactions (nothing is in flight)."""
    emu.requests.clear()
    emu.interactions.clear()
    emu.messages.clear()


async def _measure(db: Path) -> dict[str, Figures]:
    figures = {kind: Figures() for kind in ("string", "embed", "fan")}
    # This process plays Discord. The emulator keeps every request, and its collections
    # stalled the load now and then: that showed as every bot's p99, not as any bot's own
    # cost. Collect rarely here (the bots' processes keep the defaults).
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    for _ in range(ROUNDS):
        for kind, f in figures.items():
            await _round(kind, db, f)
    return figures


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

    async def run() -> dict[str, Figures]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(copy_to=Path(tmp) / "bench.db")
            return await _measure(db)

    figures = asyncio.run(run())
    med = {
        k: {n: statistics.median(getattr(f, n)) for n in ("one", "many", "cpu_ms")}
        for k, f in figures.items()
    }
    string, embed, fan = med["string"], med["embed"], med["fan"]
    print("### Discord: `/milestone V` through the emulator\n")
    print(
        f"Real discord.py clients over HTTP + WebSocket on 127.0.0.1, each bot in its own process "
        f"(fanbot is `fanbot run` over the 100,000-fact synthetic store); the emulator and the "
        f"load run in the bench's process. {ROUNDS} alternating rounds, medians; the bare bots "
        "answer a fixed string or a fixed embed in the same run.\n"
    )
    print(
        "| load | bare bot, fixed string | bare bot, fixed embed | fanbot | fanbot / string "
        "(target ≥ 80%) | fanbot / embed |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for key, label in (("one", "one at a time"), ("many", f"{IN_FLIGHT} in flight")):
        print(
            f"| {label} | {string[key]:,.0f}/s | {embed[key]:,.0f}/s | {fan[key]:,.0f}/s "
            f"| {fan[key] / string[key]:.0%} | {fan[key] / embed[key]:.0%} |"
        )
    print(
        f"| bot process CPU per answer | {string['cpu_ms']:.2f} ms | {embed['cpu_ms']:.2f} ms "
        f"| {fan['cpu_ms']:.2f} ms | {string['cpu_ms'] / fan['cpu_ms']:.0%} "
        f"| {embed['cpu_ms'] / fan['cpu_ms']:.0%} |"
    )
    print(f"\nInject-to-answer times under the {IN_FLIGHT}-in-flight load:\n")
    print("| request | p50 | p99 |")
    print("| --- | ---: | ---: |")
    rows = [
        ("`/milestone` to the bare bot, fixed string", figures["string"].waits),
        ("`/milestone` to the bare bot, fixed embed", figures["embed"].waits),
        ("`/milestone V` to fanbot", figures["fan"].waits),
    ]
    lat = figures["fan"].autocomplete
    rows.append((f"autocomplete to fanbot ({len(lat)} requests; target p99 ≤ 50 ms)", lat))
    for label, values in rows:
        print(f"| {label} | {_p(values, 0.5) * 1000:.1f} ms | {_p(values, 0.99) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
