"""Search filter tree → SQL with bound parameters, one code path for SQLite and PostgreSQL (spec c).

Each leaf becomes an EXISTS on its index table correlated on the resource row; chains join
``idx_reference`` to the target resource; ``_has`` joins the other way; the ``partOf`` hierarchy of
``:above``/``:below`` is a recursive closure. Access control (spec f, docs/security.md): index rows
whose visibility class is not in ``allowed_vis`` never match, so a query on a hidden value reveals
nothing; every resource row the query reaches (results, chain targets, ``_has`` sources, sort
targets) must carry the caller's profile bit in ``resource.access``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from openror.fhir.search.query import (
    And,
    Chain,
    DateValue,
    Filter,
    Has,
    Match,
    Missing,
    NearValue,
    Not,
    NumberValue,
    Or,
    ReferenceValue,
    TokenValue,
)
from openror.fhir.search.text import content_terms, fold
from openror.store.schema import (
    idx_date,
    idx_geo,
    idx_number,
    idx_quantity,
    idx_reference,
    idx_string,
    idx_token,
    idx_uri,
    idx_word,
    resource,
)

EARTH_KM = 6371.0088

TABLE_OF = {
    "token": idx_token,
    "string": idx_string,
    "date": idx_date,
    "number": idx_number,
    "quantity": idx_quantity,
    "reference": idx_reference,
    "uri": idx_uri,
    "special": idx_geo,
}


@dataclass(frozen=True, slots=True)
class SqlContext:
    # Index visibility classes the caller may match (fhir.access.rules.allowed_vis); None: all.
    allowed_vis: frozenset[int] | None = None
    # The caller's profile bit, required in resource.access of every row reached; None: no row rule.
    access_bit: int | None = None
    # commune INSEE code → (lat, lon) centroid, for near-insee-code
    commune_centroid: Callable[[str], tuple[float, float] | None] | None = None
    dialect: str = "postgresql"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Compiler:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx = ctx
        self._n = 0

    def _vis(self, table: Any) -> list[ColumnElement[bool]]:
        """The visibility-class criterion on an index table (none when the caller sees every class)."""
        if self.ctx.allowed_vis is None:
            return []
        return [table.c.vis.in_(sorted(self.ctx.allowed_vis))]

    def row_visible(self, node: FromClause) -> list[ColumnElement[bool]]:
        """The row criterion on a resource alias: the caller's profile bit is in its access facts."""
        if self.ctx.access_bit is None:
            return []
        return [node.c.access.op("&")(self.ctx.access_bit) != 0]

    def alias(self) -> FromClause:
        self._n += 1
        return resource.alias(f"r{self._n}")

    def compile(self, f: Filter, res: FromClause, rtype: str) -> ColumnElement[bool]:
        if isinstance(f, And):
            return and_(true(), *(self.compile(i, res, rtype) for i in f.items))
        if isinstance(f, Or):
            return or_(false(), *(self.compile(i, res, rtype) for i in f.items))
        if isinstance(f, Not):
            return not_(self.compile(f.item, res, rtype))
        if isinstance(f, Match):
            return self.match(f, res, rtype)
        if isinstance(f, Missing):
            return self.missing(f, res, rtype)
        if isinstance(f, Chain):
            return self.chain(f, res, rtype)
        return self.has(f, res, rtype)

    # -- leaves -----------------------------------------------------------------------------------

    def _exists(self, table: Any, res: FromClause, rtype: str, param: str, cond: ColumnElement[bool]) -> Any:
        """``res.rid IN (rows of the index matching cond)``: uncorrelated, so both databases plan it as a
        semi-join driven by the index (ix_<table>_type_param_…) instead of probing every resource."""
        return res.c.rid.in_(
            select(table.c.rid).where(
                table.c.type == rtype,
                table.c.param == param,
                *self._vis(table),
                cond,
            )
        )

    def missing(self, f: Missing, res: FromClause, rtype: str) -> ColumnElement[bool]:
        if f.param == "_lastUpdated":
            return false() if f.missing else true()
        table = TABLE_OF.get(f.ptype)
        if table is None:
            raise ValueError(f"no index for {f.ptype}")
        exists = self._exists(table, res, rtype, f.param, true())
        return not_(exists) if f.missing else exists

    def match(self, f: Match, res: FromClause, rtype: str) -> ColumnElement[bool]:
        if f.param == "_id":
            return res.c.id.in_([str(v) for v in f.values])
        if f.param == "_lastUpdated":
            lu = res.c.last_updated
            return or_(*(_date_cond(v, lu, lu + 1) for v in f.values if isinstance(v, DateValue)))
        if f.ptype == "content":
            return or_(*(self._content(str(v), res, rtype) for v in f.values))
        if f.ptype == "special":
            near = f.values[0]
            assert isinstance(near, NearValue)
            return self._near(near, res, rtype)
        table = TABLE_OF[f.ptype]
        param = f.param
        conds: list[ColumnElement[bool]] = []
        for v in f.values:
            conds.append(self._value_cond(f, table, v))
        if f.ptype == "reference" and f.modifier in ("above", "below"):
            return or_(*(self._hierarchy_ref(f, res, rtype, v) for v in f.values if isinstance(v, ReferenceValue)))
        return self._exists(table, res, rtype, param, or_(*conds))

    def _value_cond(self, f: Match, t: Any, v: Any) -> ColumnElement[bool]:
        if f.ptype == "token":
            if f.modifier == "text":
                return t.c.text.like(_like_escape(fold(str(v))) + "%", escape="\\")
            assert isinstance(v, TokenValue)
            conds = []
            if v.code is not None:
                conds.append(t.c.code == v.code)
            if v.system == "":
                conds.append(t.c.system.is_(None))
            elif v.system is not None:
                conds.append(t.c.system == v.system)
            return and_(true(), *conds)
        if f.ptype == "string":
            s = str(v)
            if f.modifier == "exact":
                return t.c.exact == s
            if f.modifier == "contains":
                return t.c.norm.like("%" + _like_escape(fold(s)) + "%", escape="\\")
            if f.modifier == "endswith":
                return t.c.norm.like("%" + _like_escape(fold(s)), escape="\\")
            return t.c.norm.like(_like_escape(fold(s)) + "%", escape="\\")
        if f.ptype == "date":
            assert isinstance(v, DateValue)
            return _date_cond(v, t.c.lo, t.c.hi)
        if f.ptype in ("number", "quantity"):
            assert isinstance(v, NumberValue)
            cond = _number_cond(v, t.c.value)
            if f.ptype == "quantity":
                if v.system:
                    cond = and_(cond, t.c.system == v.system)
                if v.code:
                    cond = and_(cond, t.c.code == v.code)
            return cond
        if f.ptype == "reference":
            assert isinstance(v, ReferenceValue)
            if f.modifier == "identifier":
                cond = t.c.ident_value == v.ident_value
                return and_(cond, t.c.ident_system == v.ident_system) if v.ident_system else cond
            if v.target_id is None:
                return t.c.url == v.url
            cond = t.c.target_id == v.target_id
            return and_(cond, t.c.target_type == v.target_type) if v.target_type else cond
        if f.ptype == "uri":
            s = str(v)
            if f.modifier == "below":
                return t.c.value.like(_like_escape(s) + "%", escape="\\")
            if f.modifier == "above":
                return literal(s).like(func.replace(func.replace(t.c.value, "%", "\\%"), "_", "\\_") + "%", escape="\\")
            return t.c.value == s
        raise ValueError(f"unsupported parameter type {f.ptype}")

    def _content(self, text: str, res: FromClause, rtype: str) -> ColumnElement[bool]:
        terms = content_terms(text)
        if not terms:
            return false()
        return and_(*(self._exists(idx_word, res, rtype, "_content", idx_word.c.term == term) for term in terms))

    def _near(self, near: NearValue, res: FromClause, rtype: str) -> ColumnElement[bool]:
        lat, lon = self._near_point(near)
        if lat is None or lon is None:
            return false()
        dlat = near.km / 111.0
        dlon = near.km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
        t = idx_geo
        return res.c.rid.in_(
            select(t.c.rid).where(
                t.c.type == rtype,
                *self._vis(t),
                t.c.lat.between(lat - dlat, lat + dlat),
                t.c.lon.between(lon - dlon, lon + dlon),
                haversine_km(t.c.lat, t.c.lon, lat, lon) <= near.km,
            )
        )

    def _near_point(self, near: NearValue) -> tuple[float | None, float | None]:
        if near.insee is None:
            return near.lat, near.lon
        if self.ctx.commune_centroid is None:
            return None, None
        point = self.ctx.commune_centroid(near.insee)
        return (point[0], point[1]) if point else (None, None)

    def distance(self, near: NearValue, res: FromClause) -> Any:
        """Scalar subquery: the distance in km from ``near`` to the resource's position."""
        lat, lon = self._near_point(near)
        if lat is None or lon is None:
            return cast(null(), Float)
        t = idx_geo
        return (
            select(func.min(haversine_km(t.c.lat, t.c.lon, lat, lon)))
            .where(t.c.rid == res.c.rid, *self._vis(t))
            .scalar_subquery()
        )

    # -- chains -----------------------------------------------------------------------------------

    def _refs_to(self, rtype: str, param: str, target_type: str, target_ids: Any) -> Any:
        """Row ids of ``rtype`` resources whose ``param`` points to a ``target_type`` among ``target_ids``.

        Shaped as nested IN lists rather than joins so that SQLite probes the reference index once per
        matching target instead of scanning an IN list once per reference (a quadratic plan).
        """
        ref = idx_reference.alias()
        return select(ref.c.rid).where(
            ref.c.type == rtype,
            ref.c.param == param,
            ref.c.target_type == target_type,
            *self._vis(ref),
            ref.c.target_id.in_(target_ids),
        )

    def _ids_where(self, target_type: str, cond: Callable[[FromClause], ColumnElement[bool]]) -> Any:
        node = self.alias()
        return select(node.c.id).where(
            self.type_is(node, target_type), node.c.deleted.is_(False), *self.row_visible(node), cond(node)
        )

    def type_is(self, node: FromClause, rtype: str) -> ColumnElement[bool]:
        """``type = ?``; on SQLite written ``type || '' = ?`` so that the planner drives by the criteria's
        row-id lists rather than scanning every resource of the type (docs/benchmarks.md, search)."""
        if self.ctx.dialect == "sqlite":
            return node.c.type.concat("") == rtype
        return node.c.type == rtype

    def chain(self, f: Chain, res: FromClause, rtype: str) -> ColumnElement[bool]:
        targets = self._ids_where(f.target_type, lambda t: self.compile(f.inner, t, f.target_type))
        if f.hierarchy is not None:
            # :above — the target or one of its ancestors matches: the target is in the
            # descendants-or-self of the matching nodes; :below — in their ancestors-or-self.
            seed_node = self.alias()
            seed = select(seed_node.c.type, seed_node.c.id).where(
                seed_node.c.type == f.target_type,
                seed_node.c.deleted.is_(False),
                *self.row_visible(seed_node),
                self.compile(f.inner, seed_node, f.target_type),
            )
            closure = self._closure(seed, "down" if f.hierarchy == "above" else "up")
            targets = select(closure.c.id).where(closure.c.type == f.target_type)
        return res.c.rid.in_(self._refs_to(rtype, f.param, f.target_type, targets))

    def _closure(self, seed: Any, direction: str) -> Any:
        """Recursive CTE of (type, id): ``seed`` plus its descendants (down) or ancestors (up) via partOf.

        UNION (not UNION ALL) ends on cycles; the ROR hierarchy is EJ → EG → OI.
        """
        self._n += 1
        cte = seed.cte(f"tree{self._n}", recursive=True)
        ref = idx_reference.alias()
        node = self.alias()
        if direction == "down":  # nodes whose partOf points into the set
            step = (
                select(node.c.type, node.c.id)
                .select_from(ref.join(node, node.c.rid == ref.c.rid))
                .join(cte, and_(ref.c.target_type == cte.c.type, ref.c.target_id == cte.c.id))
                .where(ref.c.param == "partof", node.c.deleted.is_(False))
            )
        else:  # the partOf targets of the nodes in the set
            step = (
                select(ref.c.target_type, ref.c.target_id)
                .select_from(ref.join(node, node.c.rid == ref.c.rid))
                .join(cte, and_(node.c.type == cte.c.type, node.c.id == cte.c.id))
                .where(ref.c.param == "partof", ref.c.target_id.is_not(None))
            )
        return cte.union(step)

    def _hierarchy_ref(self, f: Match, res: FromClause, rtype: str, v: ReferenceValue) -> ColumnElement[bool]:
        """``organization:above=Organization/1``: the reference's target is 1 or an ancestor (below: descendant).

        FHIR: ":above" on a reference matches targets that are the value or its parents; ":below"
        the value or its children.
        """
        target_type = v.target_type or "Organization"
        seed = select(literal(target_type).label("type"), literal(v.target_id).label("id"))
        closure = self._closure(seed, "up" if f.modifier == "above" else "down")
        targets = select(closure.c.id).where(closure.c.type == target_type)
        return res.c.rid.in_(self._refs_to(rtype, f.param, target_type, targets))

    def has(self, f: Has, res: FromClause, rtype: str) -> ColumnElement[bool]:
        src = self.alias()
        sources = select(src.c.rid).where(
            self.type_is(src, f.source_type),
            src.c.deleted.is_(False),
            *self.row_visible(src),
            self.compile(f.inner, src, f.source_type),
        )
        ref = idx_reference.alias()
        return res.c.id.in_(
            select(ref.c.target_id).where(
                ref.c.type == f.source_type,
                ref.c.param == f.param,
                ref.c.target_type == rtype,
                *self._vis(ref),
                ref.c.rid.in_(sources),
            )
        )

    # -- sorting ----------------------------------------------------------------------------------

    def sort_value(self, path: tuple[str, ...], ptypes: tuple[str, ...], targets: tuple[str, ...],
                   res: FromClause, rtype: str, descending: bool) -> Any:  # fmt: skip
        """A scalar subquery giving the sort value of ``res`` for a (possibly chained) key."""
        if len(path) == 2:
            target = self.alias()
            ref = idx_reference.alias()
            inner = self.sort_value(path[1:], ptypes[1:], targets[1:], target, targets[0], descending)
            agg = func.max if descending else func.min
            return (
                select(agg(inner))
                .select_from(ref.join(target, and_(target.c.type == ref.c.target_type, target.c.id == ref.c.target_id)))
                .where(
                    ref.c.rid == res.c.rid,
                    ref.c.param == path[0],
                    *self._vis(ref),
                    target.c.deleted.is_(False),
                    *self.row_visible(target),
                )
                .scalar_subquery()
            )
        name, ptype = path[0], ptypes[0]
        if name == "_id":
            return res.c.id
        if name == "_lastUpdated":
            return res.c.last_updated
        table = TABLE_OF[ptype]
        col: KeyedColumnElement[Any] = {
            "token": idx_token.c.code,
            "string": idx_string.c.norm,
            "date": idx_date.c.hi if descending else idx_date.c.lo,
            "number": idx_number.c.value,
            "quantity": idx_quantity.c.value,
            "reference": idx_reference.c.target_id,
            "uri": idx_uri.c.value,
        }[ptype]
        agg = func.max if descending else func.min
        return (
            select(agg(col)).where(table.c.rid == res.c.rid, table.c.param == name, *self._vis(table)).scalar_subquery()
        )


def _date_cond(v: DateValue, lo: Any, hi: Any) -> Any:
    """FHIR date comparison between the indexed range [lo, hi) and the value's range [v.lo, v.hi)."""
    within = and_(lo >= v.lo, hi <= v.hi)
    if v.prefix == "eq":
        return within
    if v.prefix == "ne":
        return not_(within)
    if v.prefix == "gt":
        return hi > v.hi
    if v.prefix == "lt":
        return lo < v.lo
    if v.prefix == "ge":
        return or_(hi > v.hi, within)
    if v.prefix == "le":
        return or_(lo < v.lo, within)
    if v.prefix == "sa":
        return lo >= v.hi
    if v.prefix == "eb":
        return hi <= v.lo
    # ap: overlaps the value's range widened by 10% of the distance to now (FHIR: approximately)
    return and_(lo < v.hi, hi > v.lo)


def _number_cond(v: NumberValue, col: Any) -> Any:
    if v.prefix == "eq":
        return and_(col >= v.lo, col < v.hi)
    if v.prefix == "ne":
        return or_(col < v.lo, col >= v.hi)
    if v.prefix == "gt":
        return col > v.value
    if v.prefix == "lt":
        return col < v.value
    if v.prefix == "ge":
        return col >= v.value
    if v.prefix == "le":
        return col <= v.value
    if v.prefix == "sa":
        return col > v.hi
    if v.prefix == "eb":
        return col < v.lo
    margin = abs(v.value) * 0.1
    return and_(col >= v.value - margin, col <= v.value + margin)


def haversine_km(lat_col: Any, lon_col: Any, lat: float, lon: float) -> Any:
    """Great-circle distance in SQL (SQLite: math functions registered on connect)."""
    rlat = math.radians(lat)
    dlat = func.radians(lat_col) - rlat
    dlon = func.radians(lon_col) - math.radians(lon)
    a = func.pow(func.sin(dlat / 2), 2) + math.cos(rlat) * func.cos(func.radians(lat_col)) * func.pow(
        func.sin(dlon / 2), 2
    )
    return 2 * EARTH_KM * func.asin(func.sqrt(func.least(a, 1.0)))
