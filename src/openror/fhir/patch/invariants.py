"""What every patch must preserve (R4 http.html#patch): a copy to work on, and the resource's type and id.

Both patch formats work on a private copy, so a failure half-way leaves the caller's resource
untouched (atomicity), and refuse a result whose ``resourceType`` or ``id`` differs: a PATCH
changes one resource, it cannot retarget or retype it.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from openror.fhir.errors import Category, FhirError


def deep_copy(value: Any) -> Any:
    """A deep copy of JSON data; orjson is several times faster than copy.deepcopy."""
    try:
        return orjson.loads(orjson.dumps(value))
    except (orjson.JSONEncodeError, TypeError):
        return copy.deepcopy(value)  # non-JSON scalars (Decimal...) or over-wide integers


def check_identity(before: dict[str, Any], after: Any) -> dict[str, Any]:
    """``after`` if it is still the same resource as ``before``, else a 400."""
    if not isinstance(after, dict):
        raise FhirError.of(Category.INVALID, "the patch must leave a resource (a JSON object)")
    for key in ("resourceType", "id"):
        if before.get(key) != after.get(key):
            raise FhirError.of(
                Category.INVALID,
                f"a patch cannot change {key} (was {before.get(key)!r}, patched {after.get(key)!r})",
                expression=f"{before.get('resourceType', 'Resource')}.{key}",
            )
    return after
