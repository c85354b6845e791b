"""Keeps ``resource.access`` and the médico-social bit of index rows current (spec f; docs/security.md).

Row facts depend on other resources (``openror.fhir.access.facts.SOURCES``): a place is sensitive
because a sensitive offer uses it. Inside the commit that writes resources, ``refresh`` recomputes
the facts of the written resources and of every resource whose sources changed, rank by rank
(offers, then places/roles/organizations, then practitioners, then tasks), so the next reader sees
facts consistent with the data. When a resource's médico-social bit changes, the ``vis`` of its
index rows follows (bit 5), so profile 3's criteria stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, select, update

from openror.fhir.access.facts import MAX_RANK, RANK, compute, dependents_of, sources_of
from openror.fhir.access.rules import ACCESS_MS, MS_BIT
from openror.store.schema import INDEX_TABLES, idx_reference, resource

CHUNK = 500
# Types whose rewrite can change another resource's facts through references they hold.
DEPENDED_ON = frozenset(t for t in RANK for s in dependents_of(t) if not s.forward)
MAX_REFRESH = 1_000_000  # resources recomputed by one commit (a national offer graph is far below)

Key = tuple[str, str]


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def old_targets(conn: Connection, rids: list[int]) -> set[Key]:
    """Resources that ``rids`` (about to be rewritten) make depend on them: captured before their
    index rows go, so that a place dropped by an offer is recomputed too."""
    params = {s.param for t in RANK for s in dependents_of(t) if not s.forward}
    found: set[Key] = set()
    for chunk in _chunks(rids):
        rows = conn.execute(
            select(idx_reference.c.target_type, idx_reference.c.target_id).where(
                idx_reference.c.rid.in_(chunk),
                idx_reference.c.param.in_(sorted(params)),
                idx_reference.c.target_id.is_not(None),
            )
        )
        found.update((r[0], r[1]) for r in rows)
    return found


def _dependents(conn: Connection, rtype: str, ids: list[str]) -> set[Key]:
    """Current resources whose facts derive from the ``rtype`` resources ``ids``."""
    out: set[Key] = set()
    for src in dependents_of(rtype):
        ref = idx_reference
        for chunk in _chunks(ids):
            if src.forward:  # the dependent references us
                rows = conn.execute(
                    select(ref.c.type, resource.c.id)
                    .select_from(ref.join(resource, resource.c.rid == ref.c.rid))
                    .where(
                        ref.c.type == src.dependent,
                        ref.c.param == src.param,
                        ref.c.target_type == rtype,
                        ref.c.target_id.in_(chunk),
                    )
                )
            else:  # we reference the dependent
                rows = conn.execute(
                    select(ref.c.target_type, ref.c.target_id)
                    .select_from(ref.join(resource, resource.c.rid == ref.c.rid))
                    .where(
                        resource.c.type == rtype,
                        resource.c.id.in_(chunk),
                        ref.c.param == src.param,
                        ref.c.target_type == src.dependent,
                    )
                )
            out.update((r[0], r[1]) for r in rows)
    return out


def _sources(conn: Connection, rtype: str, rows: Sequence[Any]) -> dict[int, list[int]]:
    """rid → access values of the sources of each row (of type ``rtype``)."""
    found: dict[int, list[int]] = {r.rid: [] for r in rows}
    by_id = {r.id: r.rid for r in rows}
    for src in sources_of(rtype):
        ref = idx_reference
        target = resource.alias("src")
        if src.forward:  # we reference the source
            for chunk in _chunks(list(found)):
                stmt = (
                    select(ref.c.rid, target.c.access)
                    .select_from(
                        ref.join(target, and_(target.c.type == ref.c.target_type, target.c.id == ref.c.target_id))
                    )
                    .where(ref.c.rid.in_(chunk), ref.c.param == src.param, target.c.deleted.is_(False))
                )
                if src.source != "*":
                    stmt = stmt.where(ref.c.target_type == src.source)
                for rid, access in conn.execute(stmt):
                    found[rid].append(int(access))
        else:  # the source references us
            for chunk in _chunks(list(by_id)):
                stmt = (
                    select(ref.c.target_id, target.c.access)
                    .select_from(ref.join(target, target.c.rid == ref.c.rid))
                    .where(
                        ref.c.type == src.source,
                        ref.c.param == src.param,
                        ref.c.target_type == rtype,
                        ref.c.target_id.in_(chunk),
                    )
                )
                for target_id, access in conn.execute(stmt):
                    found[by_id[target_id]].append(int(access))
    return found


def _set_ms(conn: Connection, rids: list[int], on: bool) -> None:
    for chunk in _chunks(rids):
        for table in INDEX_TABLES:
            vis = table.c.vis.op("|")(MS_BIT) if on else table.c.vis.op("&")(~MS_BIT & 0x7FFF)
            conn.execute(update(table).where(table.c.rid.in_(chunk)).values(vis=vis))


def _recompute(conn: Connection, keys: set[Key], written: set[Key]) -> set[Key]:
    """Recompute ``keys`` (all of one rank); return those whose access changed (or were written)."""
    changed: set[Key] = set()
    by_type: dict[str, list[str]] = {}
    for t, i in keys:
        by_type.setdefault(t, []).append(i)
    for rtype, ids in by_type.items():
        for chunk in _chunks(sorted(ids)):
            cols = [resource.c.rid, resource.c.id, resource.c.access]
            if rtype == "HealthcareService":
                cols.append(resource.c.body)
            rows = conn.execute(
                select(*cols).where(resource.c.type == rtype, resource.c.id.in_(chunk), resource.c.deleted.is_(False))
            ).all()
            if not rows:
                continue
            sources = _sources(conn, rtype, rows)
            updates: list[dict[str, Any]] = []
            ms_on: list[int] = []
            ms_off: list[int] = []
            for r in rows:
                body = orjson.loads(r.body) if rtype == "HealthcareService" and r.body else None
                new = compute(rtype, body, sources[r.rid])
                fresh = (rtype, r.id) in written
                if new == r.access and not fresh:
                    continue
                updates.append({"b_rid": r.rid, "access": new})
                changed.add((rtype, r.id))
                if new & ACCESS_MS and (fresh or not r.access & ACCESS_MS):
                    ms_on.append(r.rid)
                elif not new & ACCESS_MS and not fresh and r.access & ACCESS_MS:
                    ms_off.append(r.rid)
            if updates:
                conn.execute(
                    update(resource).where(resource.c.rid == bindparam("b_rid")).values(access=bindparam("access")),
                    updates,
                )
            if ms_on:
                _set_ms(conn, ms_on, True)
            if ms_off:
                _set_ms(conn, ms_off, False)
    return changed


def refresh(conn: Connection, written: set[Key], deleted: set[Key], old: set[Key]) -> None:
    """Recompute the facts of ``written`` resources and of everything depending on what changed.

    ``deleted``: resources deleted by the commit (their dependents change); ``old``: the resources
    the written ones depended-on-by before the write (``old_targets``).
    """
    pending: dict[int, set[Key]] = {}

    def push(keys: Iterable[Key]) -> None:
        for key in keys:
            pending.setdefault(RANK.get(key[0], 0), set()).add(key)

    push(written)
    push(old)
    by_type: dict[str, list[str]] = {}
    for t, i in written | deleted:
        by_type.setdefault(t, []).append(i)
    for rtype, ids in by_type.items():
        push(_dependents(conn, rtype, ids))
    done = 0
    for rank in range(MAX_RANK + 1):
        keys = pending.pop(rank, set())
        if not keys:
            continue
        done += len(keys)
        if done > MAX_REFRESH:
            raise RuntimeError(f"access refresh touches more than {MAX_REFRESH} resources")
        changed = _recompute(conn, keys, written)
        grown: dict[str, list[str]] = {}
        for t, i in changed - written:
            grown.setdefault(t, []).append(i)
        for rtype, ids in grown.items():
            push(k for k in _dependents(conn, rtype, ids) if RANK.get(k[0], 0) > rank)


def refresh_all(conn: Connection, rtypes: Iterable[str] | None = None) -> int:
    """Recompute every current resource's facts, rank by rank (``openror reindex``, migrations)."""
    wanted = set(rtypes) if rtypes is not None else None
    total = 0
    types = [row[0] for row in conn.execute(select(resource.c.type).distinct())]
    for rank in range(MAX_RANK + 1):
        for rtype in sorted(t for t in types if RANK.get(t, 0) == rank and (wanted is None or t in wanted)):
            ids = [row[0] for row in conn.execute(
                select(resource.c.id).where(resource.c.type == rtype, resource.c.deleted.is_(False))
            )]  # fmt: skip
            for chunk in _chunks(ids):
                keys = {(rtype, i) for i in chunk}
                _recompute(conn, keys, keys)
                total += len(chunk)
    return total


MAX_PARTOF_DEPTH = 8  # EJ → EG → OI is 3 levels; a longer chain is a data error, not a reason to loop


def location_organizations(conn: Connection, location_id: str) -> set[str]:
    """Organization ids a Location belongs to, through references only (supplier perimeter, spec e).

    Its ``managingOrganization``, the ``providedBy`` of every offer whose ``location`` references it,
    and their ``partOf`` ancestors.
    """
    ref = idx_reference
    found: set[str] = set()
    rows = conn.execute(
        select(ref.c.target_id)
        .select_from(ref.join(resource, resource.c.rid == ref.c.rid))
        .where(
            resource.c.type == "Location",
            resource.c.id == location_id,
            ref.c.param == "organization",
            ref.c.target_type == "Organization",
        )
    )
    found.update(r[0] for r in rows)
    offers = select(ref.c.rid).where(
        ref.c.type == "HealthcareService",
        ref.c.param == "location",
        ref.c.target_type == "Location",
        ref.c.target_id == location_id,
    )
    other = idx_reference.alias("providers")
    rows = conn.execute(
        select(other.c.target_id).where(
            other.c.rid.in_(offers), other.c.param == "organization", other.c.target_type == "Organization"
        )
    )
    found.update(r[0] for r in rows)
    frontier = set(found)
    for _ in range(MAX_PARTOF_DEPTH):
        if not frontier:
            break
        rows = conn.execute(
            select(ref.c.target_id)
            .select_from(ref.join(resource, resource.c.rid == ref.c.rid))
            .where(
                resource.c.type == "Organization",
                resource.c.id.in_(sorted(frontier)),
                ref.c.param == "partof",
                ref.c.target_type == "Organization",
            )
        )
        parents = {r[0] for r in rows} - found
        found |= parents
        frontier = parents
    return found
