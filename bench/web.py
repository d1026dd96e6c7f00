"""The website under load: artist pages and calendar feeds beside aiohttp serving a fixed page.

`fanbot web` runs in a process of its own over the 100,000-fact synthetic store, as an operator
starts it; this process is the visitors: IN_FLIGHT aiohttp clients on keep-alive connections,
each asking the next address as soon as its last answer arrived. Addresses are drawn from the
whole store (`/artist/SLUG` and `/calendar/SLUG.ics` of any subject), so a page is rarely asked
twice. The baseline, in the same run and also in its own process, is a bare aiohttp server
answering every address with one fixed body of the median size fanbot's answers had.

fanbot is measured three ways: FANBOT_KEEP_ANSWERS=false (every page and feed computed
afresh), as shipped (rendered answers kept until the store changes; the same addresses, then the
same addresses again), and 304s (the visitor sends the ETag it was given). Separately, in this
process and over the same store, `Database.trace` records what a 304 asks SQLite: none of it
may read a fact.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web
from cachetools import LRUCache

from adapters.web.app import WebServer
from adapters.web.site import KEPT_BYTES, Kept
from bench.report import Report, percentiles, scaled, verdict
from bench.synth import cached_store
from bot.clock import SystemClock
from bot.core import Core
from bot.fan.calendar import feed_path
from bot.fan.commands import fan_commands
from storage.store import Store

FACTS = scaled(100_000, 1000)
ROUNDS = 3
REQUESTS = scaled(1500, 150)  # of each kind, per pass, per round
WARM_UP = 50
FAST_PASSES = 3  # a pass of fixed, kept or 304 answers lasts about a second: noise, so three
IN_FLIGHT = 50
RATE_TARGET = 0.5  # fanbot computed afresh, of the fixed page's rate
P99_TARGET_MS = 50.0
KINDS = ("page", "feed")
READS_FACTS = re.compile(r"\bfacts?\b|\bfact_\w+", re.IGNORECASE)


def _addresses(db: Path, n: int, seed: int) -> dict[str, list[str]]:
    """`n` subjects drawn from the whole store, as an artist page and as a feed address."""
    con = sqlite3.connect(db)
    try:
        slugs = [r[0] for r in con.execute("SELECT slug FROM subjects ORDER BY id")]
    finally:
        con.close()
    rng = random.Random(seed)
    drawn = [rng.choice(slugs) for _ in range(n)]
    return {
        "page": [f"/artist/{quote(s, safe='')}" for s in drawn],
        "feed": [feed_path(s) for s in drawn],
    }


# ---- the servers, each in a process of its own ---------------------------------------------


async def _serve_fixed(port: int, page_bytes: int, feed_bytes: int) -> None:
    """The baseline, run as `python -m bench.web --serve-fixed PORT PAGE FEED`: aiohttp's web
    server answering every artist and feed address with one fixed body of the given size."""
    page = b"<!doctype html><title>V</title>" + b"x" * max(0, page_bytes - 31)
    feed = b"BEGIN:VCALENDAR\r\n" + b"x" * max(0, feed_bytes - 17)

    async def artist(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    async def calendar(request: web.Request) -> web.Response:
        return web.Response(body=feed, content_type="text/calendar", charset="utf-8")

    app = web.Application()
    app.router.add_get("/artist/{name}", artist)
    app.router.add_get("/calendar/{name}.ics", calendar)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("Serving the fixed page", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def _server(kind: str, db: Path, sizes: dict[str, int]) -> AsyncIterator[tuple[str, int]]:
    """`fanbot web` (kind "afresh" or "kept") or the fixed page ("fixed") in its own process,
    on a free port; yields its base address and pid once it says it is serving."""
    port = _free_port()
    if kind == "fixed":
        command = ["-m", "bench.web", "--serve-fixed", str(port), str(sizes["page"])]
        command.append(str(sizes["feed"]))
    else:
        command = ["-m", "adapters.cli", "web", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "DISCORD_"))}
    env.update(
        FANBOT_DB=str(db),
        FANBOT_LOG_LEVEL="WARNING",
        FANBOT_KEEP_ANSWERS="false" if kind == "afresh" else "true",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 300)
        if b"Serving" not in line:
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)


# ---- the visitors ---------------------------------------------------------------------------


@dataclass
class Pass:
    """One pass of requests: its rate, each answer as it arrived (path, seconds, bytes), and
    the server process's CPU per answer in ms, and the ETags it was given."""

    rate: float
    answers: list[tuple[str, float, int]]
    cpu_ms: float = float("nan")
    etags: dict[str, str] = field(default_factory=dict)  # the ETag each address answered with


async def _load(
    http: aiohttp.ClientSession,
    base: str,
    paths: Sequence[str],
    expect: int = 200,
    etags: dict[str, str] | None = None,
    pid: int | None = None,
) -> Pass:
    """Every path once, IN_FLIGHT at a time; each client asks the next when its answer is in.
    With `etags`, each address is sent the ETag it was given (If-None-Match): ETags are per
    address. With the server's pid, its CPU time over the pass is read from /proc."""
    queue = iter(paths)
    answers: list[tuple[str, float, int]] = []
    given: dict[str, str] = {}

    async def client() -> None:
        for path in queue:
            headers = {"If-None-Match": etags[path]} if etags else None
            started = time.perf_counter()
            async with http.get(base + path, headers=headers, allow_redirects=False) as r:
                body = await r.read()
                if r.status != expect:
                    raise RuntimeError(f"{path} answered {r.status}, not {expect}")
            answers.append((path, time.perf_counter() - started, len(body)))
            if "ETag" in r.headers:
                given[path] = r.headers["ETag"]

    cpu = _cpu_seconds(pid) if pid else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
    done = Pass(len(paths) / (time.perf_counter() - started), answers, etags=given)
    if pid:
        done.cpu_ms = (_cpu_seconds(pid) - cpu) / len(paths) * 1000
    return done


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One row of the table over the rounds: rates per round, request times pooled."""

    rates: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    kept: list[float] = field(default_factory=list)  # share of answers the site found kept

    def add(self, done: Pass) -> None:
        self.rates.append(done.rate)
        self.cpu_ms.append(done.cpu_ms)
        self.seconds.extend(seconds for _, seconds, _ in done.answers)
        self.bytes.extend(size for _, _, size in done.answers)

    def figures(self) -> dict[str, float]:
        out = {"rate": statistics.median(self.rates), **percentiles(self.seconds)}
        out["bytes"] = statistics.median(self.bytes)
        out["cpu_ms"] = statistics.median(self.cpu_ms)
        if self.kept:
            out["kept"] = statistics.median(self.kept)
        return out


class SiteKeeping:
    """The site's keeping of rendered answers, replayed here: an LRU of the same bytes, sized
    as `Kept.size` sizes them, fed every answer in the order it arrived. It tells which
    answers were found kept without reaching into the server's process."""

    def __init__(self) -> None:
        self.lru: LRUCache[str, int] = LRUCache(KEPT_BYTES, getsizeof=lambda n: n)

    def replay(self, done: Pass) -> float:
        """The share of this pass's answers that were kept when asked for."""
        found = 0
        for path, _, size in done.answers:
            found += path in self.lru
            self.lru[path] = Kept(b"", {}).size() + size
        return found / max(1, len(done.answers))


async def _round(
    kind: str, db: Path, rows: dict[str, Row], paths: dict[str, list[str]], sizes: dict[str, int]
) -> None:
    """One server: for each kind a warm-up and a pass; the kept server also a pass of the
    same addresses again and one of 304s."""
    keeping = SiteKeeping()
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with (
        _server(kind, db, sizes) as (base, pid),
        aiohttp.ClientSession(connector=connector) as http,
    ):
        for what in KINDS:
            warm, measured = paths[what][:WARM_UP], paths[what][WARM_UP:]
            keeping.replay(await _load(http, base, warm))
            for _ in range(FAST_PASSES if kind == "fixed" else 1):
                done = await _load(http, base, measured, pid=pid)
                rows[f"{kind} {what}"].add(done)
            if kind != "kept":
                continue
            rows[f"kept {what}"].kept.append(keeping.replay(done))
            for _ in range(FAST_PASSES):  # the same visitors come back
                again = await _load(http, base, measured, pid=pid)
                rows[f"revisit {what}"].add(again)
                rows[f"revisit {what}"].kept.append(keeping.replay(again))
            given = again.etags  # each visitor comes back with the ETag its address gave
            for _ in range(FAST_PASSES):
                again = await _load(http, base, measured, 304, given, pid)
                rows[f"304 {what}"].add(again)


# ---- what a 304 asks SQLite -----------------------------------------------------------------


async def _trace_304(db: Path, paths: dict[str, list[str]]) -> dict[str, int]:
    """The site in this process over the same store, every page computed afresh: the SQL run
    for answers of 200 (which must read facts, or the trace saw nothing) and for 304s."""
    store = await Store.open(db)
    core = Core(store, SystemClock(), fan_commands(), keep_answers=False)
    server = WebServer(core, "127.0.0.1", 0)
    await server.start()
    counts = dict.fromkeys(("asked", "run_200", "facts_200", "run_304", "facts_304"), 0)

    async def traced(http: aiohttp.ClientSession, url: str, code: int, **kw) -> str:
        statements: list[str] = []
        await store.db.trace(statements.append)
        try:
            async with http.get(url, **kw) as r:
                await r.read()
        finally:
            await store.db.trace(None)
        if r.status != code:
            raise RuntimeError(f"{url} answered {r.status}, not {code}")
        counts[f"run_{code}"] += len(statements)
        counts[f"facts_{code}"] += sum(bool(READS_FACTS.search(s)) for s in statements)
        return r.headers["ETag"]

    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{server.port}"
            for what in KINDS:
                for path in paths[what][:20]:
                    etag = await traced(http, base + path, 200)
                    await traced(http, base + path, 304, headers={"If-None-Match": etag})
                    counts["asked"] += 1
    finally:
        await server.stop()
        await store.close()
    return counts


# ---- the run --------------------------------------------------------------------------------

SERVERS = ("afresh", "fixed", "kept")  # in each round, in this order
LABELS = {
    "fixed": "aiohttp, a fixed body of the same size",
    "afresh": "fanbot, computed afresh",
    "kept": "fanbot, answers kept (the same addresses)",
    "revisit": "fanbot, answers kept, the same addresses again",
    "304": "fanbot, 304 (If-None-Match)",
}
WHAT = {"page": "artist page", "feed": "feed (.ics)"}


async def _measure(db: Path) -> tuple[dict[str, Row], dict[str, int]]:
    rows = {f"{k} {w}": Row() for k in LABELS for w in KINDS}
    sizes: dict[str, int] = {}
    for r in range(ROUNDS):
        paths = _addresses(db, WARM_UP + REQUESTS, seed=17 + r)  # each round its own visitors
        for kind in SERVERS:
            if kind == "fixed" and not sizes:  # the median size of fanbot's first answers
                sizes = {w: int(statistics.median(rows[f"afresh {w}"].bytes)) for w in KINDS}
            await _round(kind, db, rows, paths, sizes)
    trace = await _trace_304(db, _addresses(db, 20, seed=99))
    return rows, trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve-fixed", nargs=3, type=int, metavar=("PORT", "PAGE", "FEED"))
    args = parser.parse_args()
    if args.serve_fixed:
        asyncio.run(_serve_fixed(*args.serve_fixed))
        return
    load = os.getloadavg()[0]

    async def run() -> tuple[dict[str, Row], dict[str, int]]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(FACTS // 10, FACTS, copy_to=Path(tmp) / "bench.db")
            return await _measure(db)

    rows, trace = asyncio.run(run())
    _write({k: r.figures() for k, r in rows.items()}, trace, (load, os.getloadavg()[0]))


def _write(m: dict[str, dict[str, float]], trace: dict[str, int], load: tuple[float, float]):
    report = Report("web")
    report.figures.update({"rows": m, "trace_304": trace, "load": load})
    report.text(
        "### Website: artist pages and feeds over the whole store, beside a fixed page",
        f"`fanbot web` in its own process over the {FACTS:,}-fact store; {IN_FLIGHT} aiohttp "
        f"clients in the bench's process on keep-alive connections, each asking the next "
        f"address when its answer is in; {REQUESTS:,} requests of each kind per pass, addresses "
        f"of subjects drawn from the whole store; {ROUNDS} rounds, rates the median of the "
        f"passes (the fixed body, revisits and 304s, about a second each, {FAST_PASSES} passes "
        "a round), p50/p99 over every request. The baseline, in the same rounds and its own "
        "process, is aiohttp's web server answering every address with one fixed body the "
        "median size of fanbot's answers. Server CPU per answer is the server process's user "
        "and system time over the pass (/proc), divided by its answers. fanbot runs once with "
        "FANBOT_KEEP_ANSWERS=false "
        "(every answer computed afresh) and once as shipped (rendered answers kept until the "
        "store changes: the same addresses, the same again, then 304s); 'found kept' replays "
        f"the site's {KEPT_BYTES // 2**20} MB keeping in the order answers arrived. Load "
        f"average {load[0]:.1f} at the start and {load[1]:.1f} at the end.",
    )
    targets: dict[str, bool] = {}
    rows = []
    for what in KINDS:
        fixed = m[f"fixed {what}"]
        for kind, label in LABELS.items():
            row = m[f"{kind} {what}"]
            share = row["rate"] / fixed["rate"]
            judged = ""
            if kind == "afresh":
                ok_rate = share >= RATE_TARGET
                ok_p99 = row["p99"] <= P99_TARGET_MS
                targets[f"Web {WHAT[what]} afresh ≥ {RATE_TARGET:.0%} of the fixed rate"] = ok_rate
                targets[f"Web {WHAT[what]} afresh p99 ≤ {P99_TARGET_MS:.0f} ms"] = ok_p99
                judged = f"rate {verdict(ok_rate)}, p99 {verdict(ok_p99)}"
            rows.append(
                (
                    f"{WHAT[what]}: {label}",
                    f"{row['bytes'] / 1024:,.1f} KB",
                    f"{row['rate']:,.0f}/s",
                    f"{share:.0%}",
                    f"{row['p50']:.1f} ms",
                    f"{row['p99']:.1f} ms",
                    f"{row['cpu_ms']:.2f} ms",
                    f"{row['kept']:.0%}" if "kept" in row else "",
                    judged,
                )
            )
    report.table(
        (
            "asked of",
            "answer",
            "requests/s",
            "of the fixed rate",
            "p50",
            "p99",
            "server CPU per answer",
            "found kept",
            f"targets (afresh ≥ {RATE_TARGET:.0%}, p99 ≤ {P99_TARGET_MS:.0f} ms)",
        ),
        rows,
    )
    quiet = trace["facts_304"] == 0 and trace["facts_200"] > 0
    targets["Web 304 reads no fact (Database.trace)"] = quiet
    report.text(
        f"What SQLite was asked (`Database.trace`, the site in the bench's process over the same "
        f"store, computed afresh), for {trace['asked']} artist pages and feeds: the 200s ran "
        f"{trace['run_200']:,} statements, {trace['facts_200']:,} of them reading facts; the "
        f"304s ran {trace['run_304']:,}, {trace['facts_304']} of them reading facts: "
        f"{verdict(quiet)}."
    )
    report.figures["targets"] = targets
    report.finish()


if __name__ == "__main__":
    main()
