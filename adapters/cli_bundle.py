"""`fanbot export FILE` / `fanbot import FILE`: the facts bundle (YAML), for seeds and merging.

An export is written atomically and ends with a line counting its entries; an import lands
whole or not at all, records each change in the audit trail as `import FILE`, and keeps what
was changed after the bundle was exported unless --overwrite says to replace it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.app import open_core
from bot.settings import Settings
from storage import bundle as bundles
from storage.importer import ImportReport

EXIT_REFUSED = 1
KEPT_SHOWN = 20  # facts named one a line; beyond that, a count


def _counts(bundle: bundles.Bundle) -> str:
    return f"{len(bundle.subjects)} subjects and {len(bundle.facts)} facts"


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    try:
        bundle = await core.store.export_bundle(at=core.clock.now())
    finally:
        await core.store.close()
    text = bundles.dump(bundle)
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        bundles.write_file(Path(args.file), text)
    except bundles.BundleError as exc:
        print(f"fanbot: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"Exported {_counts(bundle)} to {args.file}")
    return 0


async def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        bundle = bundles.read_file(Path(args.file))  # validated before the store opens
        core = await open_core(settings)
        try:
            report = await core.store.import_bundle(
                bundle, args.file, at=core.clock.now(), overwrite=args.overwrite
            )
        finally:
            await core.store.close()
    except bundles.BundleError as exc:  # bad input (exit 1), unlike a store that cannot open
        print(f"fanbot: {exc}; nothing was imported.", file=sys.stderr)
        return EXIT_REFUSED
    print(summary(report, args.file))
    return 0


def summary(report: ImportReport, origin: str) -> str:
    """What an import did, and what it kept, for the operator who ran it."""
    lines = [
        f"Imported {origin}: {report.subjects_added} subjects added, {report.subjects_changed} "
        f"changed; {report.facts_added} facts added, {report.facts_changed} changed"
        + (f"; {report.audit_added} audit entries added" if report.audit_added else "")
        + "."
    ]
    if report.kept:
        lines.append(
            f"Kept {len(report.kept)} changed after the bundle was exported "
            "(import again with --overwrite to replace them):"
        )
        lines += [f"  {k.what}: {', '.join(k.fields)}" for k in report.kept[:KEPT_SHOWN]]
        if len(report.kept) > KEPT_SHOWN:
            lines.append(f"  … and {len(report.kept) - KEPT_SHOWN} more")
    return "\n".join(lines)


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot export FILE` and `fanbot import FILE` (func=async (settings, args))."""
    p = sub.add_parser("export", help="write the facts bundle to a YAML file (- for stdout)")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "import",
        help="add or update facts and subjects from a YAML file",
        description="Adds and updates subjects and facts from FILE in one transaction, each "
        "change recorded in the audit trail as `import FILE`. A value changed after FILE was "
        "exported (a hand-written file counts as older than any change) is kept.",
    )
    p.add_argument("file")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace values changed after the bundle was exported too",
    )
    p.set_defaults(func=cmd_import)
