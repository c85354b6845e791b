"""Element model for patching: cardinality and JSON names of FHIR elements (R4 fhirpatch.html, "add").

A patch engine working on plain JSON cannot tell, from the data alone, whether a missing element
repeats (``Location.type`` is an array, ``Task.type`` does not exist, ``Location.position`` is an
object) or which JSON key a choice element takes (``Extension.value`` given as a CodeableConcept is
``valueCodeableConcept``, but ``Quantity.value`` is just ``value``). The FHIRPath Patch ``add``
operation and complex values given as ``part``s need both answers.

``R4BModel`` answers from the ``fhir.resources`` R4B classes (a declared dependency; pure data, no
IO). R4B differs from R4 only in resources the ROR does not patch, and not in the cardinality of
``Element``/``Extension``/``DomainResource`` elements. Callers may pass any ``ElementModel`` instead.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ElementInfo:
    """What the model knows of one child element."""

    key: str  # JSON property name, e.g. "valueCodeableConcept" for Extension.value[x]
    type_name: str | None  # complex/backbone type ("CodeableConcept", "PatientContact"); None: primitive
    repeating: bool


class ElementModel(Protocol):
    """Looks up a child element of a FHIR type; ``None`` when the model does not know it."""

    def knows(self, type_name: str) -> bool:
        """Whether the model knows every element of ``type_name`` (so an unknown name is an error)."""
        ...

    def element(self, type_name: str, name: str, value_type: str | None = None) -> ElementInfo | None:
        """``name`` is an element name or a choice base (``value``); ``value_type`` the FHIR type
        of the value being written (``CodeableConcept``, ``integer``), used to resolve choices."""
        ...


class R4BModel:
    """``ElementModel`` backed by the fhir.resources R4B classes (loaded lazily, cached)."""

    def knows(self, type_name: str) -> bool:
        return _fields(type_name) is not None

    def element(self, type_name: str, name: str, value_type: str | None = None) -> ElementInfo | None:
        return _element(type_name, name, value_type)


@lru_cache(maxsize=4096)
def _element(type_name: str, name: str, value_type: str | None) -> ElementInfo | None:
    fields = _fields(type_name)
    if fields is None:
        return None
    if name in fields:
        return _info(name, fields[name])
    if value_type:
        key = name + value_type[:1].upper() + value_type[1:]
        if key in fields:
            return _info(key, fields[key])
    return None


@lru_cache(maxsize=512)
def _fields(type_name: str) -> dict[str, Any] | None:
    """JSON name → pydantic annotation of each element of ``type_name``; None if unknown type."""
    from fhir.resources.R4B import get_fhir_model_class  # lazy: ~0.3 s import, only when patching

    try:
        cls = get_fhir_model_class(type_name)
    except (ValueError, KeyError, AttributeError):
        return None
    out: dict[str, Any] = {}
    for field_name, field in cls.model_fields.items():
        json_name = field.alias or field_name
        if json_name.startswith("_") or field_name == "fhir_comments":
            continue  # primitive extension siblings and XML comments are not elements
        out[json_name] = field.annotation
    return out


def _info(key: str, annotation: Any) -> ElementInfo:
    repeating = False
    inner = annotation
    # Unwrap Optional[...] / X | None, then List[...]: the bounded shapes fhir.resources generates.
    for _ in range(4):
        origin = typing.get_origin(inner)
        args = [a for a in typing.get_args(inner) if a is not type(None)]
        if origin in (typing.Union, types.UnionType) and len(args) == 1:
            inner = args[0]
        elif origin is list:
            repeating = True
            inner = args[0] if args else Any
        else:
            break
    type_name: str | None = None
    name = getattr(inner, "__name__", "")
    if isinstance(inner, type) and name.endswith("Type") and typing.get_origin(inner) is None:
        type_name = name[: -len("Type")]  # abc.CodeableConceptType → CodeableConcept
    return ElementInfo(key=key, type_name=type_name, repeating=repeating)


DEFAULT_MODEL: ElementModel = R4BModel()
