"""Every one of the 36 ROR SearchParameters (CapabilityStatement names) finds what it should (checklist 8).

The demo data carries most values; one extra EG (tariffs, closing, drop zone, period end) and one
extra Location (residential capacity, equipment limit) cover the rest.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import orjson
import pytest

from tests.search.test_scenarios import DEMO, FINESS, H, key

NOS = "https://mos.esante.gouv.fr/NOS"
SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition"


def cc(table: str, code: str) -> dict[str, Any]:
    name = table.replace("_", "-", 1)
    return {"coding": [{"system": f"{NOS}/{table}/FHIR/{name}", "code": code}]}


def _demo_resource(rtype: str, ident: str) -> dict[str, Any]:
    for e in DEMO["entry"]:
        r = e["resource"]
        if r["resourceType"] == rtype and ident in orjson.dumps(r.get("identifier")).decode():
            return copy.deepcopy(r)
    raise LookupError(ident)


def _extra_org() -> dict[str, Any]:
    org = _demo_resource("Organization", "440052785")
    org.pop("partOf", None)
    org["identifier"] = [{"system": FINESS, "value": "990000001",
                          "type": org["identifier"][1].get("type", {})}]  # fmt: skip
    org["name"] = "EHPAD DE TEST"
    price = {
        "url": f"{SD}/ror-organization-price",
        "extension": [
            {"url": "priceType", "valueCodeableConcept": cc("TRE_R246-TypeTarif", "02")},
            {"url": "priceUnit", "valueCodeableConcept": cc("TRE_R248-UniteTarif", "01")},
            {"url": "amount", "valueMoney": {"value": 72.5, "currency": "EUR"}},
            {"url": "startDate", "valueDate": "2026-01-01"},
            {"url": "residentialType", "valueCodeableConcept": cc("TRE_R242-TypeHabitation", "01")},
            {"url": "specialPrice", "valueCodeableConcept": cc("TRE_R250-ConditionTarifaire", "03")},
            {"url": "welcomeType", "valueCodeableConcept": cc("TRE_R240-TemporaliteAccueil", "01")},
            {"url": "dependencyLevel", "valueCodeableConcept": cc("TRE_R237-GroupeTarifaireDependance", "01")},
        ],
    }
    org["extension"] = [
        e for e in org["extension"] if "organization-period" not in e["url"]
    ] + [
        price,
        {"url": "http://hl7.org/fhir/StructureDefinition/organization-period",
         "valuePeriod": {"start": "2000-01-01", "end": "2026-06-30"}},
        {"url": f"{SD}/ror-organization-closing-type", "valueCodeableConcept": cc("TRE_R333-TypeFermetureCapacite", "01")},
        {"url": f"{SD}/ror-organization-drop-zone", "valueBoolean": True},
    ]  # fmt: skip
    return org


def _extra_location() -> dict[str, Any]:
    loc = _demo_resource("Location", "52/193403")
    loc["identifier"] = [{"value": "52/999999"}]
    loc["extension"] = [e for e in loc["extension"] if "supported-capacity" not in e["url"]] + [
        {"url": f"{SD}/ror-location-residential-capacity", "extension": [
            {"url": "residentialType", "valueCodeableConcept": cc("TRE_R242-TypeHabitation", "02")},
            {"url": "residentialNumber", "valueInteger": 12}]},
        {"url": f"{SD}/ror-location-equipment", "extension": [
            {"url": "equipmentType", "valueCodeableConcept": cc("TRE_R212-Equipement", "083")},
            {"url": f"{SD}/ror-location-equipment-limit", "extension": [
                {"url": "equipmentFeature", "valueCodeableConcept": cc("TRE_R339-CaracteristiqueEquipement", "01")},
                {"url": "limitValue", "valueQuantity": {"value": 150, "system": "http://unitsofmeasure.org",
                                                         "code": "kg"}}]}]},
    ]  # fmt: skip
    return loc


@pytest.fixture(scope="module")
def data(module_client: Any) -> Any:
    assert module_client.post("/fhir", json=DEMO, headers=H).status_code == 200
    for body in (_extra_org(), _extra_location()):
        r = module_client.post(f"/fhir/{body['resourceType']}", json=body, headers=H)
        assert r.status_code == 201, r.text
    return module_client


C330 = f"{NOS}/TRE_R330-TypeStatutCapacite/FHIR/TRE-R330-TypeStatutCapacite"
CASES: list[tuple[str, str, str, set[str]]] = [
    # Location capacities (demo Location 11/204517 has 7 records, psy 3, ENVOL in places)
    ("Location", "capacity-status", f"{C330}|06", {"11/204517"}),
    ("Location", "capacity-type", "02", {"52/193402", "52/193403"}),
    ("Location", "temporality-capacity", "03", {"11/204517"}),
    ("Location", "nb-capacity", "gt30", {"52/193402"}),
    ("Location", "capacity-update-date", "ge2026-11-22", {"11/204517", "52/193402"}),
    ("Location", "capacity-update-date", "lt2026-10", {"52/193403"}),
    ("Location", "capacity-closing-type", "01", {"11/204517"}),
    ("Location", "additional-bed-type", "02", {"11/204517"}),
    ("Location", "crisis-type", "02", {"11/204517"}),
    ("Location", "gender-capacity-available", "02", {"11/204517", "52/193402"}),
    ("Location", "temporary-assignement", "01", {"11/204517", "11/204518", "52/193402", "52/193403"}),
    ("Location", "equipment-type", "097", {"11/204518"}),
    ("Location", "equipment-feature", "01", {"52/999999"}),
    ("Location", "limit-value", "ge100", {"52/999999"}),
    ("Location", "residential-type", "02", {"52/999999"}),
    ("Location", "residential-number", "12", {"52/999999"}),
    ("Location", "commune-cog", "44109", {"52/193402", "52/193403", "52/999999"}),
    # HealthcareService
    ("HealthcareService", "age-range-low", "le12", {"11/0051203", "52/0018734"}),
    ("HealthcareService", "age-range-high", "lt20", {"52/0018734", "52/0018735"}),
    ("HealthcareService", "patient-type", "07", {"11/0051203"}),
    ("HealthcareService", "intervention-zone", "44143", {"52/0018735"}),
    ("HealthcareService", "psychiatric-sector", "75i", {"11/0042018"}),
    ("HealthcareService", "notavailable-closing-reopeningdate", "ge2026-12-25", {"52/0018735"}),
    ("HealthcareService", "equipment-type", "112", {"11/0042017"}),
    # Organization
    ("Organization", "closing-type", "01", {"990000001"}),
    ("Organization", "drop-zone", "true", {"990000001"}),
    ("Organization", "period-end", "le2026-12-31", {"990000001"}),
    ("Organization", "oi-name", "département de cardio", {"11/0007421"}),
    ("Organization", "price-amount-value", "lt80", {"990000001"}),
    ("Organization", "price-type", "02", {"990000001"}),
    ("Organization", "price-unit", "01", {"990000001"}),
    ("Organization", "price-validity-start-date", "2026", {"990000001"}),
    ("Organization", "price-residential-type", "01", {"990000001"}),
    ("Organization", "special-price", "03", {"990000001"}),
    ("Organization", "price-welcome-type", "01", {"990000001"}),
    ("Organization", "price-dependency-level", "01", {"990000001"}),
]


@pytest.mark.parametrize(("rtype", "name", "value", "expected"), CASES, ids=[c[1] for c in CASES])
def test_ror_parameter(data: Any, rtype: str, name: str, value: str, expected: set[str]) -> None:
    r = data.get(f"/fhir/{rtype}", params={name: value})
    assert r.status_code == 200, r.text
    assert {key(e["resource"]) for e in r.json()["entry"]} == expected


def test_every_ror_parameter_is_covered() -> None:
    files = [f for f in (resources.files("openror.definitions") / "searchparameters").iterdir()
             if f.name.startswith("SearchParameter-ror-sp")]  # fmt: skip
    names = set()
    for f in files:
        sp = orjson.loads(f.read_bytes())
        names.add({"amount-value": "price-amount-value"}.get(sp["code"], sp["code"]))
    covered = {c[1] for c in CASES} | {"near-insee-code"}  # near-insee-code: tests/search/test_geo_search.py
    assert names <= covered, names - covered


def test_sort_chained_price_date(data: Any) -> None:
    r = data.get("/fhir/Organization", params={"price-type": "02", "_sort": "-price-validity-start-date"})
    assert r.status_code == 200
