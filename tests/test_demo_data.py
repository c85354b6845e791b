"""The demo data set loaded by ``openror demo`` (src/openror/definitions/demo, see its README.md).

One transaction Bundle: hand-made ROR resources posted with ``ifNoneExist`` and linked by urn:uuid
fullUrls, plus the three IG examples as PUT entries. The tests check that the Bundle is
self-consistent, that every resource passes the write validation (structure + ROR rules), that it
covers what the README promises, and that loading it twice creates nothing new.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from openror.app.factory import Services
from openror.fhir.access import SYSTEM
from openror.fhir.resources import CREATION_DATE_URL, PROFILES, iter_references
from openror.fhir.terminology import nos_url, packaged_terminology
from openror.fhir.validation import validate

IG_COPIES = Path(__file__).parent / "data" / "ig"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
REGION_SYSTEM = nos_url("TRE", "R30-RegionOM")
CONFIDENTIALITY_SYSTEM = nos_url("TRE", "R283-NiveauConfidentialite")
CHANNEL_URL = ROR_SD + "ror-telecom-communication-channel"
TELECOM_CONF_URL = ROR_SD + "ror-telecom-confidentiality-level"
HCS_CONTACT_TELECOM_URL = ROR_SD + "ror-healthcareservice-contact-telecom"
CAPACITY_URL = ROR_SD + "ror-location-supported-capacity"


@cache
def _raw() -> str:
    path = resources.files("openror") / "definitions" / "demo" / "demo-bundle.json"
    return path.read_text(encoding="utf-8")


def _bundle() -> dict[str, Any]:
    """A fresh copy (the transaction processing rewrites references in place)."""
    data: dict[str, Any] = json.loads(_raw())
    return data


def _entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = _bundle()["entry"]
    return entries


def _own() -> list[dict[str, Any]]:
    """The hand-made resources (POST entries); the PUT entries are the IG examples."""
    return [e["resource"] for e in _entries() if e["request"]["method"] == "POST"]


def _label(entry: dict[str, Any]) -> str:
    res = entry["resource"]
    ident = (res.get("identifier") or [{}])[0].get("value")
    return f"{res['resourceType']}:{ident or res.get('id')}"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object of ``node``."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def _ext(node: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [x for x in node.get("extension", []) if x.get("url") == url]


def _codes(node: Any, system: str) -> set[str]:
    return {c["code"] for c in _walk(node) if c.get("system") == system and isinstance(c.get("code"), str)}


# -- shape of the transaction ---------------------------------------------------------------------


def test_every_entry_is_a_request_with_a_resource() -> None:
    bundle = _bundle()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    assert bundle["entry"]
    for entry in bundle["entry"]:
        request, res = entry.get("request"), entry.get("resource")
        assert isinstance(request, dict) and isinstance(res, dict), entry
        assert res.get("resourceType") in PROFILES, res.get("resourceType")
        if request["method"] == "POST":
            assert request["url"] == res["resourceType"]
            assert "id" not in res, "ids are server-assigned"
            assert entry["fullUrl"].startswith("urn:uuid:")
        else:
            assert request["method"] == "PUT"
            assert request["url"] == f"{res['resourceType']}/{res['id']}"


def test_full_urls_are_unique() -> None:
    urls = [e["fullUrl"] for e in _entries() if "fullUrl" in e]
    assert len(urls) == len(set(urls))


def test_conditional_creates_target_the_resource_identifier() -> None:
    """ifNoneExist = ``identifier=[system|]value`` of one of the resource's own identifiers (idempotent load)."""
    for entry in _entries():
        if entry["request"]["method"] != "POST":
            continue
        cond = entry["request"].get("ifNoneExist", "")
        assert cond.startswith("identifier="), _label(entry)
        token = cond.removeprefix("identifier=")
        system, _, value = token.rpartition("|")
        own = {(i.get("system"), i["value"]) for i in entry["resource"]["identifier"]}
        if system:
            assert (system, value) in own, (_label(entry), token)
        else:
            assert value in {v for _, v in own}, (_label(entry), token)
    conds = [(e["request"]["url"], e["request"].get("ifNoneExist")) for e in _entries()]
    assert len(conds) == len(set(conds)), "two entries share a condition"


def test_every_urn_uuid_reference_resolves_to_an_entry() -> None:
    entries = _entries()
    by_url = {e["fullUrl"]: e["resource"]["resourceType"] for e in entries if "fullUrl" in e}
    seen = 0
    for entry in entries:
        for holder in iter_references(entry["resource"]):
            ref = holder["reference"]
            if not ref.startswith("urn:uuid:"):
                # only the verbatim IG examples keep relative references to resources outside the set
                assert entry["request"]["method"] == "PUT", (_label(entry), ref)
                continue
            seen += 1
            assert ref in by_url, (_label(entry), ref)
            if "type" in holder:
                assert holder["type"] == by_url[ref], (_label(entry), ref)
    assert seen > 20


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(_entries())), ids=[_label(e) for e in _entries()])
def test_every_resource_validates(index: int) -> None:
    res = _entries()[index]["resource"]
    result = validate(res, terminology=packaged_terminology(), structural=True)
    assert not result.errors, [f"{i.diagnostics} @ {i.expression}" for i in result.errors]


def test_own_resources_follow_the_ror_conventions() -> None:
    """Profile, creation date, region tag (spec a.1) and the two telecom extensions everywhere."""
    for res in _own():
        rtype = res["resourceType"]
        assert res["meta"]["profile"] == [PROFILES[rtype]], rtype
        assert res["meta"].get("lastUpdated"), rtype
        created = _ext(res, CREATION_DATE_URL)
        assert len(created) == 1 and "valueDateTime" in created[0], rtype
        tags = [t for t in res["meta"].get("tag", []) if t.get("system") == REGION_SYSTEM]
        assert len(tags) == 1 and tags[0]["code"] in ("11", "52"), rtype
        for node in _walk(res):
            for tel in node.get("telecom", []) if isinstance(node.get("telecom"), list) else []:
                assert len(_ext(tel, CHANNEL_URL)) == 1 and len(_ext(tel, TELECOM_CONF_URL)) == 1, rtype
                assert tel.get("value"), rtype
            if node.get("url") == HCS_CONTACT_TELECOM_URL:
                assert len(_ext(node, CHANNEL_URL)) == 1 and len(_ext(node, TELECOM_CONF_URL)) == 1, rtype


def test_dataset_covers_what_the_readme_promises() -> None:
    own = _own()
    by_type: dict[str, list[dict[str, Any]]] = {}
    for res in own:
        by_type.setdefault(res["resourceType"], []).append(res)
    assert {t: len(v) for t, v in by_type.items()} == {
        "Organization": 7,
        "Location": 4,
        "HealthcareService": 5,
        "Practitioner": 2,
        "PractitionerRole": 2,
        "Task": 1,
    }
    assert {t["code"] for r in own for t in r["meta"]["tag"]} == {"11", "52"}
    services = by_type["HealthcareService"]
    assert {"01", "03", "04", "05"} <= _codes(services, nos_url("TRE", "R227-ChampActivite"))
    sensitive = [s for s in services if _ext(s, ROR_SD + "ror-healthcareservice-sensitive-unit")[0]["valueBoolean"]]
    assert len(sensitive) == 1
    assert any(_ext(s, ROR_SD + "ror-healthcareservice-psychiatric-sector") for s in services)
    assert any(_ext(s, ROR_SD + "ror-territorial-division") for s in services)
    assert any(n.get("id") == "closingReopeningDate" for s in services for n in s.get("notAvailable", []))
    assert _codes(own, CONFIDENTIALITY_SYSTEM) == {"1", "2", "3"}
    capacities = [c for loc in by_type["Location"] for c in _ext(loc, CAPACITY_URL)]
    assert {"01", "02", "03", "04", "05", "06"} <= _codes(capacities, nos_url("TRE", "R330-TypeStatutCapacite"))
    assert any(x["url"] == "genderCapacityAvailable" for c in capacities for x in c["extension"])
    assert any(_ext(loc, ROR_SD + "ror-location-equipment") for loc in by_type["Location"])
    levels = {"EJ": 0, "EG": 0, "OI": 0}
    for org in by_type["Organization"]:
        systems = {i.get("system") for i in org["identifier"]}
        levels["OI" if "https://oi.esante.gouv.fr" in systems else "EG" if "partOf" in org else "EJ"] += 1
    assert levels == {"EJ": 3, "EG": 3, "OI": 1}
    task = by_type["Task"][0]
    focus = task["focus"]["reference"]
    assert any(e["fullUrl"] == focus and e["request"]["url"] == "HealthcareService" for e in _entries())


def test_ig_examples_are_the_shipped_copies() -> None:
    """The PUT entries are tests/data/ig verbatim, except the careMode added to HealthcareService/1234564.

    The IG example misses ``characteristic:careMode`` (1..1 in its own profile, see tests/data/ig/PROVENANCE.md);
    the demo copy adds TRE_R213 code 28 (its name says HOSPITALISATION COMPLETE) so that the atomic
    transaction passes the write validation.
    """
    care_mode = nos_url("TRE", "R213-ModePriseEnCharge")
    puts = [e["resource"] for e in _entries() if e["request"]["method"] == "PUT"]
    assert len(puts) == 3
    for res in puts:
        original = json.loads((IG_COPIES / f"{res['resourceType']}-{res['id']}.json").read_text(encoding="utf-8"))
        if res["resourceType"] == "HealthcareService":
            added = [c for c in res["characteristic"] if c not in original["characteristic"]]
            assert [c["coding"][0]["system"] for c in added] == [care_mode]
            res = copy.deepcopy(res)
            res["characteristic"] = [c for c in res["characteristic"] if c not in added]
        assert res == original, res["resourceType"]


# -- loading ----------------------------------------------------------------------------------------


def test_loading_twice_creates_nothing_new(services: Services) -> None:
    first = services.bundles.process(SYSTEM, _bundle(), "urn:openror:demo")
    assert [e["response"]["status"] for e in first["entry"]] == ["201 Created"] * len(_entries())
    written = {e["fullUrl"] for e in first["entry"]}
    for entry in first["entry"]:  # references now point at the server-assigned ids of this load
        res = entry["resource"]
        for holder in iter_references(res):
            ref = holder["reference"]
            assert not ref.startswith("urn:uuid:"), ref
            if res["id"] not in ("1234564", "ror-location-exemple", "ror-task-exemple"):
                assert f"urn:openror:demo/{ref}" in written, ref
    second = services.bundles.process(SYSTEM, _bundle(), "urn:openror:demo")
    assert [e["response"]["status"] for e in second["entry"]] == ["200 OK"] * len(_entries())
    assert [e["response"]["location"] for e in second["entry"]] == [e["response"]["location"] for e in first["entry"]]
