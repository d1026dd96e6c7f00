"""Questions drawn from the whole synthetic store, as fans ask them.

Every throughput bench asks these rather than one name again and again: a bench that asks
`/milestone V` a thousand times measures a kept answer, not the store behind it.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

KINDS = ("milestone", "status", "release", "today")
# The option each command takes on Discord (its declaration's parameter name).
OPTION = {"milestone": "who", "status": "who", "release": "who_or_title", "today": "date"}


def questions(db: Path, rounds: int, seed: int) -> list[tuple[str, str]]:
    """(command, argument) pairs, `rounds` of each kind in turn: any alias (Latin or Hangul),
    any release title, any day of 2025."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    try:
        aliases = [r[0] for r in con.execute("SELECT alias FROM aliases ORDER BY rowid")]
        titles = [
            r[0]
            for r in con.execute(
                "SELECT json_extract(details, '$.title') FROM facts WHERE kind = 'release'"
                " AND json_extract(details, '$.title') IS NOT NULL ORDER BY id"
            )
        ]
    finally:
        con.close()
    start = dt.date(2025, 1, 1)
    work = []
    for _ in range(rounds):
        work.append(("milestone", rng.choice(aliases)))
        work.append(("status", rng.choice(aliases)))
        work.append(("release", rng.choice(titles)))
        work.append(("today", (start + dt.timedelta(days=rng.randrange(365))).isoformat()))
    return work
