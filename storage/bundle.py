"""The YAML form of the store: the seed files, `fanbot export` and `fanbot import`.

One format serves all three, so a seed file is also a valid import and an export can be
committed as a seed. Reading validates everything before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so 2024-02-30 gets our message, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class BundleError(StoreError):
    """A bundle file that cannot be imported; the message names the file and the entry."""


@dataclass
class Bundle:
    subjects: list[NewSubject] = field(default_factory=list)
    facts: list[NewFact] = field(default_factory=list)
    # Sections that later parts of fanbot add (subscriptions, audit, ...), kept as plain data.
    extra: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: Bundle) -> None:
        self.subjects += other.subjects
        self.facts += other.facts
        for name, rows in other.extra.items():
            self.extra.setdefault(name, []).extend(rows)


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
        return PartialDate.parse(str(value))
    except InvalidDate as exc:
        raise BundleError(f"{where}: {exc}") from exc


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
        extra={
            k: v for k, v in data.items() if k not in {"format", "sources", "subjects", "facts"}
        },
    )
    _check_references(bundle, origin)
    return bundle


def _fail(message: str) -> bool:
    raise BundleError(message)


def _check_references(bundle: Bundle, origin: str) -> None:
    slugs = [s.slug for s in bundle.subjects]
    dupes = {s for s in slugs if slugs.count(s) > 1}
    if dupes:
        raise BundleError(f"{origin}: subject key(s) listed twice: {', '.join(sorted(dupes))}")
    keys = [f.key for f in bundle.facts]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise BundleError(f"{origin}: fact key(s) listed twice: {', '.join(sorted(dupes))}")


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


def read_file(path: Path) -> Bundle:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BundleError(f"cannot read {path}: it is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise BundleError(f"{path} is not valid YAML: {_yaml_problem(exc)}") from exc
    return parse(data, str(path))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's several-line message as one line: where, and what it expected."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).split())


def read_dir(folder: Path) -> Bundle:
    """All *.yaml files of a folder, in name order, as one bundle."""
    bundle = Bundle()
    for path in sorted(folder.glob("*.yaml")):
        bundle.merge(read_file(path))
    _check_references(bundle, str(folder))
    return bundle


def dump(bundle: Bundle) -> str:
    def subject(s: NewSubject) -> dict[str, Any]:
        out: dict[str, Any] = {"key": s.slug, "name": s.name, "kind": s.kind.value}
        if s.aliases:
            out["aliases"] = list(s.aliases)
        if s.groups:
            out["groups"] = list(s.groups)
        return out

    def fact(f: NewFact) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": f.id,
            "key": f.key,
            "kind": f.kind.value,
            "date": f.date.iso(),
            "summary": f.summary,
            "subjects": list(f.subjects),
        }
        if f.details:
            out["details"] = f.details
        out["sources"] = [s.to_dict() for s in f.sources]
        if f.hidden:
            out["hidden"] = True
        if f.id is None:
            del out["id"]
        return out

    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "subjects": [subject(s) for s in bundle.subjects],
        "facts": [fact(f) for f in bundle.facts],
        **bundle.extra,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
