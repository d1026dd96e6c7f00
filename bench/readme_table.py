"""Copy the README's benchmark tables from a results file, so no figure is typed by hand.

The README holds `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` pairs; each is replaced by
the section of the same name in `bench/results/latest.md` (written by `make bench`). Text
outside the markers (what was tried where a target was missed) stays as it is.

Run: `python -m bench.readme_table [RESULTS.md] [README.md]`; `--check` says whether the
README already matches, changing nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"<!-- bench:([a-z_]+) -->\n.*?<!-- /bench:\1 -->\n", re.DOTALL)


class TableError(Exception):
    """The README and the results file do not fit together; the message says how."""


def sections(text: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in _BLOCK.finditer(text)}


def copy_tables(results: str, readme: str) -> str:
    """The README with every marked block replaced by the results' block of that name."""
    found = sections(results)
    wanted = [m.group(1) for m in _BLOCK.finditer(readme)]
    if not wanted:
        raise TableError("the README has no <!-- bench:NAME --> markers")
    missing = [name for name in wanted if name not in found]
    if missing:
        raise TableError(f"the results file has no section for {', '.join(missing)}")
    return _BLOCK.sub(lambda m: found[m.group(1)], readme)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    results = Path(paths[0]) if paths else ROOT / "bench" / "results" / "latest.md"
    readme = Path(paths[1]) if len(paths) > 1 else ROOT / "README.md"
    try:
        if not results.exists():
            raise TableError(f"{results} does not exist; run `make bench` first")
        old = readme.read_text("utf-8")
        new = copy_tables(results.read_text("utf-8"), old)
    except TableError as exc:
        print(f"readme_table: {exc}", file=sys.stderr)
        return 2
    if check:
        print("README matches the results" if new == old else "README differs from the results")
        return 0 if new == old else 1
    readme.write_text(new, "utf-8")
    print(f"copied {len(sections(new))} sections from {results} into {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
