"""``openror import rpps`` on SQLite and PostgreSQL: sample, re-import no-op, grouping, rejects, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from typer.testing import CliRunner

from openror.app.factory import Services
from openror.cli.import_rpps import app as rpps_app
from openror.fhir.access import SYSTEM
from openror.ingest.rpps import RppsImporter
from openror.ingest.rpps.mapping import PRACTITIONER_ID_SYSTEM
from tests.ingest.rpps_helpers import SAMPLE, line, write

runner = CliRunner()


def _versions(services: Services) -> int:
    with services.engine.connect() as c:
        return int(c.execute(sa.text("select count(*) from resource_version")).scalar_one())


def _body(services: Services, rid: str) -> dict[str, Any]:
    cur = services.store.read("Practitioner", rid)
    assert cur is not None and cur.body is not None
    body: dict[str, Any] = orjson.loads(cur.body)
    return body


def test_sample_imports_and_a_reimport_writes_nothing(services: Services) -> None:
    report = RppsImporter(services.directory, batch_size=10).run(SAMPLE)
    assert (report.lines, report.persons, report.sorted_by_person) == (22, 22, True)
    f = report.file
    assert (f.created, f.updated, f.unchanged, f.rejected) == (22, 0, 0, 0)
    assert services.store.count("Practitioner") == 22
    ids = services.store.match_ids("Practitioner", [("identifier", PRACTITIONER_ID_SYSTEM, "0010001949")])
    assert ids == ["rpps-0010001949"]
    versions = _versions(services)
    again = RppsImporter(services.directory).run(SAMPLE).file
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 22, 0)
    assert _versions(services) == versions


def test_unsorted_lines_give_the_same_practitioners_and_rejects_are_reported(
    services: Services, tmp_path: Path
) -> None:
    kine = {"Code profession": "70", "Libellé profession": "Masseur-Kinésithérapeute"}
    lines = [
        line("10000000001"),
        line("10000000002"),
        line("10000000001", values=kine),  # same professional, not contiguous
        line("10000000003"),
        line("10000000003", values={"Prénom d'exercice": "Autreprénom"}),  # conflicting identity
        "|".join(line("10000000004").split("|")[:7]),  # malformed: the professional is rejected
        line("10000000005", values={"Identification nationale PP": ""}),  # malformed, no id
        line("10000000006"),
    ]
    # Another Practitioner already carries professional 6's identifier (created by the API).
    other = {
        "resourceType": "Practitioner",
        "identifier": [{"system": PRACTITIONER_ID_SYSTEM, "value": "810000000006"}],
        "name": [{"family": "EXISTANT"}],
    }
    taken = services.directory.create(SYSTEM, "Practitioner", other)
    report = RppsImporter(services.directory).run(write(tmp_path / "f.txt", lines))
    assert (report.lines, report.persons, report.sorted_by_person) == (8, 6, False)
    f = report.file
    assert (f.created, f.rejected) == (2, 4)
    reasons = {r["where"]: r["reason"] for r in f.rejects}
    assert reasons["line 8"] == "empty Identification nationale PP"
    assert (
        "different identity on lines 5 and 6 (Prénom d'exercice)"
        in reasons["Identification nationale PP 810000000003 (lines 5, 6)"]
    )
    assert (
        "line 7: 7 fields, 52 expected: professional not imported"
        in reasons["Identification nationale PP 810000000004 (line 7)"]
    )
    assert f"already carried by Practitioner/{taken.id}" in reasons["Identification nationale PP 810000000006 (line 9)"]
    p1 = _body(services, "rpps-810000000001")
    assert [q["code"]["coding"][0]["code"] for q in p1["qualification"]] == ["60", "70"]
    assert services.store.read("Practitioner", "rpps-810000000003") is None
    # The same professionals from a sorted file: identical resources, no new version.
    versions = _versions(services)
    sorted_lines = [lines[0], lines[2], lines[1]]
    again = RppsImporter(services.directory).run(write(tmp_path / "sorted.txt", sorted_lines))
    assert (again.sorted_by_person, again.file.unchanged, again.file.created) == (True, 2, 0)
    assert _versions(services) == versions


def test_cli(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    ok = runner.invoke(rpps_app, [str(SAMPLE), "--database-url", db_url, "--report", str(report), "--trusted"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(report.read_text())["created"] == 22
    bad = tmp_path / "bad.txt"
    bad.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("latin-1"))
    refused = runner.invoke(rpps_app, [str(bad), "--database-url", db_url, "--report", str(report)])
    assert refused.exit_code == 1
    rep = json.loads(report.read_text())
    assert rep["created"] == 0 and "not UTF-8" in rep["rejects"][0]["reason"]
