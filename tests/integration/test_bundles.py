"""Batch and transaction Bundles on SQLite and PostgreSQL: atomicity and urn:uuid rewriting."""

from __future__ import annotations

from typing import Any

from openror.app.factory import Services
from tests.factories import healthcare_service, location, task

H = {"Content-Type": "application/fhir+json"}


def _txn(entries: list[dict[str, Any]], kind: str = "transaction") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def test_transaction_rewrites_urn_uuid(client: Any) -> None:
    loc_urn = "urn:uuid:7f1e7c40-0000-4000-8000-000000000001"
    hcs = healthcare_service()
    hcs["location"] = [{"reference": loc_urn}]
    bundle = _txn(
        [
            {
                "fullUrl": loc_urn,
                "resource": location("T1"),
                "request": {"method": "POST", "url": "Location"},
            },
            {"resource": hcs, "request": {"method": "POST", "url": "HealthcareService"}},
        ]
    )
    r = client.post("/fhir", json=bundle, headers=H)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["type"] == "transaction-response"
    assert [e["response"]["status"] for e in out["entry"]] == ["201 Created", "201 Created"]
    loc_id = out["entry"][0]["resource"]["id"]
    hcs_id = out["entry"][1]["resource"]["id"]
    stored = client.get(f"/fhir/HealthcareService/{hcs_id}").json()
    assert stored["location"] == [{"reference": f"Location/{loc_id}"}]


def test_transaction_is_atomic(client: Any, services: Services) -> None:
    before = services.store.count()
    bad = task()
    del bad["businessStatus"]
    bundle = _txn(
        [
            {"resource": location(), "request": {"method": "POST", "url": "Location"}},
            {"resource": bad, "request": {"method": "POST", "url": "Task"}},
        ]
    )
    r = client.post("/fhir", json=bundle, headers=H)
    assert r.status_code == 422
    assert "entry 1" in r.json()["issue"][0]["diagnostics"]
    assert services.store.count() == before
    assert client.get("/fhir/_history").json()["entry"] == []


def test_transaction_conditional_and_order(client: Any) -> None:
    existing = client.post("/fhir/Location", json=location("X1"), headers=H).json()
    urn = "urn:uuid:7f1e7c40-0000-4000-8000-000000000002"
    hcs = healthcare_service()
    hcs["location"] = [{"reference": urn}]
    bundle = _txn(
        [
            {
                "fullUrl": urn,
                "resource": location("X1"),
                "request": {
                    "method": "POST",
                    "url": "Location",
                    "ifNoneExist": "identifier=https://ror.example.org/idExterneSynchro|X1",
                },
            },
            {"resource": hcs, "request": {"method": "POST", "url": "HealthcareService"}},
            {"request": {"method": "GET", "url": f"Location/{existing['id']}"}},
        ]
    )
    out = client.post("/fhir", json=bundle, headers=H).json()
    assert out["entry"][0]["response"]["status"] == "200 OK"
    assert out["entry"][1]["resource"]["location"] == [{"reference": f"Location/{existing['id']}"}]
    assert out["entry"][2]["resource"]["id"] == existing["id"]


def test_transaction_rejects_double_write_and_bad_shapes(client: Any) -> None:
    body = location()
    body["id"] = "dup"
    bundle = _txn(
        [
            {"resource": body, "request": {"method": "PUT", "url": "Location/dup"}},
            {"resource": body, "request": {"method": "PUT", "url": "Location/dup"}},
        ]
    )
    assert client.post("/fhir", json=bundle, headers=H).status_code == 400
    assert client.post("/fhir", json={"resourceType": "Bundle", "type": "collection"}, headers=H).status_code == 400
    assert client.post("/fhir", json=location(), headers=H).status_code == 400
    assert client.post("/fhir", json=_txn([{"request": {"method": "POST"}}]), headers=H).status_code == 400


def test_batch_reports_each_entry(client: Any) -> None:
    bad = task()
    del bad["businessStatus"]
    bundle = _txn(
        [
            {"resource": location(), "request": {"method": "POST", "url": "Location"}},
            {"resource": bad, "request": {"method": "POST", "url": "Task"}},
            {"request": {"method": "GET", "url": "Location/none"}},
            {"request": {"method": "DELETE", "url": "Location/none"}},
        ],
        kind="batch",
    )
    out = client.post("/fhir", json=bundle, headers=H).json()
    assert out["type"] == "batch-response"
    statuses = [e["response"]["status"].split()[0] for e in out["entry"]]
    assert statuses == ["201", "422", "404", "404"]
    assert out["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"


def test_transaction_patch_and_delete(client: Any) -> None:
    t = client.post("/fhir/Task", json=task(), headers=H).json()
    loc = client.post("/fhir/Location", json=location(), headers=H).json()
    patch = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Task.description"},
                    {"name": "value", "valueString": "fixed"},
                ],
            }
        ],
    }
    bundle = _txn(
        [
            {"resource": patch, "request": {"method": "PATCH", "url": f"Task/{t['id']}"}},
            {"request": {"method": "DELETE", "url": f"Location/{loc['id']}"}},
        ]
    )
    out = client.post("/fhir", json=bundle, headers=H).json()
    assert [e["response"]["status"] for e in out["entry"]] == ["200 OK", "204 No Content"]
    assert client.get(f"/fhir/Task/{t['id']}").json()["description"] == "fixed"
    assert client.get(f"/fhir/Location/{loc['id']}").status_code == 410
