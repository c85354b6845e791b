"""HTTP helpers for the FHIR API: content negotiation, bounded body reading, responses (FHIR R4 http.html).

JSON only: XML requested through ``_format`` or ``Accept`` gets 406, an XML body 415, always with an
OperationOutcome.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from openror.fhir.errors import Category, FhirError, Issue, operation_outcome
from openror.fhir.status import ERROR_STATUS

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
_XML_HINT = "openror serves FHIR JSON only (application/fhir+json)"


def negotiate(request: Request) -> bool:
    """Check ``_format`` and ``Accept``; return whether ``_pretty`` output was asked for."""
    fmt = request.query_params.get("_format")
    if fmt is not None and fmt.split(";")[0].strip() not in _JSON_FORMATS:
        raise FhirError.of(Category.NOT_ACCEPTABLE, f"_format '{fmt}' is not supported: {_XML_HINT}")
    accept = request.headers.get("accept")
    if fmt is None and accept and not _accepts_json(accept):
        raise FhirError.of(Category.NOT_ACCEPTABLE, f"Accept '{accept}' is not supported: {_XML_HINT}")
    pretty = request.query_params.get("_pretty", "false")
    if pretty not in ("true", "false"):
        raise FhirError.of(Category.INVALID, "_pretty must be true or false")
    return pretty == "true"


def _accepts_json(accept: str) -> bool:
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", "") or "json" in media:
            return True
    return False


def body_media_type(request: Request, allowed: tuple[str, ...]) -> str:
    """The request's media type, which must be one of ``allowed`` (else 415)."""
    raw = request.headers.get("content-type")
    media = raw.split(";")[0].strip().lower() if raw else ""
    if media == "application/json+fhir":
        media = FHIR_JSON
    if media not in allowed:
        hint = f"send Content-Type {' or '.join(allowed)}"
        what = f"'{raw}'" if raw else "no Content-Type"
        raise FhirError.of(Category.UNSUPPORTED_MEDIA_TYPE, f"request body with {what} is not supported: {hint}")
    return media


async def read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing (413) as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise FhirError.of(Category.TOO_LARGE, f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FhirError.of(Category.TOO_LARGE, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def fhir_response(
    content: bytes | dict[str, Any] | None,
    *,
    status: int = 200,
    pretty: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    if content is None:
        return Response(status_code=status, headers=headers)
    if isinstance(content, bytes):
        body = orjson.dumps(orjson.loads(content), option=orjson.OPT_INDENT_2) if pretty else content
    else:
        body = orjson.dumps(content, option=orjson.OPT_INDENT_2 if pretty else 0)
    return Response(body, status_code=status, media_type=f"{FHIR_JSON}; charset=utf-8", headers=headers)


def error_response(err: FhirError, *, pretty: bool = False) -> Response:
    status = ERROR_STATUS[err.category]
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return fhir_response(operation_outcome(err.issues), status=status, pretty=pretty, headers=headers)


def outcome_response(issues: list[Issue], *, status: int, pretty: bool, headers: dict[str, str]) -> Response:
    return fhir_response(operation_outcome(issues), status=status, pretty=pretty, headers=headers)
