"""Search benchmark: the IG scenario mix on a generated dataset, latency percentiles, EXPLAIN index checks.

    python -m bench.search [--size S|M|L] [--backends sqlite,postgresql] [--iterations N]

Generates the dataset with ``openror generate`` (seeded), loads it with ``openror load --trusted``
into a fresh SQLite file and a throwaway PostgreSQL cluster (bench/pg.py), then runs each scenario
in-process through ``SearchService.search`` (the engine without HTTP) ``N`` times: p50/p95/p99 and
throughput. Ceiling, measured in the same run on the same database: reading the same number of
result bodies by primary key with raw SQL (the least a search returning that page must do). Every
scenario's first-page SQL is EXPLAINed and checked for index use. Results: bench/results/search-*.json
and the "Search" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import procs
from bench.pg import Postgres

ROOT = Path(__file__).resolve().parent.parent
OPENROR = str(ROOT / ".venv" / "bin" / "openror")
R30 = "https://mos.esante.gouv.fr/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM"
INCLUDE_SET = [
    ("_include", "HealthcareService:organization"),
    ("_include:iterate", "Organization:partof"),
    ("_include", "HealthcareService:location"),
    ("_revinclude", "PractitionerRole:service"),
    ("_include", "PractitionerRole:practitioner"),
]


def sample(engine: sa.Engine, sql: str) -> str:
    with engine.connect() as c:
        value = c.execute(sa.text(sql)).scalar()
    if value is None:
        raise RuntimeError(f"no sample value for: {sql}")
    return str(value)


def scenarios(engine: sa.Engine) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(name, kind, type, params) with values drawn from the loaded data."""
    loc_ident = sample(engine, "select code from idx_token where type='Location' and param='identifier' "
                               "order by rid limit 1 offset 100")  # fmt: skip
    hcs_ident = sample(engine, "select code from idx_token where type='HealthcareService' and param='identifier' "
                               "order by rid limit 1 offset 100")  # fmt: skip
    finess = sample(engine, "select code from idx_token where type='Organization' and param='identifier' and "
                            "system='https://finess.esante.gouv.fr' order by rid limit 1 offset 50")  # fmt: skip
    specialty = sample(
        engine,
        "select system || '|' || code from idx_token where type='HealthcareService' and param='specialty' "
        "group by system, code order by count(*) desc limit 1 offset 5",
    )
    status = "https://mos.esante.gouv.fr/NOS/TRE_R330-TypeStatutCapacite/FHIR/TRE-R330-TypeStatutCapacite|02"
    return [
        ("location-by-identifier", "single", "Location", [("identifier", loc_ident),
                                                           ("_revinclude", "HealthcareService:location")]),
        ("offer-by-identifier", "single", "HealthcareService", [("identifier", hcs_ident)]),
        ("offer-full-include-set", "single", "HealthcareService", [("identifier", hcs_ident), *INCLUDE_SET]),
        ("offers-of-establishment", "chained", "HealthcareService",
         [("organization:above.identifier", f"https://finess.esante.gouv.fr|{finess}")]),
        ("offers-by-specialty-region", "chained", "HealthcareService", [("specialty", specialty), ("_tag", "11")]),
        ("available-beds-chained", "chained", "HealthcareService",
         [("location.capacity-status", status), ("location.nb-capacity", "gt0"), ("_tag", "52")]),
        ("region-page-200-include-set", "page", "HealthcareService", [("_tag", f"{R30}|52"), *INCLUDE_SET]),
        ("locations-delta-revinclude", "page", "Location",
         [("_lastUpdated", "ge2000-01-01"), ("_revinclude", "HealthcareService:location")]),
        ("content-full-text", "chained", "HealthcareService", [("_content", "cardiologie")]),
    ]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def explain(engine: sa.Engine, stmt: Any) -> dict[str, Any]:
    """EXPLAIN the statement; flag full scans of index tables or of the resource table."""
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            plan = c.execute(sa.text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
            text = json.dumps(plan)
            scans = sorted({n for n in _pg_seq_scans(plan)})
        else:
            rows = c.execute(sa.text("EXPLAIN QUERY PLAN " + sql)).all()
            text = "\n".join(str(r[-1]) for r in rows)
            scans = sorted({r[-1] for r in rows if str(r[-1]).startswith("SCAN ") and " USING " not in str(r[-1])})
    return {"full_scans": scans, "uses_index": "Index" in text or "USING" in text, "plan_chars": len(text)}


def _pg_seq_scans(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, list):
        for n in node:
            out.extend(_pg_seq_scans(n))
    elif isinstance(node, dict):
        if node.get("Node Type") == "Seq Scan":
            out.append(str(node.get("Relation Name")))
        for v in node.values():
            if isinstance(v, list | dict):
                out.extend(_pg_seq_scans(v))
    return out


def measure(url: str, iterations: int) -> dict[str, Any]:
    from openror.app.factory import build_services
    from openror.config import Settings
    from openror.fhir.access import SYSTEM
    from openror.fhir.geo import commune_centroid
    from openror.fhir.search.registry import registry
    from openror.services.search import SearchService

    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    services = build_services(settings)
    svc = SearchService(services.store, registry(), max_count=1000, commune_centroid=commune_centroid)
    out: dict[str, Any] = {}
    for name, kind, rtype, params in scenarios(services.engine):
        bundle = svc.search(SYSTEM, rtype, params, "http://bench/fhir")
        entries = len(bundle.get("entry", []))
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            svc.search(SYSTEM, rtype, params, "http://bench/fhir")
            times.append(time.perf_counter() - t0)
        ceiling = _ceiling(services.engine, max(entries, 1), iterations)
        out[name] = {
            "kind": kind,
            "entries": entries,
            "total": bundle.get("total"),
            "p50_ms": round(percentile(times, 50) * 1000, 2),
            "p95_ms": round(percentile(times, 95) * 1000, 2),
            "p99_ms": round(percentile(times, 99) * 1000, 2),
            "qps": round(1 / statistics.mean(times), 1),
            "ceiling_p50_ms": round(ceiling * 1000, 3),
            "explain": explain(services.engine, svc.first_page_statement(rtype, params)),
        }
        print(f"  {name}: {out[name]['p50_ms']} / {out[name]['p95_ms']} / {out[name]['p99_ms']} ms, "
              f"{entries} entries, full scans {out[name]['explain']['full_scans']}", flush=True)  # fmt: skip
    services.engine.dispose()
    return out


def _ceiling(engine: sa.Engine, n: int, iterations: int) -> float:
    """Median time to read n bodies by primary key with raw SQL."""
    with engine.connect() as c:
        rids = [r[0] for r in c.execute(sa.text("select rid from resource order by rid limit :n"), {"n": n})]
        stmt = sa.text("select body from resource where rid in :rids").bindparams(sa.bindparam("rids", expanding=True))
        times = []
        for _ in range(max(5, iterations // 2)):
            t0 = time.perf_counter()
            c.execute(stmt, {"rids": rids}).all()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="M", choices=["S", "M", "L"])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--iterations", type=int, default=30)
    args = ap.parse_args()
    procs.install_signal_handlers()
    work = Path(tempfile.mkdtemp(prefix="openror-search-bench-"))
    results: dict[str, Any] = {"size": args.size, "iterations": args.iterations, "backends": {}}
    try:
        data = work / "data"
        t0 = time.perf_counter()
        subprocess.run([OPENROR, "generate", "--size", args.size, "--seed", "1", "--out", str(data)], check=True)
        results["generate_seconds"] = round(time.perf_counter() - t0, 1)
        files = sorted(str(p) for p in data.glob("*.ndjson*"))
        for backend in args.backends.split(","):
            pg = None
            if backend == "sqlite":
                url = f"sqlite:///{work / 'bench.db'}"
            else:
                pg = Postgres()
                procs.on_cleanup(pg.destroy)
                url = pg.create_db("openror_search_bench")
            t0 = time.perf_counter()
            env = dict(os.environ, OPENROR_DATABASE_URL=url)
            subprocess.run([OPENROR, "load", "--trusted", *files], check=False, env=env,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            load_s = time.perf_counter() - t0
            print(f"{backend}: loaded in {load_s:.0f} s", flush=True)
            results["backends"][backend] = {
                "load_seconds": round(load_s, 1),
                "scenarios": measure(url, args.iterations),
            }
            if pg is not None:
                pg.destroy()
    finally:
        procs.cleanup_all()
    out = ROOT / "bench" / "results" / f"search-{args.size}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"results: {out}")


if __name__ == "__main__":
    sys.exit(main())
