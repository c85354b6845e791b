"""near and near-insee-code (spec b.3, checklist 9): distance filter, distance in entry.search, sort."""

from __future__ import annotations

from typing import Any

import pytest

from tests.search.test_scenarios import DEMO, H, key


@pytest.fixture(scope="module")
def demo(module_client: Any) -> Any:
    assert module_client.post("/fhir", json=DEMO, headers=H).status_code == 200
    return module_client


def test_near_insee_code_finds_places_of_the_commune(demo: Any) -> None:
    r = demo.get("/fhir/Location", params={"near-insee-code": "44109|5|km", "_sort": "near"})
    assert r.status_code == 200, r.text
    entries = r.json()["entry"]
    assert [key(e["resource"]) for e in entries] == ["52/193403", "52/193402"]
    for e in entries:
        assert e["search"]["extension"][0]["valueDistance"]["value"] < 5


def test_near_insee_code_chained_from_offers(demo: Any) -> None:
    r = demo.get("/fhir/HealthcareService", params={"location.near-insee-code": "75056|10|km"})
    assert {key(e["resource"]) for e in r.json()["entry"]} == {"11/0042017", "11/0042018"}


def test_near_insee_code_distance_matters(demo: Any) -> None:
    # Rezé (44143) is next to Nantes: 1 km excludes the Nantes places, 10 km includes them
    near = demo.get("/fhir/Location", params={"near-insee-code": "44143|1|km"}).json()
    far = demo.get("/fhir/Location", params={"near-insee-code": "44143|10|km"}).json()
    assert {key(e["resource"]) for e in far["entry"]} == {"52/193402", "52/193403"}
    assert {key(e["resource"]) for e in near["entry"]} < {key(e["resource"]) for e in far["entry"]}


@pytest.mark.parametrize("value", ["99999|5|km", "4410|5|km", "44109|5|parsecs", "44109|-3|km"])
def test_near_insee_code_bad_values(demo: Any, value: str) -> None:
    r = demo.get("/fhir/Location", params={"near-insee-code": value})
    assert r.status_code == 400
    assert r.json()["resourceType"] == "OperationOutcome"


def test_near_units_and_bounds(demo: Any) -> None:
    metres = demo.get("/fhir/Location", params={"near": "47.2304|-1.5369|500|m"}).json()
    assert {key(e["resource"]) for e in metres["entry"]} == {"52/193403"}
    assert demo.get("/fhir/Location", params={"near": "91|0|1|km"}).status_code == 400
