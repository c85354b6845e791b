"""IG search scenarios of spec b.1-b.4, b.7-b.9 on the demo data, table-driven, SQLite and PostgreSQL alike.

Each row: resource type, query, expected matches, expected includes — by first identifier value (or id).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import pytest

H = {"Content-Type": "application/fhir+json"}
DEMO = orjson.loads((resources.files("openror.definitions") / "demo" / "demo-bundle.json").read_bytes())

R30 = "https://mos.esante.gouv.fr/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM"
R211 = "https://mos.esante.gouv.fr/NOS/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle"
R227 = "https://mos.esante.gouv.fr/NOS/TRE_R227-ChampActivite/FHIR/TRE-R227-ChampActivite"
R213 = "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/TRE-R213-ModePriseEnCharge"
R330 = "https://mos.esante.gouv.fr/NOS/TRE_R330-TypeStatutCapacite/FHIR/TRE-R330-TypeStatutCapacite"
R329 = "https://mos.esante.gouv.fr/NOS/TRE_R329-NatureCapacite/FHIR/TRE-R329-NatureCapacite"
R212 = "https://mos.esante.gouv.fr/NOS/TRE_R212-Equipement/FHIR/TRE-R212-Equipement"
R352 = "https://mos.esante.gouv.fr/NOS/TRE_R352-StatutMetierAnomalie/FHIR/TRE-R352-StatutMetierAnomalie"
R13 = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
FINESS = "https://finess.esante.gouv.fr"
RPPS = "urn:oid:1.2.250.1.71.4.2.1"
REV_HCS = ("_revinclude", "HealthcareService:location")
HCS_SET = [
    ("_include", "HealthcareService:organization"),
    ("_include:iterate", "Organization:partof"),
    ("_include", "HealthcareService:location"),
    ("_revinclude", "PractitionerRole:service"),
    ("_include", "PractitionerRole:practitioner"),
]

LOC_ALL = {"11/204517", "11/204518", "52/193402", "52/193403", "ror-location-exemple"}
HCS_ALL = {"11/0042017", "11/0042018", "11/0051203", "52/0018734", "52/0018735", "06/0099999"}

SCENARIOS: list[tuple[str, str, list[tuple[str, str]], set[str], set[str]]] = [
    # b.1 capacity consultation
    ("b1-national", "Location", [REV_HCS], LOC_ALL, {"11/0042017", "11/0042018", "52/0018734", "52/0018735"}),
    ("b1-region", "Location", [("_tag", "52"), REV_HCS], {"52/193402", "52/193403"}, {"52/0018734", "52/0018735"}),
    ("b1-region-system", "Location", [("_tag", f"{R30}|11")], {"11/204517", "11/204518"}, set()),
    (
        "b1-postalcode",
        "Location",
        [("address-postalcode", "44,22,29,56"), REV_HCS],
        {"52/193402", "52/193403"},
        {"52/0018734", "52/0018735"},
    ),
    ("b1-one-place", "Location", [("identifier", "52/193402"), REV_HCS], {"52/193402"}, {"52/0018734"}),
    ("b1-several", "Location", [("identifier", "11/204517,11/204518")], {"11/204517", "11/204518"}, set()),
    (
        "b1-known-offers",
        "Location",
        [("_has:HealthcareService:location:identifier", "11/0042017,52/0018735"), REV_HCS],
        {"11/204517", "52/193403"},
        {"11/0042017", "52/0018735"},
    ),
    # b.2 extraction of the offer
    (
        "b2-establishment-above",
        "HealthcareService",
        [("organization:above.identifier", f"{FINESS}|750150104")],
        {"11/0042017", "11/0042018"},
        set(),
    ),
    (
        "b2-establishment-direct",
        "HealthcareService",
        [("organization.identifier", f"{FINESS}|750150104")],
        {"11/0042018"},
        set(),
    ),
    (
        "b2-one-offer-full-set",
        "HealthcareService",
        [("identifier", "11/0042017"), *HCS_SET],
        {"11/0042017"},
        {"11/0007421", "750150104", "750078115", "11/204517", "11/SO-0093551", "810009876540"},
    ),
    (
        "b2-anomalies",
        "HealthcareService",
        [("identifier", "11/0042017"), ("_revinclude", "Task:focus")],
        {"11/0042017"},
        {"11/ANO-2026-000148"},
    ),
    ("b2-region", "HealthcareService", [("_tag", f"{R30}|52")], {"52/0018734", "52/0018735"}, set()),
    # b.3 main criteria
    ("b3-specialty", "HealthcareService", [("specialty", f"{R211}|013")], {"11/0042017"}, set()),
    ("b3-service-type", "HealthcareService", [("service-type", f"{R227}|04")], {"52/0018734", "52/0018735"}, set()),
    (
        "b3-service-type-not",
        "HealthcareService",
        [("service-type:not", f"{R227}|04")],
        HCS_ALL - {"52/0018734", "52/0018735"},
        set(),
    ),
    (
        "b3-characteristic",
        "HealthcareService",
        [("characteristic", f"{R213}|28")],
        {"11/0042017", "11/0042018", "06/0099999"},
        set(),
    ),
    (
        "b3-age-filter",
        "HealthcareService",
        [("_filter", "(age-range-low le 12 and age-range-high ge 12)")],
        {"11/0051203", "52/0018734"},
        set(),
    ),
    (
        "b3-age-params",
        "HealthcareService",
        [("age-range-low", "le12"), ("age-range-high", "ge12")],
        {"11/0051203", "52/0018734"},
        set(),
    ),
    ("b3-psy-sector", "HealthcareService", [("psychiatric-sector", "75I14")], {"11/0042018"}, set()),
    ("b3-near", "HealthcareService", [("location.near", "48.8219|2.3326|2|km")], {"11/0042017", "11/0042018"}, set()),
    ("b3-intervention-zone", "HealthcareService", [("intervention-zone", f"{R13}|44109")], {"52/0018735"}, set()),
    ("b3-anomaly", "HealthcareService", [("_has:Task:focus:business-status", f"{R352}|02")], {"11/0042017"}, set()),
    (
        "b3-practitioner",
        "HealthcareService",
        [("_has:PractitionerRole:service:practitioner.identifier", f"{RPPS}|810009876557")],
        {"11/0051203"},
        set(),
    ),
    (
        "b3-postalcode-chain",
        "HealthcareService",
        [("location.address-postalcode", "75014")],
        {"11/0042017", "11/0042018"},
        set(),
    ),
    # b.4 with capacities
    (
        "b4-available",
        "HealthcareService",
        [("location.capacity-status", f"{R330}|02"), ("location.nb-capacity", "gt0")],
        {"11/0042017", "11/0042018", "52/0018734"},
        set(),
    ),
    ("b4-places", "HealthcareService", [("location.capacity-type", f"{R329}|02")], {"52/0018734", "52/0018735"}, set()),
    ("b4-equipment", "HealthcareService", [("location.equipment-type", f"{R212}|097")], {"11/0042018"}, set()),
    # b.7 anomalies
    ("b7-focus-chain", "Task", [("focus:HealthcareService.identifier", "11/0042017")], {"11/ANO-2026-000148"}, set()),
    (
        "b7-business-status",
        "Task",
        [("business-status", f"{R352}|02")],
        {"11/ANO-2026-000148", "ror-task-exemple"},
        set(),
    ),
    # b.9 full text
    ("b9-content-hcs", "HealthcareService", [("_content", "cardiologie")], {"11/0042017"}, set()),
    ("b9-content-stem", "Organization", [("_content", "CARDIOLOGIQUE")], {"11/0007421"}, set()),
    ("b9-content-filter", "HealthcareService", [("_filter", "location._content co télémétrie")], {"11/0042017"}, set()),
]


def key(resource: dict[str, Any]) -> str:
    ident = resource.get("identifier")
    if isinstance(ident, dict):
        ident = [ident]
    if ident:
        # EJ/EG: the FINESS number; others: their first identifier
        for i in ident:
            if i.get("system") == FINESS:
                return str(i["value"])
        return str(ident[-1]["value"]) if resource["resourceType"] == "Location" else str(ident[0]["value"])
    return str(resource["id"])


@pytest.fixture(scope="module")
def demo(module_client: Any) -> Any:
    r = module_client.post("/fhir", json=DEMO, headers=H)
    assert r.status_code == 200, r.text
    return module_client


def run(client: Any, rtype: str, params: list[tuple[str, str]]) -> tuple[set[str], set[str], dict[str, Any]]:
    r = client.get(f"/fhir/{rtype}", params=params)
    assert r.status_code == 200, r.text
    bundle = r.json()
    matches = {key(e["resource"]) for e in bundle["entry"] if e["search"]["mode"] == "match"}
    includes = {key(e["resource"]) for e in bundle["entry"] if e["search"]["mode"] == "include"}
    return matches, includes, bundle


@pytest.mark.parametrize(("name", "rtype", "params", "matches", "includes"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario(demo: Any, name: str, rtype: str, params: list[tuple[str, str]], matches: set[str],
                  includes: set[str]) -> None:  # fmt: skip
    got_matches, got_includes, bundle = run(demo, rtype, params)
    assert got_matches == matches
    assert got_includes == includes
    assert bundle["total"] == len(matches)
    assert bundle["type"] == "searchset"


def test_last_updated_delta(demo: Any) -> None:
    _, _, before = run(demo, "Location", [("identifier", "11/204518")])
    loc = before["entry"][0]["resource"]
    since = loc["meta"]["lastUpdated"]
    ops = [{"op": "replace", "path": "/name", "value": "Psychiatrie ado (renommé)"}]
    r = demo.patch(f"/fhir/Location/{loc['id']}", json=ops, headers={"Content-Type": "application/json-patch+json"})
    assert r.status_code == 200
    got, _, _ = run(demo, "Location", [("_lastUpdated", f"gt{since}"), REV_HCS])
    assert got == {"11/204518"}


def test_near_adds_distance_and_sorts(demo: Any) -> None:
    _, _, bundle = run(demo, "Location", [("near", "47.2304|-1.5369|10|km"), ("_sort", "near")])
    ids = [key(e["resource"]) for e in bundle["entry"]]
    assert ids == ["52/193403", "52/193402"]
    dist = [e["search"]["extension"][0]["valueDistance"]["value"] for e in bundle["entry"]]
    assert dist[0] < 0.1 < dist[1] < 10
