"""Engines for SQLite (embedded default, WAL) and PostgreSQL (psycopg 3), one code path (DESIGN.md §3)."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """Create the engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError("PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://...")
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    raise ValueError(f"unsupported database '{backend}': use sqlite:/// or postgresql+psycopg://")


def _configure_sqlite(engine: Engine) -> None:
    """WAL, NORMAL sync, a busy timeout, and explicit BEGIN so writers can take the lock up front.

    pysqlite's own transaction handling is turned off (isolation_level=None) and SQLAlchemy emits
    BEGIN itself: ``BEGIN IMMEDIATE`` for connections with the ``sqlite_immediate`` execution
    option (writers), plain ``BEGIN`` otherwise.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        _register_functions(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _register_functions(dbapi_conn: Any) -> None:
    """SQL functions the search compiler uses that SQLite may lack (PostgreSQL has them all)."""
    dbapi_conn.create_function("least", 2, lambda a, b: None if a is None or b is None else min(a, b),
                               deterministic=True)  # fmt: skip
    try:
        dbapi_conn.execute("SELECT sin(1), asin(0.5), radians(1), sqrt(2), pow(2, 2)")
    except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_MATH_FUNCTIONS
        for name, fn in (("sin", math.sin), ("cos", math.cos), ("asin", math.asin), ("radians", math.radians),
                         ("sqrt", math.sqrt), ("pow", math.pow)):  # fmt: skip
            nargs = 2 if name == "pow" else 1
            dbapi_conn.create_function(name, nargs, fn, deterministic=True)
