"""PostgreSQL for the bench: a throwaway cluster (the approach of tests/pgcluster.py), or OPENROR_BENCH_PG_URL.

Unlike the test cluster, this one keeps PostgreSQL's durable defaults (``fsync=on``,
``synchronous_commit=on``, ``full_page_writes=on``): the numbers are meant for production
settings. The cluster runs pinned to the server core so that "server side" (app + database) and
"client side" (wrk, loaders) each get one core.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import procs

CONF = """
port={port}
listen_addresses='127.0.0.1'
unix_socket_directories='{sockdir}'
max_connections=100
shared_buffers=512MB
max_wal_size=2GB
"""


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class Postgres:
    """Either a cluster we own (started, restarted, stopped and removed here) or an external URL."""

    def __init__(self) -> None:
        self.dbs: list[str] = []
        self.owned = False
        self.destroyed = False
        external = os.environ.get("OPENROR_BENCH_PG_URL")
        if external:
            self.url = external
            procs.on_cleanup(self.destroy)
            return
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; set OPENROR_BENCH_PG_URL")
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="openror-bench-pg-"))
        self.data = self.dir / "data"
        self.port = procs.free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.owned = True
        procs.on_cleanup(self.destroy)
        self._run([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        with open(self.data / "postgresql.conf", "a") as fh:
            fh.write(CONF.format(port=self.port, sockdir=self.dir))
        self._ctl("start")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.version = self.scalar("show server_version")

    def _run(self, cmd: list[str]) -> None:
        subprocess.run(procs.pinned(procs.SERVER_CORE, [*self.as_user, *cmd]), check=True, capture_output=True)

    def _ctl(self, action: str) -> None:
        self._run(
            [self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "120", "-m", "fast", action]
        )

    def restart(self) -> bool:
        """Restart our cluster (empties shared_buffers); False for an external server."""
        if not self.owned:
            return False
        self._ctl("restart")
        return True

    def settings(self) -> dict[str, str]:
        names = ("server_version", "shared_buffers", "fsync", "synchronous_commit", "full_page_writes", "max_wal_size")
        return {n: self.scalar(f"show {n}") for n in names}

    def scalar(self, sql: str, db: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self._libpq(db), autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return str(row[0]) if row else ""

    def _libpq(self, db: str | None = None) -> str:
        url = make_url(self.url)
        if db:
            url = url.set(database=db)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def create_db(self, name: str) -> str:
        """A fresh database ``openror_bench_<name>`` (dropped by :meth:`destroy`); returns its URL."""
        import psycopg

        db = f"openror_bench_{os.getpid()}_{name}"
        with psycopg.connect(self._libpq(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}"')
        self.dbs.append(db)
        return make_url(self.url).set(database=db).render_as_string(hide_password=False)

    def destroy(self) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        if not self.owned:
            import psycopg

            with psycopg.connect(self._libpq(), autocommit=True) as conn:
                for db in self.dbs:
                    with contextlib.suppress(Exception):
                        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            return
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        except subprocess.CalledProcessError:
            time.sleep(1)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
