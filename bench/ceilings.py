"""Write ceilings, each run as its own (pinned) process and printing one JSON line.

* ``insert-loop URL SECONDS BODIES``: single-row ``INSERT`` + ``COMMIT`` in a loop through
  SQLAlchemy Core, on an engine made by openror's own ``make_engine`` (same pragmas / pool), into a
  scratch table holding (id, body). The ceiling of one-resource-per-transaction writes (POST).
* ``bulk URL NDJSON``: the NDJSON lines, as bytes, into a scratch table in one transaction with the
  fastest raw path of each database: stdlib ``sqlite3.executemany`` (WAL, synchronous=NORMAL like
  openror), psycopg ``COPY FROM STDIN`` on PostgreSQL. The ceiling of ``openror load``.

Scratch tables are dropped afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, insert
from sqlalchemy.engine import make_url

SCRATCH = "bench_scratch"


def insert_loop(url: str, seconds: float, bodies_path: Path) -> dict[str, object]:
    from openror.store.engine import make_engine

    bodies = [line for line in bodies_path.read_bytes().splitlines() if line]
    engine = make_engine(url)
    md = MetaData()
    table = Table(
        SCRATCH,
        md,
        Column("rid", Integer, primary_key=True, autoincrement=True),
        Column("id", String(64), nullable=False),
        Column("body", LargeBinary, nullable=False),
    )
    md.drop_all(engine)
    md.create_all(engine)
    n = 0
    try:
        start = time.perf_counter()
        stop_at = start + seconds
        while time.perf_counter() < stop_at:
            with engine.begin() as conn:
                conn.execute(insert(table).values(id=f"scratch-{n}", body=bodies[n % len(bodies)]))
            n += 1
        secs = time.perf_counter() - start
    finally:
        md.drop_all(engine)
        engine.dispose()
    return {"rows": n, "seconds": round(secs, 3), "rps": round(n / secs, 1), "method": "SQLAlchemy Core insert+commit"}


def bulk(url: str, ndjson: Path) -> dict[str, object]:
    parsed = make_url(url)
    start = time.perf_counter()
    n = 0
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(parsed.database), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        conn.execute(f"CREATE TABLE {SCRATCH} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL, body BLOB NOT NULL)")
        start = time.perf_counter()
        with ndjson.open("rb") as fh:
            rows = [(str(i), line.rstrip(b"\n")) for i, line in enumerate(fh) if line.strip()]
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO {SCRATCH} (id, body) VALUES (?, ?)", rows)
        conn.execute("COMMIT")
        n = len(rows)
        secs = time.perf_counter() - start
        conn.execute(f"DROP TABLE {SCRATCH}")
        conn.close()
        method = "sqlite3 executemany, one transaction"
    else:
        import psycopg

        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
            conn.execute(f"CREATE TABLE {SCRATCH} (rid bigserial PRIMARY KEY, id text NOT NULL, body bytea NOT NULL)")
            start = time.perf_counter()
            with (
                ndjson.open("rb") as fh,
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(f"COPY {SCRATCH} (id, body) FROM STDIN") as copy,
            ):
                for i, line in enumerate(fh):
                    if line.strip():
                        copy.write_row((str(i), line.rstrip(b"\n")))
                        n += 1
            secs = time.perf_counter() - start
            conn.execute(f"DROP TABLE {SCRATCH}")
        method = "psycopg COPY FROM STDIN, one transaction"
    return {"rows": n, "seconds": round(secs, 3), "rps": round(n / secs, 1), "method": method}


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "insert-loop":
        result = insert_loop(sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]))
    elif cmd == "bulk":
        result = bulk(sys.argv[2], Path(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
