"""FHIR interactions without HTTP: read, vread, create, update, patch, delete, history (spec b, g).

This is the one write path: the API, bundles and every loader go through :meth:`Directory.commit`.
Each write is *prepared* (target resolved, patch applied, meta carried over, validated) outside the
store's lock, then committed; if a concurrent writer got there first the preparation is redone, so
no update is ever lost and versions stay contiguous.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import orjson

from openror.fhir.access import AccessContext, Role, check_perimeter, check_supplier_change, check_write
from openror.fhir.access.redact import needs_redaction, redact
from openror.fhir.access.rules import profile_bit, row_visible
from openror.fhir.criteria import Criteria, parse_criteria
from openror.fhir.errors import Category, FhirError, Issue
from openror.fhir.meta import creation_date, keep_creation_date, stamp
from openror.fhir.patch import apply_fhirpath_patch, apply_json_patch
from openror.fhir.resources import TYPES, is_valid_id
from openror.fhir.search.extract import index_rows
from openror.fhir.terminology import Terminology
from openror.fhir.validation import validate
from openror.store.repository import Committed, Current, StaleWrite, Store, Version, Write, now_us

MAX_ATTEMPTS = 50


@dataclass(frozen=True, slots=True)
class PatchDocument:
    """A FHIRPath Patch (Parameters) or a JSON Patch (list of RFC 6902 operations)."""

    kind: Literal["fhirpath", "json"]
    content: Any


@dataclass(slots=True)
class WriteResult:
    type: str
    id: str
    version_id: int
    last_updated: int
    body: bytes | None
    created: bool = False
    unchanged: bool = False  # conditional create matched, or a delete of something already deleted
    warnings: list[Issue] = field(default_factory=list)

    @classmethod
    def of(cls, c: Committed, *, created: bool = False, warnings: list[Issue] | None = None) -> WriteResult:
        return cls(c.type, c.id, c.version_id, c.last_updated, c.body, created=created, warnings=warnings or [])


@dataclass(slots=True)
class Prepared:
    """A write ready to commit, with what to tell the caller afterwards."""

    write: Write | None  # None: identical to the current version, nothing to write
    created: bool
    warnings: list[Issue]
    current: Current | None = None


def check_type(rtype: str) -> None:
    if rtype not in TYPES:
        raise FhirError.of(Category.NOT_FOUND, f"resource type '{rtype}' is not served here", code="not-supported")


def check_id(rid: str) -> None:
    if not is_valid_id(rid):
        raise FhirError.of(Category.INVALID, f"'{rid}' is not a valid FHIR id ([A-Za-z0-9-.]{{1,64}})")


def new_id() -> str:
    return str(uuid.uuid4())


class Directory:
    """The directory's interactions on one store."""

    def __init__(
        self,
        store: Store,
        terminology: Terminology,
        *,
        structural_validation: bool = True,
        terminology_source: Callable[[], Terminology] | None = None,
    ) -> None:
        self.store = store
        self._terminology = terminology
        # When given, asked for the terminology on every validation (services.terminology.StoredTerminology:
        # packaged + stored NOS, refreshed when the stored CodeSystem/ValueSet resources change).
        self.terminology_source = terminology_source
        self.structural_validation = structural_validation

    @property
    def terminology(self) -> Terminology:
        """The terminology writes are validated against."""
        source = self.terminology_source
        return source() if source is not None else self._terminology

    @terminology.setter
    def terminology(self, value: Terminology) -> None:
        self._terminology = value
        self.terminology_source = None

    # -- reads ----------------------------------------------------------------------------------

    def read(self, ctx: AccessContext, rtype: str, rid: str) -> Current:
        """The current version as ``ctx`` may see it: 404 for a row its profile may not see (as if it
        did not exist), the body redacted for its profile (spec f)."""
        check_type(rtype)
        check_id(rid)
        cur = self.store.read(rtype, rid)
        if cur is None or not row_visible(cur.access, ctx.profile):
            raise FhirError.of(Category.NOT_FOUND, f"{rtype}/{rid} not found", expression=rtype)
        if cur.deleted:
            raise FhirError.of(Category.GONE, f"{rtype}/{rid} was deleted (version {cur.version_id})")
        if cur.body is not None and needs_redaction(ctx.profile, cur.access, cur.classes):
            return replace(cur, body=redacted_bytes(cur.body, ctx.profile, cur.access))
        return cur

    def vread(self, ctx: AccessContext, rtype: str, rid: str, version_id: str) -> Version:
        check_type(rtype)
        check_id(rid)
        if not version_id.isdigit() or len(version_id) > 9:
            raise FhirError.of(Category.NOT_FOUND, f"version '{version_id}' not found")
        ver = self.store.vread(rtype, rid, int(version_id))
        if ver is None or not row_visible(ver.access, ctx.profile):
            raise FhirError.of(Category.NOT_FOUND, f"{rtype}/{rid}/_history/{version_id} not found")
        if ver.body is None:
            raise FhirError.of(Category.GONE, f"{rtype}/{rid} version {version_id} is a deletion")
        return replace(ver, body=redacted_bytes(ver.body, ctx.profile, ver.access))

    def history(
        self,
        ctx: AccessContext,
        *,
        rtype: str | None = None,
        rid: str | None = None,
        since: int | None = None,
        before: tuple[int, int, int] | None = None,
        count: int = 100,
    ) -> list[Version]:
        if rtype is not None:
            check_type(rtype)
        if rid is not None:
            assert rtype is not None
            check_id(rid)
            cur = self.store.read(rtype, rid)
            if cur is None or not row_visible(cur.access, ctx.profile):
                raise FhirError.of(Category.NOT_FOUND, f"{rtype}/{rid} not found")
        # History follows today's row visibility; every old body is redacted like a current one.
        versions = self.store.history(
            rtype=rtype, rid=rid, since=since, before=before, count=count, access_bit=profile_bit(ctx.profile)
        )
        return [
            v if v.body is None else replace(v, body=redacted_bytes(v.body, ctx.profile, v.access)) for v in versions
        ]

    def _outbound(self, ctx: AccessContext, result: WriteResult) -> WriteResult:
        """A write's result as ``ctx`` may see it: redacted, or without body if the row is hidden."""
        if result.body is None:
            return result
        cur = self.store.read(result.type, result.id)
        if cur is None or not row_visible(cur.access, ctx.profile):
            return replace(result, body=None)
        return replace(result, body=redacted_bytes(result.body, ctx.profile, cur.access))

    def resolve(self, rtype: str, criteria: Criteria, *, limit: int = 2) -> list[str]:
        """Ids of current resources matching conditional ``criteria`` (at most ``limit``)."""
        if criteria.ids:
            cur = self.store.read(rtype, criteria.ids[0])
            if cur is None or cur.deleted:
                return []
            if criteria.tokens and criteria.ids[0] not in self.store.match_ids(rtype, criteria.tokens, limit=10_000):
                return []
            return [criteria.ids[0]]
        return self.store.match_ids(rtype, criteria.tokens, limit=limit)

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, prepare: Callable[[], Sequence[Prepared]], ctx: AccessContext | None = None) -> list[WriteResult]:
        """Prepare and commit, redoing the preparation when a concurrent writer interfered.

        The bodies returned are what ``ctx`` may see of the written resources (None: the operator).
        """
        for _attempt in range(MAX_ATTEMPTS):
            prepared = prepare()
            try:
                committed = iter(self.store.commit([p.write for p in prepared if p.write is not None]))
            except StaleWrite:
                continue
            results = []
            for p in prepared:
                if p.write is None:
                    assert p.current is not None
                    c = p.current
                    results.append(WriteResult(c.type, c.id, c.version_id, c.last_updated, c.body, unchanged=True))
                else:
                    results.append(WriteResult.of(next(committed), created=p.created, warnings=p.warnings))
            if ctx is not None and ctx.profile != 1:
                results = [self._outbound(ctx, r) for r in results]
            return results
        raise FhirError.of(Category.CONFLICT, "the resource is being modified concurrently; retry later")

    def create(
        self, ctx: AccessContext, rtype: str, body: dict[str, Any], *, if_none_exist: str | None = None
    ) -> WriteResult:
        check_type(rtype)
        check_write(ctx, rtype, "create")
        criteria = parse_criteria(if_none_exist) if if_none_exist else None
        rid = new_id()

        def prepare() -> list[Prepared]:
            if criteria is not None:
                matches = self.resolve(rtype, criteria)
                if len(matches) > 1:
                    raise FhirError.of(Category.PRECONDITION_FAILED, f"If-None-Exist matches several {rtype} resources")
                if matches:
                    raise _Existing(matches[0])
            return [self.prepare_create(rtype, rid, body, absent_if=criteria.tokens if criteria else None)]

        try:
            return self.commit(prepare, ctx)[0]
        except _Existing as hit:
            cur = self.store.read(rtype, hit.id)
            assert cur is not None
            return WriteResult(rtype, cur.id, cur.version_id, cur.last_updated, cur.body, unchanged=True)

    def prepare_create(
        self,
        rtype: str,
        rid: str,
        body: dict[str, Any],
        *,
        absent_if: list[tuple[str, str | None, str]] | None = None,
        method: str = "POST",
    ) -> Prepared:
        resource = _copy(body)
        _check_body_type(resource, rtype)
        resource["id"] = rid
        keep_creation_date(resource, None, now_us())
        warnings = self._validate(resource)
        return Prepared(
            Write(
                rtype,
                rid,
                expected_version=0,
                method=method,
                resource=resource,
                index=index_rows(resource),
                absent_if=absent_if,
            ),
            created=True,
            warnings=warnings,
        )

    def update(
        self, ctx: AccessContext, rtype: str, rid: str, body: dict[str, Any], *, if_match: int | None = None
    ) -> WriteResult:
        check_type(rtype)
        check_id(rid)
        check_write(ctx, rtype, "update")
        _check_body_type(body, rtype)
        if body.get("id") != rid:
            raise FhirError.of(
                Category.STRUCTURE,
                f"the body's id ({body.get('id')!r}) must equal the id in the URL ({rid!r})",
                expression=f"{rtype}.id",
            )
        return self.commit(lambda: [self.prepare_update(rtype, rid, body, if_match=if_match)], ctx)[0]

    def prepare_update(
        self,
        rtype: str,
        rid: str,
        body: dict[str, Any],
        *,
        if_match: int | None = None,
        method: str = "PUT",
        current: dict[tuple[str, str], Current] | None = None,
    ) -> Prepared:
        """Prepare an update; ``current`` holds prefetched current rows (bulk loads read them at once)."""
        cur = current.get((rtype, rid)) if current is not None else self.store.read(rtype, rid)
        _check_if_match(rtype, rid, cur, if_match)
        resource = _copy(body)
        resource["id"] = rid
        keep_creation_date(resource, _original_creation(cur), now_us())
        warnings = self._validate(resource)
        if _same_as_current(resource, cur):
            return Prepared(None, created=False, warnings=warnings, current=cur)
        created = cur is None or cur.deleted
        return Prepared(
            Write(
                rtype,
                rid,
                expected_version=cur.version_id if cur else 0,
                method=method,
                resource=resource,
                index=index_rows(resource),
            ),
            created=created,
            warnings=warnings,
        )

    def conditional_update(
        self, ctx: AccessContext, rtype: str, query: str, body: dict[str, Any], *, if_match: int | None = None
    ) -> WriteResult:
        check_type(rtype)
        check_write(ctx, rtype, "update")
        _check_body_type(body, rtype)
        criteria = parse_criteria(query)

        def prepare() -> list[Prepared]:
            matches = self.resolve(rtype, criteria)
            if len(matches) > 1:
                raise FhirError.of(Category.PRECONDITION_FAILED, f"the criteria match several {rtype} resources")
            if matches:
                body_id = body.get("id")
                if body_id is not None and body_id != matches[0]:
                    raise FhirError.of(
                        Category.STRUCTURE,
                        f"the body's id ({body_id!r}) differs from the matching resource ({matches[0]!r})",
                        expression=f"{rtype}.id",
                    )
                return [self.prepare_update(rtype, matches[0], body, if_match=if_match)]
            target = body.get("id")
            if isinstance(target, str):
                check_id(target)
                if self.store.read(rtype, target) is not None:
                    raise FhirError.of(
                        Category.PRECONDITION_FAILED,
                        f"no resource matches the criteria but {rtype}/{target} exists: refusing to overwrite it",
                    )
            return [self.prepare_create(rtype, target or new_id(), body, absent_if=criteria.tokens, method="PUT")]

        return self.commit(prepare, ctx)[0]

    def patch(
        self, ctx: AccessContext, rtype: str, rid: str, patch: PatchDocument, *, if_match: int | None = None
    ) -> WriteResult:
        check_type(rtype)
        check_id(rid)
        check_write(ctx, rtype, "patch")
        return self.commit(lambda: [self.prepare_patch(rtype, rid, patch, if_match=if_match, ctx=ctx)], ctx)[0]

    def prepare_patch(
        self,
        rtype: str,
        rid: str,
        patch: PatchDocument,
        *,
        if_match: int | None = None,
        ctx: AccessContext | None = None,
    ) -> Prepared:
        """A patch ready to commit. ``ctx`` (None: the operator) limits it to what the caller may see
        and, for a supplier, to capacity records of Locations in its perimeter (spec e, f)."""
        cur = self.store.read(rtype, rid)
        if cur is None or (ctx is not None and not row_visible(cur.access, ctx.profile)):
            raise FhirError.of(Category.NOT_FOUND, f"{rtype}/{rid} not found", expression=rtype)
        if cur.deleted or cur.body is None:
            raise FhirError.of(Category.GONE, f"{rtype}/{rid} was deleted")
        _check_if_match(rtype, rid, cur, if_match)
        if ctx is not None and ctx.role is Role.SUPPLIER:
            check_perimeter(ctx, rid, self.store.location_organizations(rid))
        before = orjson.loads(cur.body)
        if patch.kind == "fhirpath":
            after = apply_fhirpath_patch(before, patch.content)
        else:
            after = apply_json_patch(before, patch.content)
        if after.get("resourceType") != rtype or after.get("id") != rid:
            raise FhirError.of(Category.INVALID, "a patch may not change resourceType or id")
        if ctx is not None:
            check_supplier_change(ctx, before, after)
        keep_creation_date(after, creation_date(before), now_us())
        warnings = self._validate(after)
        if _same_as_current(after, cur):
            return Prepared(None, created=False, warnings=warnings, current=cur)
        return Prepared(
            Write(
                rtype,
                rid,
                expected_version=cur.version_id,
                method="PATCH",
                resource=after,
                index=index_rows(after),
            ),
            created=False,
            warnings=warnings,
        )

    def conditional_patch(
        self, ctx: AccessContext, rtype: str, query: str, patch: PatchDocument, *, if_match: int | None = None
    ) -> WriteResult:
        check_type(rtype)
        check_write(ctx, rtype, "patch")
        criteria = parse_criteria(query)

        def prepare() -> list[Prepared]:
            target = self._single_match(rtype, criteria, ctx)
            return [self.prepare_patch(rtype, target, patch, if_match=if_match, ctx=ctx)]

        return self.commit(prepare, ctx)[0]

    def visible_matches(self, rtype: str, criteria: Criteria, ctx: AccessContext | None) -> list[str]:
        """Conditional matches as ``ctx`` sees them: for a non-admin, hidden rows do not exist (they
        are neither a match nor an ambiguity), so conditional writes reveal nothing."""
        if ctx is None or ctx.role is Role.ADMIN:
            return self.resolve(rtype, criteria)
        matches = self.resolve(rtype, criteria, limit=100)
        current = self.store.read_many((rtype, m) for m in matches)
        return [m for m in matches if (c := current.get((rtype, m))) and row_visible(c.access, ctx.profile)][:2]

    def _single_match(self, rtype: str, criteria: Criteria, ctx: AccessContext | None = None) -> str:
        matches = self.visible_matches(rtype, criteria, ctx)
        if not matches:
            raise FhirError.of(Category.NOT_FOUND, f"no {rtype} matches the criteria", expression=rtype)
        if len(matches) > 1:
            raise FhirError.of(Category.PRECONDITION_FAILED, f"the criteria match several {rtype} resources")
        return matches[0]

    def delete(self, ctx: AccessContext, rtype: str, rid: str) -> WriteResult:
        check_type(rtype)
        check_id(rid)
        check_write(ctx, rtype, "delete")
        try:
            return self.commit(lambda: [self.prepare_delete(rtype, rid)])[0]
        except _AlreadyDeleted as gone:
            return WriteResult(rtype, rid, gone.current.version_id, gone.current.last_updated, None, unchanged=True)

    def prepare_delete(self, rtype: str, rid: str) -> Prepared:
        cur = self.store.read(rtype, rid)
        if cur is None:
            raise FhirError.of(Category.NOT_FOUND, f"{rtype}/{rid} not found", expression=rtype)
        if cur.deleted:
            raise _AlreadyDeleted(cur)
        return Prepared(Write(rtype, rid, cur.version_id, "DELETE", None), created=False, warnings=[])

    def conditional_delete(self, ctx: AccessContext, rtype: str, query: str) -> WriteResult | None:
        """Delete the single match; None when nothing matches (the HTTP layer answers 204)."""
        check_type(rtype)
        check_write(ctx, rtype, "delete")
        criteria = parse_criteria(query)
        matches = self.resolve(rtype, criteria)
        if not matches:
            return None
        if len(matches) > 1:
            raise FhirError.of(Category.PRECONDITION_FAILED, f"the criteria match several {rtype} resources")
        return self.delete(ctx, rtype, matches[0])

    # -- validation -----------------------------------------------------------------------------

    def _validate(self, resource: dict[str, Any]) -> list[Issue]:
        result = validate(resource, terminology=self.terminology, structural=self.structural_validation)
        result.raise_for_errors()
        return list(result.warnings)


def redacted_bytes(body: bytes, profile: int, access: int) -> bytes:
    """``body`` as ``profile`` may see it (the stored bytes when nothing is hidden)."""
    if profile == 1:
        return body
    data = orjson.loads(body)
    out = redact(data, profile, access)
    return body if out is data else orjson.dumps(out)


class _Existing(Exception):
    def __init__(self, rid: str) -> None:
        self.id = rid


class _AlreadyDeleted(Exception):
    def __init__(self, current: Current) -> None:
        self.current = current


def _copy(body: dict[str, Any]) -> dict[str, Any]:
    """Deep copy through orjson (fast, and proves the body is serialisable)."""
    try:
        value = orjson.loads(orjson.dumps(body))
    except TypeError as exc:
        raise FhirError.of(Category.STRUCTURE, f"body cannot be serialised: {exc}") from None
    assert isinstance(value, dict)
    return value


def _check_body_type(body: dict[str, Any], rtype: str) -> None:
    if body.get("resourceType") != rtype:
        raise FhirError.of(
            Category.STRUCTURE,
            f"resourceType '{body.get('resourceType')}' does not match the endpoint type '{rtype}'",
            expression="resourceType",
        )


def _check_if_match(rtype: str, rid: str, cur: Current | None, if_match: int | None) -> None:
    if if_match is None:
        return
    have = cur.version_id if cur and not cur.deleted else None
    if have != if_match:
        raise FhirError.of(
            Category.PRECONDITION_FAILED,
            f"If-Match expects version {if_match} of {rtype}/{rid}, current is {have if have else 'none'}",
        )


def _same_as_current(resource: dict[str, Any], cur: Current | None) -> bool:
    """Whether writing ``resource`` would only repeat the current version (then nothing is written)."""
    if cur is None or cur.body is None:
        return False
    candidate = stamp(_copy(resource), resource_id=cur.id, version_id=cur.version_id, last_updated_us=cur.last_updated)
    return bool(orjson.loads(cur.body) == candidate)


def _original_creation(cur: Current | None) -> str | None:
    if cur is None or cur.body is None:
        return None
    return creation_date(orjson.loads(cur.body))
