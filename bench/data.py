"""Deterministic (seeded) ROR data derived from the IG examples: Locations and HealthcareServices.

Every Location is the IG example ``Location-ror-location-exemple`` with a distinct id, identifier
(``idLocation`` slice), name, address, commune, position and one ``ror-location-supported-capacity``
record; every HealthcareService is the IG example ``HealthcareService-1234564`` with a distinct id,
identifier and name, pointing at one of the generated Locations, without the example's 15 KB
narrative (it describes the example's own data). The same seed gives the same bytes.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIRS = (ROOT / "tests" / "data" / "ig", ROOT.parent / "shared" / "ror-ig" / "examples")
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
NOS = "https://mos.esante.gouv.fr/NOS/"
LOCATION_ID_SYSTEM = "https://openror.example.org/bench/idLocation"
SERVICE_ID_SYSTEM = "https://openror.example.org/bench/idOffre"

# (COG code, city, postal code): real communes, so the commune extension stays plausible.
COMMUNES = (
    ("78646", "Versailles", "78000"),
    ("75056", "Paris", "75012"),
    ("69123", "Lyon", "69003"),
    ("13055", "Marseille", "13005"),
    ("31555", "Toulouse", "31059"),
    ("44109", "Nantes", "44093"),
    ("59350", "Lille", "59037"),
    ("33063", "Bordeaux", "33076"),
    ("67482", "Strasbourg", "67091"),
    ("35238", "Rennes", "35033"),
)
STREETS = ("rue porte de Buc", "rue de la République", "rue Pasteur", "rue Victor Hugo", "rue du Marché")


def _nos(tre: str, code: str) -> dict[str, Any]:
    name = tre.replace("_", "-")
    return {"coding": [{"system": f"{NOS}{tre}/FHIR/{name}", "code": code}]}


@cache
def example(name: str) -> dict[str, Any]:
    for folder in EXAMPLE_DIRS:
        path = folder / name
        if path.exists():
            data: dict[str, Any] = orjson.loads(path.read_bytes())
            return data
    raise FileNotFoundError(f"IG example {name} not found in {', '.join(str(d) for d in EXAMPLE_DIRS)}")


def _capacity(rng: random.Random) -> dict[str, Any]:
    return {
        "url": ROR_SD + "ror-location-supported-capacity",
        "extension": [
            {"url": "capacityType", "valueCodeableConcept": _nos("TRE_R329-NatureCapacite", rng.choice(["01", "02"]))},
            {"url": "capacityStatus", "valueCodeableConcept": _nos("TRE_R330-TypeStatutCapacite", "01")},
            {"url": "temporalityCapacity", "valueCodeableConcept": _nos("TRE_R331-TemporaliteCapacite", "01")},
            {"url": "nbCapacity", "valueInteger": rng.randint(1, 120)},
            {"url": "capacitySourceType", "valueCodeableConcept": _nos("TRE_R335-TypeSourceCapacite", "01")},
            {"url": "capacityUpdateDate", "valueDateTime": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00Z"},
            {"url": "temporaryAssignement", "valueCodeableConcept": _nos("TRE_R337-AffectationTemporaire", "01")},
        ],
    }


def location(i: int, rng: random.Random, *, with_id: bool = True, prefix: str = "bench-loc") -> dict[str, Any]:
    loc = copy.deepcopy(example("Location-ror-location-exemple.json"))
    loc.pop("id", None)
    loc["meta"].pop("lastUpdated", None)
    rid = f"{prefix}-{i:06d}"
    if with_id:
        loc = {"resourceType": "Location", "id": rid, **loc}
    cog, city, postal = COMMUNES[rng.randrange(len(COMMUNES))]
    loc["extension"][0]["valueCodeableConcept"]["coding"][0].update(code=cog, display=city)
    loc["extension"].append(_capacity(rng))
    loc["identifier"] = [
        {
            "type": {"coding": [{"code": "25", "display": "Identifiant fonctionnel du lieu"}]},
            "system": LOCATION_ID_SYSTEM,
            "value": rid,
        }
    ]
    loc["status"] = "active"
    loc["name"] = f"Lieu {i} - unité d'hébergement {rng.randint(1, 40)}"
    number, street = str(rng.randint(1, 250)), STREETS[rng.randrange(len(STREETS))]
    address = loc["address"]
    address["line"] = [f"{number} {street}"]
    exts = address["_line"][0]["extension"]
    exts[0]["valueString"] = number
    exts[2]["valueString"] = street.split(" ", 1)[1]
    address.update(city=city, postalCode=postal)
    loc["position"] = {
        "longitude": round(rng.uniform(-4.8, 8.2), 6),
        "latitude": round(rng.uniform(42.3, 51.1), 6),
    }
    return loc


def service(i: int, rng: random.Random, location_id: str) -> dict[str, Any]:
    hcs = copy.deepcopy(example("HealthcareService-1234564.json"))
    hcs["meta"].pop("lastUpdated", None)
    hcs.pop("text", None)  # 15 KB of narrative about the example's own data: dropped
    hcs["id"] = f"bench-hcs-{i:06d}"
    hcs["identifier"][0]["value"] = f"bench/{i:07d}"
    hcs["identifier"][0]["system"] = SERVICE_ID_SYSTEM
    hcs["name"] = f"{1000 + i}  Offre de soins {i} - HOSPITALISATION COMPLETE"
    hcs["location"] = [{"reference": f"Location/{location_id}"}]
    # The example misses its profile's required characteristic:careMode (tests/data/ig/PROVENANCE.md).
    care_mode = _nos("TRE_R213-ModePriseEnCharge", "28")
    care_mode["coding"][0]["display"] = "Hospitalisation complète (HC)"
    hcs["characteristic"].insert(0, care_mode)
    return hcs


def dataset(n_locations: int, n_services: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """``n_locations`` Locations then ``n_services`` HealthcareServices (each pointing at a Location)."""
    rng = random.Random(seed)
    for i in range(n_locations):
        yield location(i, rng)
    for i in range(n_services):
        yield service(i, rng, f"bench-loc-{rng.randrange(max(n_locations, 1)):06d}")


def write_ndjson(path: Path, resources: Iterator[dict[str, Any]]) -> int:
    n = 0
    with path.open("wb") as fh:
        for res in resources:
            fh.write(orjson.dumps(res))
            fh.write(b"\n")
            n += 1
    return n


def create_bodies(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Location bodies without id (for POST), with identifiers distinct from the loaded data set."""
    rng = random.Random(seed)
    for i in range(n):
        yield location(i, rng, with_id=False, prefix="bench-post")
