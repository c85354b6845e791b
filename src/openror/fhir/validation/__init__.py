"""Write validation behind one interface, in two tiers (DESIGN 3; spec a, e, i; docs/validation.md).

* tier (b), :func:`~openror.fhir.validation.structure.validate_structure`: full R4 structure
  (fhir.resources R4B) - on API writes and on imports unless ``--trusted``;
* tier (a), :func:`~openror.fhir.validation.ror.validate_ror`: the ROR profile rules and required
  bindings - always.

Structure runs first: a structurally invalid body is refused with its structural errors only (400);
otherwise profile and binding errors are refused with 422. Warnings and information issues never
refuse a write; callers pass them on in the OperationOutcome of a successful write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openror.fhir.errors import Category, FhirError, Issue
from openror.fhir.terminology import Terminology
from openror.fhir.validation.ror import validate_ror
from openror.fhir.validation.structure import validate_structure

__all__ = ["ValidationResult", "validate", "validate_ror", "validate_structure"]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Issues of one resource, split by severity; ``structural`` says which tier produced the errors."""

    issues: tuple[Issue, ...] = ()
    structural: bool = False  # True: the errors are structural (the profile tier was skipped)
    errors: tuple[Issue, ...] = field(init=False)
    warnings: tuple[Issue, ...] = field(init=False)
    information: tuple[Issue, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", tuple(i for i in self.issues if i.severity in ("fatal", "error")))
        object.__setattr__(self, "warnings", tuple(i for i in self.issues if i.severity == "warning"))
        object.__setattr__(self, "information", tuple(i for i in self.issues if i.severity == "information"))

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``FhirError(STRUCTURE)`` (400) for structural errors, ``FhirError(PROFILE)`` (422) otherwise."""
        if not self.errors:
            return
        category = Category.STRUCTURE if self.structural else Category.PROFILE
        raise FhirError(category, list(self.issues))


def validate(
    resource: Mapping[str, Any],
    *,
    terminology: Terminology,
    structural: bool,
    server_fills_meta: bool = False,
    allow_retired: bool = False,
) -> ValidationResult:
    """Validate ``resource`` for a write: structure first (when ``structural``), then the ROR rules.

    ``server_fills_meta``: the caller adds ``ror-meta-creation-date`` itself, so its absence is not an error.
    ``allow_retired``: accept retired NOS codes with a warning (re-import of existing data).
    """
    if structural:
        issues = validate_structure(resource)
        if any(i.severity in ("fatal", "error") for i in issues):
            return ValidationResult(tuple(issues), structural=True)
    elif not isinstance(resource.get("resourceType"), str):
        return ValidationResult(
            (Issue("structure", "resourceType is missing or not a string", expression=("resourceType",)),),
            structural=True,
        )
    ror = validate_ror(resource, terminology, server_fills_meta=server_fills_meta, allow_retired=allow_retired)
    return ValidationResult(tuple(ror))
