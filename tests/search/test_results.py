"""Result parameters: paging (keyset), _sort, _count, _total, _summary, _elements, handling, errors, the cap."""

from __future__ import annotations

from typing import Any

import pytest

from openror.app.factory import Services
from openror.fhir.errors import FhirError
from openror.fhir.search.registry import registry
from openror.services.search import SearchService
from tests.conftest import ADMIN
from tests.factories import location

H = {"Content-Type": "application/fhir+json"}


def _make(client: Any, n: int, prefix: str = "P") -> list[str]:
    ids = []
    for i in range(n):
        body = location(f"{prefix}{i:03d}")
        body["name"] = f"Lieu {chr(ord('A') + (i * 7) % 26)} {i:03d}"
        ids.append(client.post("/fhir/Location", json=body, headers=H).json()["id"])
    return ids


def _walk(client: Any, url: str) -> list[dict[str, Any]]:
    out = []
    while url:
        bundle = client.get(url.replace("http://testserver", "")).json()
        out.extend(e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match")
        url = next((lnk["url"] for lnk in bundle["link"] if lnk["relation"] == "next"), "")
    return out


def test_default_count_and_paging_exactly_once(client: Any) -> None:
    ids = _make(client, 23)
    got = _walk(client, "/fhir/Location?_count=5")
    assert [r["id"] for r in got] == ids


def test_paging_survives_concurrent_changes(client: Any) -> None:
    ids = _make(client, 12)
    first = client.get("/fhir/Location?_count=4&_sort=name").json()
    seen = [e["resource"]["id"] for e in first["entry"]]
    # while paging: update an unchanged-order field of another resource, delete one, add one
    victim = next(i for i in ids if i not in seen)
    assert client.delete(f"/fhir/Location/{victim}").status_code == 204
    _make(client, 1, prefix="Z")
    url = next(lnk["url"] for lnk in first["link"] if lnk["relation"] == "next")
    rest = [r["id"] for r in _walk(client, url)]
    unchanged = set(ids) - {victim}
    assert unchanged <= set(seen) | set(rest)
    assert len(seen + rest) == len(set(seen + rest))  # nothing twice


def test_sort_keys_and_previous_link(client: Any) -> None:
    _make(client, 9)
    asc = [r["name"] for r in _walk(client, "/fhir/Location?_sort=name&_count=2")]
    assert asc == sorted(asc, key=str.casefold)
    desc = [r["name"] for r in _walk(client, "/fhir/Location?_sort=-name,_id&_count=4")]
    assert desc == list(reversed(asc))
    page2 = client.get("/fhir/Location?_sort=name&_count=3").json()
    nxt = next(lnk["url"] for lnk in page2["link"] if lnk["relation"] == "next")
    second = client.get(nxt.replace("http://testserver", "")).json()
    prev = next(lnk["url"] for lnk in second["link"] if lnk["relation"] == "previous")
    back = client.get(prev.replace("http://testserver", "")).json()
    assert [e["resource"]["id"] for e in back["entry"]] == [e["resource"]["id"] for e in page2["entry"]]


def test_total_summary_elements(client: Any) -> None:
    _make(client, 3)
    assert client.get("/fhir/Location?_summary=count").json() == {
        "resourceType": "Bundle", "type": "searchset", "total": 3,
        "link": [{"relation": "self", "url": "http://testserver/fhir/Location?_summary=count"}]}  # fmt: skip
    assert "total" not in client.get("/fhir/Location?_total=none").json()
    el = client.get("/fhir/Location?_elements=name").json()["entry"][0]["resource"]
    assert set(el) == {"resourceType", "id", "meta", "name"}
    assert {"code": "SUBSETTED"}.items() <= el["meta"]["tag"][-1].items()
    summ = client.get("/fhir/Location?_summary=true").json()["entry"][0]["resource"]
    assert "extension" not in summ and "name" in summ


def test_strict_and_lenient(client: Any) -> None:
    r = client.get("/fhir/Location?colour=blue")
    assert r.status_code == 400 and "colour" in r.json()["issue"][0]["diagnostics"]
    r = client.get("/fhir/Location?colour=blue", headers={"Prefer": "handling=lenient"})
    assert r.status_code == 200
    assert r.json()["entry"][-1]["search"]["mode"] == "outcome"


@pytest.mark.parametrize(
    "query",
    [
        "_lastUpdated=ge2024-13-01",
        "_count=abc",
        "near=200|1|1|km",
        "nb-capacity=gtx",
        "identifier:bogus=1",
        "_sort=colour",
        "_include=Location:nothing",
        "_cursor=%%%",
        "organization.bogus=1",
        "_filter=(name eq",
        "_has:Task:focus=1",
    ],
)
def test_malformed_values_are_400(client: Any, query: str) -> None:
    r = client.get(f"/fhir/Location?{query}")
    assert r.status_code == 400, (query, r.text)
    assert r.json()["resourceType"] == "OperationOutcome"


def test_post_search_equals_get(client: Any) -> None:
    _make(client, 4)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    got = client.post("/fhir/Location/_search", content="name=lieu&_count=2", headers=form).json()
    assert got["total"] == client.get("/fhir/Location?name=lieu&_count=2").json()["total"] == 4


def test_cap_points_to_export(services: Services) -> None:
    for i in range(5):
        body = location(f"C{i}")
        services.directory.create(ADMIN, "Location", body)
    svc = SearchService(services.store, registry(), max_count=1000, max_results=3)
    first = svc.search(ADMIN, "Location", [("_count", "2")], "http://x/fhir")
    nxt = next(lnk["url"] for lnk in first["link"] if lnk["relation"] == "next")
    cursor = nxt.split("_cursor=")[1]
    second = svc.search(ADMIN, "Location", [("_count", "2"), ("_cursor", cursor)], "http://x/fhir")
    matches = [e for e in second["entry"] if e["search"]["mode"] == "match"]
    assert len(matches) == 1
    outcome = second["entry"][-1]
    assert outcome["search"]["mode"] == "outcome" and "$export" in outcome["resource"]["issue"][0]["diagnostics"]
    assert not any(lnk["relation"] == "next" for lnk in second["link"])
    with pytest.raises(FhirError):
        svc.search(ADMIN, "Location", [("_count", "2"), ("_cursor", cursor.replace(cursor, "WzMsW10sOTksMF0"))],
                   "http://x/fhir")  # fmt: skip
