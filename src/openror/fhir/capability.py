"""The server's CapabilityStatement, generated from what openror implements (spec h, checklist 1).

The tables below are the single description of the server's REST surface: the router serves what
they declare, and tests compare them to the IG's ROR-Serveur statement (docs/capability.md lists each
difference and why).
"""

from __future__ import annotations

from typing import Any

from openror import __version__
from openror.fhir.resources import PROFILES, ROR, TYPES

INTERACTIONS: tuple[str, ...] = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)

SEARCH_PARAMS: tuple[tuple[str, str, str], ...] = (
    ("_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id"),
    ("_lastUpdated", "date", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"),
    ("identifier", "token", ""),
)
"""(name, type, definition) of the parameters the core server searches on every type."""

SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system")


def capability_statement(base_url: str, *, date: str) -> dict[str, Any]:
    resources = []
    for rtype in TYPES:
        entry: dict[str, Any] = {"type": rtype}
        if rtype in PROFILES:
            entry["profile"] = PROFILES[rtype]
        entry |= {
            "interaction": [{"code": code} for code in INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalRead": "not-supported",
            "conditionalUpdate": True,
            "conditionalDelete": "single",
            "searchParam": [
                {"name": name, "type": ptype, **({"definition": d} if d else {})} for name, ptype, d in SEARCH_PARAMS
            ],
        }
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "openror",
        "kind": "instance",
        "software": {"name": "openror", "version": __version__},
        "implementation": {"description": "openror FHIR server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/fhir+json", "application/json-patch+json"],
        "implementationGuide": [f"{ROR}/ImplementationGuide/ans.fhir.fr.ror"],
        "rest": [
            {
                "mode": "server",
                "resource": resources,
                "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
            }
        ],
    }
