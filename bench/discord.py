"""Discord throughput: `/milestone V` answered per second through the emulator, beside a bare bot.

Both bots are real discord.py clients talking HTTP and WebSocket on 127.0.0.1 to the emulator
(`tests/emulators/discord_api.py`); the bare bot answers every `/milestone` with a fixed string,
which is the ceiling of the library and emulator themselves. fanbot answers over the
100,000-fact synthetic store. Measured one interaction at a time and 50 in flight, in alternating
rounds; autocomplete latency is measured while the 50-in-flight load runs.

Run: `python -m bench.discord`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
from discord import app_commands

from adapters.discord.service import DiscordService
from bench.synth import cached_store
from bot.clock import SystemClock
from bot.core import Core
from bot.fan_commands import fan_commands
from bot.settings import Settings
from storage.store import Store
from tests.emulators.discord_api import DiscordEmulator, member, point_discord_py_at, text_channel

TOKEN = "bench.discord.token"
APP_ID = 920000000000000001
GUILD = (4 << 22) + 5
CHANNEL = 820000000000000001
FAN = 620000000000000003
ROUNDS = 3
SEQUENTIAL = 200
CONCURRENT_TOTAL = 600
IN_FLIGHT = 50
TYPED = ("v", "tae", "뷔", "taehyung", "김", "ji", "min", "bts", "iu", "seo")


def _emulator() -> DiscordEmulator:
    emu = DiscordEmulator(token=TOKEN, application_id=APP_ID, heartbeat_interval_ms=30000)
    emu.add_guild(
        GUILD,
        "Bench",
        owner_id=FAN,
        channels=[text_channel(CHANNEL, "general")],
        members=[member(FAN, "fan")],
    )
    return emu


FIXED_EMBED = discord.Embed(
    title="Milestones of V",
    description="<t:1706410800:D> (28 January 2024 KST) · V's Instagram post with IU reached 10 "
    "million likes in 6 h 55 min (#4) [1]",
).set_footer(text="Sources: [1] An article — 2024-01-28\nDates are KST calendar days.")


@contextlib.asynccontextmanager
async def _bare_bot(
    emu: DiscordEmulator, embed: discord.Embed | None = None
) -> AsyncIterator[None]:
    client = discord.Client(
        intents=discord.Intents(guilds=True),
        guild_ready_timeout=0.05,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    tree = app_commands.CommandTree(client)

    @tree.command(name="milestone", description="Records and milestones")
    async def milestone(interaction: discord.Interaction, who: str) -> None:
        if embed is None:
            await interaction.response.send_message("Milestones of V")
        else:
            await interaction.response.send_message(embed=embed)

    await client.login(TOKEN)
    task = asyncio.create_task(client.connect(reconnect=False))
    await client.wait_until_ready()
    try:
        yield
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def _fanbot(emu: DiscordEmulator, core: Core) -> AsyncIterator[None]:
    settings = Settings(
        _env_file=None,
        discord_token=TOKEN,  # type: ignore[call-arg]
        discord_api_base_url=emu.api_base,
        discord_gateway_url=emu.gateway_url,
    )
    service = DiscordService(settings, core, guild_ready_timeout=0.05)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


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


Runner = Callable[[DiscordEmulator], contextlib.AbstractAsyncContextManager[None]]


async def _round(
    run: Runner, latencies: list[float] | None, waits: list[float]
) -> tuple[float, float]:
    async with _emulator() as emu:
        with point_discord_py_at(emu):
            async with run(emu):
                for _ in range(20):  # warm up caches, connections, the name index
                    await _one(emu)
                emu.requests.clear()
                one = await _sequential(emu)
                many = await _concurrent(emu, None, waits)
                if latencies is not None:
                    # Autocomplete is timed in a pass of its own: its load would otherwise
                    # count against fanbot's throughput and not against the bare bot's.
                    await _concurrent(emu, latencies)
    return one, many


async def _measure(db: Path) -> dict[str, object]:
    store = await Store.open(db)
    core = Core(store, SystemClock(), fan_commands())
    results: dict[str, list[float]] = {
        f"{label}{n}": [] for label in ("bare", "embed", "fan") for n in ("1", "50")
    }
    latencies: list[float] = []
    waits: dict[str, list[float]] = {"bare": [], "embed": [], "fan": []}
    runners: list[tuple[str, Runner, list[float] | None]] = [
        ("bare", _bare_bot, None),
        ("embed", lambda emu: _bare_bot(emu, FIXED_EMBED), None),
        ("fan", lambda emu: _fanbot(emu, core), latencies),
    ]
    try:
        for _ in range(ROUNDS):
            for label, run, lat in runners:
                one, many = await _round(run, lat, waits[label])
                results[f"{label}1"].append(one)
                results[f"{label}50"].append(many)
    finally:
        await store.close()
    return {
        "medians": {k: statistics.median(v) for k, v in results.items()},
        "latencies": latencies,
        "waits": waits,
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    logging.getLogger("discord").setLevel(logging.WARNING)

    async def run() -> dict[str, object]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(copy_to=Path(tmp) / "bench.db")
            return await _measure(db)

    out = asyncio.run(run())
    m: dict[str, float] = out["medians"]  # type: ignore[assignment]
    lat: list[float] = out["latencies"]  # type: ignore[assignment]
    waits: dict[str, list[float]] = out["waits"]  # type: ignore[assignment]
    print("### Discord: `/milestone V` through the emulator\n")
    print(
        f"Real discord.py clients over HTTP + WebSocket on 127.0.0.1; {ROUNDS} alternating "
        f"rounds, medians; fanbot over the 100,000-fact synthetic store; the bare bot answers "
        "a fixed string in the same run.\n"
    )
    print(
        "| load | bare bot, fixed string | bare bot, fixed embed | fanbot | fanbot / string "
        "(target ≥ 80%) | fanbot / embed |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for key, label in (("1", "one at a time"), ("50", f"{IN_FLIGHT} in flight")):
        bare, embed, fan = m[f"bare{key}"], m[f"embed{key}"], m[f"fan{key}"]
        print(
            f"| {label} | {bare:,.0f}/s | {embed:,.0f}/s | {fan:,.0f}/s | {fan / bare:.0%} "
            f"| {fan / embed:.0%} |"
        )
    print(f"\nInject-to-answer times under the {IN_FLIGHT}-in-flight load:\n")
    print("| request | p50 | p99 |")
    print("| --- | ---: | ---: |")
    for label, key in (("bare bot, fixed string", "bare"), ("bare bot, fixed embed", "embed")):
        w = waits[key]
        print(
            f"| `/milestone` to the {label} | {_p(w, 0.5) * 1000:.1f} ms "
            f"| {_p(w, 0.99) * 1000:.1f} ms |"
        )
    w = waits["fan"]
    print(
        f"| `/milestone V` to fanbot | {_p(w, 0.5) * 1000:.1f} ms | {_p(w, 0.99) * 1000:.1f} ms |"
    )
    print(
        f"| autocomplete to fanbot ({len(lat)} requests; target p99 ≤ 50 ms) "
        f"| {_p(lat, 0.5) * 1000:.1f} ms | {_p(lat, 0.99) * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
