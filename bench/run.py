"""``python -m bench.run [--quick] [--only NAME[,NAME]]``: openror against ceilings measured in the same run.

Measurements (each on SQLite and on PostgreSQL; ``--only`` takes ``read``, ``create``, ``load``,
``sqlite``, ``postgresql``):

* ``load``: ``openror load`` of a generated NDJSON (default tiers on a subset, ``--trusted`` on all of
  it) vs. the raw bulk ceiling (sqlite3 executemany / psycopg COPY of the same bytes);
* ``read``: ``GET /fhir/Location/<id>`` with wrk, cold (fresh server, uniform ids over every
  Location) and warm (100 hot ids after a warm-up), vs. a bare Starlette app serving the same bytes
  from a dict on the same uvicorn configuration;
* ``create``: ``POST /fhir/Location`` with 16 connections, structural validation on, vs. a
  single-row INSERT+COMMIT loop through SQLAlchemy Core on the same database.

The server (and PostgreSQL) run on core 0, the load generator / loader on core 1. Raw results go
to ``bench/results/``; without ``--only``, the generated section of ``docs/benchmarks.md`` is
rewritten. Every process and cluster started here is stopped, every temp file removed, on any exit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import data, procs, report
from bench.http_load import LoadClient, find_wrk
from bench.pg import Postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BENCHES = ("load", "read", "create")
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Config:
    mode: str
    n_locations: int
    n_services: int
    n_default_locations: int  # the default-tier load runs on a subset (full R4 validation costs ms/resource)
    n_default_services: int
    seconds: float  # each wrk measurement
    warmup: float  # hot-set warm-up before the warm read, and before the create measurement
    hot_ids: int = 100
    read_connections: int = 32
    create_connections: int = 16
    create_bodies: int = 5000


FULL = Config("full", 40_000, 10_000, 4_000, 1_000, seconds=10, warmup=3)
QUICK = Config("quick", 8_000, 2_000, 800, 200, seconds=5, warmup=2, create_bodies=2000)


class Bench:
    def __init__(self, cfg: Config, only: set[str], workdir: Path) -> None:
        self.cfg = cfg
        self.only = only
        self.work = workdir
        self.benches = [b for b in BENCHES if not (only & set(BENCHES)) or b in only]
        self.backends = [b for b in BACKENDS if not (only & set(BACKENDS)) or b in only]
        self.client: LoadClient
        self.openror = [str(Path(sys.executable).parent / "openror")]
        if not Path(self.openror[0]).exists():
            self.openror = [sys.executable, "-m", "openror.cli.main"]
        # Subprocesses run in the temp dir (no repo .env, no stray var/openror.db) with explicit settings.
        self.env = dict(os.environ, OPENROR_STRUCTURAL_VALIDATION="true", PYTHONPATH=str(ROOT))
        self.env.pop("OPENROR_DATABASE_URL", None)

    # -- data --------------------------------------------------------------------------------------

    def generate(self) -> dict[str, Any]:
        c = self.cfg
        t0 = time.perf_counter()
        self.full_file = self.work / "data.ndjson"
        n = data.write_ndjson(self.full_file, data.dataset(c.n_locations, c.n_services))
        self.default_file = self.work / "data-default.ndjson"
        lines = self.full_file.read_bytes().splitlines(keepends=True)
        subset = lines[: c.n_default_locations] + lines[c.n_locations : c.n_locations + c.n_default_services]
        self.default_file.write_bytes(b"".join(subset))
        self.one_file = self.work / "one.ndjson"
        data.write_ndjson(self.one_file, iter([data.location(999_999, random.Random(1), prefix="bench-startup")]))
        self.bodies_file = self.work / "create-bodies.ndjson"
        data.write_ndjson(self.bodies_file, data.create_bodies(c.create_bodies))
        self.location_ids = [f"bench-loc-{i:06d}" for i in range(c.n_locations)]
        self.ids_file = self.work / "ids-all.txt"
        self.ids_file.write_text("\n".join(self.location_ids) + "\n")
        self.hot_file = self.work / "ids-hot.txt"
        hot = random.Random(100).sample(self.location_ids, c.hot_ids)
        self.hot_file.write_text("\n".join(hot) + "\n")
        return {
            "resources": n,
            "locations": c.n_locations,
            "services": c.n_services,
            "bytes": self.full_file.stat().st_size,
            "mean_location_bytes": round(sum(len(x) for x in lines[: c.n_locations]) / max(c.n_locations, 1)),
            "default_subset": len(subset),
            "seconds": round(time.perf_counter() - t0, 2),
        }

    # -- helpers -----------------------------------------------------------------------------------

    def _timed(self, cmd: list[str], *, core: int) -> tuple[float, int, str]:
        t0 = time.perf_counter()
        proc = subprocess.run(procs.pinned(core, cmd), capture_output=True, env=self.env, cwd=self.work, check=False)
        return time.perf_counter() - t0, proc.returncode, proc.stderr.decode(errors="replace")

    def _load(self, url: str, path: Path, *, trusted: bool, name: str) -> dict[str, Any]:
        rep = self.work / f"report-{name}.json"
        cmd = [*self.openror, "load", "--database-url", url, "--report", str(rep), str(path)]
        if trusted:
            cmd.insert(len(self.openror) + 1, "--trusted")
        load1 = os.getloadavg()[0]
        secs, rc, err = self._timed(cmd, core=procs.CLIENT_CORE)
        if not rep.exists():
            raise RuntimeError(f"openror load failed ({rc}):\n{err[-3000:]}")
        r = json.loads(rep.read_text())[0]
        return {
            "seconds": round(secs, 3),
            "created": r["created"],
            "updated": r["updated"],
            "unchanged": r["unchanged"],
            "rejected": r["rejected"],
            "first_rejects": r["rejects"][:3],
            "exit_code": rc,
            "loadavg1_before": load1,
            "loadavg1_after": os.getloadavg()[0],
        }

    def _upgrade(self, url: str) -> None:
        _secs, rc, err = self._timed([*self.openror, "db", "upgrade", "--database-url", url], core=procs.CLIENT_CORE)
        if rc != 0:
            raise RuntimeError(f"openror db upgrade failed:\n{err[-3000:]}")

    def _py(self, module: str, *args: str, core: int, timeout: float = 1800) -> dict[str, Any]:
        cmd = procs.pinned(core, [sys.executable, "-m", module, *args])
        out = procs.run_json(cmd, env=self.env, cwd=self.work, timeout=timeout)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    def _serve(self, name: str, make_cmd: Callable[[int], list[str]], url: str | None = None) -> tuple[Any, int]:
        """Start a server on the server core and wait until it answers."""
        port = procs.free_port()
        log = self.work / f"{name}.log"
        # OPENROR_DATABASE_URL too: `openror serve --database-url` alone is not seen by the app (settings
        # are cached before the CLI exports the override).
        env = dict(self.env, OPENROR_DATABASE_URL=url) if url else self.env
        proc = procs.start(procs.pinned(procs.SERVER_CORE, make_cmd(port)), log=log, env=env, cwd=self.work)
        procs.wait_http(port, "/fhir/metadata", proc, log=log)
        return proc, port

    def _openror_serve(self, url: str) -> Callable[[int], list[str]]:
        return lambda port: [*self.openror, "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", url]

    def _count(self, url: str, rtype: str) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return int(
                    conn.execute(text("select count(*) from resource where type = :t"), {"t": rtype}).scalar_one()
                )
        finally:
            engine.dispose()

    def _db_size(self, url: str, pg: Postgres | None) -> int:
        if pg is None:
            path = Path(url.removeprefix("sqlite:///"))
            return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        db = url.rsplit("/", 1)[1]
        return int(pg.scalar(f"select pg_database_size('{db}')"))

    def _residency(self, url: str, pg: Postgres | None) -> dict[str, Any] | None:
        """How much of the database's files is in the OS page cache (fincore), or None if unknown."""
        if not shutil.which("fincore"):
            return None
        if pg is None:
            path = Path(url.removeprefix("sqlite:///"))
            files = [str(p) for p in path.parent.glob(path.name + "*")]
        elif pg.owned:
            oid = pg.scalar(f"select oid from pg_database where datname = '{url.rsplit('/', 1)[1]}'")
            files = [str(p) for p in (pg.data / "base" / oid).iterdir() if p.is_file()]
        else:
            return None
        out = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--raw", "-o", "RES,SIZE", *files],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        res = size = 0
        for line in out.splitlines():
            r, s = line.split()
            res, size = res + int(r), size + int(s)
        return {"resident_bytes": res, "file_bytes": size, "fraction": round(res / size, 3) if size else None}

    def _export_bodies(self, url: str, path: Path) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.connect() as conn, path.open("wb") as fh:
                rows = conn.execute(text("select body from resource where type = 'Location' and id like 'bench-loc-%'"))
                for (body,) in rows:
                    fh.write(bytes(body) + b"\n")
        finally:
            engine.dispose()

    # -- one backend -------------------------------------------------------------------------------

    def backend(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        pg: Postgres | None = None
        if name == "postgresql":
            pg = Postgres()
            out["postgresql"] = pg.settings()
            out["postgresql"]["cluster"] = "throwaway, pinned to core 0" if pg.owned else "OPENROR_BENCH_PG_URL"

        def new_db(tag: str) -> str:
            if pg is not None:
                return pg.create_db(tag)
            return f"sqlite:///{self.work / name}-{tag}.db"

        # load (always: the read and create measurements need the data)
        main_url = new_db("main")
        self._upgrade(main_url)
        print(f"[{name}] openror load --trusted ({self.full_file.stat().st_size // 1_000_000} MB)", flush=True)
        trusted = self._load(main_url, self.full_file, trusted=True, name=f"{name}-trusted")
        startup = self._load(main_url, self.one_file, trusted=True, name=f"{name}-startup")
        trusted["startup_seconds"] = startup["seconds"]
        out["load_trusted"] = trusted
        out["db_bytes"] = self._db_size(main_url, pg)
        if "load" in self.benches:
            default_url = new_db("default")
            self._upgrade(default_url)
            print(f"[{name}] openror load (default tiers, subset)", flush=True)
            out["load_default"] = self._load(default_url, self.default_file, trusted=False, name=f"{name}-default")
            out["load_default"]["startup_seconds"] = startup["seconds"]
            print(f"[{name}] bulk ceiling", flush=True)
            out["load_ceiling"] = self._py(
                "bench.ceilings", "bulk", main_url, str(self.full_file), core=procs.CLIENT_CORE
            )
        if "read" in self.benches:
            out["read"] = self.read(name, main_url, pg)
        if "create" in self.benches:
            out["create"] = self.create(name, main_url)
        return out

    def read(self, name: str, url: str, pg: Postgres | None) -> dict[str, Any]:
        c = self.cfg
        bodies = self.work / f"{name}-bodies.ndjson"
        self._export_bodies(url, bodies)
        res: dict[str, Any] = {}

        def measure(kind: str, make_cmd: Callable[[int], list[str]], db: str | None) -> None:
            proc, port = self._serve(f"{name}-{kind}", make_cmd, db)
            try:
                probe = f"/fhir/Location/{self.location_ids[-1]}"  # one read: fail fast on a wrong database
                if (status := procs.get_status(port, probe)) != 200:
                    raise RuntimeError(f"{kind}: GET {probe} answered {status}")
                print(f"[{name}] read {kind}: cold", flush=True)
                cold = self.client.read(port, self.ids_file, connections=c.read_connections, seconds=c.seconds)
                self.client.read(port, self.hot_file, connections=c.read_connections, seconds=c.warmup, seed=2)
                print(f"[{name}] read {kind}: warm", flush=True)
                warm = self.client.read(port, self.hot_file, connections=c.read_connections, seconds=c.seconds, seed=3)
                res[kind] = {"cold": cold, "warm": warm}
            finally:
                procs.stop(proc)

        measure("ceiling", lambda port: [sys.executable, "-m", "bench.ceiling_app", str(bodies), str(port)], None)
        res["pg_restarted_before_cold"] = pg.restart() if pg is not None else False
        res["page_cache_before_cold"] = self._residency(url, pg)
        sessions = f"select sessions from pg_stat_database where datname = '{url.rsplit('/', 1)[1]}'"
        before = int(pg.scalar(sessions)) if pg else 0
        measure("openror", self._openror_serve(url), url)
        if pg is not None:  # PostgreSQL sessions opened by the server (connection churn shows here)
            time.sleep(1)
            res["openror"]["pg_sessions"] = int(pg.scalar(sessions)) - before
        return res

    def create(self, name: str, url: str) -> dict[str, Any]:
        c = self.cfg
        before = self._count(url, "Location")
        proc, port = self._serve(f"{name}-create", self._openror_serve(url), url)
        try:
            print(f"[{name}] create: warm-up + measure", flush=True)
            warm = self.client.create(port, self.bodies_file, connections=c.create_connections, seconds=c.warmup)
            run = self.client.create(port, self.bodies_file, connections=c.create_connections, seconds=c.seconds)
        finally:
            procs.stop(proc)
        created = self._count(url, "Location") - before
        run["created_in_db"] = created
        run["requests_incl_warmup"] = warm["requests"] + run["requests"]
        # wrk counts completed requests only: up to one in-flight request per connection finishes after
        # each of the two runs stops.
        slack = 2 * c.create_connections
        if not 0 <= created - (run["requests_incl_warmup"] - warm["non_2xx"] - run["non_2xx"]) <= slack:
            run["count_mismatch"] = True
        print(f"[{name}] create ceiling: INSERT+COMMIT loop", flush=True)
        ceiling = self._py(
            "bench.ceilings", "insert-loop", url, str(c.seconds), str(self.bodies_file), core=procs.SERVER_CORE
        )
        return {"openror": run, "ceiling": ceiling}

    def client_ceiling(self) -> dict[str, Any] | None:
        """With the asyncio fallback only: the client against a minimal asyncio server (its own ceiling)."""
        if self.client.wrk:
            return None
        port = procs.free_port()
        log = self.work / "raw.log"
        cmd = [sys.executable, "-m", "bench.pyload", "--serve-raw", str(port)]
        proc = procs.start(procs.pinned(procs.SERVER_CORE, cmd), log=log, env=self.env, cwd=self.work)
        try:
            procs.wait_http(port, "/", proc, log=log)
            return self.client.read(
                port, self.ids_file, connections=self.cfg.read_connections, seconds=self.cfg.seconds
            )
        finally:
            procs.stop(proc)


def git_commit() -> str:
    """The checked-out commit (read-only ``git rev-parse``); the working tree may hold more."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return ""


def environment() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlalchemy
    import starlette
    import uvicorn

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "starlette": starlette.__version__,
        "uvicorn": uvicorn.__version__,
        "pinned": procs.pinning_available(),
        "loadavg_before": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="smaller data set, 5 s runs (~3 minutes)")
    ap.add_argument("--only", action="append", default=[], help=f"restrict to {', '.join(BENCHES + BACKENDS)}")
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = ap.parse_args(argv)
    only = {x.strip() for o in args.only for x in o.split(",") if x.strip()}
    unknown = only - set(BENCHES) - set(BACKENDS)
    if unknown:
        ap.error(f"unknown --only value(s): {', '.join(sorted(unknown))}")
    cfg = QUICK if args.quick else FULL

    procs.install_signal_handlers()
    workdir = Path(tempfile.mkdtemp(prefix="openror-bench-"))
    procs.on_cleanup(lambda: shutil.rmtree(workdir, ignore_errors=True))
    started = time.perf_counter()
    try:
        results: dict[str, Any] = {"config": asdict(cfg), "only": sorted(only), "environment": environment()}
        if procs.pinning_available():
            os.sched_setaffinity(0, {procs.CLIENT_CORE})
        else:
            print("warning: fewer than 2 cores or no taskset: server and client are NOT pinned", file=sys.stderr)
        b = Bench(cfg, only, workdir)
        print(f"generating data ({cfg.mode})", flush=True)
        results["data"] = b.generate()
        b.client = LoadClient(workdir, find_wrk())
        results["environment"]["load_client"] = b.client.name
        results["client_ceiling"] = b.client_ceiling()
        for backend in b.backends:
            results[backend] = b.backend(backend)
        results["environment"]["loadavg_after"] = os.getloadavg()
        results["environment"]["commit_after"] = git_commit()
        results["total_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        procs.cleanup_all()

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    (RESULTS / f"{stamp}-{cfg.mode}.json").write_bytes(raw)
    (RESULTS / "latest.json").write_bytes(raw)
    print(report.summary(results))
    if not only and not args.no_docs:
        report.write_docs(results, ROOT / "docs" / "benchmarks.md")
        print("docs/benchmarks.md updated")
    print(f"raw results: bench/results/{stamp}-{cfg.mode}.json ({results['total_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
