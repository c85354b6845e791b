"""FHIR R4 data types usable as ``value[x]`` (R4 datatypes.html#open, parameters.html) and their JSON shapes.

Shared by the locator (``value`` resolves to ``valueString``, ``valueCodeableConcept``...) and by
the patch value reader (``valueInteger`` must be a JSON number, ``valueQuantity`` an object).
"""

from __future__ import annotations

from typing import Any

PRIMITIVE_TYPES: tuple[str, ...] = (
    "base64Binary",
    "boolean",
    "canonical",
    "code",
    "date",
    "dateTime",
    "decimal",
    "id",
    "instant",
    "integer",
    "markdown",
    "oid",
    "positiveInt",
    "string",
    "time",
    "unsignedInt",
    "uri",
    "url",
    "uuid",
)

COMPLEX_TYPES: tuple[str, ...] = (
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
    "Dosage",
    "Meta",
)

SUFFIX_TO_TYPE: dict[str, str] = {t[:1].upper() + t[1:]: t for t in (*PRIMITIVE_TYPES, *COMPLEX_TYPES)}
"""``value[x]`` suffix → FHIR type name: ``Integer`` → ``integer``, ``Quantity`` → ``Quantity``."""

_INTEGER_TYPES = frozenset({"integer", "positiveInt", "unsignedInt"})


def choice_suffix(key: str, base: str) -> str | None:
    """The type suffix of ``key`` as a choice of ``base`` (``valueInteger``, ``value`` → ``Integer``)."""
    if len(key) > len(base) and key.startswith(base) and key[len(base) :] in SUFFIX_TO_TYPE:
        return key[len(base) :]
    return None


def json_shape_error(type_name: str, value: Any) -> str | None:
    """Why ``value`` is not the JSON form of ``type_name`` (None when it is)."""
    if type_name == "boolean":
        ok = isinstance(value, bool)
        expected = "a JSON boolean (true/false)"
    elif type_name in _INTEGER_TYPES:
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "a JSON number without quotes, e.g. 2"
    elif type_name == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a JSON number without quotes, e.g. 300"
    elif type_name in PRIMITIVE_TYPES:
        ok = isinstance(value, str)
        expected = "a JSON string"
    else:
        ok = isinstance(value, dict)
        expected = "a JSON object (not an array)"
    return None if ok else f"must be {expected} ({type_name})"
