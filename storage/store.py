"""The store as the rest of fanbot sees it: one object, opened once, passed in (no globals)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storage import audit as audits
from storage import bundle as bundles
from storage import catalog as catalog_rows
from storage import editors as editor_rows
from storage.audit import AuditStore
from storage.backend import Database as Backend
from storage.bundle import Bundle
from storage.catalog import CatalogStore
from storage.chats import ChatStore
from storage.db import Database
from storage.editors import EditorStore
from storage.fact_rows import FactRows
from storage.facts import FactStore
from storage.importer import ImportReport, import_actor, plan_and_write
from storage.jobs import JobRuns
from storage.search import SearchIndex
from storage.subscriptions import SubscriptionStore
from storage.unit import Transaction

log = logging.getLogger(__name__)


class Store:
    """Opens the database, applies migrations, and groups the repositories over it: readers
    here, writers in `transaction()`."""

    def __init__(self, db: Backend):
        # Any engine's Database (storage.backend); `open` makes SQLite's, the default.
        self.db = db
        self._rows = FactRows()  # this store's one object per subject, source and date
        self.search = SearchIndex(db, self._rows)
        self.facts = FactStore(db, self._rows, self.search)
        self.chats = ChatStore(db)
        self.audit = AuditStore(db)
        self.editors = EditorStore(db)
        self.subscriptions = SubscriptionStore(db)
        self.catalog = CatalogStore(db)
        self.jobs = JobRuns(db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """All of a change's writes, its audit entry included, or none of them."""
        async with self.db.transaction() as ex:
            yield Transaction(ex, self._rows)

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def import_bundle(
        self,
        bundle: Bundle,
        origin: str,
        *,
        at: dt.datetime | None = None,
        overwrite: bool = False,
    ) -> ImportReport:
        """Merge a whole bundle in one transaction: all of it lands, or none of it.

        With `at` (the injected time of `fanbot import`) every change is recorded in the audit
        trail as `import ORIGIN`; without it (seeding an empty store) nothing is recorded.
        Values changed since the bundle was exported are kept unless `overwrite`.
        """
        bundles.known_slugs_check(bundle, await self.facts.slugs(), origin)
        audit = audits.parse_rows(bundle.extra.get("audit"), origin)
        editors = editor_rows.parse_rows(bundle.extra.get("editors"), origin)
        links = catalog_rows.parse_rows(bundle.extra.get("catalog"), origin)
        actor = import_actor(origin) if at is not None else None
        async with self.transaction() as tx:
            report = await plan_and_write(
                tx,
                bundle,
                audit,
                actor=actor,
                at=at,
                overwrite=overwrite,
            )
            await tx.editors.import_rows(editors)
            await tx.catalog.import_rows(links)
        return report

    async def export_bundle(self, at: dt.datetime | None = None) -> Bundle:
        """Everything a bundle carries; `at` is the export's time, which a later import
        compares with the audit trail to keep what changed after it."""
        subjects, facts = await self.facts.export_all()
        bundle = Bundle(subjects=subjects, facts=facts, exported_at=at)
        # The audit trail and the editors travel with the facts (only when there are any).
        if audit := await self.audit.export_rows():
            bundle.extra["audit"] = audit
        if editors := await self.editors.export_rows():
            bundle.extra["editors"] = editors
        if links := await self.catalog.export_rows():  # followed artists, MusicBrainz ids
            bundle.extra["catalog"] = links
        return bundle

    async def seed_if_empty(self, folder: Path) -> bool:
        """Load the seed files on first start; a store that holds anything is left alone."""
        if not await self.facts.is_empty():
            return False
        seed = bundles.read_dir(folder)
        await self.import_bundle(seed, str(folder))
        log.info(
            "seeded %d subjects and %d facts from %s", len(seed.subjects), len(seed.facts), folder
        )
        return True
