"""Store-level behaviour on both databases: bulk batches (COPY path on PostgreSQL), stale writes, clock."""

from __future__ import annotations

import orjson
import pytest

from openror.app.factory import Services
from openror.fhir.search.extract import index_rows
from openror.store.repository import StaleWrite, Write
from tests.factories import location


def _writes(n: int, prefix: str) -> list[Write]:
    out = []
    for i in range(n):
        body = location(f"{prefix}{i}")
        body["id"] = f"{prefix}{i}"
        out.append(Write("Location", f"{prefix}{i}", 0, "PUT", body, index=index_rows(body)))
    return out


def test_bulk_batch_round_trip(services: Services) -> None:
    store = services.store
    first = store.commit(_writes(100, "b"))  # over the COPY threshold on PostgreSQL
    assert len({c.last_updated for c in first}) == 1  # one transaction, one stamp
    assert store.count("Location") == 100
    got = store.read("Location", "b42")
    assert got is not None and got.version_id == 1
    body = orjson.loads(got.body or b"")
    assert body["id"] == "b42" and body["meta"]["versionId"] == "1"
    assert store.match_ids("Location", [("identifier", "https://ror.example.org/idExterneSynchro", "b42")]) == ["b42"]
    # second batch updates all of them (bulk update + token rewrite)
    upd = []
    for w in _writes(100, "b"):
        assert w.resource is not None
        w.expected_version = 1
        w.resource["name"] = "v2"
        upd.append(w)
    second = store.commit(upd)
    assert all(c.version_id == 2 for c in second)
    assert second[0].last_updated > first[0].last_updated
    assert len(store.match_ids("Location", [("identifier", None, "b7")], limit=10)) == 1
    assert len(store.history(rtype="Location", rid="b7")) == 2


def test_stale_write_rolls_back_whole_batch(services: Services) -> None:
    store = services.store
    store.commit(_writes(40, "s"))
    batch = [*_writes(40, "t"), _writes(1, "s")[0]]  # s0 already exists at version 1: expected 0 is stale
    with pytest.raises(StaleWrite):
        store.commit(batch)
    assert store.count("Location") == 40
    assert store.read("Location", "t0") is None


def test_clock_is_monotonic(services: Services) -> None:
    store = services.store
    stamps = [store.commit(_writes(1, f"c{i}-"))[0].last_updated for i in range(20)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 20
