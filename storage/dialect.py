"""The few pieces of SQL the repositories cannot write once for both engines.

Repositories write standard SQL with `?` placeholders wherever SQLite and PostgreSQL agree
(`INSERT ... ON CONFLICT DO NOTHING`, `RETURNING`, `->>`). What differs is named here for what
it does and chosen by the executor's or database's `dialect` ("sqlite" / "postgres"), so a
repository asks `sql_for(ex).now_utc` instead of branching on the engine. The SQLite text is
exactly what the repositories ran before, so SQLite's behaviour and speed do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.backend import Dialect


class HasDialect(Protocol):
    dialect: Dialect


@dataclass(frozen=True)
class SqlDialect:
    """One engine's spelling of the SQL that differs."""

    name: Dialect
    # Now, UTC, as the text the tables keep: 2025-01-24T09:00:00Z.
    now_utc: str
    # A row set from one JSON array parameter, one row per element, its column `value`
    # (an element that is itself an array or object stays JSON: `value ->> 0` reads it).
    json_rows: str
    # Each id of a JSON array parameter of ids, one row each: `id IN (ids_in)`.
    ids_in: str

    def ordered_json_array(self, value: str, order_by: str, source: str) -> str:
        """A scalar subquery: `value` of the rows `source` ("FROM t WHERE ...") selects, in
        `order_by` order, as the text of a JSON array ('[]' when there are none).
        The arguments are column names and SQL of the caller's own, never user input."""
        if self.name == "postgres":
            return (
                f"(SELECT coalesce(json_agg({value} ORDER BY {order_by}), '[]'::json)::text"
                f" {source})"
            )
        # SQLite before 3.44 has no ORDER BY inside an aggregate: order the rows first.
        ordered = f"SELECT {value} {source} ORDER BY {order_by}"
        return f"(SELECT json_group_array({value}) FROM ({ordered}))"

    def after_explicit_ids(self, table: str) -> str | None:
        """What must run after rows were inserted with ids of their own, so the next row
        without one gets a free id: SQLite takes max(id) + 1 by itself; PostgreSQL's identity
        sequence does not see explicit ids and must be moved past them."""
        if self.name == "postgres":
            return (
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" coalesce(max(id), 0) + 1, false) FROM {table}"
            )
        return None


SQLITE = SqlDialect(
    name="sqlite",
    now_utc="strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
    json_rows="json_each(?)",
    ids_in="SELECT value FROM json_each(?)",
)

POSTGRES = SqlDialect(
    name="postgres",
    now_utc="fanbot_utc_now()",
    json_rows="jsonb_array_elements(?::jsonb)",
    ids_in="SELECT jsonb_array_elements_text(?::jsonb)::bigint",
)

_BY_NAME: dict[str, SqlDialect] = {"sqlite": SQLITE, "postgres": POSTGRES}


def sql_for(engine: HasDialect) -> SqlDialect:
    """The dialect of a Database or an Executor (anything with `.dialect`)."""
    return _BY_NAME[engine.dialect]
