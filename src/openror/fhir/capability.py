"""The server's CapabilityStatement, generated from what openror implements (spec h, checklist 1).

The tables below are the single description of the server's REST surface: the router serves what
they declare, and tests compare them to the IG's ROR-Serveur statement (docs/capability.md lists each
difference and why).
"""

from __future__ import annotations

from typing import Any

from openror import __version__
from openror.fhir.resources import PROFILES, ROR, TYPES
from openror.fhir.search.registry import registry

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

COMMON_SEARCH: tuple[tuple[str, str, str], ...] = (
    ("_content", "string", "http://hl7.org/fhir/SearchParameter/Resource-content"),
    ("_filter", "special", "http://hl7.org/fhir/SearchParameter/filter"),
    ("_has", "special", "http://hl7.org/fhir/SearchParameter/has"),
)
"""Parameters served on every type beyond the registry's (name, type, definition)."""

RESULT_PARAMS: tuple[tuple[str, str], ...] = (
    ("_count", "number"),
    ("_sort", "special"),
    ("_include", "special"),
    ("_revinclude", "special"),
    ("_total", "token"),
    ("_summary", "token"),
    ("_elements", "special"),
)

OPERATIONS: dict[str, tuple[str, ...]] = {
    "CodeSystem": ("lookup", "validate-code"),
    "ValueSet": ("validate-code", "expand"),
}
"""Terminology operations (docs/terminology.md), served at type and instance level."""

SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system")


def served(p: Any) -> bool:
    """Registered parameters the search engine serves: all but composites and unknown specials."""
    return p.type != "composite" and (p.type != "special" or p.name in ("near", "near-insee-code"))


def capability_statement(base_url: str, *, date: str) -> dict[str, Any]:
    reg = registry()
    params = {t: sorted((p for p in reg.params(t).values() if served(p)), key=lambda p: p.name) for t in TYPES}
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
            "searchInclude": sorted(f"{rtype}:{p.name}" for p in params[rtype] if p.type == "reference"),
            "searchRevInclude": sorted(
                f"{src}:{p.name}"
                for src in TYPES
                for p in params[src]
                if p.type == "reference" and (not p.targets or rtype in p.targets)
            ),
            "searchParam": [
                *({"name": p.name, "type": p.type, "definition": p.url} for p in params[rtype]),
                *({"name": name, "type": ptype, "definition": d} for name, ptype, d in COMMON_SEARCH),
            ],
        }
        if rtype in OPERATIONS:
            entry["operation"] = [
                {"name": name, "definition": f"http://hl7.org/fhir/OperationDefinition/{rtype}-{name}"}
                for name in OPERATIONS[rtype]
            ]
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
                # As the IG's server statement: OAuth (client credentials, mTLS-bound tokens for the
                # restricted profiles; docs/security.md), no CORS.
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 client credentials at /auth/token (and the Keycloak-style path "
                    "/auth/realms/ror/protocol/openid-connect/token); profiles 1-5 use mTLS client "
                    "authentication (RFC 8705) and certificate-bound tokens. See docs/security.md.",
                },
                "resource": resources,
                "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
                "searchParam": [{"name": name, "type": ptype} for name, ptype in RESULT_PARAMS],
            }
        ],
    }
