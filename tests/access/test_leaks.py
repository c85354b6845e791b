"""Property-based leak tests (issue 5 point 7; spec checklist 25-30).

For random corpora and every profile 0-5, every output path — read, search (counts, order, bodies),
``_include``/``_revinclude``, history — must give exactly what the same request gives, unrestricted,
on the corpus redacted by the pure oracle (tests/access/corpus.py). The full corpus is written in
random batches and then an offer is changed, so the store's incremental fact refresh is exercised;
queries probe hidden values (restricted words, supplementary capacities, sensitive offers).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openror.app.factory import build_services
from openror.config import Settings
from openror.fhir.access import AccessContext, Role
from openror.fhir.errors import FhirError
from openror.fhir.search.extract import index_rows
from openror.fhir.search.registry import registry
from openror.services.search import SearchService
from openror.store.repository import Write
from tests.access.corpus import SD, WORDS, corpora, redacted_corpus

ADMIN = AccessContext("admin", Role.ADMIN, 1)
BASE = "http://test/fhir"

QUERIES: list[tuple[str, list[tuple[str, str]]]] = [
    ("Location", [("_sort", "_id")]),
    ("Location", [("nb-capacity", "gt0"), ("_sort", "_id")]),
    ("Location", [("capacity-status", "06")]),
    ("Location", [("equipment-type", "IRM")]),
    ("Location", [("_revinclude", "HealthcareService:location"), ("_sort", "-name")]),
    ("Location", [("_has:HealthcareService:location:service-type", "04")]),
    (
        "HealthcareService",
        [
            ("_sort", "-name"),
            ("_include", "HealthcareService:location"),
            ("_include", "HealthcareService:organization"),
            ("_revinclude", "PractitionerRole:service"),
            ("_include", "PractitionerRole:practitioner"),
            ("_revinclude", "Task:focus"),
        ],
    ),
    ("HealthcareService", [("location.nb-capacity", "gt0")]),
    ("HealthcareService", [("location.capacity-status", "06")]),
    ("HealthcareService", [("characteristic", "123")]),
    ("Organization", [("drop-zone", "true")]),
    ("Organization", [("_revinclude", "HealthcareService:organization"), ("_sort", "name")]),
    ("PractitionerRole", [("_sort", "_id"), ("_include", "PractitionerRole:practitioner")]),
    ("Practitioner", [("_sort", "-name")]),
    ("Task", [("_sort", "_id"), ("_include", "Task:focus")]),
    *[(t, [("_content", w)]) for t in ("HealthcareService", "Organization", "Location") for w in WORDS.values()],
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated SQLite database, copied for every corpus (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("access") / "template.db"
    build_services(Settings(database_url=f"sqlite:///{path}", _env_file=None)).engine.dispose()  # type: ignore[call-arg]
    return path


class Db:
    def __init__(self, template: Path, folder: str, name: str) -> None:
        path = Path(folder) / f"{name}.db"
        shutil.copy(template, path)
        self.services = build_services(Settings(database_url=f"sqlite:///{path}", _env_file=None))  # type: ignore[call-arg]
        self.search = SearchService(self.services.store, registry(), max_count=1000)

    def write(self, resources: list[dict[str, Any]], versions: dict[str, int]) -> None:
        writes = []
        for r in resources:
            key = f"{r['resourceType']}/{r['id']}"
            writes.append(Write(r["resourceType"], r["id"], versions.get(key, 0), "PUT", r, index_rows(r)))
            versions[key] = versions.get(key, 0) + 1
        self.services.store.commit(writes)

    def read(self, ctx: AccessContext, key: str) -> Any:
        rtype, rid = key.split("/")
        try:
            body = self.services.directory.read(ctx, rtype, rid).body
        except FhirError as err:
            return ("error", err.category)
        assert body is not None
        return _content(orjson.loads(body))

    def query(self, ctx: AccessContext, rtype: str, params: list[tuple[str, str]]) -> Any:
        bundle = orjson.loads(orjson.dumps(self.search.search(ctx, rtype, params, BASE)))
        entries = [
            (e["search"]["mode"], e.get("fullUrl"), _content(e["resource"]))
            for e in bundle.get("entry", [])
            if e["search"]["mode"] != "outcome"
        ]
        return bundle.get("total"), entries

    def history(self, ctx: AccessContext, rtype: str) -> list[Any]:
        versions = self.services.directory.history(ctx, rtype=rtype, count=1000)
        return sorted((v.id, v.version_id, v.body is not None) for v in versions)

    def close(self) -> None:
        self.services.engine.dispose()


def _content(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource without its server-stamped meta (the two databases stamp different times)."""
    meta = {k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    out = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        out["meta"] = meta
    return out


@pytest.fixture
def folder() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as d:
        yield d


def _mutate(corpus: list[dict[str, Any]], rnd: random.Random) -> list[dict[str, Any]]:
    """Flip one offer's sensitivity and field of activity, and drop one of its places."""
    offers = [r for r in corpus if r["resourceType"] == "HealthcareService"]
    hcs = rnd.choice(offers)
    changed = orjson.loads(orjson.dumps(hcs))
    flag = changed["extension"][0]
    flag["valueBoolean"] = not flag["valueBoolean"]
    changed["type"][0]["coding"][0]["code"] = rnd.choice(["01", "04", "05"])
    if changed.get("location"):
        changed["location"] = changed["location"][1:] or changed["location"]
        if len(hcs.get("location", [])) == 1 and rnd.random() < 0.5:
            del changed["location"]
    return [changed]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpus=corpora(), seed=st.integers(0, 2**16))
def test_every_output_path_equals_the_redacted_corpus(corpus: list[dict[str, Any]], seed: int, template: Path) -> None:
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        full = Db(template, folder, "full")
        versions: dict[str, int] = {}
        order = corpus[:]
        rnd.shuffle(order)
        rank = {(r["resourceType"], r["id"]): i for i, r in enumerate(order)}
        cut = rnd.randint(0, len(order))
        for part in (order[:cut], order[cut:]):
            if part:
                full.write(part, versions)
        changes = _mutate(corpus, rnd)
        full.write(changes, versions)
        final = {f"{r['resourceType']}/{r['id']}": r for r in corpus}
        final |= {f"{r['resourceType']}/{r['id']}": r for r in changes}
        corpus = list(final.values())
        try:
            for profile in range(6):
                ctx = AccessContext(f"p{profile}", Role.CONSUMER, profile)
                # Loaded in the full database's row order: searches without _sort order by row.
                visible = sorted(redacted_corpus(corpus, profile), key=lambda r: rank[(r["resourceType"], r["id"])])
                expected = Db(template, folder, f"p{profile}")
                try:
                    if visible:
                        expected.write(visible, {})
                    for key in final:
                        assert full.read(ctx, key) == expected.read(ADMIN, key), (profile, key)
                    for rtype, params in QUERIES:
                        got = full.query(ctx, rtype, params)
                        want = expected.query(ADMIN, rtype, params)
                        assert got == want, (profile, rtype, params)
                    for rtype in ("Location", "HealthcareService", "Practitioner", "Task"):
                        got_ids = {i for i, _v, _b in full.history(ctx, rtype)}
                        want_ids = {i for i, _v, _b in expected.history(ADMIN, rtype)}
                        assert got_ids == want_ids, (profile, rtype)
                finally:
                    expected.close()
        finally:
            full.close()


def test_redaction_tags_subsetted_and_keeps_the_row() -> None:
    """A profile-0 read of an organization with a restricted contact: same row, contact gone, SUBSETTED."""
    org = {
        "resourceType": "Organization",
        "id": "o",
        "name": "Clinique",
        "contact": [
            {
                "extension": [
                    {
                        "url": SD + "ror-contact-confidentiality-level",
                        "valueCodeableConcept": {"coding": [{"code": "2"}]},
                    }
                ],
                "name": {"text": "direction discret"},
            }
        ],
    }
    [seen] = redacted_corpus([org], 0)
    assert "contact" not in seen and seen["name"] == "Clinique"
    assert seen["meta"]["security"][0]["code"] == "SUBSETTED"
    [full] = redacted_corpus([org], 1)
    assert full is org
