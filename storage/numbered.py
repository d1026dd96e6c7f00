"""Numbered SQL migrations as both engines ship them: `NNNN_name.sql` in a package folder."""

from __future__ import annotations

import re
from importlib import resources

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def numbered_migrations(package: str) -> list[tuple[int, str, str]]:
    """The migrations in `package`, in order: (number, name, sql).

    Gaps are allowed (features take their own ranges: 0020+, 0030+, so branches do not
    collide); each number is used once and the schema version is the highest applied.
    """
    found = []
    for entry in resources.files(package).iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers) or (numbers and numbers[0] < 1):
        raise RuntimeError(f"migrations must have distinct numbers from 1, found {numbers}")
    return found


def latest_of(found: list[tuple[int, str, str]]) -> int:
    return found[-1][0] if found else 0
