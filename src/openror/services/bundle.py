"""Batch and transaction Bundles (FHIR R4 http.html#transaction), spec checklist 22.

A transaction is atomic: every entry is prepared first (urn:uuid fullUrls mapped to new ids and
references rewritten), then all writes are committed in one database transaction; any failure
leaves no trace. A batch runs each entry on its own and reports each outcome.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import orjson

from openror.fhir.access import AccessContext, check_write
from openror.fhir.criteria import parse_criteria
from openror.fhir.errors import Category, FhirError, operation_outcome
from openror.fhir.meta import us_to_instant
from openror.fhir.resources import iter_references
from openror.fhir.status import CREATED, ERROR_STATUS, NO_CONTENT, OK, status_line
from openror.services.directory import (
    Directory,
    PatchDocument,
    Prepared,
    WriteResult,
    check_id,
    check_type,
    new_id,
)

# Transaction processing order (FHIR R4 §3.1.0.11.2): deletes, creates, updates/patches, reads.
_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3}


@dataclass(slots=True)
class Entry:
    index: int
    method: str
    type: str
    id: str | None
    query: str
    version: str | None
    full_url: str | None
    resource: dict[str, Any] | None
    if_none_exist: str | None
    if_match: int | None


def parse_if_match(value: str | None) -> int | None:
    """``W/"3"`` or ``"3"`` or ``3`` → 3; anything else is a 400."""
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not v.isdigit() or len(v) > 9:
        raise FhirError.of(Category.INVALID, f"If-Match '{value}' is not a version ETag such as W/\"3\"")
    return int(v)


def parse_entry(index: int, raw: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict):
        raise FhirError.of(Category.STRUCTURE, "entry must be an object", expression=where)
    req = raw.get("request")
    if not isinstance(req, dict):
        raise FhirError.of(Category.STRUCTURE, "entry.request is required", expression=f"{where}.request")
    method = req.get("method")
    url = req.get("url")
    if method not in _ORDER or not isinstance(url, str) or not url:
        raise FhirError.of(
            Category.STRUCTURE,
            "entry.request needs method (GET, POST, PUT, PATCH, DELETE) and url",
            expression=f"{where}.request",
        )
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 4 or not segments:
        raise FhirError.of(Category.INVALID, f"unsupported entry url '{url}'", expression=f"{where}.request.url")
    rtype = segments[0]
    rid = segments[1] if len(segments) >= 2 else None
    version = None
    if len(segments) == 4 and segments[2] == "_history":
        version = segments[3]
    elif len(segments) > 2:
        raise FhirError.of(Category.INVALID, f"unsupported entry url '{url}'", expression=f"{where}.request.url")
    resource = raw.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise FhirError.of(Category.STRUCTURE, "entry.resource must be an object", expression=f"{where}.resource")
    full_url = raw.get("fullUrl")
    return Entry(
        index=index,
        method=method,
        type=rtype,
        id=rid,
        query=parts.query,
        version=version,
        full_url=full_url if isinstance(full_url, str) else None,
        resource=resource,
        if_none_exist=req.get("ifNoneExist") if isinstance(req.get("ifNoneExist"), str) else None,
        if_match=parse_if_match(req.get("ifMatch")) if isinstance(req.get("ifMatch"), str) else None,
    )


def patch_document(entry: Entry) -> PatchDocument:
    res = entry.resource
    where = f"Bundle.entry[{entry.index}].resource"
    if res is None:
        raise FhirError.of(Category.STRUCTURE, "a PATCH entry needs a resource", expression=where)
    if res.get("resourceType") == "Parameters":
        return PatchDocument("fhirpath", res)
    if res.get("resourceType") == "Binary" and res.get("contentType") == "application/json-patch+json":
        try:
            ops = orjson.loads(base64.b64decode(res.get("data", ""), validate=True))
        except (binascii.Error, orjson.JSONDecodeError, ValueError):
            raise FhirError.of(Category.STRUCTURE, "Binary.data is not a base64 JSON Patch", expression=where) from None
        return PatchDocument("json", ops)
    raise FhirError.of(
        Category.STRUCTURE,
        "a PATCH entry carries a Parameters (FHIRPath Patch) or a Binary application/json-patch+json",
        expression=where,
    )


class Bundles:
    """Batch and transaction processing over a :class:`Directory`."""

    def __init__(self, directory: Directory, *, max_entries: int) -> None:
        self.directory = directory
        self.max_entries = max_entries

    def process(self, ctx: AccessContext, bundle: dict[str, Any], base_url: str) -> dict[str, Any]:
        if bundle.get("resourceType") != "Bundle":
            raise FhirError.of(Category.STRUCTURE, "POST [base] expects a Bundle", expression="resourceType")
        btype = bundle.get("type")
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise FhirError.of(Category.STRUCTURE, "Bundle.entry must be an array", expression="Bundle.entry")
        if len(entries) > self.max_entries:
            raise FhirError.of(Category.TOO_LARGE, f"a Bundle may hold at most {self.max_entries} entries")
        if btype == "transaction":
            return self.transaction(ctx, [parse_entry(i, e) for i, e in enumerate(entries)], base_url)
        if btype == "batch":
            return self.batch(ctx, entries, base_url)
        raise FhirError.of(Category.STRUCTURE, "Bundle.type must be 'batch' or 'transaction'", expression="Bundle.type")

    # -- transaction ----------------------------------------------------------------------------

    def transaction(self, ctx: AccessContext, entries: list[Entry], base_url: str) -> dict[str, Any]:
        d = self.directory
        for e in entries:
            check_type(e.type)
            if e.method != "GET":
                check_write(ctx, e.type, _interaction(e))
        existing: dict[int, WriteResult] = {}

        def prepare() -> list[Prepared]:
            existing.clear()
            mapping: dict[str, str] = {}
            targets: dict[int, str] = {}
            # Pass 1: decide every target id so that references can be rewritten before validation.
            for e in entries:
                if e.method == "POST":
                    target = new_id()
                    if e.if_none_exist:
                        matches = d.resolve(e.type, parse_criteria(e.if_none_exist))
                        if len(matches) > 1:
                            raise _entry_error(e, Category.PRECONDITION_FAILED, "ifNoneExist matches several resources")
                        if matches:
                            cur = d.store.read(e.type, matches[0])
                            assert cur is not None
                            existing[e.index] = WriteResult(
                                e.type, cur.id, cur.version_id, cur.last_updated, cur.body, unchanged=True
                            )
                            target = matches[0]
                    targets[e.index] = target
                elif e.method in ("PUT", "PATCH", "DELETE"):
                    if e.id is not None:
                        check_id(e.id)
                        targets[e.index] = e.id
                    else:
                        targets[e.index] = self._conditional_target(e, ctx)
                if e.full_url and e.full_url.startswith("urn:uuid:") and e.index in targets:
                    mapping[e.full_url] = f"{e.type}/{targets[e.index]}"
            seen: set[tuple[str, str]] = set()
            for e in entries:
                if e.index in targets and e.index not in existing:
                    key = (e.type, targets[e.index])
                    if key in seen:
                        raise _entry_error(
                            e, Category.INVALID, f"{key[0]}/{key[1]} is written twice in one transaction"
                        )
                    seen.add(key)
            # Pass 2: rewrite urn:uuid references, then prepare writes in FHIR processing order.
            prepared: list[tuple[int, Prepared]] = []
            for e in sorted(entries, key=lambda x: (_ORDER[x.method], x.index)):
                if e.method == "GET" or e.index in existing:
                    continue
                if e.resource is not None:
                    _rewrite_references(e.resource, mapping)
                target = targets[e.index]
                try:
                    p = self._prepare_entry(e, target, ctx)
                except FhirError as err:
                    raise _locate(err, e) from None
                if p is not None:
                    prepared.append((e.index, p))
            order.clear()
            order.extend(i for i, _ in prepared)
            return [p for _, p in prepared]

        order: list[int] = []
        results = d.commit(prepare, ctx)
        by_index = dict(zip(order, results, strict=True))
        out: list[dict[str, Any]] = []
        for e in entries:
            if e.method == "GET":
                out.append(self._read_entry(ctx, e, base_url))
            elif e.index in existing:
                out.append(_write_response(existing[e.index], OK, base_url))
            elif e.index in by_index:
                res = by_index[e.index]
                code = NO_CONTENT if e.method == "DELETE" else CREATED if res.created else OK
                out.append(_write_response(res, code, base_url))
            else:  # conditional delete that matched nothing
                out.append({"response": {"status": status_line(NO_CONTENT)}})
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": out}

    def _conditional_target(self, e: Entry, ctx: AccessContext) -> str:
        if not e.query:
            raise _entry_error(e, Category.INVALID, f"{e.method} needs an id or search criteria in the url")
        matches = self.directory.visible_matches(e.type, parse_criteria(e.query), ctx)
        if len(matches) > 1:
            raise _entry_error(e, Category.PRECONDITION_FAILED, "the criteria match several resources")
        if matches:
            return matches[0]
        if e.method == "PATCH":
            raise _entry_error(e, Category.NOT_FOUND, "no resource matches the criteria")
        if e.method == "DELETE":
            return ""  # nothing to delete
        rid = e.resource.get("id") if e.resource else None
        return rid if isinstance(rid, str) else new_id()

    def _prepare_entry(self, e: Entry, target: str, ctx: AccessContext) -> Prepared | None:
        d = self.directory
        if e.method == "POST":
            return d.prepare_create(e.type, target, _need_resource(e))
        if e.method == "PUT":
            body = _need_resource(e)
            if e.id is not None and body.get("id") != e.id:
                raise _entry_error(e, Category.STRUCTURE, "the resource id must equal the id in the url")
            return d.prepare_update(e.type, target, body, if_match=e.if_match)
        if e.method == "PATCH":
            return d.prepare_patch(e.type, target, patch_document(e), if_match=e.if_match, ctx=ctx)
        if e.method == "DELETE":
            if not target:
                return None
            cur = d.store.read(e.type, target)
            if cur is None and e.id is not None:
                raise _entry_error(e, Category.NOT_FOUND, f"{e.type}/{target} not found")
            if cur is None or cur.deleted:
                return None
            return d.prepare_delete(e.type, target)
        return None

    def _read_entry(self, ctx: AccessContext, e: Entry, base_url: str) -> dict[str, Any]:
        try:
            return self._read(ctx, e, base_url)
        except FhirError as err:
            return _error_entry(err)

    def _read(self, ctx: AccessContext, e: Entry, base_url: str) -> dict[str, Any]:
        d = self.directory
        if e.id is None:
            raise FhirError.of(Category.INVALID, "searches inside a Bundle are not supported yet")
        if e.version is not None:
            ver = d.vread(ctx, e.type, e.id, e.version)
            body, version, lu = ver.body, ver.version_id, ver.last_updated
        else:
            cur = d.read(ctx, e.type, e.id)
            body, version, lu = cur.body, cur.version_id, cur.last_updated
        assert body is not None
        return {
            "fullUrl": f"{base_url}/{e.type}/{e.id}",
            "resource": orjson.loads(body),
            "response": {
                "status": status_line(OK),
                "etag": f'W/"{version}"',
                "lastModified": us_to_instant(lu),
            },
        }

    # -- batch ----------------------------------------------------------------------------------

    def batch(self, ctx: AccessContext, raw_entries: list[Any], base_url: str) -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        for i, raw in enumerate(raw_entries):
            try:
                e = parse_entry(i, raw)
                out.append(self._batch_entry(ctx, e, base_url))
            except FhirError as err:
                out.append(_error_entry(err))
        return {"resourceType": "Bundle", "type": "batch-response", "entry": out}

    def _batch_entry(self, ctx: AccessContext, e: Entry, base_url: str) -> dict[str, Any]:
        d = self.directory
        check_type(e.type)
        if e.method == "GET":
            return self._read(ctx, e, base_url)
        if e.method == "POST":
            res = d.create(ctx, e.type, _need_resource(e), if_none_exist=e.if_none_exist)
            return _write_response(res, OK if res.unchanged else CREATED, base_url)
        if e.method == "PUT":
            body = _need_resource(e)
            if e.id is None:
                res = d.conditional_update(ctx, e.type, e.query, body, if_match=e.if_match)
            else:
                res = d.update(ctx, e.type, e.id, body, if_match=e.if_match)
            return _write_response(res, CREATED if res.created else OK, base_url)
        if e.method == "PATCH":
            doc = patch_document(e)
            if e.id is None:
                res = d.conditional_patch(ctx, e.type, e.query, doc, if_match=e.if_match)
            else:
                res = d.patch(ctx, e.type, e.id, doc, if_match=e.if_match)
            return _write_response(res, OK, base_url)
        if e.id is None:
            d.conditional_delete(ctx, e.type, e.query)
        else:
            d.delete(ctx, e.type, e.id)
        return {"response": {"status": status_line(NO_CONTENT)}}


def _interaction(e: Entry) -> str:
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[e.method]


def _need_resource(e: Entry) -> dict[str, Any]:
    if e.resource is None:
        raise _entry_error(e, Category.STRUCTURE, f"a {e.method} entry needs a resource")
    return e.resource


def _entry_error(e: Entry, category: Category, message: str) -> FhirError:
    return FhirError.of(
        category, f"entry {e.index} ({e.method} {e.type}): {message}", expression=f"Bundle.entry[{e.index}]"
    )


def _locate(err: FhirError, e: Entry) -> FhirError:
    """The same error with each issue prefixed by the failing entry's position."""
    prefix = f"entry {e.index} ({e.method} {e.type}): "
    return FhirError(err.category, [replace(i, diagnostics=prefix + i.diagnostics) for i in err.issues])


def _rewrite_references(resource: dict[str, Any], mapping: dict[str, str]) -> None:
    if not mapping:
        return
    for holder in iter_references(resource):
        target = mapping.get(holder["reference"])
        if target is not None:
            holder["reference"] = target


def _write_response(res: WriteResult, code: int, base_url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "fullUrl": f"{base_url}/{res.type}/{res.id}",
        "response": {
            "status": status_line(code),
            "location": f"{res.type}/{res.id}/_history/{res.version_id}",
            "etag": f'W/"{res.version_id}"',
            "lastModified": us_to_instant(res.last_updated),
        },
    }
    if res.body is not None:
        entry["resource"] = orjson.loads(res.body)
    if res.warnings:
        entry["response"]["outcome"] = operation_outcome(res.warnings)
    return entry


def _error_entry(err: FhirError) -> dict[str, Any]:
    return {
        "response": {
            "status": status_line(ERROR_STATUS[err.category]),
            "outcome": operation_outcome(err.issues),
        }
    }
