"""The README's benchmark tables are copied from one results file, never typed."""

from __future__ import annotations

from pathlib import Path

from bench.readme_table import main

RESULTS = """# Benchmarks

<!-- bench:header -->
Run of 2026-12-02 10:00 UTC, CPython 3.11.7, 2 CPUs, x86_64.
<!-- /bench:header -->

<!-- bench:core -->
| facts | p99 |
| --- | ---: |
| 100,000 | 1.20 ms |
<!-- /bench:core -->
"""

README = """# fanbot

## Benchmarks

<!-- bench:header -->
Run of 2026-11-01, typed by hand.
<!-- /bench:header -->

Written by a person: what was tried.

<!-- bench:core -->
| facts | p99 |
| --- | ---: |
| 100,000 | 0.10 ms |
<!-- /bench:core -->

## After
"""


def test_tables_come_from_the_results_and_the_prose_stays(tmp_path: Path, capsys) -> None:
    results, readme = tmp_path / "latest.md", tmp_path / "README.md"
    results.write_text(RESULTS, "utf-8")
    readme.write_text(README, "utf-8")

    assert main(["--check", str(results), str(readme)]) == 1
    assert main([str(results), str(readme)]) == 0
    text = readme.read_text("utf-8")
    assert "| 100,000 | 1.20 ms |" in text and "0.10 ms" not in text
    assert "2026-12-02 10:00 UTC, CPython 3.11.7, 2 CPUs" in text
    assert "Written by a person: what was tried." in text and text.endswith("## After\n")
    assert main(["--check", str(results), str(readme)]) == 0


def test_a_section_missing_from_the_results_is_one_line_and_no_change(
    tmp_path: Path, capsys
) -> None:
    results, readme = tmp_path / "latest.md", tmp_path / "README.md"
    results.write_text(RESULTS.replace("bench:core", "bench:other"), "utf-8")
    readme.write_text(README, "utf-8")

    assert main([str(results), str(readme)]) == 2
    err = capsys.readouterr().err
    assert err == "readme_table: the results file has no section for core\n"
    assert readme.read_text("utf-8") == README
    assert main([str(tmp_path / "none.md"), str(readme)]) == 2
    assert "run `make bench` first" in capsys.readouterr().err
