"""HTTP status codes, in one place (DESIGN.md §4): error categories and interaction outcomes.

Used by the HTTP layer and by batch/transaction responses (``Bundle.entry.response.status``).
"""

from __future__ import annotations

from http import HTTPStatus

from openror.fhir.errors import Category

ERROR_STATUS: dict[Category, int] = {
    Category.STRUCTURE: 400,
    Category.INVALID: 400,
    Category.BUSINESS_RULE: 400,
    Category.PROFILE: 422,
    Category.NOT_FOUND: 404,
    Category.GONE: 410,
    Category.CONFLICT: 409,
    Category.PRECONDITION_FAILED: 412,
    Category.NOT_ALLOWED: 405,
    Category.NOT_ACCEPTABLE: 406,
    Category.UNSUPPORTED_MEDIA_TYPE: 415,
    Category.TOO_LARGE: 413,
    Category.FORBIDDEN: 403,
    Category.UNAUTHORIZED: 401,
    Category.TOO_MANY: 429,
    Category.INTERNAL: 500,
}

OK = 200
CREATED = 201
NO_CONTENT = 204
NOT_MODIFIED = 304


def status_line(code: int) -> str:
    """``201 Created`` style text for Bundle.entry.response.status."""
    return f"{code} {HTTPStatus(code).phrase}"
