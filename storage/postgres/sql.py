"""The repositories' SQL as psycopg takes it: `?` placeholders, rows by name or position."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from psycopg import AsyncCursor


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """`?` -> `%s`, a literal `%` -> `%%`; a `?` inside a quoted string or name stays.

    Repositories are written once with SQLite's `?`; psycopg formats `%s` and reads every
    other `%` as the start of a placeholder, so each `%` is doubled. Cached: the same few
    hundred statements run over and over.
    """
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PgRow:
    """One result row: `row["name"]` or `row[0]`, like sqlite3.Row."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                raise IndexError(f"no column named {key!r}") from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return tuple(self._values) == tuple(other._values)
        return tuple(self._values) == other

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def pg_rows(cursor: AsyncCursor[Any]) -> Any:
    """psycopg row factory making PgRow; the name index is built once per result."""
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)

    return make
