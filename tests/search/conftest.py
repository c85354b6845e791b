"""Search tests share one loaded demo database per module and backend (the data is read-only there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openror.app.factory import build_app, build_services
from openror.config import Settings
from tests.conftest import _truncate


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def module_client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from starlette.testclient import TestClient

    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('search')) / 'openror.db'}"
    else:
        engine: sa.Engine = request.getfixturevalue("pg_engine")
        _truncate(engine)
        url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, base_url="http://testserver/fhir", _env_file=None)  # type: ignore[call-arg]
    services = build_services(settings)
    with TestClient(build_app(settings, services)) as c:
        yield c
    services.engine.dispose()
