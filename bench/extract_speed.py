"""Search-index extraction speed, one core (docs/search-registry.md; DESIGN 6).

Prints resources per CPU-second (median of several runs; CPU time of this process, so that other
load on a shared machine disturbs the figure less) of ``index_rows`` on the IG Location example
(target: >= 5,000/s per core), on a Location carrying 7 capacity records and equipment (the demo's
cardiology unit, what bed-management tools write), on the IG HealthcareService and on the IG Task;
the ``_content`` part alone; and, as the ceiling measured in the same run, an orjson round trip of
the same resource (``ratio`` = index_rows time / round-trip time). The registry is built first.

    .venv/bin/python bench/extract_speed.py [--seconds 0.5] [--runs 5]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from openror.fhir.search.extract import content_words, index_rows
from openror.fhir.search.registry import registry

ROOT = Path(__file__).parents[1]
IG = ROOT / "tests" / "data" / "ig"
DEMO = ROOT / "src" / "openror" / "definitions" / "demo" / "demo-bundle.json"


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text(encoding="utf-8"))
    return data


def _demo(identifier: str) -> dict[str, Any]:
    bundle = json.loads(DEMO.read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        resource: dict[str, Any] = entry["resource"]
        if any(i.get("value") == identifier for i in resource.get("identifier", [])):
            return resource
    raise LookupError(identifier)


def samples() -> dict[str, dict[str, Any]]:
    return {
        "Location (IG example)": _example("Location-ror-location-exemple.json"),
        "Location (demo, 7 capacities + equipment)": _demo("11/204517"),
        "HealthcareService (IG example)": _example("HealthcareService-1234564.json"),
        "Task (IG example)": _example("Task-ror-task-exemple.json"),
    }


def rate(fn: Callable[[], object], seconds: float, runs: int) -> float:
    fn()  # warm caches (plan per type, stemmer cache)
    results = []
    for _ in range(runs):
        n, start = 0, time.process_time()
        deadline = start + seconds
        while True:
            for _ in range(50):
                fn()
            n += 50
            now = time.process_time()
            if now >= deadline:
                break
        results.append(n / (now - start))
    return statistics.median(results)


def _round_trip(resource: dict[str, Any]) -> object:
    return orjson.loads(orjson.dumps(resource))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=0.5, help="duration of one run")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    registry()
    print(f"{'resource':45} {'index_rows':>12} {'_content only':>14} {'ceiling':>10} {'ratio':>6} {'rows':>5}")
    for label, res in samples().items():
        full = rate(functools.partial(index_rows, res), args.seconds, args.runs)
        words = rate(functools.partial(content_words, res), args.seconds, args.runs)
        ceiling = rate(functools.partial(_round_trip, res), args.seconds, args.runs)
        rows = index_rows(res)
        count = sum(
            len(getattr(rows, f))
            for f in ("tokens", "strings", "dates", "numbers", "quantities", "references", "uris", "geo", "words")
        )
        print(f"{label:45} {full:12,.0f} {words:14,.0f} {ceiling:10,.0f} {ceiling / full:6.1f} {count:5}")
    print("resources per CPU-second, one core; ceiling: orjson dumps+loads of the same resource")


if __name__ == "__main__":
    main()
