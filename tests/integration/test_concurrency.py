"""Concurrent writers on both databases: If-Match races, no lost update, the change-feed guarantee."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from openror.app.factory import Services
from openror.fhir.errors import Category, FhirError
from openror.services.directory import PatchDocument
from openror.store.repository import Write
from tests.conftest import ADMIN
from tests.factories import location, task


def test_same_if_match_exactly_one_wins(services: Services) -> None:
    d = services.directory
    created = d.create(ADMIN, "Location", location())
    barrier = threading.Barrier(2)

    def writer(name: str) -> str:
        body = location()
        body["id"] = created.id
        body["name"] = name
        barrier.wait()
        try:
            d.update(ADMIN, "Location", created.id, body, if_match=1)
            return "won"
        except FhirError as err:
            assert err.category is Category.PRECONDITION_FAILED
            return "lost"

    services.store.before_commit = lambda _stamp: time.sleep(0.05)
    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(writer, ["a", "b"]))
    assert results == ["lost", "won"]
    assert services.store.read("Location", created.id).version_id == 2  # type: ignore[union-attr]


def test_parallel_patches_lose_nothing(services: Services) -> None:
    d = services.directory
    t = d.create(ADMIN, "Task", task())
    n = 20

    def writer(i: int) -> None:
        ops = [
            {
                "op": "add",
                "path": "/input/-",
                "value": {
                    "type": {
                        "coding": [
                            {
                                "system": "https://interop.esante.gouv.fr/ig/fhir/ror/CodeSystem/input-task-ror-codesystem",
                                "code": "proposedValue",
                            }
                        ]
                    },
                    "valueString": f"writer-{i}",
                },
            }
        ]
        d.patch(ADMIN, "Task", t.id, PatchDocument("json", ops))

    services.store.before_commit = lambda _stamp: time.sleep(random.uniform(0, 0.005))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(n)))
    import orjson

    cur = services.store.read("Task", t.id)
    assert cur is not None and cur.version_id == n + 1
    body = orjson.loads(cur.body)  # type: ignore[arg-type]
    values = {i.get("valueString") for i in body["input"]}
    assert {f"writer-{i}" for i in range(n)} <= values
    versions = [v.version_id for v in services.store.history(rtype="Task", rid=t.id, count=100)]
    assert versions == list(range(n + 1, 0, -1))


@pytest.mark.parametrize("writers", [6])
def test_change_feed_sees_every_version(services: Services, writers: int) -> None:
    """Poll changes_since(greatest seen) while writers commit with random delays after stamping."""
    store = services.store
    per_writer = 15
    committed: set[tuple[str, int]] = set()
    lock = threading.Lock()
    done = threading.Event()

    def delay(_stamp: int) -> None:
        time.sleep(random.uniform(0, 0.01))

    store.before_commit = delay

    def writer(w: int) -> None:
        for i in range(per_writer):
            rid = f"w{w}-{i % 3}"
            cur = store.read("Location", rid)
            body = location()
            body["name"] = f"{w}-{i}"
            out = store.commit([Write("Location", rid, cur.version_id if cur else 0, "PUT", body)])
            with lock:
                committed.add((rid, out[0].version_id))

    seen: set[tuple[str, int]] = set()

    def poller() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            batch = store.changes_since(cursor, limit=10_000)
            for v in batch:
                seen.add((v.id, v.version_id))
                cursor = max(cursor, v.last_updated)
            if finished:
                return
            time.sleep(0.002)

    poll = threading.Thread(target=poller)
    poll.start()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, range(writers)))
    done.set()
    poll.join()
    assert len(committed) == writers * per_writer
    assert committed == seen
