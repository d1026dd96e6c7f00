"""What a bundle holds, and how each of its entries is checked before anything is written.

Every refusal names the file and the entry (`subject #3`, `fact #12 (v-debut)`) and says what
is wrong, in one line. storage.bundle reads and writes the files.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.errors import StoreError
from storage.models import (
    KIND_FIELDS,
    FactKind,
    InvalidDate,
    NewFact,
    NewSubject,
    PartialDate,
    Source,
    SubjectKind,
)

FORMAT_VERSION = 1


class BundleError(StoreError):
    """A bundle file that cannot be imported; the message names the file and the entry."""


@dataclass
class Bundle:
    subjects: list[NewSubject] = field(default_factory=list)
    facts: list[NewFact] = field(default_factory=list)
    # Sections that later parts of fanbot add (subscriptions, audit, ...), kept as plain data.
    extra: dict[str, Any] = field(default_factory=dict)
    # When `fanbot export` wrote it; None for a hand-written file (a seed), which counts as
    # older than any change recorded in a store.
    exported_at: dt.datetime | None = None

    def merge(self, other: Bundle) -> None:
        self.subjects += other.subjects
        self.facts += other.facts
        for name, rows in other.extra.items():
            self.extra.setdefault(name, []).extend(rows)
        if self.exported_at is None or other.exported_at is None:
            self.exported_at = None
        else:
            self.exported_at = min(self.exported_at, other.exported_at)


def _text(value: Any, where: str, name: str, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise BundleError(f"{where}: '{name}' is missing")
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BundleError(f"{where}: '{name}' should be text, not {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise BundleError(f"{where}: '{name}' is empty")
    return text or None


def _date(value: Any, where: str) -> PartialDate:
    if isinstance(value, dt.date):  # YAML reads an unquoted 2024-01-24 as a date
        return PartialDate.of(value)
    try:
        return _parse_date(str(value))
    except InvalidDate as exc:
        raise BundleError(f"{where}: {exc}") from exc


# A large bundle repeats a few thousand days: each is checked against the calendar once.
_parse_date = functools.lru_cache(maxsize=65_536)(PartialDate.parse)


def _source(raw: Any, where: str, named: dict[str, Source]) -> Source:
    if isinstance(raw, str):
        if raw not in named:
            raise BundleError(f"{where}: no source named {raw!r} in 'sources'")
        return named[raw]
    if not isinstance(raw, dict):
        raise BundleError(f"{where}: a source is a name from 'sources' or a mapping")
    return Source(
        title=_text(raw.get("title"), where, "title") or "",
        url=_text(raw.get("url"), where, "url", required=False),
        publisher=_text(raw.get("publisher"), where, "publisher", required=False),
        published=_text(raw.get("published"), where, "published", required=False),
    )


def _subject(raw: Any, where: str) -> NewSubject:
    if not isinstance(raw, dict):
        raise BundleError(f"{where}: a subject is a mapping")
    try:
        kind = SubjectKind(raw.get("kind"))
    except ValueError:
        raise BundleError(
            f"{where}: kind must be one of {', '.join(k.value for k in SubjectKind)}"
        ) from None
    return NewSubject(
        slug=_text(raw.get("key"), where, "key") or "",
        name=_text(raw.get("name"), where, "name") or "",
        kind=kind,
        aliases=tuple(_text(a, where, "aliases") or "" for a in raw.get("aliases") or ()),
        groups=tuple(_text(g, where, "groups") or "" for g in raw.get("groups") or ()),
    )


def _fact(raw: Any, where: str, named: dict[str, Source]) -> NewFact:
    if not isinstance(raw, dict):
        raise BundleError(f"{where}: a fact is a mapping")
    try:
        kind = FactKind(raw.get("kind"))
    except ValueError:
        raise BundleError(
            f"{where}: kind must be one of {', '.join(k.value for k in FactKind)}"
        ) from None
    details = raw.get("details") or {}
    if not isinstance(details, dict):
        raise BundleError(f"{where}: details must be a mapping")
    unknown = set(details) - set(KIND_FIELDS[kind])
    if unknown:
        raise BundleError(
            f"{where}: a {kind.value} has no field {', '.join(sorted(unknown))} "
            f"(it has {', '.join(KIND_FIELDS[kind])})"
        )
    details = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in details.items()}
    sources = tuple(_source(s, where, named) for s in raw.get("sources") or ())
    if not sources:
        raise BundleError(f"{where}: every fact needs at least one source")
    subjects = tuple(_text(s, where, "subjects") or "" for s in raw.get("subjects") or ())
    if not subjects:
        raise BundleError(f"{where}: every fact concerns at least one subject")
    fact_id = raw.get("id")
    if fact_id is not None and (not isinstance(fact_id, int) or fact_id < 1):
        raise BundleError(f"{where}: id must be a positive whole number")
    return NewFact(
        key=_text(raw.get("key"), where, "key") or "",
        kind=kind,
        summary=_text(raw.get("summary"), where, "summary") or "",
        date=_date(raw.get("date"), where),
        subjects=subjects,
        sources=sources,
        details=details,
        hidden=bool(raw.get("hidden", False)),
        id=fact_id,
    )


def parse(data: Any, origin: str) -> Bundle:
    """Validate a loaded YAML document into a Bundle; raise BundleError naming the bad entry."""
    if data is None:
        return Bundle()
    if not isinstance(data, dict):
        raise BundleError(f"{origin}: expected a mapping with 'subjects' and 'facts'")
    version = data.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise BundleError(f"{origin}: format {version!r} is not one this fanbot reads")
    exported_at = _exported_at(data.get("exported_at"), origin)
    _check_end(data, origin, exported=exported_at is not None)
    named = {
        str(name): _source(raw, f"{origin}: source {name!r}", {})
        for name, raw in (data.get("sources") or {}).items()
    }
    bundle = Bundle(
        subjects=[
            _subject(raw, f"{origin}: subject #{i + 1}")
            for i, raw in enumerate(data.get("subjects") or ())
        ],
        facts=[
            _fact(raw, f"{origin}: fact #{i + 1} ({(raw or {}).get('key', '?')})", named)
            for i, raw in enumerate(data.get("facts") or ())
            if isinstance(raw, dict) or _fail(f"{origin}: fact #{i + 1} is not a mapping")
        ],
        extra={k: v for k, v in data.items() if k not in _OWN_KEYS},
        exported_at=exported_at,
    )
    check_references(bundle, origin)
    return bundle


_OWN_KEYS = {"format", "exported_at", "sources", "subjects", "facts", "end"}


def _exported_at(value: Any, origin: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise BundleError(
            f"{origin}: 'exported_at' should be a time with its zone, like "
            "2025-01-24T09:00:00+00:00"
        )
    return at


def _check_end(data: dict[Any, Any], origin: str, *, exported: bool) -> None:
    """An export ends with `end:`, counting its entries: a file without it, or with fewer
    entries than it counts, was cut short (an interrupted export, a full disk)."""
    end = data.get("end")
    if end is None:
        if exported:
            raise BundleError(
                f"{origin} ends early: an exported bundle closes with an 'end:' line counting "
                "its entries, and this one has none (was the export interrupted, or the disk "
                "full? export it again)"
            )
        return
    if not isinstance(end, dict):
        raise BundleError(f"{origin}: 'end' should count the entries of each section")
    for name, expected in end.items():
        found = data.get(name)
        count = len(found) if isinstance(found, list) else (0 if found is None else None)
        if count != expected:
            raise BundleError(
                f"{origin}: its 'end:' line counts {expected} {name} but the file holds "
                f"{count if count is not None else 'none'} (cut short, or edited? if edited on "
                "purpose, correct or delete the 'end:' line)"
            )


def _fail(message: str) -> bool:
    raise BundleError(message)


def section_entries(raw: Any, origin: str, section: str, noun: str) -> list[tuple[str, dict]]:
    """A later section's entries (editors, catalog, ...), each with the place that names it in
    a refusal: a list of mappings, or a BundleError saying what is wrong."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BundleError(f"{origin}: '{section}' should be a list")
    out = []
    for i, row in enumerate(raw):
        where = f"{origin}: {noun} #{i + 1}"
        if not isinstance(row, dict):
            raise BundleError(f"{where} is not a mapping")
        out.append((where, row))
    return out


def check_references(bundle: Bundle, origin: str) -> None:
    # Counted once (list.count per key made a 40,000-fact import take most of a minute).
    for what, keys in (
        ("subject", (s.slug for s in bundle.subjects)),
        ("fact", (f.key for f in bundle.facts)),
    ):
        dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
        if dupes:
            shown = ", ".join(dupes[:10]) + (
                f" and {len(dupes) - 10} more" if len(dupes) > 10 else ""
            )
            raise BundleError(f"{origin}: {what} key(s) listed twice: {shown}")


def known_slugs_check(bundle: Bundle, existing: set[str], origin: str) -> None:
    """Every group and fact subject must be in the bundle or already in the store."""
    known = existing | {s.slug for s in bundle.subjects}
    for s in bundle.subjects:
        for g in s.groups:
            if g not in known:
                raise BundleError(f"{origin}: subject {s.slug!r} names unknown group {g!r}")
    for f in bundle.facts:
        for slug in f.subjects:
            if slug not in known:
                raise BundleError(f"{origin}: fact {f.key!r} names unknown subject {slug!r}")
