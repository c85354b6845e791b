"""A throwaway PostgreSQL cluster for the tests (DESIGN.md §6).

``OPENROR_TEST_PG_URL`` wins when set. Otherwise the machine's ``initdb``/``pg_ctl`` start a cluster
in a temporary directory on a free loopback port (as the ``postgres`` user when run as root, since
PostgreSQL refuses to run as root). Under ``CI=true`` a missing PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; set OPENROR_TEST_PG_URL")
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="openror-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self._run([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        conf = (
            f"port={self.port}\nlisten_addresses='127.0.0.1'\nunix_socket_directories='{self.dir}'\n"
            "fsync=off\nsynchronous_commit=off\nfull_page_writes=off\nmax_connections=200\n"
            "shared_buffers=128MB\n"
        )
        with open(self.data / "postgresql.conf", "a") as fh:
            fh.write(conf)
        self._run([pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60", "start"])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True)

    def stop(self) -> None:
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_ready(url: str, timeout: float = 30) -> None:
    import sqlalchemy as sa

    deadline = time.monotonic() + timeout
    while True:
        try:
            engine = sa.create_engine(url)
            with engine.connect() as c:
                c.execute(sa.text("select 1"))
            engine.dispose()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
