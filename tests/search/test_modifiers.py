"""Modifiers, prefixes and combinations on the demo data, both databases (checklist 6, 13-15)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.search.test_scenarios import DEMO, FINESS, R30, H, key

TYPE_R355 = "https://mos.esante.gouv.fr/NOS/TRE_R355-TypeIdentifiantOffre/FHIR/TRE-R355-TypeIdentifiantOffre"
PROFILE_HCS = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-healthcareservice"


@pytest.fixture(scope="module")
def demo(module_client: Any) -> Any:
    assert module_client.post("/fhir", json=DEMO, headers=H).status_code == 200
    return module_client


def found(client: Any, rtype: str, params: list[tuple[str, str]]) -> set[str]:
    r = client.get(f"/fhir/{rtype}", params=params)
    assert r.status_code == 200, r.text
    return {key(e["resource"]) for e in r.json()["entry"] if e["search"]["mode"] == "match"}


CASES: list[tuple[str, str, list[tuple[str, str]], set[str]]] = [
    ("missing-true", "Location", [("identifier:missing", "true")], {"ror-location-exemple"}),
    ("missing-false", "HealthcareService", [("psychiatric-sector:missing", "false")], {"11/0042018"}),
    ("of-type", "HealthcareService", [("identifier:of-type", f"{TYPE_R355}|35|11/0042017")], {"11/0042017"}),
    ("token-text", "HealthcareService", [("service-type:text", "medico")], {"52/0018734", "52/0018735"}),
    ("token-no-system", "Organization", [("identifier", "|11/0007421")], set()),
    ("token-system-only", "Organization", [("identifier", f"{FINESS}|"), ("_tag", "52")], {"440045946", "440052785"}),
    ("string-exact", "Organization", [("name:exact", "ENVOL LOIRE ATLANTIQUE")], {"440045946", "440052785"}),
    ("string-exact-case", "Organization", [("name:exact", "envol loire atlantique")], set()),
    ("string-contains", "Organization", [("name:contains", "montsouris")], {"750078115", "750150104"}),
    ("string-accents", "HealthcareService", [("name", "medecine")], set()),
    ("string-prefix-accents", "HealthcareService", [("name", "consultations de medecine")], {"11/0051203"}),
    ("typed-reference", "PractitionerRole", [("service:HealthcareService.identifier", "11/0051203")], {"11/SO-0102214"}),
    ("chain-two-levels", "PractitionerRole", [("service.organization.identifier", f"{FINESS}|750011108")],
     {"11/SO-0102214"}),
    ("below-reference-chain", "Organization", [("partof:below.identifier", "11/0007421")], {"750150104", "11/0007421"}),
    ("above-hierarchy", "HealthcareService", [("organization:above.identifier", f"{FINESS}|750078115")],
     {"11/0042017", "11/0042018"}),
    ("has-nested", "Practitioner", [("_has:PractitionerRole:practitioner:_has:Task:focus:_id", "none")], set()),
    ("has-chain", "Practitioner", [("_has:PractitionerRole:practitioner:service.identifier", "11/0042017")],
     {"810009876540"}),
    ("profile-uri", "HealthcareService", [("_profile", PROFILE_HCS), ("_tag", "52")], {"52/0018734", "52/0018735"}),
    ("profile-below", "HealthcareService", [("_profile:below", "https://interop.esante.gouv.fr/ig/fhir/ror/"),
                                            ("_tag", f"{R30}|52")], {"52/0018734", "52/0018735"}),
    ("and-repetition", "HealthcareService", [("_tag", "11"), ("_tag", f"{R30}|11"), ("service-type", "03")],
     {"11/0042018"}),
    ("or-comma", "HealthcareService", [("identifier", "11/0042017,52/0018734,nothing")], {"11/0042017", "52/0018734"}),
    ("filter-or-above", "HealthcareService",
     [("_filter", "(identifier eq 11/0042017 or organization:above.identifier eq 750011108)")],
     {"11/0042017", "11/0051203"}),
    ("filter-not", "HealthcareService", [("_filter", "not (_tag eq 11) and not (_tag eq 06)")],
     {"52/0018734", "52/0018735"}),
    ("filter-string-ops", "Organization", [("_filter", "name sw ENVOL and name ew atlantique and name co loire")],
     {"440045946", "440052785"}),
    ("filter-date-chain", "HealthcareService",
     [("_filter", "(_lastUpdated ge 2000-01-01 or organization:above._lastUpdated ge 2000-01-01) and _tag eq 52")],
     {"52/0018734", "52/0018735"}),
    ("lastupdated-future", "Location", [("_lastUpdated", "gt2999-01-01")], set()),
    ("date-eb", "HealthcareService", [("notavailable-closing-reopeningdate", "eb2030")], {"52/0018735"}),
    ("number-ne", "Location", [("nb-capacity", "ne24"), ("_tag", "11")], {"11/204517", "11/204518"}),
    ("quantity-units", "HealthcareService", [("age-range-high", "ge100|https://mos.esante.gouv.fr/NOS/TRE_R247-UcumUniteMesure/FHIR/TRE-R247-UcumUniteMesure|a")],
     {"11/0042017", "11/0051203", "06/0099999"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "rtype", "params", "expected"), CASES, ids=[c[0] for c in CASES])
def test_modifier(demo: Any, name: str, rtype: str, params: list[tuple[str, str]], expected: set[str]) -> None:
    assert found(demo, rtype, params) == expected


def test_sort_chained_and_tiebreak(demo: Any) -> None:
    r = demo.get("/fhir/HealthcareService", params={"_sort": "-organization.name,_id", "_tag": "11"}).json()
    names = [e["resource"]["providedBy"]["display"] for e in r["entry"]]
    assert len(names) == 3
    r2 = demo.get("/fhir/HealthcareService", params={"_sort": "-organization.name,_id", "_tag": "11"}).json()
    assert [e["resource"]["id"] for e in r["entry"]] == [e["resource"]["id"] for e in r2["entry"]]
