"""The resource store: current versions, history, token index and the commit-time clock.

The change-feed guarantee (docs/architecture.md): every write transaction takes the single
``openror_clock`` row lock as its first write, stamps ``lastUpdated`` = max(clock + 1 µs, now)
on everything it writes, and holds that lock until COMMIT. Stamps are therefore issued in commit
order: when a reader sees a version stamped T, every version stamped below T is already committed
and visible. A client polling ``lastUpdated >= greatest seen`` receives every committed version at
least once; only versions carrying exactly the cursor value can repeat. (A ``now()`` taken before
commit would not do: a slow transaction could commit an older stamp after a reader moved past it.)

Preparation (parsing, patching, validation) happens before, outside the lock; the locked part only
re-checks preconditions (expected versions, conditional-create matches) and writes. A failed
precondition rolls back and raises :class:`StaleWrite` so the service redoes its preparation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, func, insert, or_, select, text, update

from openror.fhir.access.redact import classes_present
from openror.fhir.meta import stamp
from openror.fhir.search.rows import IndexRows
from openror.store import access
from openror.store.schema import INDEX_TABLES, clock, idx_token, resource, resource_version


class StaleWrite(Exception):
    """A precondition checked under the lock no longer holds; the caller re-prepares and retries."""

    def __init__(self, key: tuple[str, str], reason: str) -> None:
        super().__init__(f"{key[0]}/{key[1]}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Current:
    rid: int
    type: str
    id: str
    version_id: int
    last_updated: int
    deleted: bool
    body: bytes | None
    access: int = 0  # row facts (fhir.access.rules); 0 = visible to no profile (fail closed)
    classes: int = 0xFFFFFFFF  # element classes present (fhir.access.redact.classes_present)


@dataclass(frozen=True, slots=True)
class Version:
    rid: int
    type: str
    id: str
    version_id: int
    last_updated: int
    method: str
    body: bytes | None
    access: int = 0  # the resource's current row facts: history follows today's visibility


@dataclass(slots=True)
class Write:
    """One resource write prepared by the service layer.

    ``expected_version`` is the current version the preparation was based on (0 = did not
    exist); the write fails with StaleWrite if the store holds another. ``resource`` is None for a
    delete. ``absent_if`` is a conditional-create guard: (param, system, code) tokens that must
    still match no current resource of the type at commit.
    """

    type: str
    id: str
    expected_version: int
    method: str
    resource: dict[str, Any] | None
    index: IndexRows | None = None
    absent_if: list[tuple[str, str | None, str]] | None = None


@dataclass(frozen=True, slots=True)
class Committed:
    type: str
    id: str
    version_id: int
    last_updated: int
    body: bytes | None
    method: str


def _index_dicts(index: IndexRows) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table name, column values) for each index row; COPY needs every row to have the same keys."""
    for t in index.tokens:
        yield "idx_token", {"param": t.param, "system": t.system, "code": t.code, "text": t.text, "vis": t.vis}
    for s in index.strings:
        yield "idx_string", {"param": s.param, "norm": s.norm[:512], "exact": s.exact[:512], "vis": s.vis}
    for d in index.dates:
        yield "idx_date", {"param": d.param, "lo": d.lo, "hi": d.hi, "vis": d.vis}
    for n in index.numbers:
        yield "idx_number", {"param": n.param, "value": n.value, "vis": n.vis}
    for q in index.quantities:
        yield "idx_quantity", {"param": q.param, "value": q.value, "system": q.system, "code": q.code, "vis": q.vis}
    for r in index.references:
        yield (
            "idx_reference",
            {
                "param": r.param,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "url": r.url[:1024] if r.url else None,
                "ident_system": r.ident_system,
                "ident_value": r.ident_value,
                "vis": r.vis,
            },
        )
    for u in index.uris:
        yield "idx_uri", {"param": u.param, "value": u.value[:1024], "vis": u.vis}
    for g in index.geo:
        yield "idx_geo", {"param": g.param, "lat": g.lat, "lon": g.lon, "vis": g.vis}
    for term, vis in sorted(index.words):
        yield "idx_word", {"param": "_content", "term": term[:64], "vis": vis}


def now_us() -> int:
    return time.time_ns() // 1000


class Store:
    """Persistence for resources on one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        mark = "?" if self.dialect == "sqlite" else "%s"
        self._read_sql = (
            "SELECT rid, version_id, last_updated, deleted, body, access, classes FROM resource "  # noqa: S608
            f"WHERE type = {mark} AND id = {mark}"
        )
        # Test hook: called inside the write transaction after stamping, before COMMIT, to
        # widen the window in which a naive change feed would lose versions.
        self.before_commit: Callable[[int], None] | None = None

    # -- writes ---------------------------------------------------------------------------------

    def _write_connection(self) -> Connection:
        return self.engine.connect().execution_options(sqlite_immediate=True)

    def commit(self, writes: Sequence[Write]) -> list[Committed]:
        """Write all ``writes`` atomically under the clock lock; return what was committed."""
        if not writes:
            return []
        keys = [(w.type, w.id) for w in writes]
        if len(set(keys)) != len(keys):
            raise ValueError("a resource may be written only once per transaction")
        with self._write_connection() as conn, conn.begin():
            stamp_us = self._take_clock(conn)
            current = self._current_rows(conn, keys)
            for w in writes:
                cur = current.get((w.type, w.id))
                have = cur.version_id if cur else 0
                if have != w.expected_version:
                    raise StaleWrite((w.type, w.id), f"expected version {w.expected_version}, found {have}")
                if w.absent_if and self._any_match(conn, w.type, w.absent_if):
                    raise StaleWrite((w.type, w.id), "a matching resource appeared")
            old = access.old_targets(
                conn, [cur.rid for key, cur in current.items() if key[0] in access.DEPENDED_ON and not cur.deleted]
            )
            out = self._write_all(conn, writes, current, stamp_us)
            access.refresh(
                conn,
                written={(w.type, w.id) for w in writes if w.resource is not None},
                deleted={(w.type, w.id) for w in writes if w.resource is None},
                old=old,
            )
            if self.before_commit is not None:
                self.before_commit(stamp_us)
        return out

    def _take_clock(self, conn: Connection) -> int:
        now = now_us()
        stmt = (
            update(clock)
            .where(clock.c.id == 1)
            .values(
                stamp=func.max(clock.c.stamp + 1, now)
                if self.dialect == "sqlite"
                else func.greatest(clock.c.stamp + 1, now)
            )
            .returning(clock.c.stamp)
        )
        value = conn.execute(stmt).scalar_one()
        return int(value)

    def _current_rows(self, conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Current]:
        by_type: dict[str, list[str]] = {}
        for t, i in keys:
            by_type.setdefault(t, []).append(i)
        found: dict[tuple[str, str], Current] = {}
        for t, ids in by_type.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = conn.execute(select(resource).where(resource.c.type == t, resource.c.id.in_(chunk))).all()
                for r in rows:
                    found[(r.type, r.id)] = Current(
                        r.rid, r.type, r.id, r.version_id, r.last_updated, r.deleted, r.body, r.access, r.classes
                    )
        return found

    def _any_match(self, conn: Connection, rtype: str, tokens: list[tuple[str, str | None, str]]) -> bool:
        return bool(self._match_ids(conn, rtype, tokens, limit=1))

    def _write_all(
        self,
        conn: Connection,
        writes: Sequence[Write],
        current: dict[tuple[str, str], Current],
        stamp_us: int,
    ) -> list[Committed]:
        """Write a batch with one executemany per table (the bulk-load path is this path too)."""
        out: list[Committed] = []
        new_rows: list[dict[str, Any]] = []
        new_keys: list[tuple[str, str]] = []
        updated_rows: list[dict[str, Any]] = []
        for w in writes:
            cur = current.get((w.type, w.id))
            version = (cur.version_id if cur else 0) + 1
            body: bytes | None = None
            classes = 0
            if w.resource is not None:
                stamped = stamp(w.resource, resource_id=w.id, version_id=version, last_updated_us=stamp_us)
                body = orjson.dumps(stamped)
                classes = classes_present(w.resource)
            row = {
                "type": w.type,
                "id": w.id,
                "version_id": version,
                "last_updated": stamp_us,
                "deleted": w.resource is None,
                "body": body,
                "access": 0,  # computed by access.refresh in this transaction
                "classes": classes,
            }
            if cur is None:
                new_rows.append(row)
                new_keys.append((w.type, w.id))
            else:
                updated_rows.append(row | {"b_rid": cur.rid})
            out.append(Committed(w.type, w.id, version, stamp_us, body, w.method))
        rids: dict[tuple[str, str], int] = {k: c.rid for k, c in current.items()}
        if new_rows and self._use_copy(new_rows):
            # Bulk path: take row ids from the sequence, then COPY (psycopg) instead of INSERTs.
            seq = conn.execute(
                text("SELECT nextval(pg_get_serial_sequence('resource', 'rid')) FROM generate_series(1, :n)"),
                {"n": len(new_rows)},
            ).scalars()
            for key, row, rid in zip(new_keys, new_rows, seq, strict=True):
                row["rid"] = rids[key] = int(rid)
            self._insert_rows(conn, resource, new_rows)
        elif new_rows:
            result = conn.execute(insert(resource).returning(resource.c.rid, sort_by_parameter_order=True), new_rows)
            for key, rid in zip(new_keys, result.scalars(), strict=True):
                rids[key] = int(rid)
        if updated_rows:
            conn.execute(
                update(resource)
                .where(resource.c.rid == bindparam("b_rid"))
                .values(
                    version_id=bindparam("version_id"),
                    last_updated=bindparam("last_updated"),
                    deleted=bindparam("deleted"),
                    body=bindparam("body"),
                    classes=bindparam("classes"),
                ),
                [
                    {k: r[k] for k in ("b_rid", "version_id", "last_updated", "deleted", "body", "classes")}
                    for r in updated_rows
                ],
            )
            old = [r["b_rid"] for r in updated_rows]
            for start in range(0, len(old), 500):
                chunk = old[start : start + 500]
                for table in INDEX_TABLES:
                    conn.execute(delete(table).where(table.c.rid.in_(chunk)))
        self._insert_rows(
            conn,
            resource_version,
            [
                {
                    "rid": rids[(w.type, w.id)],
                    "version_id": c.version_id,
                    "type": w.type,
                    "last_updated": stamp_us,
                    "method": w.method,
                    "body": c.body,
                }
                for w, c in zip(writes, out, strict=True)
            ],
        )
        per_table: dict[str, list[dict[str, Any]]] = {}
        for w in writes:
            if w.resource is not None and w.index is not None:
                rid = rids[(w.type, w.id)]
                for table_name, row in _index_dicts(w.index):
                    per_table.setdefault(table_name, []).append(row | {"rid": rid, "type": w.type})
        for table in INDEX_TABLES:
            rows = per_table.get(table.name)
            if rows:
                self._insert_rows(conn, table, rows)
        return out

    COPY_THRESHOLD = 32

    def _use_copy(self, rows: Sequence[dict[str, Any]]) -> bool:
        return self.dialect == "postgresql" and len(rows) >= self.COPY_THRESHOLD

    def _insert_rows(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows: COPY on PostgreSQL for large batches, executemany otherwise.

        Table and column names come from our schema, never from input; values travel as COPY data.
        """
        if not self._use_copy(rows):
            conn.execute(insert(table), list(rows))
            return
        cols = list(rows[0])
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r[c] for c in cols))

    # -- reads ----------------------------------------------------------------------------------

    def read(self, rtype: str, rid: str) -> Current | None:
        """The current row of one resource: the hot read path, on a pooled DBAPI connection.

        One prepared SQL string per dialect (bound parameters), no SQLAlchemy statement machinery and
        no explicit transaction: a single SELECT is consistent on its own.
        """
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(self._read_sql, (rtype, rid))
            row = cur.fetchone()
            cur.close()
        finally:
            raw.close()  # back to the pool (PostgreSQL: the pool's reset ends the implicit transaction)
        if row is None:
            return None
        body = row[4]
        data = bytes(body) if body is not None else None
        return Current(row[0], rtype, rid, row[1], row[2], bool(row[3]), data, int(row[5]), int(row[6]))

    def location_organizations(self, location_id: str) -> set[str]:
        """Organizations a Location belongs to through references (supplier perimeter check)."""
        with self.engine.connect() as conn:
            return access.location_organizations(conn, location_id)

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Current]:
        """Current rows of many (type, id) at once (absent keys are missing from the result)."""
        with self.engine.connect() as conn:
            return self._current_rows(conn, keys)

    def vread(self, rtype: str, rid: str, version_id: int) -> Version | None:
        stmt = (
            select(resource_version, resource.c.access)
            .join(resource, resource.c.rid == resource_version.c.rid)
            .where(resource.c.type == rtype, resource.c.id == rid, resource_version.c.version_id == version_id)
        )
        with self.engine.connect() as conn:
            r = conn.execute(stmt).first()
        if r is None:
            return None
        return Version(r.rid, rtype, rid, r.version_id, r.last_updated, r.method, r.body, r.access)

    def match_ids(self, rtype: str, tokens: list[tuple[str, str | None, str]], *, limit: int = 2) -> list[str]:
        """Ids of current, non-deleted resources of ``rtype`` having ALL the given tokens.

        A token with system None matches any system; used by conditional interactions.
        """
        with self.engine.connect() as conn:
            return self._match_ids(conn, rtype, tokens, limit=limit)

    def _match_ids(
        self, conn: Connection, rtype: str, tokens: list[tuple[str, str | None, str]], *, limit: int
    ) -> list[str]:
        stmt = select(resource.c.id).where(resource.c.type == rtype, resource.c.deleted.is_(False))
        for param, system, code in tokens:
            cond = [idx_token.c.rid == resource.c.rid, idx_token.c.param == param, idx_token.c.code == code]
            if system is not None:
                cond.append(idx_token.c.system == system if system else idx_token.c.system.is_(None))
            stmt = stmt.where(select(idx_token.c.rid).where(and_(*cond)).exists())
        return list(conn.execute(stmt.order_by(resource.c.id).limit(limit)).scalars())

    def history(
        self,
        *,
        rtype: str | None = None,
        rid: str | None = None,
        since: int | None = None,
        before: tuple[int, int, int] | None = None,
        count: int = 100,
        access_bit: int | None = None,
    ) -> list[Version]:
        """Versions newest first; ``before`` is a keyset cursor (last_updated, rid, version_id).

        ``access_bit``: only resources whose row facts carry this profile bit (access control).
        """
        v = resource_version
        stmt = select(v, resource.c.id, resource.c.access).join(resource, resource.c.rid == v.c.rid)
        if rtype is not None:
            stmt = stmt.where(v.c.type == rtype)
        if access_bit is not None:
            stmt = stmt.where(resource.c.access.op("&")(access_bit) != 0)
        if rid is not None:
            stmt = stmt.where(resource.c.id == rid)
        if since is not None:
            stmt = stmt.where(v.c.last_updated >= since)
        if before is not None:
            lu, r, ver = before
            stmt = stmt.where(
                or_(
                    v.c.last_updated < lu,
                    and_(v.c.last_updated == lu, v.c.rid < r),
                    and_(v.c.last_updated == lu, v.c.rid == r, v.c.version_id < ver),
                )
            )
        stmt = stmt.order_by(v.c.last_updated.desc(), v.c.rid.desc(), v.c.version_id.desc()).limit(count)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [Version(r.rid, r.type, r.id, r.version_id, r.last_updated, r.method, r.body, r.access) for r in rows]

    def changes_since(self, since: int, *, rtype: str | None = None, limit: int = 1000) -> list[Version]:
        """Every committed version with lastUpdated >= ``since``, oldest first (the change feed)."""
        v = resource_version
        stmt = select(v, resource.c.id).join(resource, resource.c.rid == v.c.rid).where(v.c.last_updated >= since)
        if rtype is not None:
            stmt = stmt.where(v.c.type == rtype)
        stmt = stmt.order_by(v.c.last_updated, v.c.rid, v.c.version_id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [Version(r.rid, r.type, r.id, r.version_id, r.last_updated, r.method, r.body) for r in rows]

    def count(self, rtype: str | None = None) -> int:
        stmt = select(func.count()).select_from(resource).where(resource.c.deleted.is_(False))
        if rtype is not None:
            stmt = stmt.where(resource.c.type == rtype)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def iter_current(self, rtype: str, *, batch: int = 500) -> Iterator[Current]:
        """Every current, non-deleted resource of ``rtype``, in row order, read in keyset batches."""
        after = 0
        while True:
            stmt = (
                select(resource)
                .where(resource.c.type == rtype, resource.c.deleted.is_(False), resource.c.rid > after)
                .order_by(resource.c.rid)
                .limit(batch)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            for r in rows:
                yield Current(r.rid, r.type, r.id, r.version_id, r.last_updated, r.deleted, r.body, r.access, r.classes)
            if len(rows) < batch:
                return
            after = rows[-1].rid

    def reindex(
        self,
        compute: Callable[[dict[str, Any]], IndexRows],
        *,
        rtype: str | None = None,
        batch: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Recompute the index rows, element classes and access facts of every current resource.

        Used after a search-definition or access-rule change (and after migration 0003). Each batch
        runs under the clock lock, reading bodies and rewriting their rows in one transaction, so a
        concurrent write can never leave rows of an older body behind; a last transaction
        recomputes every resource's access facts, rank by rank. No version is created. Returns the
        number of resources reindexed.
        """
        done = 0
        after = 0
        while True:
            with self._write_connection() as conn, conn.begin():
                self._take_clock(conn)
                stmt = select(resource.c.rid, resource.c.type, resource.c.body).where(
                    resource.c.deleted.is_(False), resource.c.rid > after
                )
                if rtype is not None:
                    stmt = stmt.where(resource.c.type == rtype)
                rows = conn.execute(stmt.order_by(resource.c.rid).limit(batch)).all()
                if not rows:
                    self._take_clock(conn)
                    access.refresh_all(conn, None if rtype is None else {rtype})
                    return done
                rids = [r.rid for r in rows]
                for table in INDEX_TABLES:
                    conn.execute(delete(table).where(table.c.rid.in_(rids)))
                per_table: dict[str, list[dict[str, Any]]] = {}
                classes: list[dict[str, Any]] = []
                for r in rows:
                    body = orjson.loads(r.body)
                    classes.append({"b_rid": r.rid, "classes": classes_present(body)})
                    for table_name, row in _index_dicts(compute(body)):
                        per_table.setdefault(table_name, []).append(row | {"rid": r.rid, "type": r.type})
                for table in INDEX_TABLES:
                    if per_table.get(table.name):
                        self._insert_rows(conn, table, per_table[table.name])
                conn.execute(
                    update(resource).where(resource.c.rid == bindparam("b_rid")).values(classes=bindparam("classes")),
                    classes,
                )
            done += len(rows)
            after = rows[-1].rid
            if progress is not None:
                progress(len(rows))
