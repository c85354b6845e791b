"""FHIR terminology operations over HTTP (FHIR R4 terminology-service.html; spec i): thin layer over services.

* ``GET/POST /fhir/CodeSystem/$lookup``: CodeSystem ``$lookup`` (type level only, as in R4);
* ``GET/POST /fhir/CodeSystem/$validate-code`` and ``/fhir/CodeSystem/{id}/$validate-code``;
* ``GET/POST /fhir/ValueSet/$validate-code`` and ``/fhir/ValueSet/{id}/$validate-code``;
* ``GET/POST /fhir/ValueSet/$expand`` and ``/fhir/ValueSet/{id}/$expand``.

GET takes the parameters in the query (simple types only); POST takes a ``Parameters`` resource (and is
the only way to give a ``coding`` or ``codeableConcept``). Unknown or repeated parameters are a 400
naming them; an unknown code system or value set is a 404; every error is an OperationOutcome
(``fhir_endpoint``). These routes must be mounted **before** the generic ``/fhir/{type}/{id}`` routes.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openror.api.http import FHIR_JSON, body_media_type, fhir_response, read_body
from openror.api.routes import fhir_endpoint
from openror.api.state import AppState
from openror.fhir.errors import Category, FhirError
from openror.fhir.jsonbody import check_resource, parse_json
from openror.services.terminology import CodeInput, StoredTerminology, TerminologyOperations

_CONTROL = ("_format", "_pretty")
_STRINGS = ("valueString", "valueUri", "valueCode", "valueCanonical", "valueUrl", "valueId")
_REPEATABLE = frozenset({"property"})

# name -> type: string | integer | boolean | Coding | CodeableConcept | language
LOOKUP = {
    "system": "string",
    "code": "string",
    "version": "string",
    "coding": "Coding",
    "property": "string",
    "displayLanguage": "language",
}
CS_VALIDATE = {
    "url": "string",
    "system": "string",  # not an R4 input of CodeSystem/$validate-code, accepted as a synonym of url
    "code": "string",
    "version": "string",
    "display": "string",
    "coding": "Coding",
    "codeableConcept": "CodeableConcept",
    "abstract": "boolean",
    "displayLanguage": "language",
}
VS_VALIDATE = {
    "url": "string",
    "valueSetVersion": "string",
    "code": "string",
    "system": "string",
    "systemVersion": "string",
    "display": "string",
    "coding": "Coding",
    "codeableConcept": "CodeableConcept",
    "abstract": "boolean",
    "displayLanguage": "language",
}
EXPAND = {
    "url": "string",
    "valueSetVersion": "string",
    "filter": "string",
    "count": "integer",
    "offset": "integer",
    "activeOnly": "boolean",
    "displayLanguage": "language",
}


def _ops(state: AppState) -> TerminologyOperations:
    stored = StoredTerminology.for_store(state.directory.store)
    return TerminologyOperations(stored, state.directory, max_count=state.settings.max_count)


def _bad(message: str) -> FhirError:
    return FhirError.of(Category.INVALID, message)


def _convert_text(op: str, name: str, kind: str, raw: str) -> Any:
    if kind == "integer":
        if not raw.isdigit() or len(raw) > 9:
            raise _bad(f"{op}: {name} must be a non-negative integer, got '{raw}'")
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _bad(f"{op}: {name} must be true or false, got '{raw}'")
        return raw == "true"
    if kind in ("Coding", "CodeableConcept"):
        raise _bad(f"{op}: {name} is a {kind}: send it in a POST Parameters body")
    return raw


def _convert_value(op: str, name: str, kind: str, param: dict[str, Any]) -> Any:
    if kind in ("string", "language"):
        value = next((param[k] for k in _STRINGS if k in param), None)
        if not isinstance(value, str):
            raise _bad(f"{op}: parameter {name} needs a string value (valueString, valueUri, valueCode…)")
        return value
    key = {"integer": "valueInteger", "boolean": "valueBoolean"}.get(kind, f"value{kind}")
    value = param.get(key)
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "boolean": isinstance(value, bool),
    }.get(kind, isinstance(value, dict))
    if not ok:
        raise _bad(f"{op}: parameter {name} needs {key}")
    return value


async def _params(request: Request, state: AppState, op: str, spec: dict[str, str]) -> dict[str, Any]:
    """The operation's parameters (query for GET, Parameters body for POST), typed; 400 on anything unknown."""
    pairs: list[tuple[str, Any]] = []
    if request.method == "POST":
        extra = [k for k in request.query_params if k not in _CONTROL]
        if extra:
            raise _bad(f"{op}: with POST, give the parameters in the Parameters body (not {', '.join(extra)})")
        body_media_type(request, (FHIR_JSON, "application/json"))
        raw = await read_body(request, state.settings.max_body_bytes)
        value = parse_json(raw, max_depth=state.settings.max_json_depth, max_array=state.settings.max_array_length)
        body = check_resource(value, "Parameters")
        for param in body.get("parameter") or []:
            name = param.get("name") if isinstance(param, dict) else None
            if not isinstance(name, str):
                raise _bad(f"{op}: every parameter needs a name")
            if name not in spec:
                raise _bad(f"{op}: unknown parameter '{name}' (known: {', '.join(spec)})")
            pairs.append((name, _convert_value(op, name, spec[name], param)))
    else:
        for name, raw_value in request.query_params.multi_items():
            if name in _CONTROL:
                continue
            if name not in spec:
                raise _bad(f"{op}: unknown parameter '{name}' (known: {', '.join(spec)})")
            pairs.append((name, _convert_text(op, name, spec[name], raw_value)))
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in _REPEATABLE:
            out.setdefault(name, []).append(value)
        elif name in out:
            raise _bad(f"{op}: parameter '{name}' given more than once")
        else:
            out[name] = value
    lang = out.get("displayLanguage")
    if lang is not None and not str(lang).lower().startswith("fr"):
        raise _bad(f"{op}: displays are French only (displayLanguage '{lang}' is not available)")
    return out


def _coding(op: str, name: str, value: dict[str, Any]) -> CodeInput:
    code = value.get("code")
    if not isinstance(code, str) or not code:
        raise _bad(f"{op}: {name} has no code")
    strings = {k: value.get(k) if isinstance(value.get(k), str) else None for k in ("system", "display", "version")}
    return CodeInput(code, strings["system"], strings["display"], strings["version"])


def _codes(op: str, p: dict[str, Any], *, version_key: str) -> list[CodeInput]:
    """The code(s) to check: exactly one of code (+system, display), coding, codeableConcept."""
    forms = [k for k in ("code", "coding", "codeableConcept") if k in p]
    if len(forms) != 1:
        raise _bad(f"{op}: give exactly one of code, coding or codeableConcept")
    if "code" in p:
        return [CodeInput(p["code"], p.get("system"), p.get("display"), p.get(version_key))]
    if "coding" in p:
        return [_coding(op, "coding", p["coding"])]
    codings = p["codeableConcept"].get("coding")
    if not isinstance(codings, list) or not codings or not all(isinstance(c, dict) for c in codings):
        raise _bad(f"{op}: codeableConcept needs at least one coding")
    return [_coding(op, "codeableConcept.coding", c) for c in codings]


def _instance_id(request: Request, p: dict[str, Any]) -> str | None:
    rid: str | None = request.path_params.get("id")
    if rid is not None and "url" in p:
        raise _bad("an instance-level operation takes its value set or code system from the URL path, not 'url'")
    return rid


@fhir_endpoint
async def codesystem_lookup(request: Request, state: AppState, pretty: bool) -> Response:
    op = "CodeSystem/$lookup"
    p = await _params(request, state, op, LOOKUP)
    forms = [k for k in ("code", "coding") if k in p]
    if len(forms) != 1:
        raise _bad(f"{op}: give code and system, or a coding")
    item = _coding(op, "coding", p["coding"]) if "coding" in p else CodeInput(p["code"], p.get("system"))
    if p.get("version") and "coding" in p:
        item = CodeInput(item.code, item.system, item.display, p["version"])
    elif "code" in p:
        item = CodeInput(item.code, item.system, None, p.get("version"))
    result = await run_in_threadpool(_ops(state).lookup, item, properties=p.get("property", []))
    return fhir_response(result, pretty=pretty)


@fhir_endpoint
async def codesystem_validate_code(request: Request, state: AppState, pretty: bool) -> Response:
    op = "CodeSystem/$validate-code"
    p = await _params(request, state, op, CS_VALIDATE)
    rid = _instance_id(request, p)
    url = p.get("url")
    if url and p.get("system") and p["system"] != url:
        raise _bad(f"{op}: url and system differ")
    items = _codes(op, p, version_key="version")
    result = await run_in_threadpool(
        _ops(state).validate_in_code_system,
        state.context(request),
        items,
        rid=rid,
        url=url or (p.get("system") if "code" in p else None),
        version=p.get("version"),
    )
    return fhir_response(result, pretty=pretty)


@fhir_endpoint
async def valueset_validate_code(request: Request, state: AppState, pretty: bool) -> Response:
    op = "ValueSet/$validate-code"
    p = await _params(request, state, op, VS_VALIDATE)
    rid = _instance_id(request, p)
    if rid is None and "url" not in p:
        raise _bad(f"{op}: url (the value set) is required at type level")
    items = _codes(op, p, version_key="systemVersion")
    result = await run_in_threadpool(
        _ops(state).validate_in_value_set,
        state.context(request),
        items,
        rid=rid,
        url=p.get("url"),
        version=p.get("valueSetVersion"),
    )
    return fhir_response(result, pretty=pretty)


@fhir_endpoint
async def valueset_expand(request: Request, state: AppState, pretty: bool) -> Response:
    op = "ValueSet/$expand"
    p = await _params(request, state, op, EXPAND)
    rid = _instance_id(request, p)
    if rid is None and "url" not in p:
        raise _bad(f"{op}: url (the value set) is required at type level")
    result = await run_in_threadpool(
        _ops(state).expand,
        state.context(request),
        rid=rid,
        url=p.get("url"),
        version=p.get("valueSetVersion"),
        text_filter=p.get("filter"),
        count=p.get("count"),
        offset=p.get("offset", 0),
        active_only=p.get("activeOnly", False),
    )
    return fhir_response(result, pretty=pretty)


def operation_routes() -> list[Route]:
    """The terminology operation routes; mount them before ``openror.api.routes.routes()``."""
    both = ["GET", "POST"]
    return [
        Route("/fhir/CodeSystem/$lookup", codesystem_lookup, methods=both),
        Route("/fhir/CodeSystem/$validate-code", codesystem_validate_code, methods=both),
        Route("/fhir/CodeSystem/{id}/$validate-code", codesystem_validate_code, methods=both),
        Route("/fhir/ValueSet/$validate-code", valueset_validate_code, methods=both),
        Route("/fhir/ValueSet/{id}/$validate-code", valueset_validate_code, methods=both),
        Route("/fhir/ValueSet/$expand", valueset_expand, methods=both),
        Route("/fhir/ValueSet/{id}/$expand", valueset_expand, methods=both),
    ]
