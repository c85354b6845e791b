"""Tier (b): R4 structure via fhir.resources R4B, and validate() combining both tiers."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openror.fhir.errors import Category, FhirError
from openror.fhir.terminology import packaged_terminology
from openror.fhir.validation import ValidationResult, validate
from openror.fhir.validation.structure import validate_structure

IG = Path(__file__).parents[1] / "data" / "ig"
EXAMPLES = ["HealthcareService-1234564.json", "Location-ror-location-exemple.json", "Task-ror-task-exemple.json"]
T = packaged_terminology()


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text(encoding="utf-8"))
    return data


def location() -> dict[str, Any]:
    return example("Location-ror-location-exemple.json")


@pytest.mark.parametrize("name", EXAMPLES)
def test_ig_examples_are_structurally_valid(name: str) -> None:
    assert validate_structure(example(name)) == []


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(res: dict[str, Any]) -> None:
        node: Any = res
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _append(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(res: dict[str, Any]) -> None:
        node: Any = res
        for key in path:
            node = node[key]
        node.append(value)

    return mutate


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown element", _set(["foo"], 1), "structure", "Location.foo"),
    ("unknown element in an extension", _set(["extension", 1, "foo"], "x"), "structure", "Location.extension[1].foo"),
    ("bad date", _set(["extension", 1, "valueDateTime"], "2022-13-45"), "value", "Location.extension[1].valueDateTime"),
    (
        "date-time without zone",
        _set(["extension", 1, "valueDateTime"], "2022-01-01T10:00:00"),
        "value",
        "Location.extension[1].valueDateTime",
    ),
    ("bad id", _set(["id"], "a b$"), "value", "Location.id"),
    ("extension without url", _append(["extension"], {"valueString": "x"}), "required", "Location.extension[2].url"),
    ("value[x] twice", _set(["extension", 1, "valueString"], "x"), "structure", "Location.extension[1]"),
    ("empty string", _set(["name"], ""), "structure", "Location.name"),
    ("null", _set(["name"], None), "structure", "Location.name"),
    ("empty array", _set(["alias"], []), "structure", "Location.alias"),
    ("empty object", _set(["position"], {}), "structure", "Location.position"),
    (
        "extension with neither value nor extensions",
        _append(["extension"], {"url": "x"}),
        "structure",
        "Location.extension[2]",
    ),
    (
        "extension with both value and extensions",
        _append(["extension"], {"url": "x", "valueString": "a", "extension": [{"url": "y", "valueString": "b"}]}),
        "structure",
        "Location.extension[2]",
    ),
    ("bad decimal", _set(["position"], {"latitude": "abc", "longitude": 1}), "value", "Location.position.latitude"),
    ("missing mandatory child", _set(["position"], {"latitude": 48.8}), "required", "Location.position.longitude"),
    ("string given a number", _set(["name"], 5), "structure", "Location.name"),
    ("object where an array is expected", _set(["type"], {"text": "x"}), "structure", "Location.type"),
    (
        "bad primitive extension value",
        _append(["address", "_line", 0, "extension"], {"url": "x", "valueDate": "bad"}),
        "value",
        "Location.address.line[0].extension[3].valueDate",
    ),
    ("bad instant", _set(["meta", "lastUpdated"], "2023-12-20"), "value", "Location.meta.lastUpdated"),
]


@pytest.mark.parametrize(("label", "mutate", "code", "expression"), CASES, ids=[c[0] for c in CASES])
def test_structural_errors(label: str, mutate: Callable[[dict[str, Any]], None], code: str, expression: str) -> None:
    res = location()
    mutate(res)
    issues = validate_structure(res)
    assert [(i.code, i.expression) for i in issues] == [(code, (expression,))], [i.diagnostics for i in issues]
    assert all(i.severity == "error" for i in issues)


def test_aligned_nulls_of_primitive_arrays_are_allowed() -> None:
    res = location()
    res["address"]["line"] = ["7", "rue porte de Buc"]
    res["address"]["_line"] = [None, {"extension": [{"url": "x", "valueString": "y"}]}]
    assert validate_structure(res) == []


def test_resource_type() -> None:
    assert validate_structure({"resourceType": "Patient"})[0].code == "not-supported"
    assert validate_structure({"id": "x"})[0].expression == ("resourceType",)


def test_task_input_unknown_choice() -> None:
    res = example("Task-ror-task-exemple.json")
    res["input"][0]["valueFoo"] = 1
    assert [i.expression for i in validate_structure(res)] == [("Task.input[0].valueFoo",)]


def test_fhir_resources_is_imported_lazily() -> None:
    code = "import sys, openror.fhir.validation; assert 'fhir.resources' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- validate(): both tiers, status mapping ------------------------------------------------------------


def test_validate_valid_resource_keeps_warnings() -> None:
    res = example("Task-ror-task-exemple.json")
    result = validate(res, terminology=T, structural=True)
    assert result.ok and result.errors == ()
    assert len(result.warnings) == 2 and len(result.information) == 1
    result.raise_for_errors()  # no exception


def test_structural_errors_come_first_and_map_to_400() -> None:
    res = location()
    res["foo"] = 1
    res["status"] = "bogus"  # a profile error too, not reported: tier (a) is skipped
    result = validate(res, terminology=T, structural=True)
    assert result.structural
    assert [i.expression for i in result.errors] == [("Location.foo",)]
    with pytest.raises(FhirError) as err:
        result.raise_for_errors()
    assert err.value.category is Category.STRUCTURE


def test_profile_errors_map_to_422() -> None:
    res = location()
    res["status"] = "bogus"
    result = validate(res, terminology=T, structural=True)
    assert not result.structural
    with pytest.raises(FhirError) as err:
        result.raise_for_errors()
    assert err.value.category is Category.PROFILE
    assert [i.expression for i in err.value.issues if i.severity == "error"] == [("Location.status",)]


def test_structural_tier_can_be_skipped() -> None:
    res = location()
    res["foo"] = 1
    assert validate(res, terminology=T, structural=False).ok
    assert validate({"id": "x"}, terminology=T, structural=False).structural


def test_validate_passes_its_options_to_the_ror_tier() -> None:
    res = location()
    res["extension"] = res["extension"][:1]
    assert not validate(res, terminology=T, structural=True).ok
    assert validate(res, terminology=T, structural=True, server_fills_meta=True).ok


def test_validation_result_is_immutable_and_split_by_severity() -> None:
    result = ValidationResult(())
    assert result.ok and result.errors == () and result.warnings == ()
    with pytest.raises(AttributeError):
        result.structural = True  # type: ignore[misc]


def test_structure_does_not_modify_the_resource() -> None:
    res = example("HealthcareService-1234564.json")
    before = copy.deepcopy(res)
    validate_structure(res)
    assert res == before
