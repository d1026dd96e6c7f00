"""One unit of work: every write the bot makes goes through `async with store.transaction()`.

The Transaction holds one write repository per concern, all over the same executor, so a
change and its audit entry (or a sync's artist, names, facts and follow) commit together or
not at all. Outside storage/ nobody sees a connection or a cursor: only these objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage import bulk
from storage.audit_writes import AuditWrites
from storage.backend import Executor
from storage.catalog import CatalogWrites
from storage.db import SqliteExecutor
from storage.editors import EditorWrites
from storage.fact_rows import FactRows
from storage.fact_writes import FactWrites
from storage.name_writes import NameWrites


class Transaction:
    """The repositories one transaction writes through (and reads its own writes from)."""

    def __init__(self, ex: Executor, rows: FactRows):
        self._ex = ex
        self.facts = FactWrites(ex, rows)
        self.names = NameWrites(ex)
        self.audit = AuditWrites(ex)
        self.editors = EditorWrites(ex)
        self.catalog = CatalogWrites(ex)

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Many facts and names at once (an import): the per-row work is done set-based at
        the block's end (storage.bulk), search entries included."""
        if not isinstance(self._ex, SqliteExecutor):  # issue 20: not on PostgreSQL yet
            raise NotImplementedError("bulk writes run on SQLite only, so far")
        async with bulk.bulk_write(self._ex) as touched:
            self.facts.touched = self.names.touched = touched
            try:
                yield
            finally:
                self.facts.touched = self.names.touched = None
