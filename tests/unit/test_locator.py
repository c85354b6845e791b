"""Bounded FHIRPath locator (openror.fhir.patch.locator): forms, locations, errors, bounds, fhirpathpy oracle."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpath_evaluate
from fhirpathpy.models import models

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch.locator import (
    MAX_DEPTH,
    MAX_EXPRESSION_LENGTH,
    evaluate,
    locate,
    missing_prefix,
    parse_expression,
    render,
)

IG = Path(__file__).parents[1] / "data" / "ig"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition"
CAP = f"{ROR_SD}/ror-location-supported-capacity"
EQUIPMENT = f"{ROR_SD}/ror-location-equipment"
NOS = "https://mos.esante.gouv.fr/NOS"


def coded(url: str, code: str, system: str = f"{NOS}/TRE_R329-NatureCapacite/FHIR/TRE-R329-NatureCapacite") -> Any:
    return {"url": url, "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}


def capacity(ctype: str, status: str, nb: int, assignment: str = "01") -> dict[str, Any]:
    return {
        "url": CAP,
        "extension": [
            coded("capacityType", ctype),
            coded("capacityStatus", status),
            coded("temporalityCapacity", "01"),
            {"url": "nbCapacity", "valueInteger": nb},
            coded("capacitySourceType", "02"),
            {"url": "capacityUpdateDate", "valueDateTime": "2024-02-02T11:30:00+01:00"},
            coded("temporaryAssignement", assignment),
        ],
    }


def location() -> dict[str, Any]:
    """The IG Location example plus three capacity records and one equipment."""
    loc: dict[str, Any] = json.loads((IG / "Location-ror-location-exemple.json").read_text(encoding="utf-8"))
    loc["extension"] += [
        capacity("01", "02", 3),
        capacity("01", "01", 10),
        capacity("02", "02", 4, assignment="02"),
        {
            "url": EQUIPMENT,
            "extension": [
                coded("equipmentType", "089"),
                {"url": "nbInService", "valueInteger": 2},
                {"url": "hasLimit", "valueBoolean": True},
            ],
        },
    ]
    return loc


def values(resource: dict[str, Any], expression: str) -> list[Any]:
    return [n.value for n in locate(resource, expression)]


def test_leading_resource_type_is_optional() -> None:
    loc = location()
    assert values(loc, "Location.extension") == values(loc, "extension") == loc["extension"]
    assert values(loc, "Location") == [loc]


def test_task_business_status() -> None:
    task = json.loads((IG / "Task-ror-task-exemple.json").read_text(encoding="utf-8"))
    (node,) = locate(task, "Task.businessStatus")
    assert node.value["coding"][0]["code"] == "02"
    assert node.up is not None and node.up.value is task and node.key == "businessStatus" and node.index is None


def test_nodes_carry_their_location() -> None:
    loc = location()
    (node,) = locate(loc, f"Location.extension.where(url='{CAP}')[1].extension.where(url='nbCapacity').value")
    assert node.value == 10
    assert node.key == "valueInteger" and node.choice_base == "value" and node.index is None
    assert node.up is not None and node.up.key == "extension" and node.up.index == 3
    record = node.up.up
    assert record is not None and record.index == 3 and record.up is not None and record.up.value is loc


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Location.extension[0].url", [f"{ROR_SD}/ror-commune-cog"]),
        ("Location.extension.first().url", [f"{ROR_SD}/ror-commune-cog"]),
        ("Location.extension.last().url", [EQUIPMENT]),
        ("Location.extension[99]", []),
        (f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value", [3, 10, 4]),
        (f"Location.extension('{CAP}').extension('nbCapacity').value", [3, 10, 4]),
        (f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').valueInteger", [3, 10, 4]),
        (f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value.as(Integer)", [3, 10, 4]),
        (f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value.as(integer)", [3, 10, 4]),
        (f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value.ofType(string)", []),
        ("Location.extension.where(url='nope')", []),
        ("Location.address.line.where($this = '7 rue porte de Buc')", ["7 rue porte de Buc"]),
        ("Location.type.coding.code", ["001"]),
    ],
)
def test_navigation(expression: str, expected: list[Any]) -> None:
    assert values(location(), expression) == expected


WHERE_NB = "extension.where(url='nbCapacity').value"


@pytest.mark.parametrize(
    ("criteria", "expected_nb"),
    [
        # The ROR supplier form (spec b.10): a record selected by its coded sub-extensions.
        (
            f"url='{CAP}' and extension.where(url='capacityType').value.coding.code='01' "
            "and extension.where(url='capacityStatus').value.coding.code='02'",
            [3],
        ),
        # The IG page form: valueCodeableConcept and an indexer inside a nested where().
        (
            f"url='{CAP}' and extension.where(url='temporaryAssignement' and valueCodeableConcept.coding[0].code='02')",
            [4],
        ),
        (f"url='{CAP}' and extension.where(url='capacityStatus').value.coding.code!='02'", [10]),
        (
            f"url='{CAP}' and (extension.where(url='capacityType').value.coding.code='02' "
            "or extension.where(url='capacityStatus').value.coding.code='01')",
            [10, 4],
        ),
        (f"url='{CAP}' and extension.where(url='nbCapacity' and value = 10).exists()", [10]),
        (f"url='{CAP}' and extension.where(url='nbCapacity').value != 3", [10, 4]),
        (f"url='{CAP}' and extension.where(url='crisisType').empty()", [3, 10, 4]),
        (f"url='{CAP}' and extension.where(url='crisisType').exists().not()", [3, 10, 4]),
        (f"url='{CAP}' and extension.exists(url='nbCapacity' and value = 4)", [4]),
        ("extension.where(url='hasLimit').value = true", [2]),
        ("extension.where(url='hasLimit').value = false", []),
    ],
)
def test_where_forms(criteria: str, expected_nb: list[int]) -> None:
    loc = location()
    records = values(loc, f"Location.extension.where({criteria})")
    nbs = [
        e.get("valueInteger")
        for r in records
        for e in r["extension"]
        if e["url"] in ("nbCapacity", "nbInService")  # equipment records count their units too
    ]
    assert nbs == expected_nb


def test_where_on_empty_value_is_not_a_match() -> None:
    # FHIRPath: comparing with an empty collection gives empty, and where() keeps only true.
    assert values(location(), "Location.extension.where(valueString = 'x')") == []


def test_computed_values() -> None:
    loc = location()
    assert evaluate(loc, f"Location.extension.where(url='{CAP}').exists()") == [True]
    assert evaluate(loc, "Location.extension.where(url='nope').empty()") == [True]
    assert evaluate(loc, "Location.id = 'ror-location-exemple'") == [True]
    assert evaluate(loc, "1 = 1.0") == [True]
    assert evaluate(loc, "'a' = 1") == [False]
    assert evaluate(loc, "Location.nothing = 1") == []
    assert evaluate(loc, "true and Location.nothing.exists()") == [False]
    assert evaluate(loc, "true or Location.nothing = 1") == [True]
    assert evaluate(loc, r"'it\'s' = 'it\u0027s'") == [True]
    assert evaluate(loc, "Location.`id`") == ["ror-location-exemple"]
    assert evaluate(loc, "(Location.extension).count") == []  # member of nothing, not a function


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Location.extension.count()", "count() is not supported"),
        ("Location.managingOrganization.resolve()", "resolve() is not supported"),
        ("Location.extension.where(url > 'a')", "operator '>' is not supported"),
        ("Location.extension | Location.type", "operator '|' is not supported"),
        ("Location.id xor true", "operator 'xor' is not supported"),
        ("%resource.id", "variable '%resource' is not supported"),
        ("Location.extension.where(url='a' and and url='b')", "expected an element name"),
        ("Location.extension.where(url='a'", "expected ')'"),
        ("Location.extension[first]", "only integer literals"),
        ("Location.extension#", "unexpected character '#'"),
        ("Location.first(1)", "takes (0,) argument"),
        ("Location.extension(url)", "string literal URL"),
        ("Location.id = -1", "negative numbers"),
        (r"Location.id = 'a\q'", "invalid escape"),
        ("", "empty"),
    ],
)
def test_unsupported_constructs_are_400(expression: str, message: str) -> None:
    with pytest.raises(FhirError) as err:
        evaluate(location(), expression)
    assert err.value.category is Category.INVALID
    assert message in err.value.issues[0].diagnostics


def test_patch_path_must_be_a_navigation() -> None:
    with pytest.raises(FhirError, match="must select elements"):
        locate(location(), "Location.id = 'x'")


def test_path_of_another_resource_type_is_400() -> None:
    with pytest.raises(FhirError, match="starts with 'Patient' but the resource is a Location"):
        locate(location(), "Patient.name")


def test_several_items_where_one_boolean_is_expected_is_400() -> None:
    with pytest.raises(FhirError, match=r"returned 3 items.*exists\(\)"):
        locate(location(), f"Location.where(extension.where(url='{CAP}'))")


def test_expression_length_is_bounded() -> None:
    long = "Location." + ".".join(["extension"] * (MAX_EXPRESSION_LENGTH // 10 + 1))
    assert len(long) > MAX_EXPRESSION_LENGTH
    with pytest.raises(FhirError, match="longer than"):
        locate(location(), long)


def test_nesting_depth_is_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 2) + "Location" + ")" * (MAX_DEPTH + 2)
    with pytest.raises(FhirError, match="nested deeper"):
        evaluate(location(), deep)
    nested_where = "Location" + ".where(id.exists()" * (MAX_DEPTH + 2) + ")" * (MAX_DEPTH + 2)
    with pytest.raises(FhirError, match="nested deeper"):
        evaluate(location(), nested_where)
    ok = "(" * 5 + "Location" + ")" * 5
    assert evaluate(location(), ok)[0]["id"] == "ror-location-exemple"


def test_long_and_chain_needs_no_deep_recursion() -> None:
    chain = " and ".join(["1=1"] * ((MAX_EXPRESSION_LENGTH - 20) // 8))
    assert evaluate(location(), chain) == [True]
    assert evaluate(location(), chain + " and 1=2") == [False]


def test_visited_nodes_are_bounded() -> None:
    loc = location()
    loc["extension"] += [{"url": f"u{i}", "valueInteger": i} for i in range(500)]
    with pytest.raises(FhirError) as err:
        locate(loc, "Location.extension.where(url='x')", max_nodes=100)
    assert err.value.category is Category.INVALID and err.value.issues[0].code == "too-costly"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # No record with these codes: the IG's expression, whatever the codes asked for.
        (
            f"Location.extension.where(url='{CAP}' and extension.where(url='capacityType').value.coding.code='09')"
            ".extension.where(url='nbCapacity').value",
            f"Location.extension.where(url='{CAP}')",
        ),
        (
            f"extension.where(url='{CAP}' and extension.where(url='capacityType').value.coding.code='09')",
            f"Location.extension.where(url='{CAP}')",
        ),
        # The record exists but lacks the sub-extension: a deeper expression (the supplier must not add).
        (
            f"Location.extension.where(url='{CAP}').extension.where(url='crisisType').value",
            f"Location.extension.where(url='{CAP}').extension.where(url='crisisType')",
        ),
        (
            f"Location.extension('{CAP}').extension('crisisType')",
            f"Location.extension.where(url='{CAP}').extension.where(url='crisisType')",
        ),
        ("Location.position.latitude", "Location.position"),
    ],
)
def test_missing_prefix(expression: str, expected: str) -> None:
    assert missing_prefix(location(), expression) == expected


def test_missing_extension_array_still_reports_the_where() -> None:
    loc = location()
    del loc["extension"]
    assert missing_prefix(loc, f"Location.extension.where(url='{CAP}').extension") == (
        f"Location.extension.where(url='{CAP}')"
    )


@pytest.mark.parametrize(
    "expression",
    [
        f"Location.extension.where(url='{CAP}' and (extension.exists() or id != 'x')).extension[0].value.as(Quantity)",
        "Location.address.line.where($this = 'it\\'s').first()",
        "(Location.extension).last().`url`",
        "Location.extension.where(valueBoolean = true and valueDecimal = 1.5)",
    ],
)
def test_render_round_trips(expression: str) -> None:
    parsed = parse_expression(expression)
    assert parse_expression(render(parsed)) == parsed


def test_locate_does_not_modify_the_resource() -> None:
    loc = location()
    before = copy.deepcopy(loc)
    locate(loc, f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value")
    assert loc == before


ORACLE = [
    "Location.extension.url",
    f"Location.extension.where(url='{CAP}')",
    f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity').value",
    f"Location.extension.where(url='{CAP}' and extension.where(url='capacityType').value.coding.code='01' "
    "and extension.where(url='capacityStatus').value.coding.code='02')",
    f"Location.extension.where(url='{CAP}' and extension.where(url='capacityStatus').value.coding.code!='02')",
    f"Location.extension.where(url='{CAP}' or url='{EQUIPMENT}').extension.where(url='capacityType').value",
    # fhirpathpy wants booleans on both sides of 'and', hence exists() (the locator also takes the bare form).
    f"Location.extension.where(url='{CAP}' and extension.where(url='temporaryAssignement' "
    "and valueCodeableConcept.coding[0].code='02').exists())",
    f"Location.extension.where(url='{CAP}').extension.where(url='nbCapacity' and value = 10)",
    "Location.extension.where(extension.where(url='nbCapacity').exists())",
    "Location.extension.where(extension.exists().not())",
    "Location.extension.where(extension.where(url='hasLimit').value = true).extension.url",
    "Location.extension[1].url",
    "Location.extension.first().url",
    "Location.extension.last()",
    "Location.address.line",
    "Location.type.coding.code",
    "extension.where(url='nope')",
    f"extension.where(url='{CAP}')[2].extension.where(url='capacityType').value.coding",
]


@pytest.mark.parametrize("expression", ORACLE)
def test_values_match_fhirpathpy(expression: str) -> None:
    loc = location()
    assert values(loc, expression) == fhirpath_evaluate(loc, expression, {}, models["r4"])
