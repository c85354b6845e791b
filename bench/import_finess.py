"""``python -m bench.import_finess``: ``openror import finess`` throughput and peak RSS vs. a raw COPY ceiling.

A synthetic FINESS+ "structures" feed is generated from the real sample
(``tests/data/finess/finess-structures-mensuel-202607-echantillon_json.gz``, 30 EJ / 1,753 EG): its
``pmej`` records are replicated with fresh FINESS numbers (``8Z…`` for EJ, ``9Z…`` for EG; every
other value kept) until the wanted number of establishments, and streamed to a gzip file (national
scale: ``--eg 175000``). On SQLite and on PostgreSQL (the throwaway cluster of ``bench/pg.py``,
durable defaults), in a fresh database each:

1. ``import``: the FINESS importer (ROR rules on, ``--trusted`` as a real national import would run,
   batch 500) in a child process: resources/s (first pass included) and peak RSS (``ru_maxrss``);
2. ``re-import``: the same file again (every resource unchanged: no write);
3. ``ceiling``: the bodies openror stored, as bytes, into a scratch table of the same database by
   the fastest raw path (``bench.ceilings bulk``: psycopg ``COPY``, sqlite3 ``executemany``).

``--profile`` prints a cProfile of the import (SQLite) instead. Results are printed as JSON and,
with ``--docs``, appended to the "FINESS import" section at the end of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "finess" / "finess-structures-mensuel-202607-echantillon_json.gz"
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## FINESS import"


def generate(path: Path, n_eg: int) -> dict[str, int]:
    """Write a structures feed with about ``n_eg`` establishments (whole replicas of the sample's pmej)."""
    sample = json.loads(gzip.decompress(SAMPLE.read_bytes()))
    pmej = sample["pmej"]
    ej_n = eg_n = 0
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        out = io.BufferedWriter(gz, buffer_size=1 << 20)  # type: ignore[arg-type]
        out.write(b'{"schemaVersion":"v1.0.0","generatedAt":"2026-08-13T02:07:30Z","gco":[],"gcc":[],"pmej":[')
        first = True
        while eg_n < n_eg:
            for pm in pmej:
                if eg_n >= n_eg and ej_n:
                    break
                ej_n += 1
                rec = dict(
                    pm, informationsGeneralesPMEJ=dict(pm["informationsGeneralesPMEJ"], numFinessPm=f"8Z{ej_n:07d}")
                )
                egs = []
                for e in pm["ege"]:
                    eg_n += 1
                    info = dict(e["informationsGeneralesEGE"], numFinessEge=f"9Z{eg_n:07d}")
                    egs.append(dict(e, informationsGeneralesEGE=info))
                rec["ege"] = egs
                out.write((b"" if first else b",") + orjson.dumps(rec))
                first = False
        out.write(b"]}")
        out.flush()
    return {"ej": ej_n, "eg": eg_n, "resources": ej_n + 2 * eg_n, "gzip_bytes": path.stat().st_size}


def child(url: str, feed: Path, profile: bool) -> None:
    """Run one import in this process and print its figures (run by the parent as a subprocess)."""
    from openror.app.factory import build_services
    from openror.config import Settings
    from openror.ingest.finess import FinessImporter

    settings = Settings(database_url=url, structural_validation=False, _env_file=None)  # type: ignore[call-arg]
    services = build_services(settings)
    importer = FinessImporter(services.directory, batch_size=500)
    prof = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if prof:
        prof.enable()
    rep = importer.import_file(feed)
    if prof:
        prof.disable()
    secs = time.perf_counter() - start
    services.engine.dispose()
    if prof:
        stats = io.StringIO()
        pstats.Stats(prof, stream=stats).sort_stats("tottime").print_stats(25)
        print(stats.getvalue(), file=sys.stderr)
    n = rep.created + rep.updated + rep.unchanged
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "resources": n,
                "created": rep.created,
                "unchanged": rep.unchanged,
                "rejected": rep.rejected,
                "seconds": round(secs, 2),
                "rps": round(n / secs, 1),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                "cpu_ms_per_resource": round(1000 * (usage.ru_utime + usage.ru_stime) / max(n, 1), 3),
                "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            }
        )
    )


def _run_child(url: str, feed: Path, *, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.import_finess", "--child", url, str(feed)] + (["--profile"] if profile else [])
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    if profile:
        print(out.stderr, file=sys.stderr)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _export_bodies(url: str, path: Path) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    n = 0
    with engine.connect() as conn, path.open("wb") as fh:
        for (body,) in conn.execute(sa.text("select body from resource where body is not null")):
            fh.write(bytes(body) + b"\n")
            n += 1
    engine.dispose()
    return n


def _ceiling(url: str, ndjson: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.ceilings", "bulk", url, str(ndjson)]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(n_eg: int, backends: list[str]) -> dict[str, Any]:
    from bench import procs

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {procs_cpu()} CPUs, load {load()}",
    }
    with tempfile.TemporaryDirectory(prefix="openror-bench-finess-") as tmp:
        feed = Path(tmp) / "finess-structures-synthetic.json.gz"
        results["feed"] = generate(feed, n_eg)
        print(f"feed: {results['feed']}", file=sys.stderr)
        pg = None
        try:
            for backend in backends:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                else:
                    from bench.pg import Postgres

                    pg = pg or Postgres()
                    url = pg.create_db("finess")
                first = _run_child(url, feed)
                print(f"{backend} import: {first}", file=sys.stderr)
                again = _run_child(url, feed)
                print(f"{backend} re-import: {again}", file=sys.stderr)
                bodies = Path(tmp) / f"bodies-{backend}.ndjson"
                n = _export_bodies(url, bodies)
                ceiling = _ceiling(url, bodies)
                print(f"{backend} ceiling ({n} bodies): {ceiling}", file=sys.stderr)
                results[backend] = {
                    "import": first,
                    "reimport": again,
                    "ceiling": ceiling,
                    "ratio": round(first["rps"] / ceiling["rps"], 3),
                }
        finally:
            procs.cleanup_all()
    return results


def procs_cpu() -> int:
    import os

    return os.cpu_count() or 0


def load() -> str:
    import os

    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def to_markdown(r: dict[str, Any]) -> str:
    feed = r["feed"]
    lines = [
        f"Run {r['when']} ({r['machine']}): synthetic structures feed of {feed['ej']:,} EJ and {feed['eg']:,} EG "
        f"= {feed['resources']:,} resources ({feed['gzip_bytes'] / 1e6:.0f} MB gzip), `--trusted` (ROR rules on).",
        "",
        "| backend | import (res/s) | importer CPU / resource | peak RSS | re-import, no-op (res/s) "
        "| raw ceiling (rows/s) | import / ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend in ("sqlite", "postgresql"):
        b = r.get(backend)
        if not b:
            continue
        lines.append(
            f"| {backend} | {b['import']['rps']:,.0f} ({b['import']['seconds']:.0f} s) | "
            f"{b['import']['cpu_ms_per_resource']:.2f} ms | "
            f"{b['import']['max_rss_mb']:.0f} MB | {b['reimport']['rps']:,.0f} | "
            f"{b['ceiling']['rps']:,.0f} ({b['ceiling']['method']}) | {b['ratio']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def append_docs(r: dict[str, Any]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n"
    DOCS.write_text(text.rstrip("\n") + "\n\n" + to_markdown(r), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--eg", type=int, default=175_000, help="establishments in the synthetic feed")
    parser.add_argument("--only", default="sqlite,postgresql", help="backends: sqlite, postgresql")
    parser.add_argument("--docs", action="store_true", help="append the results to docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="profile one SQLite import and stop")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.profile)
        return
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="openror-bench-finess-") as tmp:
            feed = Path(tmp) / "feed.json.gz"
            print(generate(feed, args.eg), file=sys.stderr)
            print(_run_child(f"sqlite:///{tmp}/p.db", feed, profile=True))
        return
    results = measure(args.eg, [b.strip() for b in args.only.split(",") if b.strip()])
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "finess-latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(to_markdown(results))
    if args.docs:
        append_docs(results)


if __name__ == "__main__":
    main()
