"""Database schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL (DESIGN.md §3).

- ``resource``: the current version of every resource, as the exact JSON bytes served.
- ``resource_version``: every version ever written (history; deletes have no body).
- ``idx_token``: token index rows (identifier, _tag, ...) of current versions, written in the same
  transaction as the resource; the search issue adds the other index tables.
- ``openror_clock``: the single row whose update serialises commit-time stamping (change feed).

Times are integer microseconds since the Unix epoch (UTC) so both databases order them alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

RowId = BigInteger().with_variant(Integer, "sqlite")

resource = Table(
    "resource",
    metadata,
    Column("rid", RowId, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("id", String(64), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("body", LargeBinary, nullable=True),
    # Access facts of the current version (fhir.access.facts): bits 0-5 = the access profiles that
    # may see the row, higher bits = the facts it was derived from. Recomputed in the commit that
    # changes the resource or a resource it depends on (a HealthcareService and its places...).
    Column("access", Integer, nullable=False, default=0),
    # Element visibility classes present in the body (fhir.access.redact.classes_present): a read
    # whose profile may see all of them serves the stored bytes without parsing them.
    Column("classes", BigInteger, nullable=False, default=0xFFFFFFFF),
    UniqueConstraint("type", "id", name="uq_resource_type_id"),
    Index("ix_resource_type_updated", "type", "last_updated"),
    Index("ix_resource_updated", "last_updated"),
)

resource_version = Table(
    "resource_version",
    metadata,
    Column("rid", RowId, primary_key=True),
    Column("version_id", Integer, primary_key=True),
    Column("type", String(64), nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("method", String(8), nullable=False),
    Column("body", LargeBinary, nullable=True),
    Index("ix_version_updated", "last_updated"),
    Index("ix_version_type_updated", "type", "last_updated"),
)

idx_token = Table(
    "idx_token",
    metadata,
    Column("rid", RowId, nullable=False),
    Column("type", String(64), nullable=False),
    Column("param", String(64), nullable=False),
    Column("system", String(512), nullable=True),
    Column("code", String(512), nullable=False),
    Column("text", String(512), nullable=True),
    # Visibility class of the element the value came from (fhir.access.classes: confidentiality
    # level, element category, médico-social context): access control restricts criteria by it.
    Column("vis", SmallInteger, nullable=False, default=0),
    Index("ix_token_lookup", "type", "param", "code", "system"),
    Index("ix_token_rid", "rid"),
)


def _index_table(name: str, *columns: Column[Any], indexes: tuple[tuple[str, ...], ...]) -> Table:
    """An index table: (rid, type, param, ..., vis), one row per indexed value of a current version."""
    return Table(
        name,
        metadata,
        Column("rid", RowId, nullable=False),
        Column("type", String(64), nullable=False),
        Column("param", String(64), nullable=False),
        *columns,
        Column("vis", SmallInteger, nullable=False, default=0),
        Index(f"ix_{name}_rid", "rid"),
        *(Index(f"ix_{name}_{'_'.join(cols)}", *cols) for cols in indexes),
    )


idx_string = _index_table(
    "idx_string",
    Column("norm", String(512), nullable=False),
    Column("exact", String(512), nullable=False),
    indexes=(("type", "param", "norm"),),
)
idx_date = _index_table(
    "idx_date",
    Column("lo", BigInteger, nullable=False),
    Column("hi", BigInteger, nullable=False),
    indexes=(("type", "param", "lo", "hi"),),
)
idx_number = _index_table("idx_number", Column("value", Float, nullable=False), indexes=(("type", "param", "value"),))
idx_quantity = _index_table(
    "idx_quantity",
    Column("value", Float, nullable=False),
    Column("system", String(512), nullable=True),
    Column("code", String(128), nullable=True),
    indexes=(("type", "param", "value"),),
)
idx_reference = _index_table(
    "idx_reference",
    Column("target_type", String(64), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("url", String(1024), nullable=True),
    Column("ident_system", String(512), nullable=True),
    Column("ident_value", String(512), nullable=True),
    indexes=(("type", "param", "target_type", "target_id"), ("target_type", "target_id")),
)
idx_uri = _index_table("idx_uri", Column("value", String(1024), nullable=False), indexes=(("type", "param", "value"),))
idx_geo = _index_table(
    "idx_geo",
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    indexes=(("type", "lat", "lon"),),
)
idx_word = _index_table("idx_word", Column("term", String(64), nullable=False), indexes=(("type", "term"),))

INDEX_TABLES = (idx_token, idx_string, idx_date, idx_number, idx_quantity, idx_reference, idx_uri, idx_geo, idx_word)

clock = Table(
    "openror_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stamp", BigInteger, nullable=False),
)


# -- access control (issue 5) ----------------------------------------------------------------------

clients = Table(
    "client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # consumer | supplier | admin
    Column("profile", SmallInteger, nullable=False),  # ROR access profile 0-5
    Column("secret_hash", String(256), nullable=True),  # KDF hash; None: certificate-only client
    Column("cert_subject", String(1024), nullable=True),  # RFC 4514 subject DN (tls_client_auth)
    Column("cert_san", String(1024), nullable=True),  # a SAN (DNS/URI/email) accepted instead of the DN
    Column("cert_thumbprint", String(64), nullable=True),  # optional pin: base64url SHA-256 of the DER
    Column("status", String(16), nullable=False),  # active | revoked
    Column("created_at", BigInteger, nullable=False),  # µs since epoch
    Column("revoked_at", BigInteger, nullable=True),
    Column("max_exports", SmallInteger, nullable=False, default=2),  # concurrent $export jobs
)

client_perimeter = Table(
    "client_perimeter",
    metadata,
    # A supplier's perimeter: the EG Organizations whose places it may update (capacities).
    Column("client_id", String(64), primary_key=True),
    Column("organization_id", String(64), primary_key=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", RowId, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),  # µs since epoch, request start
    Column("client_id", String(64), nullable=True),  # None: anonymous or failed authentication
    Column("profile", SmallInteger, nullable=True),
    Column("role", String(16), nullable=True),
    Column("interaction", String(32), nullable=False),  # read, search-type, create, token...
    Column("method", String(8), nullable=False),
    Column("path", String(1024), nullable=False),
    Column("query", String(4096), nullable=True),
    Column("status", SmallInteger, nullable=False),
    Column("result_count", Integer, nullable=True),
    Column("result_ids", String(4096), nullable=True),  # first N "Type/id", space-separated
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("duration_us", BigInteger, nullable=False, default=0),
    Column("ror_headers", String(1024), nullable=True),  # JSON object of the Ror-* request headers
    Column("remote", String(64), nullable=True),
    Index("ix_audit_at", "at"),
    Index("ix_audit_client_at", "client_id", "at"),
)
