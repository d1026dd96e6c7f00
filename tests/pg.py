"""A throwaway PostgreSQL cluster for the tests, from the system's binaries (no Docker).

initdb/pg_ctl from FANBOT_PG_BIN, else PATH, else /usr/lib/postgresql/*/bin; a temporary
directory, 127.0.0.1 and a free port, fsync off. initdb refuses root, so as root the cluster
is made and run by `nobody` (runuser). Without binaries the PostgreSQL tests skip, and the
summary says why; FANBOT_REQUIRE_PG=1 makes that a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SKIP_HINT = "install postgresql (apt-get install postgresql) or set FANBOT_PG_BIN"


def find_bin() -> tuple[Path | None, str]:
    """The folder holding initdb and pg_ctl, or None and why not."""
    env = os.environ.get("FANBOT_PG_BIN")
    candidates = [env] if env else []
    on_path = shutil.which("initdb")
    if on_path and not env:
        candidates.append(str(Path(os.path.realpath(on_path)).parent))
    if not env:
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c), ""
    if env:
        return None, f"FANBOT_PG_BIN={env} has no initdb and pg_ctl"
    return None, "no PostgreSQL binaries (initdb, pg_ctl) found"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One cluster: start, restart, stop; URLs of fresh databases."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="fanbot-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "nobody", "nogroup")
            self._as = ["runuser", "-u", "nobody", "--"]
        self._n = 0

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )

    def start(self) -> None:
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts,
            "-l", str(self.root / "log"), "-w", "start",
        )

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self, template: str | None = None) -> str:
        """A fresh database (a copy of `template` when given); its URL."""
        import psycopg

        self._n += 1
        name = f"t{self._n}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            tmpl = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{tmpl}")
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
