"""Names in any form to subjects: exact alias, then folded, then fuzzy with "did you mean".

The index, every subject whole included, lives in memory and is rebuilt when the store's change
signal says names changed (`Database.changes().names`, moved by the store's own triggers on any
subject, alias or membership write, by this process or another). So naming
someone costs dict accesses and no trip to the database, and fuzzy matching (rapidfuzz) runs
only when those miss.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.errors import FanbotError
from bot.i18n import N_
from bot.text import shorten
from storage.fact_rows import SubjectBook
from storage.facts import FactStore
from storage.models import Subject, normalize_name

FUZZY_CUTOFF = 70
SUGGESTIONS = 5


@dataclass(frozen=True)
class Choice:
    """One autocomplete offer: what a person sees, and the value sent back (the slug)."""

    label: str
    value: str


class _Index:
    def __init__(self, entries, book: SubjectBook):
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.folded: dict[str, set[int]] = defaultdict(set)
        self.alias_of: dict[str, str] = {}  # folded alias -> the alias as written
        for e in entries:
            self.exact[e.alias].add(e.subject_id)
            self.folded[e.norm].add(e.subject_id)
            self.alias_of.setdefault(e.norm, e.alias)
        self.book = book
        # "V (BTS)": a list tells two people of one name apart by their groups.
        self.labels: dict[int, str] = {}
        self.slugs: dict[int, str] = {}
        for sid, (slug, name, _kind) in book.rows.items():
            groups = book.groups.get(sid)
            self.labels[sid] = f"{name} ({', '.join(g.name for g in groups)})" if groups else name
            self.slugs[sid] = slug
        self.by_slug = {slug: sid for sid, slug in self.slugs.items()}
        self.keys = list(self.folded)
        self.sorted_keys = sorted(self.keys)
        # What an empty autocomplete box offers, sorted once rather than at every keystroke.
        self.first_by_label = sorted(self.labels, key=lambda i: self.labels[i].casefold())[:25]


class NameResolver:
    def __init__(self, facts: FactStore):
        self._facts = facts
        self._index: _Index | None = None
        self._generation = -1
        self.builds = 0  # how many times the index was built (it should be: when names moved)

    async def _current(self) -> _Index:
        generation = self._facts.db.changes().names
        if self._index is None or self._generation != generation:
            # Read before building: a write committed meanwhile moves it again, so the next
            # question rebuilds rather than trusting an index that may predate it.
            self._index = _Index(*await self._facts.name_book())
            self._generation = generation
            self.builds += 1
        return self._index

    async def warm(self) -> None:
        """Build the name index now, so the first fan to ask does not wait for it."""
        await self._current()

    async def find_ids(self, text: str) -> set[int]:
        """Subjects this text names exactly or after folding; empty when nothing does."""
        index = await self._current()
        text = text.strip()
        if text in index.exact:
            return set(index.exact[text])
        if text in index.by_slug:
            return {index.by_slug[text]}
        return set(index.folded.get(normalize_name(text), ()))

    async def any_spelling(self, text: str) -> set[int]:
        """Subjects some spelling of this name names (its folded form): whom it may mean."""
        index = await self._current()
        return set(index.folded.get(normalize_name(text), ()))

    async def labels(self, ids: set[int]) -> list[str]:
        """'V (BTS)' for each, sorted: how a list tells two people of one name apart."""
        index = await self._current()
        return sorted(index.labels[i] for i in ids if i in index.labels)

    async def split_names(self, text: str) -> list[str]:
        """'V, IU' and 'V IU' name two; 'Kim Taehyung' (or a typo of it) one.

        Commas always split. Without them the words split only when the whole is no name and
        every word is one, so a misspelt full name still gets its "did you mean".
        """
        cleaned = text.strip()
        if "," in cleaned:
            return [p.strip() for p in cleaned.split(",") if p.strip()]
        words = cleaned.split()
        if len(words) > 1 and not await self.find_ids(cleaned):
            if all([await self.find_ids(w) for w in words]):
                return words
        return [cleaned]

    async def resolve(self, text: str) -> Subject:
        """One subject, or a FanbotError that lists the candidates or suggests spellings."""
        index = await self._current()
        shown = shorten(text.strip(), 60)
        if not normalize_name(text):
            raise FanbotError(N_("Give a name, such as V, Taehyung or 뷔."))
        ids = await self.find_ids(text)
        if len(ids) > 1:
            options = sorted(index.labels[i] for i in ids)
            raise FanbotError(
                N_("“{name}” could be several people: {options}. Which one?"),
                suggestions=tuple(options),
                name=shown,
                options=", ".join(options),
            )
        if ids:
            subject = await self.subject(ids.pop())
            if subject is not None:
                return subject
        suggestions = await self.suggest_labels(text)
        raise FanbotError(
            N_("I don't know anyone called “{name}”."),
            suggestions=tuple(suggestions),
            name=shown,
        )

    async def subject(self, subject_id: int) -> Subject | None:
        """A subject by id from the index: no database trip.

        Aliases and subjects are read in separate queries; a subject written between them is
        not in the book yet, and is read from the store.
        """
        found = (await self._current()).book.get(subject_id)
        return found or await self._facts.subject(subject_id)

    async def suggest_labels(self, text: str, limit: int = SUGGESTIONS) -> list[str]:
        index = await self._current()
        ids = self._fuzzy(index, normalize_name(text), limit)
        return [index.labels[i] for i in ids]

    def _fuzzy(self, index: _Index, folded: str, limit: int, scorer=fuzz.WRatio) -> list[int]:
        if not folded:
            return []
        hits = process.extract(
            folded, index.keys, scorer=scorer, limit=limit * 3, score_cutoff=FUZZY_CUTOFF
        )
        ids: list[int] = []
        for key, _score, _ in hits:
            for sid in sorted(index.folded[key]):
                if sid not in ids:
                    ids.append(sid)
        return ids[:limit]

    async def choices(self, prefix: str, limit: int = 25) -> list[Choice]:
        """Autocomplete: names starting with what was typed, then fuzzy matches; at most `limit`."""
        index = await self._current()
        folded = normalize_name(prefix)
        ids: list[int] = []
        matched_alias: dict[int, str] = {}
        if folded:
            start = bisect.bisect_left(index.sorted_keys, folded)
            for key in index.sorted_keys[start:]:
                if not key.startswith(folded) or len(ids) >= limit:
                    break
                for sid in sorted(index.folded[key]):
                    if sid not in ids:
                        ids.append(sid)
                        matched_alias[sid] = index.alias_of[key]
            if len(ids) < limit:
                # QRatio, not WRatio: a typo still matches, and at every keystroke over 20,000
                # names it costs 2 ms of the event loop instead of 20.
                for sid in self._fuzzy(index, folded, limit, fuzz.QRatio):
                    if sid not in ids:
                        ids.append(sid)
        else:
            ids = index.first_by_label[:limit]
        out = []
        for sid in ids[:limit]:
            label = index.labels[sid]
            alias = matched_alias.get(sid)
            if alias and normalize_name(alias) != normalize_name(label.split(" (")[0]):
                label = f"{label} — {alias}"
            out.append(Choice(label=shorten(label, 100), value=index.slugs[sid]))
        return out
