"""``openror import nos`` on SQLite and PostgreSQL: samples, precedence, no-op re-import, bad input, validation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from typer.testing import CliRunner

from openror.app.factory import Services
from openror.cli.import_nos import app as nos_app
from openror.fhir.terminology import nos_url
from openror.ingest.nos import NosImporter
from openror.services.terminology import StoredTerminology
from tests.conftest import DATA
from tests.factories import healthcare_service

NOS = DATA / "nos"
J30 = nos_url("JDV", "J30-TemporaliteAccueil-ROR")
R240 = nos_url("TRE", "R240-TemporaliteAccueil")
R81 = nos_url("TRE", "R81-Civilite")
runner = CliRunner()


def _count(services: Services, sql: str) -> int:
    with services.engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


def _versions(services: Services) -> int:
    return _count(services, "select count(*) from resource_version")


def _by_name(reports: list[Any]) -> dict[str, Any]:
    return {Path(r.file.path).name: r for r in reports}


def test_samples_import_with_precedence_and_a_reimport_writes_nothing(services: Services) -> None:
    reports = _by_name(NosImporter(services.directory).run([NOS]))
    written = {n: r.file.created for n, r in reports.items() if r.file.created}
    # Tables that are not packaged are stored; so is the NOS JSON identical to the packaged copy.
    assert written == {
        "JDV_J30-TemporaliteAccueil-ROR.tabs": 1,
        "JDV_J207-Civilite-ROR.tabs": 1,
        "TRE_R81-Civilite.tabs": 1,
        "JDV_J34-CategorieOrganisation-ROR.tabs": 1,
        "CodeSystem-TRE-R227-ChampActivite.json": 1,
    }
    assert all(r.file.rejected == 0 for r in reports.values())
    # Older or poorer copies of packaged tables are skipped, with the reason.
    skipped = {n: r.skipped[0]["reason"] for n, r in reports.items() if r.skipped}
    assert set(skipped) == {
        "TRE_R213-ModePriseEnCharge.tabs",
        "TRE_R207-TypeOrganisationInterne.tabs",
        "JDV_J55-CategorieEG-ROR.tabs",
        "JDV_J187-NatureCapacite-ROR.tabs",
        "TRE_R211-ActiviteOperationnelle.derived-code-display.csv",
    }
    assert (
        "kept the packaged CodeSystem/TRE-R213-ModePriseEnCharge (2023-01-27, FHIR JSON)"
        in skipped["TRE_R213-ModePriseEnCharge.tabs"]
    )
    assert "no date, derived CSV" in skipped["TRE_R211-ActiviteOperationnelle.derived-code-display.csv"]
    cur = services.store.read("ValueSet", "JDV-J30-TemporaliteAccueil-ROR")
    assert cur is not None and cur.body is not None
    vs = orjson.loads(cur.body)
    assert vs["compose"]["include"] == [
        {"system": R240, "concept": [{"code": "01", "display": "Temporaire"}, {"code": "02", "display": "Permanent"}]}
    ]
    # Write validation sees the stored tables at once (same process).
    term = services.directory.terminology
    assert term.has_value_set(J30) and term.has_code_system(R81)
    assert term.is_retired(R81, "MLLE") == "dateFin 2016-09-01"
    versions = _versions(services)
    again = NosImporter(services.directory).run([NOS])
    assert [(r.file.created, r.file.updated, r.file.rejected) for r in again] == [(0, 0, 0)] * len(again)
    assert sum(r.file.unchanged for r in again) == 5
    assert _versions(services) == versions


def test_a_newer_table_replaces_the_stored_one_an_older_one_is_skipped(services: Services, tmp_path: Path) -> None:
    original = (NOS / "TRE_R81-Civilite.tabs").read_text(encoding="utf-8")
    newer = original.replace(";;20200424120000", ";;20250101120000") + (
        "1.2.250.1.213.1.6.1.69;X;Autre;X;Autre;20250101120000;;20250101120000\n"
    )
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "TRE_R81-Civilite.tabs").write_text(newer, encoding="utf-8")
    first = NosImporter(services.directory).run([NOS / "TRE_R81-Civilite.tabs"])
    assert first[0].file.created == 1
    update = NosImporter(services.directory).run([tmp_path / "new"])
    assert (update[0].file.updated, update[0].skipped) == (1, [])
    assert services.directory.terminology.lookup(R81, "X") == "Autre"
    older = NosImporter(services.directory).run([NOS / "TRE_R81-Civilite.tabs"])
    assert older[0].file.updated == 0
    assert "kept the stored CodeSystem/TRE-R81-Civilite (2025-01-01, .tabs)" in older[0].skipped[0]["reason"]


def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(services: Services, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    tmp_path = tmp_path / "in"
    tmp_path.mkdir()
    text = (NOS / "TRE_R81-Civilite.tabs").read_text(encoding="utf-8")
    (tmp_path / "TRE_R81-Civilite.tabs").write_bytes(text.encode("latin-1"))
    whole = gzip.compress((NOS / "JDV_J30-TemporaliteAccueil-ROR.tabs").read_bytes())
    (tmp_path / "JDV_J30-TemporaliteAccueil-ROR.tabs.gz").write_bytes(whole[: len(whole) // 2])
    j207 = (NOS / "JDV_J207-Civilite-ROR.tabs").read_text(encoding="utf-8")
    (tmp_path / "JDV_J207-Civilite-ROR.tabs").write_text(j207.replace("MME;Madame", "MME;Madame;extra"), "utf-8")
    (tmp_path / "patient.json").write_text(json.dumps({"resourceType": "Patient", "id": "p"}))
    (tmp_path / "notes.txt").write_text("hello")
    paths = [tmp_path / n for n in sorted(p.name for p in tmp_path.iterdir())]
    reports = _by_name(NosImporter(services.directory).run(paths))
    reasons = {n: " ".join(j["reason"] for j in r.file.rejects) for n, r in reports.items()}
    assert "not utf-8 (byte 0xe0 at line 1)" in reasons["TRE_R81-Civilite.tabs"]
    assert "truncated or corrupt gzip file" in reasons["JDV_J30-TemporaliteAccueil-ROR.tabs.gz"]
    assert "line 6: 4 fields, 3 expected: the table is refused" in reasons["JDV_J207-Civilite-ROR.tabs"]
    assert "Patient is not a CodeSystem or ValueSet" in reasons["patient.json"]
    assert "not a NOS file" in reasons["notes.txt"]
    assert _count(services, "select count(*) from resource") == 0
    # The same files through the command line: exit code 1 and a JSON report.
    url = services.engine.url.render_as_string(hide_password=False)
    r = runner.invoke(nos_app, [*map(str, paths), "--database-url", url, "--report", str(report)])
    assert r.exit_code == 1, r.output
    assert sum(x["rejected"] for x in json.loads(report.read_text())) == 5
    latin1 = runner.invoke(nos_app, [str(paths[2]), "--encoding", "latin-1", "--database-url", url])
    assert latin1.exit_code == 0, latin1.output
    assert services.store.read("CodeSystem", "TRE-R81-Civilite") is not None


def test_cli_packaged_and_usage(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    r = runner.invoke(nos_app, ["--packaged", "--database-url", db_url, "--report", str(report)])
    assert r.exit_code == 0, r.output
    rep = json.loads(report.read_text())
    assert rep[0]["path"] == "packaged" and rep[0]["created"] == 64 and rep[0]["rejected"] == 0
    assert runner.invoke(nos_app, ["--database-url", db_url]).exit_code == 2


def test_api_validates_against_a_table_imported_by_another_process(
    client: Any, services: Services, db_url: str
) -> None:
    # The API process looks at the store at every write here (default: every 2 s).
    StoredTerminology.for_store(services.store).check_interval = 0

    def hcs(code: str) -> dict[str, Any]:
        body = healthcare_service()
        body["characteristic"].append({"coding": [{"system": R240, "code": code}]})  # receptionType, JDV_J30
        return body

    # JDV_J30 is not packaged: a code absent from TRE_R240 is accepted with a warning.
    before = client.post("/fhir/HealthcareService", json=hcs("03"), headers={"Prefer": "return=OperationOutcome"})
    assert before.status_code == 201, before.text
    assert any("JDV_J30-TemporaliteAccueil-ROR is not loaded" in i["diagnostics"] for i in before.json()["issue"])
    r = runner.invoke(nos_app, [str(NOS / "JDV_J30-TemporaliteAccueil-ROR.tabs"), "--database-url", db_url])
    assert r.exit_code == 0, r.output
    refused = client.post("/fhir/HealthcareService", json=hcs("03"))
    assert refused.status_code == 422, refused.text
    assert "code '03' is not in JDV_J30-TemporaliteAccueil-ROR" in refused.text
    accepted = client.post("/fhir/HealthcareService", json=hcs("01"), headers={"Prefer": "return=OperationOutcome"})
    assert accepted.status_code == 201, accepted.text
    assert not any("JDV_J30" in i["diagnostics"] for i in accepted.json()["issue"])
