"""JSON Patch engine (openror.fhir.patch.apply_json_patch): RFC 6902 operations, RFC 6901 pointers, errors, bounds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch import apply_json_patch
from openror.fhir.patch.json_patch import MAX_OPERATIONS, MAX_POINTER_TOKENS

IG = Path(__file__).parents[1] / "data" / "ig"


def location() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / "Location-ror-location-exemple.json").read_text(encoding="utf-8"))
    return data


def patch(resource: dict[str, Any], *operations: dict[str, Any]) -> dict[str, Any]:
    """Apply, and check on the way that the input is never modified."""
    before = copy.deepcopy(resource)
    try:
        return apply_json_patch(resource, list(operations))
    finally:
        assert resource == before


def fails(resource: dict[str, Any], *operations: Any) -> FhirError:
    before = copy.deepcopy(resource)
    with pytest.raises(FhirError) as err:
        apply_json_patch(resource, list(operations))
    assert resource == before  # atomic: nothing applied
    assert err.value.category is Category.INVALID
    return err.value


def test_add() -> None:
    out = patch(
        location(),
        {"op": "add", "path": "/name", "value": "Unité A"},
        {"op": "add", "path": "/address/line/0", "value": "Bâtiment B"},
        {"op": "add", "path": "/address/line/-", "value": "fin"},
    )
    assert out["name"] == "Unité A"
    assert out["address"]["line"] == ["Bâtiment B", "7 rue porte de Buc", "fin"]


def test_remove_and_replace() -> None:
    loc = location()
    out = patch(
        loc,
        {"op": "remove", "path": "/text"},
        {"op": "replace", "path": "/address/city", "value": "Paris"},
        {"op": "replace", "path": "/extension/1/valueDateTime", "value": "2023-01-01T00:00:00Z"},
    )
    assert "text" not in out
    assert out["address"]["city"] == "Paris"
    assert out["extension"][1]["valueDateTime"] == "2023-01-01T00:00:00Z"


def test_move_and_copy() -> None:
    out = patch(
        location(),
        {"op": "copy", "from": "/address/city", "path": "/name"},
        {"op": "move", "from": "/extension/0", "path": "/extension/-"},
        {"op": "move", "from": "/name", "path": "/name"},
    )
    assert out["name"] == "Versailles"
    assert out["extension"][-1]["url"].endswith("ror-commune-cog")


def test_copy_is_deep() -> None:
    out = patch(location(), {"op": "copy", "from": "/address", "path": "/description"})
    out["description"]["city"] = "changed"
    assert out["address"]["city"] == "Versailles"


def test_test_operation() -> None:
    loc = location()
    assert patch(loc, {"op": "test", "path": "/address/postalCode", "value": "78000"}) == loc
    assert patch(loc, {"op": "test", "path": "/type/0/coding/0", "value": loc["type"][0]["coding"][0]}) == loc
    err = fails(loc, {"op": "test", "path": "/address/postalCode", "value": 78000})
    assert err.issues[0].code == "processing" and "test failed" in err.issues[0].diagnostics


def test_test_compares_json_values() -> None:
    doc = {"resourceType": "Basic", "id": "x", "n": 1, "b": True, "o": {"a": 1, "b": [1, 2]}}
    assert patch(doc, {"op": "test", "path": "/n", "value": 1.0}) == doc
    assert patch(doc, {"op": "test", "path": "/o", "value": {"b": [1, 2], "a": 1}}) == doc
    fails(doc, {"op": "test", "path": "/b", "value": 1})
    fails(doc, {"op": "test", "path": "/o/b", "value": [2, 1]})


def test_pointer_escapes() -> None:
    doc = {"resourceType": "Basic", "id": "x", "a/b": 1, "m~n": 2}
    out = patch(doc, {"op": "replace", "path": "/a~1b", "value": 3}, {"op": "remove", "path": "/m~0n"})
    assert out == {"resourceType": "Basic", "id": "x", "a/b": 3}


@pytest.mark.parametrize(
    ("operation", "message", "code"),
    [
        ({"op": "upsert", "path": "/name"}, "'upsert' is unknown", "invalid"),
        ("add", "is an object", "invalid"),
        ({"op": "add", "path": "name", "value": 1}, "must start with '/'", "invalid"),
        ({"op": "add", "path": 3, "value": 1}, "must be a string", "invalid"),
        ({"op": "add", "path": "/a~2", "value": 1}, "invalid '~' escape", "invalid"),
        ({"op": "add", "path": "/name"}, "needs a 'value'", "invalid"),
        ({"op": "remove", "path": "/nothing"}, "does not exist", "processing"),
        ({"op": "replace", "path": "/nothing", "value": 1}, "does not exist", "processing"),
        ({"op": "add", "path": "/nothing/deeper", "value": 1}, "does not exist", "processing"),
        ({"op": "add", "path": "/address/line/5", "value": "x"}, "out of range", "processing"),
        ({"op": "add", "path": "/address/line/01", "value": "x"}, "not an array index", "processing"),
        ({"op": "remove", "path": "/address/line/-"}, "not an array index", "processing"),
        ({"op": "add", "path": "/address/city/x", "value": 1}, "below a primitive", "processing"),
        ({"op": "move", "from": "/address", "path": "/address/x"}, "own children", "processing"),
        ({"op": "copy", "from": "/nothing", "path": "/x"}, "does not exist", "processing"),
        ({"op": "remove", "path": ""}, "whole resource", "processing"),
    ],
)
def test_errors(operation: Any, message: str, code: str) -> None:
    err = fails(location(), {"op": "add", "path": "/name", "value": "first op, rolled back"}, operation)
    assert message in err.issues[0].diagnostics
    assert err.issues[0].code == code
    assert "JSON Patch operation 1" in err.issues[0].diagnostics


def test_document_must_be_an_array() -> None:
    with pytest.raises(FhirError, match="JSON array"):
        apply_json_patch(location(), {"op": "add"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("operation", "key"),
    [
        ({"op": "replace", "path": "/id", "value": "other"}, "id"),
        ({"op": "remove", "path": "/id"}, "id"),
        ({"op": "replace", "path": "/resourceType", "value": "Patient"}, "resourceType"),
        ({"op": "replace", "path": "", "value": {"resourceType": "Location", "id": "other"}}, "id"),
    ],
)
def test_resource_type_and_id_cannot_change(operation: dict[str, Any], key: str) -> None:
    err = fails(location(), operation)
    assert f"cannot change {key}" in err.issues[0].diagnostics


def test_replace_whole_document_keeping_identity() -> None:
    new = {"resourceType": "Location", "id": "ror-location-exemple", "name": "x"}
    assert patch(location(), {"op": "replace", "path": "", "value": new}) == new


def test_too_many_operations() -> None:
    err = fails(location(), *([{"op": "test", "path": "/id", "value": "ror-location-exemple"}] * (MAX_OPERATIONS + 1)))
    assert err.issues[0].code == "too-costly"


def test_pointer_depth_is_bounded() -> None:
    err = fails(location(), {"op": "remove", "path": "/a" * (MAX_POINTER_TOKENS + 1)})
    assert "deeper than" in err.issues[0].diagnostics


_keys = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F), min_size=1, max_size=12).filter(
    lambda k: k not in location()
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


@given(key=_keys, value=_json)
def test_add_then_remove_restores_the_resource(key: str, value: Any) -> None:
    loc = location()
    added = apply_json_patch(loc, [{"op": "add", "path": _pointer(key), "value": value}])
    assert added[key] == value
    assert apply_json_patch(added, [{"op": "test", "path": _pointer(key), "value": value}]) == added
    assert apply_json_patch(added, [{"op": "remove", "path": _pointer(key)}]) == loc
