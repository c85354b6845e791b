"""Shared fixtures: a store on SQLite and on PostgreSQL, the ASGI app, access contexts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings as hyp_settings

from openror.app.factory import Services, build_app, build_services
from openror.config import Settings
from openror.fhir.access import AccessContext, Role
from openror.store.engine import make_engine

hyp_settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
hyp_settings.register_profile("dev", max_examples=100, deadline=None)
hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DATA = Path(__file__).parent / "data"
ADMIN = AccessContext("test-admin", Role.ADMIN, 1)
CONSUMER = AccessContext("test-consumer", Role.CONSUMER, 1)
SUPPLIER = AccessContext("test-supplier", Role.SUPPLIER, 1)

TABLES = ("idx_token", "resource_version", "resource")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("OPENROR_TEST_PG_URL")
    if url:
        yield url
        return
    from tests.pgcluster import Cluster

    try:
        cluster = Cluster()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL tests are mandatory under CI=true: {exc}") from exc
        pytest.skip(f"no PostgreSQL available: {exc}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str, worker_id: str) -> Iterator[str]:
    """A database of our own on the server (one per xdist worker), schema migrated."""
    name = f"openror_test_{worker_id}".replace("-", "_")
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_database_url: str) -> Iterator[sa.Engine]:
    from openror.store.migrate import ensure_schema

    engine = make_engine(pg_database_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


def _truncate(engine: sa.Engine) -> None:
    with engine.begin() as c:
        for t in TABLES:
            c.execute(sa.text(f"DELETE FROM {t}"))
        c.execute(sa.text("UPDATE openror_clock SET stamp = 0"))


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend: SQLite file, or a truncated PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'openror.db'}"
        return
    engine: sa.Engine = request.getfixturevalue("pg_engine")
    _truncate(engine)
    yield engine.url.render_as_string(hide_password=False)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, base_url="http://testserver/fhir", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    svc = build_services(settings)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[Any]:
    from starlette.testclient import TestClient

    app = build_app(settings, services)
    with TestClient(app) as c:
        yield c
