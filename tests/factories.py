"""Valid ROR resources for tests, built from the IG examples in tests/data/ig (see its PROVENANCE.md)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

IG = Path(__file__).parent / "data" / "ig"
ORG_ID_SYSTEM = "https://finess.esante.gouv.fr"


@cache
def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text())
    data.pop("id", None)
    data.pop("text", None)
    data.get("meta", {}).pop("lastUpdated", None)
    return data


def location(sync_id: str | None = None) -> dict[str, Any]:
    loc = copy.deepcopy(_example("Location-ror-location-exemple.json"))
    if sync_id is not None:
        loc["identifier"] = [
            {
                "type": {
                    "coding": [
                        {
                            "system": "https://mos.esante.gouv.fr/NOS/TRE_G07-TypeIdentifiantStructure/FHIR/TRE-G07-TypeIdentifiantStructure",
                            "code": "26",
                        }
                    ]
                },
                "system": "https://ror.example.org/idExterneSynchro",
                "value": sync_id,
            }
        ]
    return loc


def task(focus_identifier: str = "1910800002") -> dict[str, Any]:
    t = copy.deepcopy(_example("Task-ror-task-exemple.json"))
    t["focus"] = {"type": "Organization", "identifier": {"value": focus_identifier}}
    return t


CARE_MODE = "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/TRE-R213-ModePriseEnCharge"


def healthcare_service() -> dict[str, Any]:
    """The IG example plus the careMode characteristic (1..1 in the profile) that the example lacks."""
    hcs = copy.deepcopy(_example("HealthcareService-1234564.json"))
    hcs.setdefault("characteristic", []).append({"coding": [{"system": CARE_MODE, "code": "02"}]})
    return hcs
