"""Read the ``value`` of a FHIRPath Patch operation into FHIR JSON (R4 fhirpatch.html, "value" and anonymous types).

A value is either one ``value[x]`` (any R4 open type: ``valueInteger``, ``valueCodeableConcept``...)
or, for types Parameters cannot carry (``Extension``, backbone elements), nested ``part``s named
by element: a ``url`` part and ``extension`` parts for a complex extension, each sub-extension a
``url`` part plus a ``value`` part holding ``valueCodeableConcept``, ``valueInteger``... The
element model turns ``value`` + ``valueInteger`` into the JSON key ``valueInteger`` and tells which
elements repeat, so that a single ``extension`` part still becomes a JSON array.
"""

from __future__ import annotations

from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch.datatypes import SUFFIX_TO_TYPE, json_shape_error
from openror.fhir.patch.model import ElementModel

MAX_VALUE_DEPTH = 32  # nesting of ``part`` inside a value

_ALWAYS_REPEATING = frozenset({"extension", "modifierExtension"})


def _invalid(message: str, where: str) -> FhirError:
    return FhirError.of(Category.INVALID, message, expression=where)


def value_type(part: dict[str, Any]) -> tuple[str, str] | None:
    """``(key, FHIR type)`` of the part's ``value[x]``, e.g. ``("valueInteger", "integer")``."""
    for key in part:
        suffix = key[len("value") :] if key.startswith("value") else ""
        if suffix in SUFFIX_TO_TYPE:
            return key, SUFFIX_TO_TYPE[suffix]
    return None


def check_value(part: dict[str, Any], where: str) -> None:
    """Check the shape of a value part before any path is evaluated, so that a malformed body is a
    400 even when its path would not match (a 404 would send the supplier the wrong way)."""
    stack: list[tuple[dict[str, Any], str, int]] = [(part, where, 0)]
    while stack:
        cur, cur_where, depth = stack.pop()
        if depth > MAX_VALUE_DEPTH:
            raise _invalid(f"patch value nested deeper than {MAX_VALUE_DEPTH} levels", cur_where)
        typed = value_type(cur)
        parts = cur.get("part")
        if typed is not None and parts is not None:
            raise _invalid("a part has either a value[x] or nested parts, not both", cur_where)
        if typed is not None:
            problem = json_shape_error(typed[1], cur[typed[0]])
            if problem:
                raise _invalid(f"{typed[0]} {problem}", cur_where)
            continue
        if not isinstance(parts, list) or not parts:
            raise _invalid("the value is missing: give a value[x] (e.g. valueInteger) or nested parts", cur_where)
        for j, sub in enumerate(parts):
            sub_where = f"{cur_where}.part[{j}]"
            if not isinstance(sub, dict) or not isinstance(sub.get("name"), str) or not sub["name"]:
                raise _invalid("each part of a value needs a 'name': the element it gives", sub_where)
            stack.append((sub, sub_where, depth + 1))


def read_value(part: dict[str, Any], *, type_name: str | None, model: ElementModel, where: str, depth: int = 0) -> Any:
    """The FHIR JSON given by ``part`` for an element of type ``type_name`` (None: unknown).

    ``part`` must have passed ``check_value``; recursion follows its (bounded) nesting.
    """
    typed = value_type(part)
    if typed is not None:
        return part[typed[0]]
    return _from_parts(part["part"], type_name=type_name, model=model, where=where, depth=depth)


def _from_parts(
    parts: list[dict[str, Any]], *, type_name: str | None, model: ElementModel, where: str, depth: int
) -> dict[str, Any]:
    if depth > MAX_VALUE_DEPTH:
        raise _invalid(f"patch value nested deeper than {MAX_VALUE_DEPTH} levels", where)
    out: dict[str, Any] = {}
    for j, sub in enumerate(parts):
        sub_where = f"{where}.part[{j}]"
        name: str = sub["name"]
        typed = value_type(sub)
        info = model.element(type_name, name, typed[1] if typed else None) if type_name else None
        if info is None and type_name is not None and model.knows(type_name):
            raise _invalid(f"{type_name} has no element {name!r}", sub_where)
        key = info.key if info else name
        child = read_value(
            sub,
            type_name=info.type_name if info else None,
            model=model,
            where=sub_where,
            depth=depth + 1,
        )
        repeating = info.repeating if info else name in _ALWAYS_REPEATING
        if repeating:
            out.setdefault(key, []).append(child)
        elif key in out:
            if info is not None:
                hint = (
                    "; each sub-extension is its own part named 'extension' with one 'url' part and one 'value' part"
                    if name == "url"
                    else ""
                )
                raise _invalid(f"{type_name}.{name} does not repeat but is given more than once{hint}", sub_where)
            # Unknown type: several parts of the same name can only mean a list.
            prev = out[key]
            out[key] = [*prev, child] if isinstance(prev, list) else [prev, child]
        else:
            out[key] = child
    return out
