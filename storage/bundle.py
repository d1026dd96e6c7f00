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

import errno
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import orjson
import yaml

from storage.bundle_entries import (  # what a bundle holds, as callers know it from here
    FORMAT_VERSION,
    Bundle,
    BundleError,
    check_references,
    known_slugs_check,
    parse,
    section_entries,
)
from storage.models import NewFact, NewSubject

__all__ = [
    "Bundle",
    "BundleError",
    "dump",
    "known_slugs_check",
    "load_text",
    "parse",
    "read_dir",
    "read_file",
    "section_entries",
    "write_file",
]


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
    check_references(bundle, str(folder))
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
