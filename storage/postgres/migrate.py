"""PostgreSQL's numbered migrations, applied once however many processes start together."""

from __future__ import annotations

from psycopg import AsyncConnection

from storage.errors import StoreTooNew
from storage.numbered import latest_of, numbered_migrations

# pg_advisory_xact_lock key: any constant of our own ("fanbot" as hex digits, below 2**63).
MIGRATION_LOCK = 0x66616E626F74


def migrations() -> list[tuple[int, str, str]]:
    """PostgreSQL's numbered migrations, in order: (number, name, sql)."""
    return numbered_migrations("storage.postgres.migrations")


def latest_version() -> int:
    return latest_of(migrations())


async def migrate(conn: AsyncConnection, where: str) -> int:
    """Bring the database to this code's schema in one transaction; returns how many ran.

    The advisory lock is taken before anything is read, so a second process starting at the
    same moment waits, then finds the work done. A database newer than this code is refused
    and left untouched. `where` names the database (host/db) for the message.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT COALESCE(max(version), 0) FROM schema_version")
        row = await cur.fetchone()
        current = int(row[0]) if row else 0
        latest = latest_version()
        if current > latest:
            raise StoreTooNew(
                f"{where} was written by a newer fanbot (schema {current}; this one knows "
                f"{latest}). Upgrade fanbot; the database was left untouched."
            )
        ran = 0
        for number, name, sql in migrations():
            if number <= current:
                continue
            await conn.execute(sql.encode())  # no parameters: run as a script, `%` untouched
            await conn.execute(
                "INSERT INTO schema_version (version, name) VALUES (%s, %s)", (number, name)
            )
            ran += 1
        return ran
