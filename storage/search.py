"""Full-text search, and the index it reads, kept by the store on every write path.

A fact's search entry holds its summary, its details' values and every alias of its subjects.
So a write to a fact or to a subject's names changes entries: the write repositories
(storage.fact_writes, storage.name_writes) call `index_facts` / `reindex_subjects` in the
same transaction, and a bulk write (storage.bulk) calls them once at its end. `stale` is the
check that no path forgot: every fact's entry equals what `index_facts` would write now.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from storage.backend import Executor
from storage.db import Database
from storage.fact_rows import FACT_SELECT, NEWEST_FIRST, FactRows
from storage.models import Fact, normalize_name

_IDS = "SELECT value FROM json_each(?)"
# What a fact's entry is made of; `index_facts` writes it and `stale` compares with it.
_ENTRY = """
SELECT f.id, f.summary,
  (SELECT group_concat(value, ' ') FROM json_tree(f.details) WHERE atom IS NOT NULL),
  (SELECT group_concat(a.alias, ' ') FROM fact_subjects fs
     JOIN aliases a ON a.subject_id = fs.subject_id WHERE fs.fact_id = f.id)
FROM facts f
"""


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query: every word quoted, all must match."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words[:16])


async def index_facts(ex: Executor, fact_ids: Collection[int]) -> None:
    """Rebuild these facts' search entries, in one statement each way whatever their number;
    rowids in order, which FTS5 writes fastest."""
    if not fact_ids:
        return
    ids = (json.dumps(sorted(fact_ids)),)
    await ex.execute(f"DELETE FROM facts_fts WHERE rowid IN ({_IDS})", ids)
    await ex.execute(
        "INSERT INTO facts_fts(rowid, summary, details, names)"
        + _ENTRY
        + f" WHERE f.id IN ({_IDS}) ORDER BY f.id",
        ids,
    )


async def facts_of_subjects(ex: Executor, subject_ids: Collection[int]) -> list[int]:
    """The facts whose entries hold these subjects' names."""
    if not subject_ids:
        return []
    rows = await ex.fetchall(
        f"SELECT DISTINCT fact_id FROM fact_subjects WHERE subject_id IN ({_IDS})",
        (json.dumps(sorted(subject_ids)),),
    )
    return [r[0] for r in rows]


async def reindex_subjects(ex: Executor, subject_ids: Collection[int]) -> None:
    """A subject's names changed: the entries of every fact about it follow."""
    await index_facts(ex, await facts_of_subjects(ex, subject_ids))


class SearchIndex:
    """Reading the index: what `/search` and a release title look-up ask."""

    def __init__(self, db: Database, rows: FactRows):
        self.db = db
        self._rows = rows

    async def search(self, text: str, limit: int = 25) -> list[Fact]:
        """Full-text search over summaries, details and subject names, best match first."""
        query = fts_query(text)
        if query is None:
            return []
        rows = await self.db.fetchall(
            FACT_SELECT + " JOIN (SELECT rowid AS rid, rank FROM facts_fts WHERE facts_fts MATCH ?"
            " ORDER BY rank LIMIT ?) hit ON hit.rid = f.id WHERE f.hidden = 0 ORDER BY hit.rank",
            (query, limit),
        )
        return self._rows.facts(rows)

    async def facts_with_release_title(self, text: str, limit: int = 50) -> list[Fact]:
        """Releases whose title folds to the same letters as `text`, or contains them."""
        norm = normalize_name(text)
        if not norm:
            return []
        rows = await self.db.fetchall(
            FACT_SELECT + " WHERE f.kind = 'release' AND f.hidden = 0"
            " AND f.id IN (SELECT rowid FROM facts_fts WHERE facts_fts MATCH ?)" + NEWEST_FIRST,
            (fts_query(text) or '""',),
        )
        facts = self._rows.facts(rows)
        exact = [f for f in facts if normalize_name(str(f.detail("title", ""))) == norm]
        return (exact or facts)[:limit]

    async def release_titles(self) -> list[str]:
        """Every visible release's title, each once: what a misspelt title is matched against."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT json_extract(details, '$.title') FROM facts"
            " WHERE kind = 'release' AND hidden = 0"
        )
        return [str(r[0]) for r in rows if r[0] is not None]

    async def stale(self) -> list[int]:
        """Facts whose search entry is missing or differs from what the store would write now,
        and entries left for facts that are gone (none, ever: tests and checks ask)."""
        rows = await self.db.fetchall(
            "WITH e(id, summary, details, names) AS (" + _ENTRY + ")"
            " SELECT e.id FROM e LEFT JOIN facts_fts i ON i.rowid = e.id"
            " WHERE i.rowid IS NULL OR i.summary IS NOT e.summary"
            " OR i.details IS NOT e.details OR i.names IS NOT e.names"
            " UNION SELECT rowid FROM facts_fts WHERE rowid NOT IN (SELECT id FROM facts)"
            " ORDER BY 1"
        )
        return [r[0] for r in rows]
