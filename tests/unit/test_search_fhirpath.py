"""FHIRPath subset compiler (openror.fhir.search.fhirpath): fhirpathpy oracle on every parameter, visibility."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.models import models

from openror.fhir.access.rules import Category, Level, vis_of
from openror.fhir.search.fhirpath import (
    MAX_DEPTH,
    MAX_EXPRESSION_LENGTH,
    MAX_NODES,
    FhirPathError,
    Node,
    compile_path,
    expression_for,
    split_union,
    type_matches,
)
from openror.fhir.search.registry import registry

PUBLIC, RESTRICTED, VERY_RESTRICTED = Level.PUBLIC, Level.RESTRICTED, Level.VERY_RESTRICTED

DATA = Path(__file__).parents[1] / "data" / "ig"
DEFINITIONS = Path(__file__).parents[2] / "src" / "openror" / "definitions"
DEMO = DEFINITIONS / "demo" / "demo-bundle.json"
TERMINOLOGY = ("CodeSystem-TRE-R343-FonctionLieu.json", "ValueSet-JDV-J198-FonctionLieu-ROR.json")
SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
TRE_R283 = "https://mos.esante.gouv.fr/NOS/TRE_R283-NiveauConfidentialite/FHIR/TRE-R283-NiveauConfidentialite"
SERVED = (
    "Organization",
    "HealthcareService",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Task",
    "CodeSystem",
    "ValueSet",
)


def corpus(*, synthetic: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(label, resource): the IG examples, every resource of the demo bundle, a packaged CodeSystem and
    ValueSet, and (``synthetic``)
    hand-made resources filling the elements those leave empty (tariffs, equipment limits...)."""
    out = [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(DATA.glob("*.json"))]
    out = [(label, r) for label, r in out if r["resourceType"] in SERVED]
    bundle = json.loads(DEMO.read_text(encoding="utf-8"))
    for i, entry in enumerate(bundle["entry"]):
        res = entry["resource"]
        out.append((f"demo[{i}] {res['resourceType']}/{res.get('id', '')}", res))
    for name in TERMINOLOGY:
        out.append((name, json.loads((DEFINITIONS / "terminology" / name).read_text(encoding="utf-8"))))
    if synthetic:
        out.extend((f"synthetic {r['resourceType']}/{r['id']}", r) for r in rich_resources())
    return out


def level(code: str) -> dict[str, Any]:
    return {
        "url": SD + "ror-telecom-confidentiality-level",
        "valueCodeableConcept": {"coding": [{"system": TRE_R283, "code": code}]},
    }


def cc(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _sub(url: str, key: str, value: Any) -> dict[str, Any]:
    return {"url": url, key: value}


def price(special: str, start: str) -> dict[str, Any]:
    nos = "https://mos.esante.gouv.fr/NOS/"
    return {
        "url": SD + "ror-organization-price",
        "extension": [
            _sub("priceType", "valueCodeableConcept", cc(nos + "TRE_R240", "01", "Hébergement permanent")),
            _sub("priceUnit", "valueCodeableConcept", cc(nos + "TRE_R239", "02")),
            _sub("amount", "valueMoney", {"value": 72.5, "currency": "EUR"}),
            _sub("startDate", "valueDate", start),
            _sub("residentialType", "valueCodeableConcept", cc(nos + "TRE_R253", "07")),
            _sub("specialPrice", "valueCodeableConcept", cc(nos + "TRE_R245", special)),
            _sub("welcomeType", "valueCodeableConcept", cc(nos + "TRE_R212", "01")),
            _sub("dependencyLevel", "valueCodeableConcept", cc(nos + "TRE_R246", "GIR1")),
        ],
    }


def limit(feature: str, value: float) -> dict[str, Any]:
    return {
        "url": SD + "ror-location-equipment-limit",
        "extension": [
            _sub("equipmentFeature", "valueCodeableConcept", cc("https://mos.esante.gouv.fr/NOS/TRE_R349", feature)),
            _sub("limitValue", "valueQuantity", {"value": value, "system": "http://unitsofmeasure.org", "code": "kg"}),
        ],
    }


def rich_resources() -> list[dict[str, Any]]:
    """Resources that fill what the IG examples and the demo leave empty."""
    meta = {
        "lastUpdated": "2026-01-02T03:04:05.678+01:00",
        "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}],
        "source": "https://ror.example.org/feed#42",
        "tag": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM", "code": "52"}],
    }
    address = {
        "line": ["1 rue de la Paix", "Bâtiment B"],
        "city": "Nantes",
        "district": "Loire-Atlantique",
        "state": "Pays de la Loire",
        "postalCode": "44000",
        "country": "FRA",
        "use": "work",
        "text": "1 rue de la Paix, 44000 Nantes",
    }
    org = {
        "resourceType": "Organization",
        "id": "rich-eg",
        "meta": meta,
        "extension": [
            price("02", "2026-01-01"),
            price("03", "2025"),
            _sub(SD + "ror-organization-closing-type", "valueCodeableConcept", cc("https://x/TRE_R185", "1")),
            _sub(SD + "ror-organization-drop-zone", "valueBoolean", True),
            _sub(
                "http://hl7.org/fhir/StructureDefinition/organization-period",
                "valuePeriod",
                {"start": "2001-02", "end": "2030-06-30"},
            ),
        ],
        "identifier": [{"system": "https://oi.esante.gouv.fr", "value": "52/0001"}],
        "name": "Unité de soins",
        "alias": ["USLD"],
        "address": [address],
        "endpoint": [{"reference": "Endpoint/e1"}],
    }
    loc = {
        "resourceType": "Location",
        "id": "rich-loc",
        "meta": meta,
        "extension": [
            {
                "url": SD + "ror-location-equipment",
                "extension": [
                    _sub("equipmentType", "valueCodeableConcept", cc("https://x/TRE_R212", "118")),
                    _sub("nbInService", "valueInteger", 2),
                    limit("01", 180),
                ],
            },
            limit("02", 2.5),
            {
                "url": SD + "ror-location-residential-capacity",
                "extension": [
                    _sub("residentialType", "valueCodeableConcept", cc("https://x/TRE_R253", "04")),
                    _sub("residentialNumber", "valueInteger", 12),
                ],
            },
        ],
        "address": address,
        "managingOrganization": {"reference": "Organization/rich-eg"},
        "partOf": {"reference": "https://ror.example.org/fhir/Location/parent/_history/3"},
        "endpoint": [{"reference": "Endpoint/e1"}],
        "position": {"latitude": 47.2184, "longitude": -1.5536},
    }
    hcs = {
        "resourceType": "HealthcareService",
        "id": "rich-hcs",
        "meta": meta,
        "coverageArea": [{"reference": "Location/rich-loc"}],
        "program": [{"text": "Programme régional"}],
        "endpoint": [{"reference": "Endpoint/e1"}],
        "notAvailable": [
            {"id": "closingReopeningDate", "description": "travaux", "during": {"start": "2026-07-14"}},
            {"id": "other", "description": "x", "during": {"start": "2026-01-01", "end": "2026-01-02"}},
        ],
    }
    practitioner = {
        "resourceType": "Practitioner",
        "id": "rich-pract",
        "meta": meta,
        "address": [address],
        "telecom": [{"system": "phone", "value": "0261910000", "extension": [level("3")]}],
        "communication": [cc("urn:ietf:bcp:47", "fr")],
        "name": [{"family": "Le Bihan", "given": ["Anne", "Marie"], "prefix": ["Dr"], "text": "Dr Anne Le Bihan"}],
    }
    role = {
        "resourceType": "PractitionerRole",
        "id": "rich-role",
        "meta": meta,
        "period": {"start": "2020-09-01T08:00:00+02:00"},
        "telecom": [{"system": "email", "value": "anne@example.org"}],
        "endpoint": [{"reference": "Endpoint/e1"}],
    }
    task = {
        "resourceType": "Task",
        "id": "rich-task",
        "meta": meta,
        "groupIdentifier": {"system": "https://ror.example.org/lot", "value": "L1"},
        "basedOn": [{"reference": "Task/t0"}],
        "partOf": [{"reference": "Task/t0"}],
        "encounter": {"reference": "Encounter/e9"},
        "for": {"reference": "Patient/p1"},
        "performerType": [cc("http://terminology.hl7.org/CodeSystem/task-performer-type", "performer")],
        "priority": "urgent",
        "executionPeriod": {"start": "2026-03-01", "end": "2026-03-02"},
        "focus": {"reference": "urn:uuid:8f8b0a55-2f3e-4b1a-9a39-6a3c4cf3d2b4", "type": "HealthcareService"},
    }
    use_context = [
        {"code": {"code": "focus"}, "valueCodeableConcept": cc("http://snomed.info/sct", "1")},
        {"code": {"code": "age"}, "valueQuantity": {"value": 18, "code": "a"}},
        {"code": {"code": "age"}, "valueRange": {"low": {"value": 1}, "high": {"value": 2}}},
    ]
    jurisdiction = [cc("urn:iso:std:iso:3166", "FR")]
    code_system = {
        "resourceType": "CodeSystem",
        "id": "rich-cs",
        "meta": meta,
        "url": "https://ror.example.org/CodeSystem/rich",
        "title": "Système riche",
        "status": "active",
        "content": "supplement",
        "supplements": "https://ror.example.org/CodeSystem/base|1.0",
        "useContext": use_context,
        "jurisdiction": jurisdiction,
        "concept": [{"code": "a", "designation": [{"language": "fr", "value": "A"}]}],
    }
    value_set = {
        "resourceType": "ValueSet",
        "id": "rich-vs",
        "meta": meta,
        "url": "https://ror.example.org/ValueSet/rich",
        "title": "Jeu riche",
        "status": "active",
        "useContext": use_context,
        "jurisdiction": jurisdiction,
        "expansion": {
            "identifier": "urn:uuid:1c9a4c4e-0b6f-4d43-9a3e-2b8f1e7a3c10",
            "timestamp": "2026-01-01",
            "contains": [{"system": "https://ror.example.org/CodeSystem/rich", "code": "a"}],
        },
    }
    return [org, loc, hcs, practitioner, role, task, code_system, value_set]


# ---------------------------------------------------------------------------------------------------
# The oracle

_AS_OPERATOR = re.compile(r"\(([^()]+?) as (\w+)\)")
_EXTENSION_URL = re.compile(r"extension\('([^']*)'\)")


def oracle_expression(expression: str, resource_type: str) -> str:
    """The expression as fhirpathpy evaluates it like we do.

    ``extension(url)`` -> ``extension.where(url=...)`` (fhirpathpy returns only the first match);
    ``as`` -> ``ofType`` (fhirpathpy's ``as`` requires a singleton, ours filters each item, as search
    servers do); ``Resource.``/``DomainResource.`` -> the resource type (fhirpathpy does not treat them
    as supertypes).
    """
    out = _EXTENSION_URL.sub(r"extension.where(url='\1')", expression)
    out = out.replace(".as(", ".ofType(")
    out = _AS_OPERATOR.sub(r"(\1.ofType(\2))", out)
    return re.sub(r"(^|\| ?|\()(?:Resource|DomainResource)\.", rf"\g<1>{resource_type}.", out)


@cache
def _oracle(expression: str) -> Any:
    return fhirpathpy.compile(expression, model=models["r4"])


def normalise(value: Any) -> Any:
    """JSON value for comparison: numbers as floats, no primitive-extension (``_x``) keys."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    return str(value)


def canonical(values: list[Any]) -> list[str]:
    return sorted(json.dumps(normalise(v), sort_keys=True, ensure_ascii=False) for v in values)


NOT_IN_ORACLE = {"patient": "resolve() is not implemented by fhirpathpy"}


def test_every_registered_parameter_matches_fhirpathpy() -> None:
    compared = non_empty = 0
    params_seen: set[tuple[str, str]] = set()
    for label, resource in corpus():
        rtype = resource["resourceType"]
        for name, p in registry().params(rtype).items():
            if p.getter is None or name in NOT_IN_ORACLE:
                continue
            assert p.expression is not None
            ours = [n.value for n in p.getter(resource)]
            theirs = _oracle(oracle_expression(p.expression, rtype))(copy.deepcopy(resource))
            mine, expected = canonical(ours), canonical(theirs)
            if "|" in p.expression:  # union: duplicates are removed by value in fhirpathpy
                mine, expected = sorted(set(mine)), sorted(set(expected))
            assert mine == expected, f"{label} {rtype}.{name}: {p.expression}"
            compared += 1
            params_seen.add((rtype, name))
            non_empty += bool(ours)
    # Keep the coverage figures honest (reported in docs/search-registry.md).
    assert compared >= 1000, compared
    assert non_empty >= 500, non_empty
    assert len(params_seen) >= 200, len(params_seen)


def test_task_patient_outside_the_oracle() -> None:
    task = next(r for r in rich_resources() if r["resourceType"] == "Task")
    param = registry().get("Task", "patient")
    getter = param.getter if param else None
    assert getter is not None and [n.value for n in getter(task)] == [{"reference": "Patient/p1"}]
    task = {**task, "for": {"reference": "Group/g1"}}
    assert getter(task) == []


def test_oracle_rewrites() -> None:
    assert oracle_expression("Resource.meta.tag", "Location") == "Location.meta.tag"
    assert oracle_expression("(X.value as Quantity) | (X.value as Range)", "X") == (
        "(X.value.ofType(Quantity)) | (X.value.ofType(Range))"
    )
    assert oracle_expression("Location.extension('u').value.as(code)", "Location") == (
        "Location.extension.where(url='u').value.ofType(code)"
    )


# ---------------------------------------------------------------------------------------------------
# The subset

LOC: dict[str, Any] = {
    "resourceType": "Location",
    "id": "l1",
    "name": "Unité A",
    "alias": ["UA", "Unité A"],
    "extension": [
        {"url": SD + "ror-commune-cog", "valueCodeableConcept": {"coding": [{"code": "75114"}]}},
        {"url": SD + "ror-meta-creation-date", "valueDateTime": "2024-01-01T00:00:00Z"},
        {"url": "x", "valueString": "s"},
        {"url": "y", "valueCode": "c"},
        {"url": "z", "valueAge": {"value": 3, "code": "a"}},
    ],
    "managingOrganization": {"reference": "Organization/o1"},
    "partOf": {"reference": "http://example.org/fhir/Location/l0/_history/2"},
}


def values(expression: str, resource: dict[str, Any] = LOC, rtype: str | None = "Location") -> list[Any]:
    return [n.value for n in compile_path(expression, rtype)(resource)]


def test_paths_choice_and_as() -> None:
    assert values("Location.name") == ["Unité A"]
    assert values("Location.extension.value.as(string)") == ["s", "c"]  # code derives from string
    assert values("Location.extension.value.as(String)") == ["s", "c"]  # first letter case-insensitive
    assert values("Location.extension.value.ofType(code)") == ["c"]
    assert values("Location.extension.value.as(Quantity)") == [{"value": 3, "code": "a"}]  # Age is a Quantity
    assert values("(Location.extension.value as dateTime)") == ["2024-01-01T00:00:00Z"]
    assert values("Location.extension.value.as(FHIR.dateTime)") == ["2024-01-01T00:00:00Z"]
    nodes = compile_path("Location.extension.value", "Location")(LOC)
    assert [n.type for n in nodes] == ["CodeableConcept", "dateTime", "string", "code", "Age"]
    assert values("Location.name.as(string)") == []  # type unknown without a choice suffix


def test_resource_type_prefix_and_union() -> None:
    assert values("Organization.name | Location.name") == ["Unité A"]
    assert values("Organization.name") == []
    assert values("Resource.id") == ["l1"]
    assert values("DomainResource.id") == ["l1"]
    assert values("Location.name | Location.alias") == ["Unité A", "UA"]  # union drops duplicates
    # Without a compile-time type the first segment is checked at run time.
    assert values("Organization.name | Location.name", rtype=None) == ["Unité A"]
    assert compile_path("Organization.name", "Location").step.__name__ == "_never"
    assert expression_for("A.x | (B.y as T) | Resource.id", "B") == "(B.y as T) | Resource.id"
    assert split_union("(A.x | A.y) | B.z") == ["(A.x | A.y)", "B.z"]


def test_where_conditions() -> None:
    cog = SD + "ror-commune-cog"
    assert values(f"Location.extension.where(url = '{cog}').value.coding.code") == ["75114"]
    assert values("Location.extension.where(url != 'x' and url != 'y').url") == [
        cog,
        SD + "ror-meta-creation-date",
        "z",
    ]
    assert values("Location.extension.where(url = 'x' or url = 'y').url") == ["x", "y"]
    assert values("Location.extension.where(value.exists() and url = 'z').url") == ["z"]
    assert values("Location.where(alias = 'UA').id") == []  # alias has 2 items: collection equality
    assert values("Location.where(alias.where($this = 'UA').exists()).id") == ["l1"]
    assert values("Location.where(managingOrganization.exists().not()).id") == []
    assert values("Location.where(partOf.empty()).id") == []
    assert values("Location.extension.first().url") == [cog]
    assert values("Location.extension.where(value.as(Age).value = 3).url") == ["z"]
    assert values("Location.where(name = 'Unité A' and (alias.exists() or true)).id") == ["l1"]


def test_resolve_is_type() -> None:
    assert values("Location.managingOrganization.where(resolve() is Organization).reference") == ["Organization/o1"]
    assert values("Location.managingOrganization.where(resolve() is Patient)") == []
    assert values("Location.partOf.where(resolve() is Location).reference") == [
        "http://example.org/fhir/Location/l0/_history/2"
    ]
    assert values("Location.partOf.resolve().id") == ["l0"]
    assert type_matches("Organization", "Resource") and not type_matches("CodeableConcept", "Resource")


@pytest.mark.parametrize(
    "expression",
    [
        "Location.name[0]",
        "Location.name.count()",
        "Location.name + 'x'",
        "Location.extension.where(url > 'a')",
        "%resource.name",
        "Location.name contains 'x'",
        "Location.name.substring(1)",
        "Location.where()",
        "Location.name.as(string, code)",
        "Location.extension.value.as('x')",
        "Location.name = 'a' = 'b'",
        "Location.(name)",
        "Location.name)",
        "'unterminated",
        "Location.name.where(a = 'x\\q')",
    ],
)
def test_unsupported_constructs_fail_at_compile_time(expression: str) -> None:
    with pytest.raises(FhirPathError):
        compile_path(expression, "Location")


def test_limits() -> None:
    with pytest.raises(FhirPathError, match="longer than"):
        compile_path("Location." + "a." * MAX_EXPRESSION_LENGTH + "b")
    with pytest.raises(FhirPathError, match="nested deeper"):
        compile_path("(" * (MAX_DEPTH + 1) + "Location.name" + ")" * (MAX_DEPTH + 1))
    big = {"resourceType": "Location", "alias": ["x"] * (MAX_NODES + 1)}
    with pytest.raises(FhirPathError, match="more than"):
        compile_path("Location.alias", "Location")(big)


def test_string_literal_escapes() -> None:
    res = {"resourceType": "Location", "extension": [{"url": "a'b\\c\u00e9", "valueString": "ok"}]}
    assert values("Location.extension.where(url = 'a\\'b\\\\c\\u00e9').value", res) == ["ok"]


def test_every_registry_expression_compiled() -> None:
    for rtype in registry().resource_types:
        for p in registry().params(rtype).values():
            assert (p.getter is None) == (p.expression is None), p
            if p.getter is not None:
                assert p.getter.expression == p.expression and p.getter.resource_type == rtype


# ---------------------------------------------------------------------------------------------------
# Visibility (spec f)


def test_telecom_confidentiality_levels() -> None:
    res = {
        "resourceType": "Practitioner",
        "telecom": [
            {"extension": [level("1")], "system": "phone", "value": "01"},
            {"extension": [level("2")], "system": "phone", "value": "02"},
            {"extension": [level("3")], "system": "email", "value": "03"},
            {"system": "phone", "value": "04"},
        ],
    }
    nodes = compile_path("Practitioner.telecom.value", "Practitioner")(res)
    assert [(n.value, n.vis) for n in nodes] == [("01", PUBLIC), ("02", RESTRICTED), ("03", VERY_RESTRICTED), ("04", 0)]


def test_visibility_is_the_maximum_over_ancestors() -> None:
    contact_level = {
        "url": SD + "ror-contact-confidentiality-level",
        "valueCodeableConcept": {"coding": [{"system": TRE_R283, "code": "2"}]},
    }
    org = {
        "resourceType": "Organization",
        "contact": [
            {
                "extension": [contact_level],
                "telecom": [
                    {"extension": [level("1")], "value": "a"},
                    {"extension": [level("3")], "value": "b"},
                ],
            },
            {"telecom": [{"value": "c"}]},
        ],
    }
    got = [(n.value, n.vis) for n in compile_path("Organization.contact.telecom.value", "Organization")(org)]
    assert got == [("a", RESTRICTED), ("b", VERY_RESTRICTED), ("c", PUBLIC)]
    # The HCS contact extension carries ror-confidentiality-level as a sub-extension.
    hcs_contact = {
        "url": SD + "ror-healthcareservice-contact",
        "extension": [
            {"url": SD + "ror-confidentiality-level", "valueCodeableConcept": {"coding": [{"code": "3"}]}},
            {"url": "telecomAddress", "valueString": "0199"},
        ],
    }
    hcs = {"resourceType": "HealthcareService", "extension": [hcs_contact]}
    nodes = compile_path(
        f"HealthcareService.extension.where(url = '{SD}ror-healthcareservice-contact')"
        ".extension.where(url = 'telecomAddress').value",
        "HealthcareService",
    )(hcs)
    assert nodes == [Node("0199", "string", VERY_RESTRICTED)]


def test_sensitive_unit_is_a_row_fact_not_an_element_class() -> None:
    """Sensitivity hides whole rows (fhir.access.facts); the elements keep their own classes."""
    hcs = {
        "resourceType": "HealthcareService",
        "extension": [{"url": SD + "ror-healthcareservice-sensitive-unit", "valueBoolean": True}],
        "name": "Unité",
        "telecom": [{"extension": [level("2")], "value": "x"}],
    }
    path = compile_path("HealthcareService.name | HealthcareService.telecom.value", "HealthcareService")
    assert [n.vis for n in path(hcs)] == [PUBLIC, RESTRICTED]


def test_element_categories() -> None:
    cap = SD + "ror-location-supported-capacity"

    def record(status: str) -> dict[str, Any]:
        return {
            "url": cap,
            "extension": [
                {"url": "capacityStatus", "valueCodeableConcept": {"coding": [{"code": status}]}},
                {"url": "nbCapacity", "valueInteger": int(status)},
            ],
        }

    loc = {
        "resourceType": "Location",
        "extension": [
            record("01"),
            record("06"),
            record("02"),
            {"url": SD + "ror-location-equipment", "extension": [{"url": "equipmentType", "valueString": "IRM"}]},
        ],
    }
    nodes = compile_path(f"Location.extension.where(url='{cap}').extension.where(url='nbCapacity').value", "Location")(
        loc
    )
    assert [(n.value, n.vis) for n in nodes] == [
        (1, vis_of(0, Category.CAPACITY_INSTALLED)),
        (6, vis_of(0, Category.CAPACITY_SUPPLEMENTARY)),
        (2, vis_of(0, Category.CAPACITY_OTHER)),
    ]
    eq = compile_path(f"Location.extension.where(url='{SD}ror-location-equipment').extension.value", "Location")(loc)
    assert [n.vis for n in eq] == [vis_of(0, Category.EQUIPMENT)]
    hcs = {
        "resourceType": "HealthcareService",
        "characteristic": [
            {"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/x", "code": "1"}]},
            {"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R210-ActeSpecifique/FHIR/x", "code": "2"}]},
        ],
    }
    got = compile_path("HealthcareService.characteristic.coding.code", "HealthcareService")(hcs)
    assert [(n.value, n.vis) for n in got] == [("1", PUBLIC), ("2", vis_of(0, Category.OFFER_DETAIL))]


def test_memo_shares_prefixes_without_changing_results() -> None:
    cap = SD + "ror-location-supported-capacity"
    loc = next(r for _, r in corpus() if any(i.get("value") == "11/204517" for i in r.get("identifier", [])))
    a = compile_path(f"Location.extension.where(url='{cap}').extension.where(url='nbCapacity').value", "Location")
    b = compile_path(f"Location.extension.where(url='{cap}').extension.where(url='capacityType').value", "Location")
    memo: dict[int, list[Node]] = {}
    assert a(loc, memo=memo) == a(loc) and b(loc, memo=memo) == b(loc)
    assert len(memo) >= 2
