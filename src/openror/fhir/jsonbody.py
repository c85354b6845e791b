"""Parse a request body into a FHIR JSON resource with bounds (spec checklist 20, 31).

Bounds: size (checked by the caller while reading), nesting depth and array length, so that no
body can make the server walk unbounded structures.
"""

from __future__ import annotations

from typing import Any

import orjson

from openror.fhir.errors import Category, FhirError


def parse_json(body: bytes, *, max_depth: int, max_array: int) -> Any:
    """Parse ``body``; raise a 400 FhirError when it is not JSON or exceeds the bounds."""
    if not body.strip():
        raise FhirError.of(Category.STRUCTURE, "empty request body: a FHIR JSON resource is expected")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FhirError.of(Category.STRUCTURE, f"body is not valid JSON: {exc}") from None
    check_bounds(value, max_depth=max_depth, max_array=max_array)
    return value


def check_bounds(value: Any, *, max_depth: int, max_array: int) -> None:
    """Check nesting depth and array lengths (recursion bounded by ``max_depth``)."""

    def walk(node: Any, depth: int) -> None:
        if depth > max_depth:
            raise FhirError.of(Category.STRUCTURE, f"JSON nesting deeper than {max_depth} levels")
        if type(node) is dict:
            for v in node.values():
                if type(v) is dict or type(v) is list:
                    walk(v, depth + 1)
        else:
            if len(node) > max_array:
                raise FhirError.of(Category.STRUCTURE, f"JSON array longer than {max_array} items")
            for v in node:
                if type(v) is dict or type(v) is list:
                    walk(v, depth + 1)

    if type(value) is dict or type(value) is list:
        walk(value, 1)


def parse_resource(body: bytes, *, max_depth: int, max_array: int, expected_type: str | None = None) -> dict[str, Any]:
    """Parse a body that must be one FHIR resource (of ``expected_type`` when given)."""
    value = parse_json(body, max_depth=max_depth, max_array=max_array)
    return check_resource(value, expected_type)


def check_resource(value: Any, expected_type: str | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FhirError.of(Category.STRUCTURE, "body must be a JSON object (a FHIR resource)")
    rtype = value.get("resourceType")
    if not isinstance(rtype, str):
        raise FhirError.of(Category.STRUCTURE, "resourceType is missing", expression="resourceType")
    if expected_type is not None and rtype != expected_type:
        raise FhirError.of(
            Category.STRUCTURE,
            f"resourceType '{rtype}' does not match the endpoint type '{expected_type}'",
            expression="resourceType",
        )
    return value
