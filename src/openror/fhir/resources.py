"""Resource types served by openror and their ROR profiles (spec a.0, h).

Also the helpers every layer shares to read a resource's id, meta and references without models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

ROR = "https://interop.esante.gouv.fr/ig/fhir/ror"
ROR_SD = f"{ROR}/StructureDefinition"

PROFILES: dict[str, str] = {
    "Organization": f"{ROR_SD}/ror-organization",
    "HealthcareService": f"{ROR_SD}/ror-healthcareservice",
    "Location": f"{ROR_SD}/ror-location",
    "Practitioner": f"{ROR_SD}/ror-practitioner",
    "PractitionerRole": f"{ROR_SD}/ror-practitionerrole",
    "Task": f"{ROR_SD}/ror-task",
}
"""ROR profile of each directory type; CodeSystem and ValueSet have none."""

TYPES: tuple[str, ...] = (*PROFILES, "CodeSystem", "ValueSet")
"""Every resource type with REST interactions."""

CREATION_DATE_URL = f"{ROR_SD}/ror-meta-creation-date"

ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
"""FHIR id: 1-64 of letters, digits, '-' and '.'."""


def is_valid_id(value: str) -> bool:
    return bool(ID_RE.fullmatch(value))


def iter_references(node: Any, *, max_nodes: int = 1_000_000) -> Iterator[dict[str, Any]]:
    """Yield every dict holding a ``reference`` string, iteratively (bounded, no recursion)."""
    stack = [node]
    seen = 0
    while stack:
        cur = stack.pop()
        seen += 1
        if seen > max_nodes:
            raise ValueError("resource too large to walk")
        if isinstance(cur, dict):
            ref = cur.get("reference")
            if isinstance(ref, str):
                yield cur
            stack.extend(v for v in cur.values() if isinstance(v, dict | list))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, dict | list))
