"""FHIRPath Patch engine (openror.fhir.patch): operations, ROR capacity scenarios, errors, IG defects."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch import apply_fhirpath_patch, find_ig_defects
from openror.fhir.patch.fhirpath_patch import MAX_OPERATIONS
from openror.fhir.patch.locator import MAX_EXPRESSION_LENGTH, locate

IG = Path(__file__).parents[1] / "data" / "ig"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition"
CAP = f"{ROR_SD}/ror-location-supported-capacity"
IG_PAGE_CAP = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition-ror-location-supported-capacity"
NOS = "https://mos.esante.gouv.fr/NOS"
TYPE_SYSTEM = f"{NOS}/TRE_R329-NatureCapacite/FHIR/TRE-R329-NatureCapacite"
STATUS_SYSTEM = f"{NOS}/TRE_R330-TypeStatutCapacite/FHIR/TRE-R330-TypeStatutCapacite"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text(encoding="utf-8"))
    return data


def coded(url: str, code: str, system: str = TYPE_SYSTEM) -> dict[str, Any]:
    return {"url": url, "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}


def capacity(ctype: str, status: str, nb: int) -> dict[str, Any]:
    return {
        "url": CAP,
        "extension": [
            coded("capacityType", ctype),
            coded("capacityStatus", status, STATUS_SYSTEM),
            coded("temporalityCapacity", "01"),
            {"url": "nbCapacity", "valueInteger": nb},
            coded("capacitySourceType", "02"),
            {"url": "capacityUpdateDate", "valueDateTime": "2024-02-02T11:30:00+01:00"},
            coded("temporaryAssignement", "01"),
        ],
    }


def location(*records: dict[str, Any]) -> dict[str, Any]:
    loc = load("Location-ror-location-exemple.json")
    loc["extension"] += list(records)
    return loc


def op(type_: str, path: str, **parts: Any) -> dict[str, Any]:
    """One ``operation`` parameter; ``value`` is the raw value part (minus its name)."""
    out: list[dict[str, Any]] = [{"name": "type", "valueCode": type_}, {"name": "path", "valueString": path}]
    for name, given_part in parts.items():
        if name == "name":
            out.append({"name": "name", "valueString": given_part})
        elif name in ("index", "source", "destination"):
            out.append({"name": name, "valueInteger": given_part})
        else:
            out.append({"name": name, **given_part})
    return {"name": "operation", "part": out}


def params(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(operations)}


def patch(resource: dict[str, Any], *operations: dict[str, Any]) -> dict[str, Any]:
    """Apply, and check on the way that the input is never modified."""
    before = copy.deepcopy(resource)
    try:
        return apply_fhirpath_patch(resource, params(*operations))
    finally:
        assert resource == before


def fails(resource: dict[str, Any], *operations: dict[str, Any]) -> FhirError:
    with pytest.raises(FhirError) as err:
        patch(resource, *operations)
    return err.value


def record_path(ctype: str, status: str) -> str:
    return (
        f"Location.extension.where(url='{CAP}' and extension.where(url='capacityType').value.coding.code='{ctype}' "
        f"and extension.where(url='capacityStatus').value.coding.code='{status}')"
    )


def nb(resource: dict[str, Any], ctype: str, status: str) -> list[Any]:
    return [n.value for n in locate(resource, record_path(ctype, status) + ".extension.where(url='nbCapacity').value")]


def sub_part(url: str, **value: Any) -> dict[str, Any]:
    """A sub-extension given as parts: url + value[x]."""
    return {"name": "extension", "part": [{"name": "url", "valueUri": url}, {"name": "value", **value}]}


def concept(code: str, system: str = TYPE_SYSTEM) -> dict[str, Any]:
    return {"valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}


def capacity_parts(ctype: str, status: str, count: int) -> dict[str, Any]:
    """The whole capacity record of ``capacity()`` as FHIRPath Patch nested parts."""
    return {
        "part": [
            {"name": "url", "valueUri": CAP},
            sub_part("capacityType", **concept(ctype)),
            sub_part("capacityStatus", **concept(status, STATUS_SYSTEM)),
            sub_part("temporalityCapacity", **concept("01")),
            sub_part("nbCapacity", valueInteger=count),
            sub_part("capacitySourceType", **concept("02")),
            sub_part("capacityUpdateDate", valueDateTime="2024-02-02T11:30:00+01:00"),
            sub_part("temporaryAssignement", **concept("01")),
        ]
    }


# --- each operation --------------------------------------------------------------------------


def test_empty_patch_is_a_copy() -> None:
    loc = location()
    out = patch(loc)
    assert out == loc and out is not loc


def test_add_primitive_and_complex() -> None:
    out = patch(
        location(),
        op("add", "Location", name="description", value={"valueString": "Unité A"}),
        op(
            "add",
            "Location",
            name="position",
            value={
                "part": [
                    {"name": "longitude", "valueDecimal": 2.13},
                    {"name": "latitude", "valueDecimal": 48.8},
                ]
            },
        ),
    )
    assert out["description"] == "Unité A"
    assert out["position"] == {"longitude": 2.13, "latitude": 48.8}


def test_add_to_a_list_that_does_not_exist_yet_creates_it() -> None:
    hcs = load("HealthcareService-1234564.json")
    hcs.pop("location", None)
    out = patch(
        hcs,
        op(
            "add",
            "HealthcareService",
            name="location",
            value={"part": [{"name": "reference", "valueString": "Location/YYY"}]},
        ),
    )
    assert out["location"] == [{"reference": "Location/YYY"}]


def test_add_existing_non_repeating_element_is_400() -> None:
    task = load("Task-ror-task-exemple.json")
    err = fails(task, op("add", "Task", name="businessStatus", value={"valueCodeableConcept": {"text": "x"}}))
    assert err.category is Category.INVALID and "use replace" in err.issues[0].diagnostics


def test_add_unknown_element_is_400() -> None:
    err = fails(location(), op("add", "Location", name="colour", value={"valueString": "blue"}))
    assert "Location has no element 'colour'" in err.issues[0].diagnostics


def test_replace_task_business_status() -> None:
    # Spec b.6: a data owner closes an anomaly (08 corrigée).
    task = load("Task-ror-task-exemple.json")
    status = {
        "coding": [{"system": f"{NOS}/TRE_R352-StatutMetierAnomalie/FHIR/TRE-R352-StatutMetierAnomalie", "code": "08"}]
    }
    out = patch(task, op("replace", "Task.businessStatus", value={"valueCodeableConcept": status}))
    assert out["businessStatus"] == status
    assert {k: v for k, v in out.items() if k != "businessStatus"} == {
        k: v for k, v in task.items() if k != "businessStatus"
    }


def test_replace_choice_value_with_another_type_renames_the_key() -> None:
    loc = location({"url": "https://example.org/x", "valueString": "a"})
    out = patch(
        loc, op("replace", "Location.extension.where(url='https://example.org/x').value", value={"valueInteger": 3})
    )
    assert out["extension"][-1] == {"url": "https://example.org/x", "valueInteger": 3}


def test_insert_and_move() -> None:
    loc = location()
    loc["identifier"] = [{"value": "a"}, {"value": "b"}]
    out = patch(
        loc,
        op("insert", "Location.identifier", index=1, value={"valueIdentifier": {"value": "c"}}),
        op("move", "Location.identifier", source=0, destination=2),
    )
    assert [i["value"] for i in out["identifier"]] == ["c", "b", "a"]


def test_insert_into_missing_list_at_zero() -> None:
    out = patch(location(), op("insert", "identifier", index=0, value={"valueIdentifier": {"value": "a"}}))
    assert out["identifier"] == [{"value": "a"}]


def test_insert_beyond_the_end_and_bad_move_are_400() -> None:
    loc = location()
    assert (
        "beyond the end"
        in fails(loc, op("insert", "Location.type", index=5, value={"valueCodeableConcept": {"text": "x"}}))
        .issues[0]
        .diagnostics
    )
    assert (
        "source 3 is beyond" in fails(loc, op("move", "Location.type", source=3, destination=0)).issues[0].diagnostics
    )
    assert (
        "not a list"
        in fails(loc, op("insert", "Location.address", index=0, value={"valueAddress": {}})).issues[0].diagnostics
    )
    assert (
        "must end with the name"
        in fails(loc, op("insert", "Location.type.first()", index=0, value={"valueString": "x"})).issues[0].diagnostics
    )


def test_primitive_list_keeps_its_extensions_aligned() -> None:
    loc = location()
    out = patch(loc, op("insert", "Location.address.line", index=0, value={"valueString": "Bâtiment B"}))
    assert out["address"]["line"] == ["Bâtiment B", "7 rue porte de Buc"]
    assert out["address"]["_line"][0] is None and out["address"]["_line"][1] == loc["address"]["_line"][0]
    removed = patch(loc, op("delete", "Location.address.line[0]"))
    assert "line" not in removed["address"] and "_line" not in removed["address"]
    assert removed["address"]["city"] == "Versailles"


def test_delete_prunes_emptied_parents() -> None:
    loc = location()
    loc["position"] = {"longitude": 2.1, "latitude": 48.8}
    out = patch(loc, op("delete", "Location.position.longitude"), op("delete", "Location.position.latitude"))
    assert "position" not in out


def test_delete_whole_resource_or_computed_value_is_400() -> None:
    assert "the whole resource" in fails(location(), op("delete", "Location")).issues[0].diagnostics
    assert "a computed value" in fails(location(), op("delete", "Location.extension.exists()")).issues[0].diagnostics


# --- ROR capacity scenarios (spec b.10, e) ---------------------------------------------------


def test_replace_nb_capacity_selected_by_coded_sub_extensions() -> None:
    loc = location(capacity("01", "02", 3), capacity("01", "01", 10), capacity("02", "02", 4))
    path = record_path("01", "02") + ".extension.where(url='nbCapacity').value"
    out = patch(loc, op("replace", path, value={"valueInteger": 5}))
    assert nb(out, "01", "02") == [5]
    assert nb(out, "01", "01") == [10] and nb(out, "02", "02") == [4]


def test_replace_a_whole_record() -> None:
    loc = location(capacity("01", "02", 3), capacity("01", "01", 10))
    out = patch(loc, op("replace", record_path("01", "02"), value=capacity_parts("01", "02", 8)))
    assert out["extension"][2] == capacity("01", "02", 8)
    assert out["extension"][3] == capacity("01", "01", 10)


def test_add_a_full_capacity_record_as_nested_parts() -> None:
    loc = location(capacity("01", "01", 10))
    out = patch(loc, op("add", "Location", name="extension", value=capacity_parts("02", "02", 4)))
    assert out["extension"][-1] == capacity("02", "02", 4)
    assert out["extension"][:-1] == loc["extension"]


def test_delete_a_record() -> None:
    loc = location(capacity("01", "02", 3), capacity("01", "01", 10))
    out = patch(loc, op("delete", record_path("01", "02")))
    assert out["extension"] == [*loc["extension"][:2], capacity("01", "01", 10)]


def test_replace_of_a_missing_record_is_404_on_the_supported_capacity_extension() -> None:
    # The supplier's algorithm: replace → 404 with this expression → add.
    loc = location(capacity("01", "01", 10))
    path = record_path("01", "02") + ".extension.where(url='nbCapacity').value"
    err = fails(loc, op("replace", path, value={"valueInteger": 5}))
    assert err.category is Category.NOT_FOUND
    assert err.issues[0].code == "not-found"
    assert err.issues[0].expression == (f"Location.extension.where(url='{CAP}')",)
    assert "send 'add'" in err.issues[0].diagnostics
    # ... and the add the supplier then sends succeeds.
    out = patch(loc, op("add", "Location", name="extension", value=capacity_parts("01", "02", 5)))
    assert nb(out, "01", "02") == [5]


def test_missing_sub_extension_gives_a_deeper_expression() -> None:
    loc = location(capacity("01", "02", 3))
    err = fails(
        loc, op("replace", record_path("01", "02") + ".extension.where(url='crisisType').value", value=concept("01"))
    )
    assert err.category is Category.NOT_FOUND
    assert err.issues[0].expression == (f"Location.extension.where(url='{CAP}').extension.where(url='crisisType')",)


def test_delete_of_a_missing_record_is_404_unless_lenient() -> None:
    loc = location(capacity("01", "01", 10))
    err = fails(loc, op("delete", record_path("01", "02")))
    assert err.category is Category.NOT_FOUND
    assert err.issues[0].expression == (f"Location.extension.where(url='{CAP}')",)
    assert apply_fhirpath_patch(loc, params(op("delete", record_path("01", "02"))), strict_delete=False) == loc


def test_ambiguous_replace_is_400_multiple_matches() -> None:
    loc = location(capacity("01", "02", 3), capacity("01", "02", 7))
    err = fails(
        loc,
        op("replace", record_path("01", "02") + ".extension.where(url='nbCapacity').value", value={"valueInteger": 1}),
    )
    assert err.category is Category.INVALID
    assert err.issues[0].code == "multiple-matches"
    assert "matches 2 elements" in err.issues[0].diagnostics


# --- atomicity, identity, bounds, malformed bodies -------------------------------------------


def test_operations_are_atomic() -> None:
    loc = location(capacity("01", "02", 3))
    before = copy.deepcopy(loc)
    err = fails(
        loc,
        op("replace", record_path("01", "02") + ".extension.where(url='nbCapacity').value", value={"valueInteger": 9}),
        op("replace", record_path("02", "02") + ".extension.where(url='nbCapacity').value", value={"valueInteger": 9}),
    )
    assert err.category is Category.NOT_FOUND
    assert loc == before


def test_a_malformed_later_operation_is_400_even_if_an_earlier_one_is_404() -> None:
    err = fails(
        location(),
        op("delete", record_path("09", "09")),
        op("delete", "Location.extension.where(url='a' and and url='b')"),
    )
    assert err.category is Category.INVALID


def test_operations_apply_in_order() -> None:
    loc = location()
    out = patch(
        loc,
        op("add", "Location", name="extension", value=capacity_parts("01", "02", 1)),
        op("replace", record_path("01", "02") + ".extension.where(url='nbCapacity').value", value={"valueInteger": 2}),
    )
    assert nb(out, "01", "02") == [2]


@pytest.mark.parametrize(
    ("operation", "key"),
    [
        (op("replace", "Location.id", value={"valueId": "other"}), "id"),
        (op("delete", "Location.id"), "id"),
        (op("replace", "Location.resourceType", value={"valueString": "Patient"}), "resourceType"),
    ],
)
def test_resource_type_and_id_cannot_change(operation: dict[str, Any], key: str) -> None:
    err = fails(location(), operation)
    assert err.category is Category.INVALID and f"cannot change {key}" in err.issues[0].diagnostics


def test_meta_may_change() -> None:
    out = patch(location(), op("replace", "Location.meta.lastUpdated", value={"valueInstant": "2030-01-01T00:00:00Z"}))
    assert out["meta"]["lastUpdated"] == "2030-01-01T00:00:00Z"


def test_over_long_path_is_400() -> None:
    path = "Location.extension.where(url='" + "x" * MAX_EXPRESSION_LENGTH + "')"
    err = fails(location(), op("delete", path))
    assert err.category is Category.INVALID and "longer than" in err.issues[0].diagnostics


def test_too_many_operations_is_400() -> None:
    many = [op("replace", "Location.name", value={"valueString": "x"})] * (MAX_OPERATIONS + 1)
    err = fails(location(), *many)
    assert err.category is Category.INVALID and err.issues[0].code == "too-costly"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"resourceType": "Bundle"}, "is a Parameters resource"),
        ({"resourceType": "Parameters", "parameter": {}}, "must be an array"),
        (params({"name": "op", "part": []}), "named 'operation'"),
        (params({"name": "operation", "part": [{"name": "path", "valueString": "Location"}]}), "needs a 'type'"),
        (params(op("upsert", "Location")), "'upsert' is unknown"),
        (params(op("replace", "Location.name")), "replace needs the part(s) value"),
        (params(op("delete", "Location.name", name="x")), "delete does not take the part(s) name"),
        (params(op("insert", "Location.type", index=-1, value={"valueString": "x"})), "valueInteger >= 0"),
        (params({"name": "operation", "part": [{"name": "type", "valueCode": "delete"}] * 2}), "more than once"),
        (params(op("replace", "Location.name", value={})), "the value is missing"),
        (params(op("replace", "Location.name", value={"valueString": "a", "part": []})), "not both"),
        (params(op("add", "Location", name="position", value={"part": [{"valueDecimal": 1.0}]})), "needs a 'name'"),
        (
            params(op("add", "Location", name="position", value={"part": [{"name": "latitude", "valueDecimal": "4"}]})),
            "must be a JSON number",
        ),
        # A malformed value is a 400 even when the path matches nothing (not a misleading 404).
        (params(op("replace", "Location.name", value={"valueInteger": "1"})), "must be a JSON number"),
    ],
)
def test_malformed_patch_is_400(body: dict[str, Any], message: str) -> None:
    with pytest.raises(FhirError) as err:
        apply_fhirpath_patch(location(), body)
    assert err.value.category is Category.INVALID
    assert message in err.value.issues[0].diagnostics


def test_value_type_must_fit_its_json_shape() -> None:
    err = fails(location(), op("replace", "Location.name", value={"valueBoolean": "yes"}))
    assert "must be a JSON boolean" in err.issues[0].diagnostics


def test_non_repeating_element_given_twice_in_parts_is_400() -> None:
    value = {"part": [{"name": "url", "valueUri": CAP}, {"name": "url", "valueUri": CAP}]}
    err = fails(location(), op("add", "Location", name="extension", value=value))
    # The defect checker catches the flattened form first, with the IG hint.
    assert "each sub-extension must be its own part" in err.issues[0].diagnostics


# --- invalid forms printed in the IG pages (spec "Known defects" 8) ------------------------


def ig_scenario_2() -> dict[str, Any]:
    """Scenario 2 of IG page 10, as printed (abridged: same defects)."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueString": "add"},
                    {"name": "path", "valueString": "Location"},
                    {
                        "name": "extension",
                        "part": [
                            {
                                "name": "url",
                                "valueUri": IG_PAGE_CAP,
                            },
                            {
                                "name": "extension",
                                "part": [
                                    {"name": "url", "valueString": "capacityType"},
                                    {"name": "value", **concept("01")},
                                    {"name": "url", "valueString": "nbCapacity"},
                                    {"name": "value", "valueInt": "2"},
                                ],
                            },
                        ],
                    },
                ],
            }
        ],
    }


def test_ig_scenario_2_reports_every_defect_with_its_fix() -> None:
    with pytest.raises(FhirError) as err:
        apply_fhirpath_patch(location(), ig_scenario_2())
    assert err.value.category is Category.INVALID
    text = "\n".join(i.diagnostics for i in err.value.issues)
    assert 'send "valueInteger": 2' in text
    assert f"send '{CAP}'" in text
    assert "operation part 'extension' is not a FHIRPath Patch part" in text
    assert '{"name": "name", "valueString": "extension"}' in text
    assert "each sub-extension must be its own part" in text
    assert all(i.expression and i.expression[0].startswith("Parameters.parameter[0]") for i in err.value.issues)


@pytest.mark.parametrize(
    ("value_part", "hint"),
    [
        ({"valueInt": "2"}, 'send "valueInteger": 2 (a JSON number)'),
        ({"valueInteger": "2"}, 'send "valueInteger": 2'),
        ({"value": 3}, 'send "valueInteger": 3'),
        (
            {"quantity": [{"value": "300", "unit": "kg"}]},
            'send "valueQuantity": {…} (an object, not an array), e.g. "valueQuantity": {"value": 300',
        ),
        ({"valueQuantity": [{"value": 300, "unit": "kg"}]}, 'send "valueQuantity": {…} without the surrounding [ ]'),
        ({"valueExtension": {"url": "x"}}, "R4 Parameters has no valueExtension"),
        ({"valueStrin": "x"}, "did you mean 'valueString'?"),
        ({"part": [{"url": CAP, "extension": []}]}, "'url' cannot appear directly in a part"),
    ],
)
def test_ig_value_defects_are_400_with_hint(value_part: dict[str, Any], hint: str) -> None:
    err = fails(location(capacity("01", "01", 1)), op("replace", record_path("01", "01"), value=value_part))
    assert err.category is Category.INVALID
    assert any(hint in i.diagnostics for i in err.issues), [i.diagnostics for i in err.issues]


def test_ig_typed_name_with_untyped_value_is_400_with_hint() -> None:
    # IG scenario 3: {"name": "valueInteger", "value": 0} instead of {"name": "value", "valueInteger": 0}.
    body = params(
        {
            "name": "operation",
            "part": [
                {"name": "type", "valueString": "replace"},
                {"name": "path", "valueString": "Location.name"},
                {"name": "valueInteger", "value": 0},
            ],
        }
    )
    issues = find_ig_defects(body)
    assert any('send {"name": "value", "valueInteger": 0}' in i.diagnostics for i in issues)
    with pytest.raises(FhirError):
        apply_fhirpath_patch(location(), body)


def test_ig_page_url_in_path_is_400_with_hint() -> None:
    bad = f"Location.extension.where(url='{IG_PAGE_CAP}.html')"
    err = fails(location(), op("delete", bad))
    assert f"send '{CAP}'" in err.issues[0].diagnostics


def test_valid_patch_has_no_ig_defects() -> None:
    body = params(op("add", "Location", name="extension", value=capacity_parts("01", "02", 4)))
    assert find_ig_defects(body) == []


def test_free_text_may_cite_an_ig_page() -> None:
    text = f"voir {IG_PAGE_CAP}.html"
    out = patch(location(), op("add", "Location", name="description", value={"valueString": text}))
    assert out["description"] == text


# --- property --------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=0, max_size=20)


@settings(deadline=None)  # the first example pays the lazy import of the element model
@given(
    suffix=st.from_regex(r"[a-z0-9\-]{1,20}", fullmatch=True),
    value=st.one_of(
        _text.map(lambda s: {"valueString": s}),
        st.integers(min_value=-(2**31), max_value=2**31 - 1).map(lambda i: {"valueInteger": i}),
        st.booleans().map(lambda b: {"valueBoolean": b}),
    ),
)
def test_add_then_delete_restores_the_resource(suffix: str, value: dict[str, Any]) -> None:
    loc = location(capacity("01", "02", 3))
    url = f"https://example.org/fhir/StructureDefinition/{suffix}"
    added = apply_fhirpath_patch(
        loc,
        params(
            op(
                "add",
                "Location",
                name="extension",
                value={"part": [{"name": "url", "valueUri": url}, {"name": "value", **value}]},
            )
        ),
    )
    assert added["extension"][-1] == {"url": url, **value}
    restored = apply_fhirpath_patch(added, params(op("delete", f"Location.extension.where(url='{url}')")))
    assert restored == loc
