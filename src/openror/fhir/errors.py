"""Error categories and OperationOutcome issues: every failure in openror is one of these (spec checklist 31).

The HTTP status of each category lives in one place, ``openror.api.status``; this module knows nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """What went wrong, independent of transport. ``openror.api.status`` maps each to an HTTP status."""

    STRUCTURE = "structure"  # unparsable or structurally invalid body (400)
    INVALID = "invalid"  # invalid request: bad parameter, bad patch document... (400)
    BUSINESS_RULE = "business-rule"  # a business rule refuses the change (400, issue code business-rule)
    PROFILE = "profile"  # valid FHIR but violates a ROR profile or a required binding (422)
    NOT_FOUND = "not-found"  # 404
    GONE = "gone"  # deleted resource (410)
    CONFLICT = "conflict"  # version conflict without If-Match (409)
    PRECONDITION_FAILED = "precondition-failed"  # If-Match mismatch, several matches (412)
    NOT_ALLOWED = "not-allowed"  # interaction not supported on this type (405)
    NOT_ACCEPTABLE = "not-acceptable"  # Accept / _format asks for what we cannot produce (406)
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"  # request body of a type we do not read (415)
    TOO_LARGE = "too-large"  # body over the size limit (413)
    FORBIDDEN = "forbidden"  # 403
    UNAUTHORIZED = "unauthorized"  # 401
    TOO_MANY = "too-many"  # 429
    INTERNAL = "internal"  # 500


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome.issue."""

    code: str  # FHIR issue-type code: invalid, structure, required, value, code-invalid, not-found, ...
    diagnostics: str
    severity: str = "error"  # fatal | error | warning | information
    expression: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            out["expression"] = list(self.expression)
        return out


@dataclass(slots=True)
class FhirError(Exception):
    """Raised by any layer; turned into an OperationOutcome (and an HTTP status) in one place."""

    category: Category
    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.category}: " + "; ".join(i.diagnostics for i in self.issues)

    @classmethod
    def of(
        cls, category: Category, diagnostics: str, *, code: str | None = None, expression: str | None = None
    ) -> FhirError:
        issue_code = code or _DEFAULT_CODE[category]
        return cls(category, [Issue(issue_code, diagnostics, expression=(expression,) if expression else ())])

    @classmethod
    def of_structure(cls, diagnostics: str) -> FhirError:
        return cls.of(Category.STRUCTURE, diagnostics)


_DEFAULT_CODE: dict[Category, str] = {
    Category.STRUCTURE: "structure",
    Category.INVALID: "invalid",
    Category.BUSINESS_RULE: "business-rule",
    Category.PROFILE: "processing",
    Category.NOT_FOUND: "not-found",
    Category.GONE: "deleted",
    Category.CONFLICT: "conflict",
    Category.PRECONDITION_FAILED: "conflict",
    Category.NOT_ALLOWED: "not-supported",
    Category.NOT_ACCEPTABLE: "not-supported",
    Category.UNSUPPORTED_MEDIA_TYPE: "not-supported",
    Category.TOO_LARGE: "too-costly",
    Category.FORBIDDEN: "forbidden",
    Category.UNAUTHORIZED: "login",
    Category.TOO_MANY: "throttled",
    Category.INTERNAL: "exception",
}


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource for these issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}
