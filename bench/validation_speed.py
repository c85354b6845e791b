"""Write-validation speed per tier, one core (docs/validation.md; DESIGN 6).

Prints resources/second (median of several runs) of tier (a) ``validate_ror``, tier (b)
``validate_structure`` and the combined ``validate()`` on the IG Location example, on a Location
carrying 4 capacity records (what a bed-management tool writes), on the IG HealthcareService
(plus its missing careMode) and on the IG Task. Target for tier (a): >= 20,000 Location/s per core.

    .venv/bin/python bench/validation_speed.py [--seconds 0.5] [--runs 5]
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openror.fhir.terminology import nos_url, packaged_terminology
from openror.fhir.validation import validate
from openror.fhir.validation.ror import validate_ror
from openror.fhir.validation.structure import validate_structure

IG = Path(__file__).parents[1] / "tests" / "data" / "ig"
SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text(encoding="utf-8"))
    return data


def _cc(tre: str, code: str) -> dict[str, Any]:
    return {"valueCodeableConcept": {"coding": [{"system": nos_url("TRE", tre), "code": code}]}}


def _capacity(status: str, n: int) -> dict[str, Any]:
    subs = {
        "capacityType": _cc("R329-NatureCapacite", "01"),
        "capacityStatus": _cc("R330-TypeStatutCapacite", status),
        "temporalityCapacity": _cc("R331-TemporaliteCapacite", "01"),
        "nbCapacity": {"valueInteger": n},
        "capacitySourceType": _cc("R335-TypeSourceCapacite", "02"),
        "genderCapacityAvailable": _cc("R332-GenreCapacite", "03"),
        "capacityUpdateDate": {"valueDateTime": "2026-11-20T10:00:00+01:00"},
        "temporaryAssignement": _cc("R337-AffectationTemporaire", "01"),
    }
    return {"url": SD + "ror-location-supported-capacity", "extension": [{"url": k, **v} for k, v in subs.items()]}


def samples() -> dict[str, dict[str, Any]]:
    location = _example("Location-ror-location-exemple.json")
    beds = copy.deepcopy(location)
    beds["identifier"] = [
        {
            "type": {"coding": [{"system": nos_url("TRE", "G07-TypeIdentifiantStructure"), "code": "26"}]},
            "system": "https://ror.example.org/idExterneSynchro",
            "value": "UF-1234",
        }
    ]
    beds["extension"] += [_capacity(s, n) for s, n in (("01", 30), ("02", 4), ("03", 2), ("04", 1))]
    hcs = _example("HealthcareService-1234564.json")
    hcs["characteristic"].append(_cc("R213-ModePriseEnCharge", "01")["valueCodeableConcept"])
    return {
        "Location (IG example)": location,
        "Location + 4 capacity records": beds,
        "HealthcareService (IG example + careMode)": hcs,
        "Task (IG example)": _example("Task-ror-task-exemple.json"),
    }


def rate(fn: Callable[[], object], seconds: float, runs: int) -> float:
    fn()  # warm caches (rule table, terminology answers, lazy imports)
    results = []
    for _ in range(runs):
        n, start = 0, time.perf_counter()
        deadline = start + seconds
        while True:
            for _ in range(50):
                fn()
            n += 50
            now = time.perf_counter()
            if now >= deadline:
                break
        results.append(n / (now - start))
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=0.5, help="duration of one run")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    term = packaged_terminology()
    print(f"{'resource':45} {'tier a (ROR)':>14} {'tier b (R4)':>14} {'validate()':>14}   res/s, 1 core")
    for label, res in samples().items():
        tiers: list[Callable[[], object]] = [
            functools.partial(validate_ror, res, term),
            functools.partial(validate_structure, res),
            functools.partial(validate, res, terminology=term, structural=True),
        ]
        a, b, both = (rate(fn, args.seconds, args.runs) for fn in tiers)
        print(f"{label:45} {a:14,.0f} {b:14,.0f} {both:14,.0f}")


if __name__ == "__main__":
    main()
