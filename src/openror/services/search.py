"""Search interaction: query → page of matches + includes → searchset Bundle (spec b.1-b.4, c; checklist 4-16).

Paging uses a keyset cursor over (sort keys…, row id), never OFFSET: while other resources change,
paging through a result returns every unchanged matching resource exactly once. At most
``max_results`` (10,000, as the national ROR) matches are served: the page that reaches the cap
ends with an OperationOutcome pointing to ``$export`` and has no ``next`` link.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true

from openror.fhir.access import SYSTEM, AccessContext
from openror.fhir.access.redact import needs_redaction, redact
from openror.fhir.access.rules import allowed_vis, profile_bit
from openror.fhir.errors import Category, FhirError, Issue, operation_outcome
from openror.fhir.search.query import And, Include, Match, Parser, Query, SortKey
from openror.services.directory import check_type
from openror.store.repository import Store
from openror.store.schema import idx_reference, resource
from openror.store.search import Compiler, SqlContext

MAX_RESULTS = 10_000
MAX_INCLUDED = 5_000
MAX_ITERATE = 5
DISTANCE_URL = "http://hl7.org/fhir/StructureDefinition/location-distance"
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
_MANDATORY = {"resourceType", "id", "meta"}


def _summary_elements() -> dict[str, set[str]]:
    raw = orjson.loads((resources.files("openror.definitions") / "summary-elements.json").read_bytes())
    return {k: set(v) for k, v in raw["summary"].items()}


SUMMARY = _summary_elements()


@dataclass(frozen=True, slots=True)
class Cursor:
    offset: int
    values: tuple[Any, ...]
    rid: int
    backwards: bool = False

    def encode(self) -> str:
        raw = orjson.dumps([self.offset, list(self.values), self.rid, int(self.backwards)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, nkeys: int) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            offset, values, rid, back = orjson.loads(raw)
            if not (isinstance(offset, int) and isinstance(rid, int) and isinstance(values, list)):
                raise ValueError
            if len(values) != nkeys or offset < 0:
                raise ValueError
            return cls(offset, tuple(values), rid, bool(back))
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise FhirError.of(Category.INVALID, "malformed or outdated _cursor: restart the search") from None


@dataclass(slots=True)
class _Key:
    expr: Any
    descending: bool


class SearchService:
    def __init__(
        self,
        store: Store,
        registry: Any,
        *,
        max_count: int,
        max_results: int = MAX_RESULTS,
        commune_centroid: Callable[[str], tuple[float, float] | None] | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.max_count = max_count
        self.max_results = max_results
        self.commune_centroid = commune_centroid

    def search(
        self,
        ctx: AccessContext,
        rtype: str,
        params: list[tuple[str, str]],
        base: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        check_type(rtype)
        q = Parser(self.registry, strict=strict, max_count=self.max_count).parse(rtype, params)
        self._check_near(q)
        sql_ctx = self._sql_context(ctx)
        compiler = Compiler(sql_ctx)
        res = resource.alias("r0")
        where = and_(
            self._type_is(res, rtype, q, compiler),
            res.c.deleted.is_(False),
            *compiler.row_visible(res),
            compiler.compile(q.filter, res, rtype),
        )
        keys = self._sort_keys(q, compiler, res, rtype)
        distance = compiler.distance(q.near, res) if q.near is not None else None

        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
        with self.store.engine.connect() as conn:
            if q.total != "none" or q.summary == "count":
                bundle["total"] = int(conn.execute(select(func.count()).select_from(res).where(where)).scalar_one())
            if q.summary == "count":
                bundle["link"] = [{"relation": "self", "url": _url(base, rtype, params)}]
                return bundle
            cursor = Cursor.decode(q.cursor, len(keys)) if q.cursor else None
            if cursor is not None and cursor.offset >= self.max_results:
                raise FhirError.of(
                    Category.INVALID,
                    f"a search serves at most {self.max_results} results: use $export for larger extractions",
                )
            page_where = where
            if cursor is not None:
                page_where = and_(where, _after(keys, res.c.rid, cursor))
            cols = [res.c.rid, res.c.id, res.c.body, *(k.expr for k in keys), res.c.access, res.c.classes]
            if distance is not None:
                cols.append(distance)
            order = _order(keys, res.c.rid, backwards=bool(cursor and cursor.backwards))
            rows = conn.execute(select(*cols).where(page_where).order_by(*order).limit(q.count + 1)).all()
            more = len(rows) > q.count
            rows = list(rows[: q.count])
            if cursor is not None and cursor.backwards:
                rows.reverse()
            offset = cursor.offset if cursor else 0
            if cursor is not None and cursor.backwards:
                offset = max(0, cursor.offset - len(rows))
            capped = offset + len(rows) > self.max_results
            if capped:
                rows = rows[: self.max_results - offset]
            included = self._includes(conn, q, rows, rtype, sql_ctx)

        nk = len(keys)
        links = [{"relation": "self", "url": _url(base, rtype, params)}]
        if rows:
            has_next = (more and not (cursor and cursor.backwards)) or bool(cursor and cursor.backwards)
            if has_next and not capped and offset + len(rows) < self.max_results:
                last = rows[-1]
                nxt = Cursor(offset + len(rows), tuple(last[3 : 3 + nk]), last[0])
                links.append({"relation": "next", "url": _url(base, rtype, params, nxt.encode())})
            if offset > 0:
                first = rows[0]
                prev = Cursor(offset, tuple(first[3 : 3 + nk]), first[0], backwards=True)
                links.append({"relation": "previous", "url": _url(base, rtype, params, prev.encode())})
        bundle["link"] = links
        entries = []
        for row in rows:
            body = self._body(q, rtype, row[2], ctx.profile, row[3 + nk], row[4 + nk])
            entry: dict[str, Any] = {"fullUrl": f"{base}/{rtype}/{row[1]}", "resource": body}
            search: dict[str, Any] = {"mode": "match"}
            if distance is not None and row[-1] is not None:
                search["extension"] = [{"url": DISTANCE_URL, "valueDistance": _km(float(row[-1]))}]
            entry["search"] = search
            entries.append(entry)
        for itype, iid, ibody, iaccess, iclasses in included:
            body = self._body(q, itype, ibody, ctx.profile, iaccess, iclasses)
            entries.append({"fullUrl": f"{base}/{itype}/{iid}", "resource": body, "search": {"mode": "include"}})
        outcome_issues: list[Issue] = list(q.ignored)
        if capped:
            outcome_issues.append(Issue(
                "too-costly",
                f"this search matches more than {self.max_results} resources; the first {self.max_results} "
                "were served: use $export (Bulk Data) for the rest", severity="warning"))  # fmt: skip
        if outcome_issues:
            entries.append({"resource": operation_outcome(outcome_issues), "search": {"mode": "outcome"}})
        bundle["entry"] = entries
        return bundle

    def first_page_statement(self, rtype: str, params: list[tuple[str, str]], ctx: AccessContext = SYSTEM) -> Any:
        """The SQL of the first page of a search, for EXPLAIN (bench/search.py checks index use)."""
        q = Parser(self.registry, max_count=self.max_count).parse(rtype, params)
        compiler = Compiler(self._sql_context(ctx))
        res = resource.alias("r0")
        where = and_(
            self._type_is(res, rtype, q, compiler),
            res.c.deleted.is_(False),
            *compiler.row_visible(res),
            compiler.compile(q.filter, res, rtype),
        )
        keys = self._sort_keys(q, compiler, res, rtype)
        cols = [res.c.rid, res.c.id, res.c.body, *(k.expr for k in keys)]
        return select(*cols).where(where).order_by(*_order(keys, res.c.rid, backwards=False)).limit(q.count + 1)

    # -- helpers ----------------------------------------------------------------------------------

    def _sql_context(self, ctx: AccessContext) -> SqlContext:
        """The access rules of ``ctx`` as SQL context: visible index classes and the row bit (spec f)."""
        return SqlContext(
            allowed_vis=None if ctx.profile == 1 else allowed_vis(ctx.profile),
            access_bit=profile_bit(ctx.profile),
            commune_centroid=self.commune_centroid,
            dialect=self.store.dialect,
        )

    def _type_is(self, res: Any, rtype: str, q: Query, compiler: Compiler) -> Any:
        """The resource-type condition of the main query.

        On SQLite, when there are criteria, written ``type || '' = ?`` so that the planner drives the
        query by the criteria's row-id lists instead of scanning every resource of the type through
        the type index (a measured 10x on a 150k-resource directory; docs/benchmarks.md).
        """
        if not isinstance(q.filter, And) or not q.filter.items:
            return res.c.type == rtype
        if any(isinstance(i, Match) and i.param in ("_id", "_lastUpdated") for i in q.filter.items):
            return res.c.type == rtype  # the (type, id) and (type, last_updated) indexes serve these best
        return compiler.type_is(res, rtype)

    def _check_near(self, q: Query) -> None:
        """near-insee-code needs a known commune (an unknown code is the client's error, not 0 results)."""
        if q.near is None or q.near.insee is None:
            return
        if self.commune_centroid is None or self.commune_centroid(q.near.insee) is None:
            raise FhirError.of(Category.INVALID, f"near-insee-code: unknown INSEE commune code '{q.near.insee}'")

    def _sort_keys(self, q: Query, compiler: Compiler, res: Any, rtype: str) -> list[_Key]:
        keys: list[_Key] = []
        for sk in q.sort:
            keys.append(_Key(self._sort_expr(sk, compiler, res, rtype, q), sk.descending))
        return keys

    def _sort_expr(self, sk: SortKey, compiler: Compiler, res: Any, rtype: str, q: Query) -> Any:
        if sk.path in (("near",), ("near-insee-code",)):
            if q.near is None:
                raise FhirError.of(Category.INVALID, "_sort=near needs a near or near-insee-code criterion")
            return compiler.distance(q.near, res)
        ptypes: list[str] = []
        targets: list[str] = []
        cur = rtype
        for step in sk.path:
            if step in ("_id", "_lastUpdated"):
                ptypes.append("token")
                continue
            p = self.registry.get(cur, step)
            ptypes.append(p.type)
            if p.type == "reference" and p.targets:
                targets.append(p.targets[0])
                cur = p.targets[0]
        return compiler.sort_value(sk.path, tuple(ptypes), tuple(targets), res, rtype, sk.descending)

    def _includes(
        self, conn: Any, q: Query, rows: Sequence[Any], rtype: str, sql_ctx: SqlContext
    ) -> list[tuple[str, str, bytes, int, int]]:
        if not q.includes or not rows:
            return []
        compiler = Compiler(sql_ctx)
        seen: set[tuple[str, str]] = {(rtype, r[1]) for r in rows}
        frontier: list[tuple[str, int, str]] = [(rtype, r[0], r[1]) for r in rows]
        out: list[tuple[str, str, bytes, int, int]] = []
        for round_no in range(MAX_ITERATE + 1):
            # An _include whose source type is not the searched type can only apply to included
            # resources (the IG's standard set: _include=PractitionerRole:practitioner after
            # _revinclude=PractitionerRole:service): it is applied to them as if :iterate.
            active = [inc for inc in q.includes if round_no == 0 or inc.iterate or inc.source_type != rtype]
            if not active or not frontier:
                break
            found: list[tuple[str, int, str, bytes, int, int]] = []
            for inc in active:
                found.extend(self._include_round(conn, inc, frontier, compiler))
            found.sort(key=lambda f: (f[0], f[2]))  # deterministic: by type and id within a round
            frontier = []
            for itype, irid, iid, body, access, classes in found:
                if (itype, iid) in seen:
                    continue
                seen.add((itype, iid))
                out.append((itype, iid, body, access, classes))
                frontier.append((itype, irid, iid))
                if len(out) >= MAX_INCLUDED:
                    return out
        return out

    def _include_round(
        self, conn: Any, inc: Include, frontier: list[tuple[str, int, str]], compiler: Compiler
    ) -> list[tuple[str, int, str, bytes, int, int]]:
        t = resource.alias("inc")
        ref = idx_reference
        result: list[tuple[str, int, str, bytes, int, int]] = []
        cols = (t.c.type, t.c.rid, t.c.id, t.c.body, t.c.access, t.c.classes)
        visible = [*compiler._vis(ref), *compiler.row_visible(t), t.c.deleted.is_(False)]
        if not inc.reverse:
            rids = [rid for typ, rid, _ in frontier if typ == inc.source_type]
            for chunk in _chunks(rids):
                stmt = (
                    select(*cols)
                    .select_from(ref.join(t, and_(t.c.type == ref.c.target_type, t.c.id == ref.c.target_id)))
                    .where(ref.c.rid.in_(chunk), ref.c.param == inc.param, *visible)
                )
                if inc.target_type:
                    stmt = stmt.where(t.c.type == inc.target_type)
                result.extend(tuple(r) for r in conn.execute(stmt))
            return result
        by_type: dict[str, list[str]] = {}
        for typ, _, rid in frontier:
            if inc.target_type is None or typ == inc.target_type:
                by_type.setdefault(typ, []).append(rid)
        for typ, ids in by_type.items():
            for chunk in _chunks(ids):
                stmt = (
                    select(*cols)
                    .select_from(ref.join(t, t.c.rid == ref.c.rid))
                    .where(
                        ref.c.type == inc.source_type,
                        ref.c.param == inc.param,
                        ref.c.target_type == typ,
                        ref.c.target_id.in_(chunk),
                        *visible,
                    )
                )
                result.extend(tuple(r) for r in conn.execute(stmt))
        return result

    def _body(self, q: Query, rtype: str, body: bytes, profile: int, access: int, classes: int) -> Any:
        hide = needs_redaction(profile, access, classes)
        if q.summary is None and q.elements is None and not hide:
            return orjson.Fragment(body)
        data = orjson.loads(body)
        if hide:
            data = redact(data, profile, access)
        if q.summary is None and q.elements is None:
            return data
        if q.summary == "true":
            keep = SUMMARY.get(rtype, set()) | _MANDATORY
        elif q.summary == "text":
            keep = {"text", "id", "meta"} | _MANDATORY
        elif q.summary == "data":
            keep = set(data) - {"text"}
        else:
            keep = set(q.elements or ()) | _MANDATORY
        out = {k: v for k, v in data.items() if _kept(k, keep)}
        meta = dict(out.get("meta") or {})
        meta["tag"] = [*meta.get("tag", []), SUBSETTED]
        out["meta"] = meta
        return out


def _km(value: float) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": "km", "system": "http://unitsofmeasure.org", "code": "km"}


def _kept(key: str, keep: set[str]) -> bool:
    if key in keep:
        return True
    bare = key.lstrip("_")
    if bare in keep:
        return True
    return any(bare.startswith(k) and bare[len(k) : len(k) + 1].isupper() for k in keep)


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _order(keys: list[_Key], rid: Any, *, backwards: bool) -> list[Any]:
    out: list[Any] = []
    for k in keys:
        desc = k.descending != backwards
        nulls = case((k.expr.is_(None), 1), else_=0)
        out.append(nulls.desc() if backwards else nulls.asc())
        out.append(k.expr.desc() if desc else k.expr.asc())
    out.append(rid.desc() if backwards else rid.asc())
    return out


def _after(keys: list[_Key], rid: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Rows strictly after (or, backwards, strictly before) the cursor in (keys…, rid) order, NULLs last."""
    back = cursor.backwards
    alternatives: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for k, v in zip(keys, cursor.values, strict=True):
        desc = k.descending
        if v is None:
            gt = false() if not back else k.expr.is_not(None)
            eq = k.expr.is_(None)
        else:
            beyond = (k.expr < v) if desc != back else (k.expr > v)
            gt = or_(beyond, k.expr.is_(None)) if not back else beyond
            eq = k.expr == v
        alternatives.append(and_(true(), *equal_so_far, gt))
        equal_so_far.append(eq)
    alternatives.append(and_(true(), *equal_so_far, rid < cursor.rid if back else rid > cursor.rid))
    return or_(*alternatives)


def _url(base: str, rtype: str, params: list[tuple[str, str]], cursor: str | None = None) -> str:
    kept = [(k, v) for k, v in params if k != "_cursor"]
    if cursor is not None:
        kept.append(("_cursor", cursor))
    return f"{base}/{rtype}" + (f"?{urlencode(kept)}" if kept else "")
