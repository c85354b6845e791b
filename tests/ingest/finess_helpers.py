"""Helpers of the FINESS importer tests: sample paths, small derived feeds, database probes."""

from __future__ import annotations

import copy
import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from openror.app.factory import Services
from openror.ingest.finess import FinessImporter, FinessReport

DATA = Path(__file__).resolve().parent.parent / "data" / "finess"
STRUCTURES = DATA / "finess-structures-mensuel-202607-echantillon_json.gz"
ACTIVITIES = DATA / "finess-activites-mensuel-202607-echantillon_json.gz"
CS1100502 = DATA / "etalab-cs1100502-stock-20260512-0339.excerpt-15-lines.csv"
CS1100507 = DATA / "etalab-cs1100507-derived.csv"
CS1100501 = DATA / "etalab-cs1100501-derived.csv"


@cache
def structures_doc() -> dict[str, Any]:
    value = json.loads(gzip.decompress(STRUCTURES.read_bytes()))
    assert isinstance(value, dict)
    return value


def small_feed(pmej_indexes: tuple[int, ...] = (0, 1, 2, 3)) -> dict[str, Any]:
    """A FINESS+ structures document made of a few real pmej records of the sample (deep copies)."""
    doc = structures_doc()
    return {
        "schemaVersion": doc["schemaVersion"],
        "generatedAt": doc["generatedAt"],
        "gco": [],
        "gcc": [],
        "pmej": [copy.deepcopy(doc["pmej"][i]) for i in pmej_indexes],
    }


def write_feed(path: Path, doc: dict[str, Any], *, gz: bool = True) -> Path:
    raw = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def run(services: Services, *paths: Path, batch_size: int = 500, **kw: Any) -> list[FinessReport]:
    importer = FinessImporter(services.directory, batch_size=batch_size)
    return [importer.import_file(p, **kw) for p in paths]


def counts(r: FinessReport) -> tuple[int, int, int, int]:
    return (r.created, r.updated, r.unchanged, r.rejected)


def scalar(services: Services, sql: str, **params: Any) -> Any:
    with services.engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar_one()


def n_versions(services: Services) -> int:
    return int(scalar(services, "select count(*) from resource_version"))


def n_resources(services: Services) -> int:
    return int(scalar(services, "select count(*) from resource"))


def body(services: Services, rtype: str, rid: str) -> dict[str, Any]:
    cur = services.store.read(rtype, rid)
    assert cur is not None and cur.body is not None, f"{rtype}/{rid} missing"
    value = orjson.loads(cur.body)
    assert isinstance(value, dict)
    return value


def ext(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e.get("url") == url]


def all_bodies(services: Services, rtype: str) -> dict[str, dict[str, Any]]:
    with services.engine.connect() as c:
        rows = c.execute(sa.text("select id, body from resource where type = :t"), {"t": rtype}).all()
    return {rid: orjson.loads(b) for rid, b in rows}
