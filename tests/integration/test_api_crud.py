"""Every FHIR interaction and status code over HTTP, on SQLite and PostgreSQL (spec checklist 2, 3, 17, 20-22, 31)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import location, task

FHIR = "application/fhir+json"
H = {"Content-Type": FHIR}
CREATION = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-meta-creation-date"


def create(client: Any, body: dict[str, Any], **headers: str) -> Any:
    r = client.post(f"/fhir/{body['resourceType']}", json=body, headers={**H, **headers})
    assert r.status_code == 201, r.text
    return r


def outcome(r: Any) -> dict[str, Any]:
    body = r.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"] and all("code" in i for i in body["issue"])
    return body


def test_create_read_vread(client: Any) -> None:
    r = create(client, location())
    res = r.json()
    rid = res["id"]
    assert r.headers["location"] == f"http://testserver/fhir/Location/{rid}/_history/1"
    assert r.headers["etag"] == 'W/"1"'
    assert r.headers["last-modified"].endswith("GMT")
    assert res["meta"]["versionId"] == "1"
    assert res["meta"]["profile"][0].endswith("/ror-location")
    assert res["meta"]["lastUpdated"].startswith("20")
    assert any(e["url"] == CREATION for e in res["extension"])
    read = client.get(f"/fhir/Location/{rid}")
    assert read.status_code == 200
    assert read.headers["content-type"].startswith(FHIR)
    assert read.json() == res
    assert read.headers["etag"] == 'W/"1"'
    assert client.get(f"/fhir/Location/{rid}", headers={"If-None-Match": 'W/"1"'}).status_code == 304
    assert client.get(f"/fhir/Location/{rid}/_history/1").json() == res
    outcome(client.get(f"/fhir/Location/{rid}/_history/9"))
    assert client.get(f"/fhir/Location/{rid}/_history/9").status_code == 404


def test_read_errors(client: Any) -> None:
    r = client.get("/fhir/Location/unknown")
    assert r.status_code == 404
    outcome(r)
    assert client.get("/fhir/Patient/x").status_code == 404
    assert client.get("/fhir/Location/bad$id").status_code == 400
    assert client.get("/nothing-here").status_code == 404
    outcome(client.get("/nothing-here"))


def test_server_assigns_id_on_create_and_keeps_creation_date(client: Any) -> None:
    body = location()
    body["id"] = "client-chosen"
    res = create(client, body).json()
    assert res["id"] != "client-chosen"
    created = next(e["valueDateTime"] for e in res["extension"] if e["url"] == CREATION)
    upd = dict(res, extension=[e for e in res["extension"] if e["url"] != CREATION], name="Renamed")
    r = client.put(f"/fhir/Location/{res['id']}", json=upd, headers=H)
    assert r.status_code == 200, r.text
    assert next(e["valueDateTime"] for e in r.json()["extension"] if e["url"] == CREATION) == created


def test_update_and_update_as_create(client: Any) -> None:
    body = location()
    body["id"] = "loc-1"
    r = client.put("/fhir/Location/loc-1", json=body, headers=H)
    assert r.status_code == 201
    assert r.json()["meta"]["versionId"] == "1"
    body["name"] = "Changed"
    r = client.put("/fhir/Location/loc-1", json=body, headers=H)
    assert r.status_code == 200
    assert r.headers["etag"] == 'W/"2"'
    assert r.headers["content-location"].endswith("/Location/loc-1/_history/2")
    # identical content: no new version
    r = client.put("/fhir/Location/loc-1", json=body, headers=H)
    assert r.status_code == 200 and r.headers["etag"] == 'W/"2"'
    # id mismatch
    r = client.put("/fhir/Location/other", json=body, headers=H)
    assert r.status_code == 400
    outcome(r)


def test_if_match(client: Any) -> None:
    res = create(client, location()).json()
    rid = res["id"]
    res["name"] = "v2"
    r = client.put(f"/fhir/Location/{rid}", json=res, headers={**H, "If-Match": 'W/"7"'})
    assert r.status_code == 412
    outcome(r)
    r = client.put(f"/fhir/Location/{rid}", json=res, headers={**H, "If-Match": 'W/"1"'})
    assert r.status_code == 200
    r = client.put(f"/fhir/Location/{rid}", json=res, headers={**H, "If-Match": "garbage"})
    assert r.status_code == 400


def test_conditional_create(client: Any) -> None:
    ine = {"If-None-Exist": "identifier=https://ror.example.org/idExterneSynchro|S1"}
    first = create(client, location("S1"), **ine)
    again = client.post("/fhir/Location", json=location("S1"), headers={**H, **ine})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["meta"]["versionId"] == "1"
    create(client, location("S1"))  # unconditional: a duplicate identifier is allowed
    r = client.post("/fhir/Location", json=location("S1"), headers={**H, **ine})
    assert r.status_code == 412
    bad = client.post("/fhir/Location", json=location("S1"), headers={**H, "If-None-Exist": "name=x"})
    assert bad.status_code == 400
    assert "name" in outcome(bad)["issue"][0]["diagnostics"]


def test_conditional_update(client: Any) -> None:
    q = "/fhir/Location?identifier=https://ror.example.org/idExterneSynchro|C1"
    r = client.put(q, json=location("C1"), headers=H)
    assert r.status_code == 201
    rid = r.json()["id"]
    body = location("C1")
    body["name"] = "updated"
    r = client.put(q, json=body, headers=H)
    assert r.status_code == 200 and r.json()["id"] == rid and r.json()["meta"]["versionId"] == "2"
    create(client, location("C1"))
    assert client.put(q, json=body, headers=H).status_code == 412


def test_conditional_patch_and_delete(client: Any) -> None:
    q = "/fhir/Location?identifier=https://ror.example.org/idExterneSynchro|P1"
    patch = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Location.name"},
                    {"name": "value", "valueString": "Patched"},
                ],
            }
        ],
    }
    r = client.patch(q, json=patch, headers=H)
    assert r.status_code == 404
    outcome(r)
    body = location("P1")
    body["name"] = "Before"
    rid = create(client, body).json()["id"]
    r = client.patch(q, json=patch, headers=H)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Patched" and r.headers["etag"] == 'W/"2"'
    create(client, location("P1"))
    assert client.patch(q, json=patch, headers=H).status_code == 412
    assert client.delete(q).status_code == 412
    assert client.delete("/fhir/Location?identifier=nothing|none").status_code == 204
    assert client.delete(f"/fhir/Location?_id={rid}").status_code == 204
    assert client.get(f"/fhir/Location/{rid}").status_code == 410


def test_patch_fhirpath_and_json(client: Any) -> None:
    t = create(client, task()).json()
    patch = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Task.businessStatus.coding[0].code"},
                    {"name": "value", "valueCode": "08"},
                ],
            }
        ],
    }
    r = client.patch(f"/fhir/Task/{t['id']}", json=patch, headers=H)
    assert r.status_code == 200, r.text
    assert r.json()["businessStatus"]["coding"][0]["code"] == "08"
    assert r.headers["etag"] == 'W/"2"'
    assert r.json()["meta"]["lastUpdated"] > t["meta"]["lastUpdated"]
    ops = [{"op": "replace", "path": "/description", "value": "corrigé"}]
    r = client.patch(f"/fhir/Task/{t['id']}", json=ops, headers={"Content-Type": "application/json-patch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "corrigé"
    assert r.json()["meta"]["versionId"] == "3"
    r = client.patch(
        f"/fhir/Task/{t['id']}",
        json=[{"op": "replace", "path": "/id", "value": "x"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert r.status_code == 400
    assert client.patch("/fhir/Task/missing", json=patch, headers=H).status_code == 404
    r = client.patch(f"/fhir/Task/{t['id']}", json={"resourceType": "Task"}, headers=H)
    assert r.status_code == 400


def test_delete_keeps_history(client: Any) -> None:
    rid = create(client, location()).json()["id"]
    assert client.delete(f"/fhir/Location/{rid}").status_code == 204
    r = client.get(f"/fhir/Location/{rid}")
    assert r.status_code == 410
    outcome(r)
    assert client.delete(f"/fhir/Location/{rid}").status_code == 204
    assert client.delete("/fhir/Location/never-was").status_code == 404
    hist = client.get(f"/fhir/Location/{rid}/_history").json()
    assert [e["request"]["method"] for e in hist["entry"]] == ["DELETE", "POST"]
    assert client.get(f"/fhir/Location/{rid}/_history/1").status_code == 200
    assert client.get(f"/fhir/Location/{rid}/_history/2").status_code == 410
    body = location()
    body["id"] = rid
    r = client.put(f"/fhir/Location/{rid}", json=body, headers=H)
    assert r.status_code == 201 and r.json()["meta"]["versionId"] == "3"


def test_history_paging_and_since(client: Any) -> None:
    ids = [create(client, location()).json()["id"] for _ in range(5)]
    h = client.get("/fhir/Location/_history?_count=2").json()
    assert h["type"] == "history" and len(h["entry"]) == 2
    seen = [e["resource"]["id"] for e in h["entry"]]
    while nxt := next((link["url"] for link in h["link"] if link["relation"] == "next"), None):
        h = client.get(nxt.replace("http://testserver", "")).json()
        seen += [e["resource"]["id"] for e in h["entry"]]
    assert seen == list(reversed(ids))
    third = client.get(f"/fhir/Location/{ids[2]}").json()["meta"]["lastUpdated"]
    since = client.get("/fhir/_history", params={"_since": third}).json()
    assert [e["resource"]["id"] for e in since["entry"]] == list(reversed(ids[2:]))
    assert client.get("/fhir/_history?_since=notadate").status_code == 400
    assert client.get("/fhir/_history?_count=-1").status_code == 400
    assert client.get("/fhir/_history?foo=1").status_code == 400


def test_prefer_return(client: Any) -> None:
    r = client.post("/fhir/Location", json=location(), headers={**H, "Prefer": "return=minimal"})
    assert r.status_code == 201 and r.content == b"" and r.headers["location"]
    r = client.post("/fhir/Location", json=location(), headers={**H, "Prefer": "return=OperationOutcome"})
    assert r.status_code == 201 and r.json()["resourceType"] == "OperationOutcome"
    r = client.post("/fhir/Location", json=location(), headers={**H, "Prefer": "return=representation"})
    assert r.json()["resourceType"] == "Location"


def test_formats(client: Any) -> None:
    rid = create(client, location()).json()["id"]
    for fmt in ("xml", "application/fhir+xml", "text/xml"):
        r = client.get(f"/fhir/Location/{rid}?_format={fmt}")
        assert r.status_code == 406
        outcome(r)
    assert client.get(f"/fhir/Location/{rid}", headers={"Accept": "application/fhir+xml"}).status_code == 406
    assert client.get(f"/fhir/Location/{rid}?_format=json").status_code == 200
    assert client.get(f"/fhir/Location/{rid}", headers={"Accept": "application/fhir+json"}).status_code == 200
    pretty = client.get(f"/fhir/Location/{rid}?_pretty=true")
    assert b"\n  " in pretty.content
    r = client.post("/fhir/Location", content=b"<Location/>", headers={"Content-Type": "application/fhir+xml"})
    assert r.status_code == 415
    outcome(r)
    r = client.get("/fhir/metadata?_format=xml")
    assert r.status_code == 406


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b"", 400),
        (b'{"resourceType": "Organization"}', 400),
        (b'{"resourceType": "Location", "foo": 1}', 400),
    ],
)
def test_bad_bodies(client: Any, body: bytes, status: int) -> None:
    r = client.post("/fhir/Location", content=body, headers=H)
    assert r.status_code == status, r.text
    outcome(r)


def test_bad_inputs(client: Any) -> None:
    deep: dict[str, Any] = {"resourceType": "Location"}
    node = deep
    for _ in range(100):
        node["extension"] = [{"url": "x"}]
        node = node["extension"][0]
    assert client.post("/fhir/Location", json=deep, headers=H).status_code == 400
    huge = b'{"resourceType": "Location", "name": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = client.post("/fhir/Location", content=huge, headers=H)
    assert r.status_code == 413
    outcome(r)
    bad_date = location()
    bad_date["extension"] = [
        dict(e, valueDateTime="2024-13-45") if e["url"] == CREATION else e for e in bad_date["extension"]
    ]
    r = client.post("/fhir/Location", json=bad_date, headers=H)
    assert r.status_code == 400, r.text
    assert outcome(r)["issue"][0].get("expression")
    r = client.post("/fhir/Location", content=b'{"resourceType":"Location"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/fhir/Location", json=location())  # application/json is accepted
    assert r.status_code == 201


def test_profile_violation_is_422(client: Any) -> None:
    t = task()
    del t["businessStatus"]
    r = client.post("/fhir/Task", json=t, headers=H)
    assert r.status_code == 422, r.text
    issue = outcome(r)["issue"][0]
    assert "businessStatus" in " ".join(issue.get("expression", [])) + issue["diagnostics"]


def test_unknown_route_methods(client: Any) -> None:
    r = client.put("/fhir", json={})
    assert r.status_code == 405
    outcome(r)
    r = client.post("/fhir/metadata", json={}, headers=H)
    assert r.status_code == 404
    outcome(r)


def test_noop_patch_writes_no_version(client: Any) -> None:
    body = location()
    body["name"] = "Same"
    rid = create(client, body).json()["id"]
    patch = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Location.name"},
        {"name": "value", "valueString": "Same"},
    ]}]}  # fmt: skip
    r = client.patch(f"/fhir/Location/{rid}", json=patch, headers=H)
    assert r.status_code == 200 and r.headers["etag"] == 'W/"1"'
    assert len(client.get(f"/fhir/Location/{rid}/_history").json()["entry"]) == 1


def test_ig_invalid_patch_form_gets_a_hint(client: Any) -> None:
    rid = create(client, location()).json()["id"]
    patch = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "add"},
        {"name": "path", "valueString": "Location"},
        {"name": "name", "valueString": "extension"},
        {"name": "value", "part": [{"name": "nbCapacity", "valueInt": 2}]},
    ]}]}  # fmt: skip
    r = client.patch(f"/fhir/Location/{rid}", json=patch, headers=H)
    assert r.status_code == 400
    text = " ".join(i["diagnostics"] for i in outcome(r)["issue"])
    assert "valueInteger" in text
