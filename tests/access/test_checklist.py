"""Spec checklist items 25-29 (profiles) and issue 5 point 5 (write permissions), over HTTP, on both databases.

The corpus is small and hand-made so each assertion names the rule it checks (docs/security.md):
an establishment EG-A (with an internal organisation OI-A) and EG-B, a médico-social offer with a
restricted contact, an MCO offer with a restricted contact, a sensitive unit with its own place,
a city-practice offer with a role and a practitioner, a place shared by EG-A's and EG-B's offers
carrying installed / available / supplementary capacities, and an anomaly report on the sensitive unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from openror.app.factory import Services, build_app
from openror.config import Settings
from openror.fhir.access import AccessContext, Role
from openror.fhir.search.extract import index_rows
from openror.store.repository import Write
from tests import factories
from tests.access.corpus import SD, TRE_R227, level_ext, telecom

NOS = "https://mos.esante.gouv.fr/NOS/{0}/FHIR/{1}"
SYSTEMS = {
    "capacityType": NOS.format("TRE_R329-NatureCapacite", "TRE-R329-NatureCapacite"),
    "capacityStatus": NOS.format("TRE_R330-TypeStatutCapacite", "TRE-R330-TypeStatutCapacite"),
    "temporalityCapacity": NOS.format("TRE_R331-TemporaliteCapacite", "TRE-R331-TemporaliteCapacite"),
    "capacitySourceType": NOS.format("TRE_R335-TypeSourceCapacite", "TRE-R335-TypeSourceCapacite"),
    "temporaryAssignement": NOS.format("TRE_R337-AffectationTemporaire", "TRE-R337-AffectationTemporaire"),
}
CHANNEL = NOS.format("TRE_R200-CanalCommunication", "TRE-R200-CanalCommunication")


def _coded(status: str) -> list[tuple[str, dict[str, Any]]]:
    codes = {"capacityType": "01", "capacityStatus": status, "temporalityCapacity": "01",
             "capacitySourceType": "02", "temporaryAssignement": "01"}  # fmt: skip
    out = [
        (url, {"valueCodeableConcept": {"coding": [{"system": SYSTEMS[url], "code": c}]}}) for url, c in codes.items()
    ]
    return out


def capacity(status: str, n: int) -> dict[str, Any]:
    """A complete ror-location-supported-capacity record (the 7 required sub-extensions)."""
    subs = [{"url": url, **value} for url, value in _coded(status)]
    subs += [
        {"url": "nbCapacity", "valueInteger": n},
        {"url": "capacityUpdateDate", "valueDateTime": "2026-11-01T10:00:00+01:00"},
    ]
    return {"url": CAPACITY, "extension": subs}


def capacity_parts(status: str, n: int) -> dict[str, Any]:
    """The same record as FHIRPath Patch parts (R4 Parameters have no valueExtension)."""

    def sub(url: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"name": "extension", "part": [{"name": "url", "valueUri": url}, {"name": "value", **value}]}

    parts = [{"name": "url", "valueUri": CAPACITY}, *(sub(url, value) for url, value in _coded(status))]
    parts += [
        sub("nbCapacity", {"valueInteger": n}),
        sub("capacityUpdateDate", {"valueDateTime": "2026-11-02T10:00:00+01:00"}),
    ]
    return {"part": parts}


def phone(value: str, level: str) -> dict[str, Any]:
    t = telecom(value, level)
    t["extension"].append({"url": SD + "ror-telecom-communication-channel",
                           "valueCodeableConcept": {"coding": [{"system": CHANNEL, "code": "2"}]}})  # fmt: skip
    return t


CAPACITY = SD + "ror-location-supported-capacity"


def offer(
    rid: str, field: str, provider: str, *, sensitive: bool = False, contact: str = "1", locs: tuple[str, ...] = ()
) -> dict[str, Any]:
    hcs: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": rid,
        "name": f"Offre {rid}",
        "extension": [
            {"url": SD + "ror-healthcareservice-sensitive-unit", "valueBoolean": sensitive},
            {
                "url": SD + "ror-healthcareservice-contact",
                "extension": [
                    level_ext("ror-confidentiality-level", contact),
                    {"url": "name", "valueString": f"accueil {rid}"},
                ],
            },
        ],
        "type": [{"coding": [{"system": TRE_R227, "code": field}]}],
        "providedBy": {"reference": f"Organization/{provider}"},
    }
    if locs:
        hcs["location"] = [{"reference": f"Location/{loc}"} for loc in locs]
    return hcs


def place(rid: str, name: str, *, identifier: str | None = None, telecoms: list[dict[str, Any]] | None = None,
          capacities: list[dict[str, Any]] | None = None, manager: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A valid ror-location (the IG example) with our id, name, telecoms and capacity records."""
    loc = factories.location(identifier)
    loc |= {"id": rid, "name": name}
    loc.pop("managingOrganization", None)
    if telecoms:
        loc["telecom"] = telecoms
    loc["extension"] = [e for e in loc["extension"] if e["url"] != CAPACITY] + (capacities or [])
    if manager:
        loc["managingOrganization"] = {"reference": f"Organization/{manager}"}
    return loc


def corpus() -> list[dict[str, Any]]:
    org_contact = {
        "extension": [level_ext("ror-contact-confidentiality-level", "2")],
        "name": {"text": "direction"},
        "telecom": [telecom("0100000002", "2"), telecom("0100000003", "3")],
    }
    return [
        {"resourceType": "Organization", "id": "eg-a", "name": "EG A", "contact": [org_contact],
         "extension": [{"url": SD + "ror-organization-drop-zone", "valueBoolean": True}]},
        {"resourceType": "Organization", "id": "oi-a", "name": "OI A", "partOf": {"reference": "Organization/eg-a"}},
        {"resourceType": "Organization", "id": "eg-b", "name": "EG B"},
        {"resourceType": "Organization", "id": "eg-c", "name": "EG C"},
        place("shared", "Plateau partage", identifier="eg-c/shared",
              telecoms=[phone("0200000001", "1"), phone("0200000002", "2"), phone("0200000003", "3")],
              capacities=[capacity("01", 20), capacity("02", 3), capacity("06", 2)]),
        place("secret-place", "Unite protegee", capacities=[capacity("02", 4)]),
        place("eg-c-place", "Batiment C", manager="eg-c"),
        offer("ms", "04", "oi-a", contact="2", locs=("shared",)),
        offer("mco", "01", "eg-b", contact="2", locs=("shared",)),
        offer("sensitive", "01", "eg-a", sensitive=True, locs=("secret-place",)),
        offer("ville", "05", "eg-b", contact="3"),
        {"resourceType": "PractitionerRole", "id": "role-ville", "healthcareService": [{"reference": "HealthcareService/ville"}],
         "practitioner": {"reference": "Practitioner/dr-ville"}, "telecom": [telecom("0300000001", "1")]},
        {"resourceType": "PractitionerRole", "id": "role-sensitive", "healthcareService": [{"reference": "HealthcareService/sensitive"}],
         "practitioner": {"reference": "Practitioner/dr-sensitive"}},
        {"resourceType": "PractitionerRole", "id": "role-mco", "healthcareService": [{"reference": "HealthcareService/mco"}],
         "practitioner": {"reference": "Practitioner/dr-mco"}},
        {"resourceType": "Practitioner", "id": "dr-ville", "name": [{"family": "Ville"}], "telecom": [telecom("0400000002", "2")]},
        {"resourceType": "Practitioner", "id": "dr-sensitive", "name": [{"family": "Secret"}]},
        {"resourceType": "Practitioner", "id": "dr-mco", "name": [{"family": "Hopital"}]},
        {"resourceType": "Task", "id": "about-sensitive", "status": "requested", "intent": "order",
         "focus": {"reference": "HealthcareService/sensitive"}},
    ]  # fmt: skip


def _context(request: Request) -> AccessContext:
    profile, role, *perimeter = request.headers.get("x-test-ctx", "1:admin").split(":")
    return AccessContext(f"test-{role}-{profile}", Role(role), int(profile), frozenset(p for p in perimeter if p))


@pytest.fixture
def api(settings: Settings, services: Services) -> Iterator[TestClient]:
    services.store.commit([Write(r["resourceType"], r["id"], 0, "PUT", r, index_rows(r)) for r in corpus()])
    with TestClient(build_app(settings, services, context=_context)) as client:
        yield client


def as_(profile: int, role: str = "consumer", *perimeter: str) -> dict[str, str]:
    return {"x-test-ctx": ":".join([str(profile), role, *perimeter])}


def ids(client: TestClient, url: str, profile: int, mode: str = "match") -> set[str]:
    r = client.get(url, headers=as_(profile))
    assert r.status_code == 200, r.text
    return {e["resource"]["id"] for e in r.json().get("entry", []) if e["search"]["mode"] == mode}


def read(client: TestClient, path: str, profile: int) -> dict[str, Any] | None:
    r = client.get(f"/fhir/{path}", headers=as_(profile))
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def phones(resource: dict[str, Any] | None) -> set[str]:
    assert resource is not None
    found = {t["value"] for t in resource.get("telecom", [])}
    for c in resource.get("contact", []):
        found |= {t["value"] for t in c.get("telecom", [])}
    return found


def capacity_statuses(resource: dict[str, Any] | None) -> list[str]:
    assert resource is not None
    out = []
    for ext in resource.get("extension", []):
        if ext["url"] == CAPACITY:
            out += [
                s["valueCodeableConcept"]["coding"][0]["code"] for s in ext["extension"] if s["url"] == "capacityStatus"
            ]
    return sorted(out)


ALL_OFFERS = {"ms", "mco", "sensitive", "ville"}


def test_profile_0_public_only(api: TestClient) -> None:
    """Item 25: no restricted contact or telecom, no sensitive unit, no capacities, city-practice roles only."""
    org = read(api, "Organization/eg-a", 0)
    assert org is not None and "contact" not in org and "extension" not in org  # restricted contact, ORSAN
    assert org["meta"]["security"][0]["code"] == "SUBSETTED"
    assert phones(read(api, "Location/shared", 0)) == {"0200000001"}
    assert capacity_statuses(read(api, "Location/shared", 0)) == []
    assert ids(api, "/fhir/Location?nb-capacity=gt0", 0) == set()
    assert ids(api, "/fhir/HealthcareService", 0) == ALL_OFFERS - {"sensitive"}
    assert read(api, "HealthcareService/sensitive", 0) is None
    assert ids(api, "/fhir/PractitionerRole", 0) == {"role-ville"}
    assert ids(api, "/fhir/Practitioner", 0) == {"dr-ville"}
    assert phones(read(api, "Practitioner/dr-ville", 0)) == set()  # its restricted phone
    assert ids(api, "/fhir/Organization?_content=direction", 0) == set()  # a word of the restricted contact only


def test_profiles_2_and_5(api: TestClient) -> None:
    """Item 26: no très restreint; profile 2 without supplementary capacities; profile 5 installed only."""
    for profile in (2, 5):
        assert phones(read(api, "Location/shared", profile)) == {"0200000001", "0200000002"}
        assert phones(read(api, "Organization/eg-a", profile)) == {"0100000002"}
    assert capacity_statuses(read(api, "Location/shared", 2)) == ["01", "02"]
    assert capacity_statuses(read(api, "Location/shared", 5)) == ["01"]
    assert ids(api, "/fhir/Location?capacity-status=06", 2) == set()
    assert ids(api, "/fhir/Location?capacity-status=02", 5) == set()
    assert ids(api, "/fhir/Location?capacity-status=01", 5) == {"shared"}
    assert "extension" not in (read(api, "Organization/eg-a", 2) or {})  # ORSAN: profiles 1 and 4 only


def test_profile_3_medico_social(api: TestClient) -> None:
    """Item 27: full (non-très-restreint) data for médico-social offers, public only otherwise."""
    ms = read(api, "HealthcareService/ms", 3)
    mco = read(api, "HealthcareService/mco", 3)
    assert ms is not None and mco is not None
    contact = SD + "ror-healthcareservice-contact"
    assert any(e["url"] == contact for e in ms["extension"])  # restricted contact of the MS offer
    assert not any(e["url"] == contact for e in mco["extension"])  # restricted contact of the MCO offer
    # The shared place is used by a médico-social offer: restricted telecom and capacities (no supplementary).
    assert capacity_statuses(read(api, "Location/shared", 3)) == ["01", "02"]
    assert ids(api, "/fhir/PractitionerRole", 3) == set()  # no médico-social role
    # EG-A provides no offer directly (its OI does): public contacts only.
    assert phones(read(api, "Organization/eg-a", 3)) == set()


def test_profile_4(api: TestClient) -> None:
    """Item 28: everything except non-public contacts and telecoms; sees sensitive units."""
    assert phones(read(api, "Location/shared", 4)) == {"0200000001"}
    assert capacity_statuses(read(api, "Location/shared", 4)) == ["01", "02", "06"]
    assert ids(api, "/fhir/HealthcareService", 4) == ALL_OFFERS
    assert read(api, "Location/secret-place", 4) is not None
    assert ids(api, "/fhir/Practitioner", 4) == {"dr-ville", "dr-sensitive", "dr-mco"}
    assert phones(read(api, "Practitioner/dr-ville", 4)) == set()


def test_sensitive_units_hidden_everywhere(api: TestClient) -> None:
    """Item 29: a sensitive unit and its place, roles, practitioners and tasks, for profiles 0, 2, 3, 5."""
    for profile in (0, 2, 3, 5):
        for path in ("HealthcareService/sensitive", "Location/secret-place", "PractitionerRole/role-sensitive",
                     "Practitioner/dr-sensitive", "Task/about-sensitive"):  # fmt: skip
            assert read(api, path, profile) is None, (profile, path)
            r = api.get(f"/fhir/{path}/_history", headers=as_(profile))
            assert r.status_code == 404
        url = (
            "/fhir/HealthcareService?_include=HealthcareService:location&_revinclude=PractitionerRole:service"
            "&_include=PractitionerRole:practitioner&_revinclude=Task:focus"
        )
        included = ids(api, url, profile, "include")
        assert not included & {"secret-place", "role-sensitive", "dr-sensitive", "about-sensitive"}, profile
        assert ids(api, "/fhir/Location?_has:HealthcareService:location:_id=sensitive", profile) == set()
        assert ids(api, "/fhir/Task", profile) == set()
        r = api.get("/fhir/HealthcareService?_summary=count", headers=as_(profile))
        assert r.json()["total"] == 3
    for profile in (1, 4):
        assert ids(api, "/fhir/Location?_has:HealthcareService:location:_id=sensitive", profile) == {"secret-place"}
        assert read(api, "Task/about-sensitive", profile) is not None


def test_facts_follow_changes(api: TestClient, services: Services) -> None:
    """Making the unit non-sensitive shows its place, role, practitioner and task to profile 0 at once."""
    assert read(api, "Location/secret-place", 0) is None
    unit = next(r for r in corpus() if r["id"] == "sensitive")
    unit["extension"][0]["valueBoolean"] = False
    unit["type"][0]["coding"][0]["code"] = "05"  # and city practice: its role becomes public
    services.store.commit([Write("HealthcareService", "sensitive", 1, "PUT", unit, index_rows(unit))])
    for path in ("HealthcareService/sensitive", "Location/secret-place", "PractitionerRole/role-sensitive",
                 "Practitioner/dr-sensitive", "Task/about-sensitive"):  # fmt: skip
        assert read(api, path, 0) is not None, path
    # And back: hidden again in the same commit as the change.
    unit["extension"][0]["valueBoolean"] = True
    services.store.commit([Write("HealthcareService", "sensitive", 2, "PUT", unit, index_rows(unit))])
    assert read(api, "Practitioner/dr-sensitive", 0) is None
    assert ids(api, "/fhir/Task", 0) == set()


# -- write permissions (issue 5 point 5) ------------------------------------------------------------------


def patch_capacity(client: TestClient, location: str, headers: dict[str, str], *, path: str | None = None) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "add"},
                    {"name": "path", "valueString": "Location"},
                    {"name": "name", "valueString": "extension"},
                    {"name": "value", **capacity_parts("02", 9)},
                ],
            }
        ],
    }
    return client.patch(
        path or f"/fhir/Location/{location}", json=body, headers=headers | {"content-type": "application/fhir+json"}
    )


def test_supplier_perimeter_through_references(api: TestClient) -> None:
    """The shared place belongs to EG-A (via the MS offer of its OI) and EG-B (via the MCO offer)."""
    for eg in ("eg-a", "eg-b"):
        r = patch_capacity(api, "shared", as_(1, "supplier", eg))
        assert r.status_code == 200, r.text
    r = patch_capacity(api, "shared", as_(1, "supplier", "eg-c"))
    assert r.status_code == 403
    assert r.json()["issue"][0]["code"] == "forbidden"
    # The identifier's prefix says eg-c: the perimeter comes from references, not from it.
    r = patch_capacity(api, "", as_(1, "supplier", "eg-c"), path="/fhir/Location?identifier=eg-c/shared")
    assert r.status_code == 403
    # managingOrganization counts.
    assert patch_capacity(api, "eg-c-place", as_(1, "supplier", "eg-c")).status_code == 200
    assert patch_capacity(api, "eg-c-place", as_(1, "supplier", "eg-a")).status_code == 403


def test_supplier_may_only_touch_capacities(api: TestClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Location.name"},
                    {"name": "value", "valueString": "Renamed"},
                ],
            }
        ],
    }
    r = api.patch(
        "/fhir/Location/shared",
        json=body,
        headers=as_(1, "supplier", "eg-a") | {"content-type": "application/fhir+json"},
    )
    assert r.status_code == 403
    assert "supported-capacity" in r.json()["issue"][0]["diagnostics"]


def test_role_permissions(api: TestClient) -> None:
    assert patch_capacity(api, "shared", as_(1, "consumer")).status_code == 403
    r = api.delete("/fhir/Location/shared", headers=as_(1, "supplier", "eg-a"))
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
    r = api.put(
        "/fhir/Organization/eg-a", json={"resourceType": "Organization", "id": "eg-a"}, headers=as_(1, "consumer")
    )
    assert r.status_code == 403
    # A hidden Location does not exist for a supplier whose profile may not see it.
    assert patch_capacity(api, "secret-place", as_(2, "supplier", "eg-a")).status_code == 404
