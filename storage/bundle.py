"""The YAML form of the store: the seed files, `fanbot export` and `fanbot import`.

One format serves all three, so a seed file is also a valid import and an export can be
committed as a seed. Reading validates everything before anything is written.

An export writes each entry (a subject, a fact, an audit entry, an editor) as one JSON line,
which is a YAML flow mapping: any YAML reader reads it, and fanbot reads those lines with
the json module, which is what lets a 100,000-fact bundle load in seconds (libyaml builds a
Python node for every scalar first). Anything else is read as YAML. An export begins with
its time (`exported_at`) and ends with an `end:` line counting its entries, so a file cut
short is refused rather than imported as part of the data.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
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


# libyaml's parser when PyYAML was built with it (it is, from the wheels); the pure-Python
# parser otherwise. The constructor and resolver are PyYAML's safe ones either way.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[valid-type,misc]
    """The safe loader that leaves dates as text, so 2024-02-30 gets our message, not a
    crash, and refuses a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"the key {key_node.value!r} is given twice",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


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
    _check_references(bundle, origin)
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


def _check_references(bundle: Bundle, origin: str) -> None:
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


def read_file(path: Path) -> Bundle:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BundleError(f"cannot read {path}: it is not UTF-8 text (byte {exc.start})") from exc
    return parse(load_text(text, str(path)), str(path))


def load_text(text: str, origin: str) -> Any:
    """The document in a bundle's text: its entry lines by json, or else all of it as YAML."""
    data = _load_lines(text)
    if data is not None:
        return data
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise BundleError(f"{origin} is not valid YAML: {_yaml_problem(exc)}") from exc


_SECTION = re.compile(r"([a-z_]+):[ \t]*(\S.*)?")


def _load_lines(text: str) -> dict[str, Any] | None:
    """Read a bundle written as `dump` writes it: top-level keys, and sections whose entries
    are one JSON object a line. None when the text has any other shape (a hand-written seed),
    or a line json refuses: the YAML loader reads that, and gives the message."""
    top: list[str] = []
    sections: dict[str, list[Any]] = {}
    rows: list[Any] | None = None
    try:
        for line in text.split("\n"):
            line = line.removesuffix("\r")
            if line.startswith("- {") and rows is not None:
                rows.append(_entry(line[2:]))
                continue
            m = _SECTION.fullmatch(line)
            if m is None:
                if line.strip() and not line.startswith("#"):
                    return None
                continue
            # A section twice gives its key twice here, which the loader refuses.
            top.append(line if m.group(2) else f"{m.group(1)}: []")
            rows = None if m.group(2) else sections.setdefault(m.group(1), [])
        data = yaml.load("\n".join(top), Loader=_Loader)  # noqa: S506 - a safe loader
    except (ValueError, yaml.YAMLError):  # orjson.JSONDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    for name, entries in sections.items():
        if entries:
            data[name] = entries
    return data


def _entry(text: str) -> Any:
    """One entry line. A line exactly as `dump` writes it cannot hold a key twice (writing it
    again gives it back), so orjson reads it; any other is read key by key, refusing repeats."""
    value = orjson.loads(text)
    if _json_line(value) == text:
        return value
    return json.loads(text, object_pairs_hook=_no_repeats)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key given twice")  # the YAML loader says which
    return out


# What a failed write means, for the one line an operator reads.
_WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.ENOENT: "its folder does not exist",
}


def write_file(path: Path, text: str) -> None:
    """Write a bundle atomically: a temporary file in the same folder, flushed to disk, then
    renamed over `path`. A failure (a full disk) leaves `path` as it was and no temporary
    file behind, and says why in one line (BundleError)."""
    temp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
        temp = None
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as exc:
        reason = _WRITE_ERRORS.get(exc.errno or 0, exc.strerror or str(exc))
        raise BundleError(
            f"cannot write {path}: {reason} ({exc.strerror or exc}); "
            f"{'it was left as it was' if path.exists() else 'nothing was written'}."
        ) from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


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
    """The bundle as `fanbot export` writes it: one JSON line per entry, then `end:`."""

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

    lines = [f"format: {FORMAT_VERSION}"]
    if bundle.exported_at is not None:
        lines.append(f"exported_at: {_json_line(bundle.exported_at.isoformat(timespec='seconds'))}")
    sections: dict[str, Any] = {
        "subjects": [subject(s) for s in bundle.subjects],
        "facts": [fact(f) for f in bundle.facts],
        **bundle.extra,
    }
    counts: dict[str, int] = {}
    for name, value in sections.items():
        key = name if _SECTION.fullmatch(f"{name}:") else _json_line(name)
        if isinstance(value, list) and value:
            counts[name] = len(value)
            lines.append(f"{key}:")
            lines.extend("- " + _json_line(row) for row in value)
        else:
            if isinstance(value, list):
                counts[name] = 0
            lines.append(f"{key}: {_json_line(value)}")
    lines.append(f"end: {_json_line(counts)}")
    return "\n".join(lines) + "\n"


# Characters YAML readers refuse or read as line breaks, though JSON may leave them raw.
_NOT_FOR_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _json_line(value: Any) -> str:
    """One value as JSON on one line that YAML reads as the same value."""
    text = orjson.dumps(value).decode()
    return _NOT_FOR_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
