"""FHIR REST endpoints under ``/fhir`` (FHIR R4 http.html; spec b, h): thin HTTP over the services.

Each handler negotiates the format, reads a bounded body, calls one service interaction in a worker
thread (the store is synchronous), and turns the result or the FhirError into a response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openror.api.http import (
    FHIR_JSON,
    JSON_PATCH,
    body_media_type,
    error_response,
    fhir_response,
    negotiate,
    outcome_response,
    read_body,
)
from openror.api.state import AppState
from openror.fhir.errors import Category, FhirError, Issue
from openror.fhir.jsonbody import check_resource, parse_json
from openror.fhir.meta import parse_instant_bound, us_to_http_date, us_to_instant
from openror.fhir.status import CREATED, NO_CONTENT, NOT_MODIFIED, OK
from openror.services.bundle import parse_if_match
from openror.services.directory import PatchDocument, WriteResult, check_type

log = logging.getLogger("openror.api")

Handler = Callable[[Request], Awaitable[Response]]

_CURSOR_RE = re.compile(r"^(\d{1,20})\.(\d{1,20})\.(\d{1,9})$")


def _type(request: Request) -> str:
    """The resource type of the URL, refused (404) before anything else when not served."""
    rtype: str = request.path_params["type"]
    check_type(rtype)
    return rtype


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.openror
    return state


def fhir_endpoint(fn: Callable[[Request, AppState, bool], Awaitable[Response]]) -> Handler:
    """Wrap a handler: format negotiation and one place turning errors into OperationOutcomes."""

    async def handler(request: Request) -> Response:
        pretty = False
        try:
            pretty = negotiate(request)
            return await fn(request, _state(request), pretty)
        except FhirError as err:
            return error_response(err, pretty=pretty)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            return error_response(FhirError.of(Category.INTERNAL, "internal server error"), pretty=pretty)

    return handler


def base_url(request: Request, state: AppState) -> str:
    if state.settings.base_url:
        return state.settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/") + "/fhir"


async def _json_body(
    request: Request, state: AppState, media: tuple[str, ...] = (FHIR_JSON, "application/json")
) -> Any:
    body_media_type(request, media)
    raw = await read_body(request, state.settings.max_body_bytes)
    return parse_json(raw, max_depth=state.settings.max_json_depth, max_array=state.settings.max_array_length)


def _version_headers(res: WriteResult, base: str) -> dict[str, str]:
    return {
        "ETag": f'W/"{res.version_id}"',
        "Last-Modified": us_to_http_date(res.last_updated),
        "Location": f"{base}/{res.type}/{res.id}/_history/{res.version_id}",
    }


def _prefer_return(request: Request) -> str:
    prefer = request.headers.get("prefer", "")
    for part in prefer.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip() == "return":
            value = value.strip().strip('"')
            if value in ("minimal", "representation", "OperationOutcome"):
                return value
            raise FhirError.of(
                Category.INVALID,
                f"Prefer return={value} is not one of minimal, representation, OperationOutcome",
            )
    return "representation"


def _write_response(request: Request, res: WriteResult, status: int, base: str, pretty: bool) -> Response:
    headers = _version_headers(res, base)
    if status != CREATED:
        headers["Content-Location"] = headers.pop("Location")
    prefer = _prefer_return(request)
    if prefer == "minimal" or res.body is None:  # no body: the caller's profile may not see the result
        return Response(status_code=status, headers=headers)
    if prefer == "OperationOutcome":
        what = {CREATED: "created", OK: "updated"}.get(status, "processed")
        info = Issue("informational", f"{res.type}/{res.id} {what} as version {res.version_id}", severity="information")
        return outcome_response([info, *res.warnings], status=status, pretty=pretty, headers=headers)
    return fhir_response(res.body, status=status, pretty=pretty, headers=headers)


# -- instance level -------------------------------------------------------------------------------


@fhir_endpoint
async def read(request: Request, state: AppState, pretty: bool) -> Response:
    rtype, rid = _type(request), request.path_params["id"]
    # Called on the event loop, not in a worker thread: a read by primary key takes well under a
    # millisecond and the thread hop would cost more than it (docs/benchmarks.md).
    cur = state.directory.read(state.context(request), rtype, rid)
    etag = f'W/"{cur.version_id}"'
    headers = {"ETag": etag, "Last-Modified": us_to_http_date(cur.last_updated)}
    inm = request.headers.get("if-none-match")
    if inm is not None and etag in (t.strip() for t in inm.split(",")):
        return Response(status_code=NOT_MODIFIED, headers=headers)
    return fhir_response(cur.body, pretty=pretty, headers=headers)


@fhir_endpoint
async def vread(request: Request, state: AppState, pretty: bool) -> Response:
    p = request.path_params
    ver = await run_in_threadpool(state.directory.vread, state.context(request), p["type"], p["id"], p["vid"])
    headers = {"ETag": f'W/"{ver.version_id}"', "Last-Modified": us_to_http_date(ver.last_updated)}
    return fhir_response(ver.body, pretty=pretty, headers=headers)


@fhir_endpoint
async def update(request: Request, state: AppState, pretty: bool) -> Response:
    rtype, rid = _type(request), request.path_params["id"]
    body = check_resource(await _json_body(request, state), rtype)
    if_match = parse_if_match(request.headers.get("if-match"))
    res = await run_in_threadpool(state.directory.update, state.context(request), rtype, rid, body, if_match=if_match)
    return _write_response(request, res, CREATED if res.created else OK, base_url(request, state), pretty)


async def _patch_document(request: Request, state: AppState) -> PatchDocument:
    media = body_media_type(request, (FHIR_JSON, "application/json", JSON_PATCH))
    raw = await read_body(request, state.settings.max_body_bytes)
    value = parse_json(raw, max_depth=state.settings.max_json_depth, max_array=state.settings.max_array_length)
    if media == JSON_PATCH:
        if not isinstance(value, list):
            raise FhirError.of(Category.STRUCTURE, "a JSON Patch body is an array of operations")
        return PatchDocument("json", value)
    if isinstance(value, dict) and value.get("resourceType") == "Parameters":
        return PatchDocument("fhirpath", value)
    raise FhirError.of(
        Category.STRUCTURE,
        "PATCH takes a FHIRPath Patch (Parameters, application/fhir+json) "
        "or a JSON Patch (array, application/json-patch+json)",
    )


@fhir_endpoint
async def patch(request: Request, state: AppState, pretty: bool) -> Response:
    rtype, rid = _type(request), request.path_params["id"]
    doc = await _patch_document(request, state)
    if_match = parse_if_match(request.headers.get("if-match"))
    res = await run_in_threadpool(state.directory.patch, state.context(request), rtype, rid, doc, if_match=if_match)
    return _write_response(request, res, OK, base_url(request, state), pretty)


@fhir_endpoint
async def delete(request: Request, state: AppState, pretty: bool) -> Response:
    rtype, rid = _type(request), request.path_params["id"]
    res = await run_in_threadpool(state.directory.delete, state.context(request), rtype, rid)
    headers = {} if res.unchanged else {"ETag": f'W/"{res.version_id}"'}
    return Response(status_code=NO_CONTENT, headers=headers)


# -- type level -----------------------------------------------------------------------------------


@fhir_endpoint
async def create(request: Request, state: AppState, pretty: bool) -> Response:
    rtype = _type(request)
    body = check_resource(await _json_body(request, state), rtype)
    if_none_exist = request.headers.get("if-none-exist")
    res = await run_in_threadpool(
        state.directory.create, state.context(request), rtype, body, if_none_exist=if_none_exist
    )
    return _write_response(request, res, OK if res.unchanged else CREATED, base_url(request, state), pretty)


def _conditional_query(request: Request) -> str:
    query = request.url.query
    if not query:
        raise FhirError.of(
            Category.NOT_ALLOWED,
            f"{request.method} on a type needs search criteria (conditional {request.method})",
        )
    return query


@fhir_endpoint
async def conditional_update(request: Request, state: AppState, pretty: bool) -> Response:
    rtype = _type(request)
    query = _conditional_query(request)
    body = check_resource(await _json_body(request, state), rtype)
    if_match = parse_if_match(request.headers.get("if-match"))
    res = await run_in_threadpool(
        state.directory.conditional_update, state.context(request), rtype, query, body, if_match=if_match
    )
    return _write_response(request, res, CREATED if res.created else OK, base_url(request, state), pretty)


@fhir_endpoint
async def conditional_patch(request: Request, state: AppState, pretty: bool) -> Response:
    rtype = _type(request)
    query = _conditional_query(request)
    doc = await _patch_document(request, state)
    if_match = parse_if_match(request.headers.get("if-match"))
    res = await run_in_threadpool(
        state.directory.conditional_patch, state.context(request), rtype, query, doc, if_match=if_match
    )
    return _write_response(request, res, OK, base_url(request, state), pretty)


@fhir_endpoint
async def conditional_delete(request: Request, state: AppState, pretty: bool) -> Response:
    rtype = _type(request)
    query = _conditional_query(request)
    await run_in_threadpool(state.directory.conditional_delete, state.context(request), rtype, query)
    return Response(status_code=NO_CONTENT)


# -- history --------------------------------------------------------------------------------------


def _history_params(request: Request, state: AppState) -> tuple[int | None, tuple[int, int, int] | None, int]:
    q = request.query_params
    allowed = {"_since", "_count", "_cursor", "_format", "_pretty"}
    unknown = sorted(set(q.keys()) - allowed)
    if unknown:
        raise FhirError.of(Category.INVALID, f"unknown _history parameter(s): {', '.join(unknown)}")
    since = parse_instant_bound(q["_since"]) if "_since" in q else None
    count = state.settings.history_default_count
    if "_count" in q:
        raw = q["_count"]
        if not raw.isdigit():
            raise FhirError.of(Category.INVALID, f"_count must be a non-negative integer, got '{raw}'")
        count = min(int(raw), state.settings.max_count)
    cursor = None
    if "_cursor" in q:
        m = _CURSOR_RE.match(q["_cursor"])
        if not m:
            raise FhirError.of(Category.INVALID, "malformed _cursor")
        cursor = (int(m[1]), int(m[2]), int(m[3]))
    return since, cursor, count


async def _history(request: Request, state: AppState, pretty: bool, rtype: str | None, rid: str | None) -> Response:
    since, cursor, count = _history_params(request, state)
    ctx = state.context(request)
    versions = await run_in_threadpool(
        state.directory.history, ctx, rtype=rtype, rid=rid, since=since, before=cursor, count=count + 1
    )
    base = base_url(request, state)
    page, more = versions[:count], len(versions) > count
    path = "/".join(p for p in (rtype, rid, "_history") if p)
    self_link = f"{base}/{path}" + (f"?{request.url.query}" if request.url.query else "")
    links = [{"relation": "self", "url": self_link}]
    if more and page:
        last = page[-1]
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
        params.append(("_cursor", f"{last.last_updated}.{last.rid}.{last.version_id}"))
        from urllib.parse import urlencode

        links.append({"relation": "next", "url": f"{base}/{path}?{urlencode(params)}"})
    entries = []
    for v in page:
        method = v.method
        entry: dict[str, Any] = {"fullUrl": f"{base}/{v.type}/{v.id}"}
        if v.body is not None:
            entry["resource"] = orjson.Fragment(v.body)
        url = f"{v.type}/{v.id}" if method != "POST" else v.type
        entry["request"] = {"method": method, "url": url}
        entry["response"] = {
            "status": "201" if v.version_id == 1 or method == "POST" else "204" if method == "DELETE" else "200",
            "etag": f'W/"{v.version_id}"',
            "lastModified": us_to_instant(v.last_updated),
        }
        entries.append(entry)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "history", "link": links, "entry": entries}
    if rid is not None and cursor is None and since is None and not more:
        bundle["total"] = len(page)
    return fhir_response(bundle, pretty=pretty)


@fhir_endpoint
async def history_instance(request: Request, state: AppState, pretty: bool) -> Response:
    return await _history(request, state, pretty, request.path_params["type"], request.path_params["id"])


@fhir_endpoint
async def history_type(request: Request, state: AppState, pretty: bool) -> Response:
    return await _history(request, state, pretty, request.path_params["type"], None)


@fhir_endpoint
async def history_system(request: Request, state: AppState, pretty: bool) -> Response:
    return await _history(request, state, pretty, None, None)


# -- system level ---------------------------------------------------------------------------------


@fhir_endpoint
async def transaction(request: Request, state: AppState, pretty: bool) -> Response:
    value = await _json_body(request, state)
    bundle = check_resource(value, "Bundle")
    result = await run_in_threadpool(state.bundles.process, state.context(request), bundle, base_url(request, state))
    return fhir_response(result, pretty=pretty)


@fhir_endpoint
async def metadata(request: Request, state: AppState, pretty: bool) -> Response:
    return fhir_response(state.capability_statement(base_url(request, state)), pretty=pretty)


@fhir_endpoint
async def search(request: Request, state: AppState, pretty: bool) -> Response:
    rtype = _type(request)
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        body_media_type(request, ("application/x-www-form-urlencoded",))
        raw = await read_body(request, state.settings.max_body_bytes)
        from urllib.parse import parse_qsl

        params += parse_qsl(raw.decode("utf-8", errors="strict"), keep_blank_values=True)
    strict = _prefer_handling(request)
    bundle = await run_in_threadpool(
        state.search, state.context(request), rtype, params, base_url(request, state), strict
    )
    return fhir_response(bundle, pretty=pretty)


def _prefer_handling(request: Request) -> bool:
    """``Prefer: handling=strict`` (our default) or ``handling=lenient`` (unknown parameters ignored)."""
    for part in request.headers.get("prefer", "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip() == "handling":
            value = value.strip().strip('"')
            if value not in ("strict", "lenient"):
                raise FhirError.of(Category.INVALID, f"Prefer handling={value}: use strict or lenient")
            return value == "strict"
    return True


def routes() -> list[Route]:
    return [
        Route("/fhir/metadata", metadata, methods=["GET"]),
        Route("/fhir", transaction, methods=["POST"]),
        Route("/fhir/_history", history_system, methods=["GET"]),
        Route("/fhir/{type}/_search", search, methods=["POST"]),
        Route("/fhir/{type}/_history", history_type, methods=["GET"]),
        Route("/fhir/{type}/{id}/_history/{vid}", vread, methods=["GET"]),
        Route("/fhir/{type}/{id}/_history", history_instance, methods=["GET"]),
        Route("/fhir/{type}/{id}", read, methods=["GET"]),
        Route("/fhir/{type}/{id}", update, methods=["PUT"]),
        Route("/fhir/{type}/{id}", patch, methods=["PATCH"]),
        Route("/fhir/{type}/{id}", delete, methods=["DELETE"]),
        Route("/fhir/{type}", search, methods=["GET"]),
        Route("/fhir/{type}", create, methods=["POST"]),
        Route("/fhir/{type}", conditional_update, methods=["PUT"]),
        Route("/fhir/{type}", conditional_patch, methods=["PATCH"]),
        Route("/fhir/{type}", conditional_delete, methods=["DELETE"]),
    ]
