"""``openror load`` and ``openror db upgrade`` from the command line, on SQLite and PostgreSQL (issue point 9)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from openror.cli.main import app
from openror.store.engine import make_engine
from openror.store.schema import metadata
from tests.factories import location, task

runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_db_upgrade_matches_schema(db_url: str) -> None:
    r = _run("db", "upgrade", "--database-url", db_url)
    assert r.exit_code == 0, r.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_load_formats_report_and_idempotence(db_url: str, tmp_path: Path) -> None:
    loc = location("L1")
    loc["id"] = "loc-a"
    (tmp_path / "one.json").write_bytes(orjson.dumps(loc))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": task()}, {"resource": location("L2")}],
    }
    (tmp_path / "bundle.json.gz").write_bytes(gzip.compress(orjson.dumps(bundle)))
    bad = task()
    del bad["businessStatus"]
    lines = [
        orjson.dumps(location("L3")),
        b"{broken",
        b"",
        orjson.dumps(bad),
        orjson.dumps({"resourceType": "Patient"}),
    ]
    (tmp_path / "many.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    report = tmp_path / "report.json"
    files = [str(tmp_path / n) for n in ("one.json", "bundle.json.gz", "many.ndjson")]
    r = _run("load", *files, "--database-url", db_url, "--report", str(report))
    assert r.exit_code == 1, r.output  # rejects make the command fail
    rep = json.loads(report.read_text())
    assert [(x["created"], x["updated"], x["unchanged"], x["rejected"]) for x in rep] == [
        (1, 0, 0, 0),
        (2, 0, 0, 0),
        (1, 0, 0, 3),
    ]
    reasons = " ".join(j["reason"] for j in rep[2]["rejects"])
    assert "not valid JSON" in reasons and "businessStatus" in reasons and "Patient" in reasons
    # Re-loading the same files creates no new version.
    engine = make_engine(db_url)
    with engine.connect() as c:
        versions = c.execute(sa.text("select count(*) from resource_version")).scalar_one()
    r = _run("load", *files[:2], "--database-url", db_url, "--report", str(report))
    assert r.exit_code == 0, r.output
    rep = json.loads(report.read_text())
    assert [(x["created"], x["updated"], x["unchanged"]) for x in rep] == [(0, 0, 1), (0, 0, 2)]
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from resource_version")).scalar_one() == versions
    engine.dispose()


def test_load_trusted_skips_structure_tier_only(db_url: str, tmp_path: Path) -> None:
    unknown = location("U1")
    unknown["notAnElement"] = True
    no_status = task()
    del no_status["businessStatus"]
    (tmp_path / "x.ndjson").write_bytes(orjson.dumps(unknown) + b"\n" + orjson.dumps(no_status) + b"\n")
    report = tmp_path / "r.json"
    _run("load", str(tmp_path / "x.ndjson"), "--database-url", db_url, "--trusted", "--report", str(report))
    rep = json.loads(report.read_text())[0]
    # tier (b) is skipped: the unknown element passes; tier (a) still refuses the Task
    assert (rep["created"], rep["rejected"]) == (1, 1)


def test_load_truncated_gzip_is_reported(db_url: str, tmp_path: Path) -> None:
    data = gzip.compress(b"\n".join(orjson.dumps(location(f"G{i}")) for i in range(50)))
    (tmp_path / "cut.ndjson.gz").write_bytes(data[: len(data) // 2])
    report = tmp_path / "r.json"
    r = runner.invoke(app, ["load", str(tmp_path / "cut.ndjson.gz"), "--database-url", db_url, "--report", str(report)])
    assert r.exit_code == 1
    rep = json.loads(report.read_text())[0]
    assert rep["created"] == 0 and "truncated or corrupt gzip" in rep["rejects"][0]["reason"]
    engine = make_engine(db_url)
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from resource")).scalar_one() == 0
    engine.dispose()


def test_reindex_rebuilds_rows_without_versions(db_url: str) -> None:
    from openror.app.factory import build_services
    from openror.config import Settings
    from openror.fhir.access import SYSTEM
    from openror.store.schema import idx_string, idx_token

    services = build_services(Settings(database_url=db_url, _env_file=None))  # type: ignore[call-arg]
    loc = services.directory.create(SYSTEM, "Location", location("R1"))
    with services.engine.begin() as c:  # simulate an index built by older definitions
        c.execute(sa.delete(idx_token))
        c.execute(sa.delete(idx_string))
    assert services.store.match_ids("Location", [("identifier", None, "R1")]) == []
    r = _run("reindex", "--database-url", db_url)
    assert r.exit_code == 0, r.output
    assert services.store.match_ids("Location", [("identifier", None, "R1")]) == [loc.id]
    assert services.store.read("Location", loc.id).version_id == 1  # type: ignore[union-attr]
    services.engine.dispose()


def test_load_fills_missing_displays(db_url: str, tmp_path: Path) -> None:
    body = location("D1")
    body["id"] = "loc-d1"
    body["type"][0]["coding"][0].pop("display")  # TRE_R343 001 « Hébergement », a packaged code system
    (tmp_path / "d.json").write_bytes(orjson.dumps(body))
    assert _run("load", str(tmp_path / "d.json"), "--database-url", db_url).exit_code == 0
    engine = make_engine(db_url)
    with engine.connect() as c:
        stored = orjson.loads(c.execute(sa.text("select body from resource where id='loc-d1'")).scalar_one())
    engine.dispose()
    assert stored["type"][0]["coding"][0]["display"]
