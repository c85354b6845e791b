"""/fhir/metadata against the IG's ROR-Serveur CapabilityStatement (spec h, checklist 1).

Differences are expected only where docs/capability.md says why; this test keeps that list honest.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DATA

IG_CS = json.loads((DATA / "ig" / "CapabilityStatement-ror-serveur.json").read_text())


def _by_type(cs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["type"]: r for r in cs["rest"][0]["resource"]}


def test_metadata_basics(client: Any) -> None:
    r = client.get("/fhir/metadata")
    assert r.status_code == 200
    cs = r.json()
    assert cs["resourceType"] == "CapabilityStatement"
    assert cs["fhirVersion"] == "4.0.1"
    assert "application/fhir+json" in cs["format"]
    assert "application/fhir+json" in cs["patchFormat"]
    assert cs["kind"] == "instance"
    security = cs["rest"][0]["security"]  # as the IG's server statement (spec f, h)
    assert security["cors"] is False and security["service"][0]["coding"][0]["code"] == "OAuth"


def test_metadata_covers_every_ig_interaction(client: Any) -> None:
    ours = _by_type(client.get("/fhir/metadata").json())
    for rtype, theirs in _by_type(IG_CS).items():
        assert rtype in ours, rtype
        assert ours[rtype]["profile"] == theirs["profile"].split("|")[0]
        wanted = {i["code"] for i in theirs["interaction"]}
        have = {i["code"] for i in ours[rtype]["interaction"]}
        assert wanted <= have, (rtype, wanted - have)


def test_metadata_interactions_are_real(client: Any) -> None:
    """Every declared type answers read (404 for an unknown id), search and history."""
    for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]:
        assert client.get(f"/fhir/{r['type']}/nope").status_code == 404
        assert client.get(f"/fhir/{r['type']}?_id=nope").json()["total"] == 0
        assert client.get(f"/fhir/{r['type']}/_history").status_code == 200


SAMPLE = {
    "token": "x|y",
    "string": "abc",
    "date": "ge2020-01-01",
    "number": "gt0",
    "quantity": "le18",
    "reference": "Organization/x",
    "uri": "http://example.org/x",
}
SPECIAL = {
    "near": "48.8|2.3|5|km",
    "near-insee-code": None,  # needs the commune table: tested in tests/search
    "_filter": "_id eq x",
    "_has": None,
}


def test_metadata_search_params_are_served(client: Any) -> None:
    """Every declared parameter answers 200 with a well-formed value (none is declared and refused)."""
    for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]:
        for p in r["searchParam"]:
            name = p["name"]
            value = SPECIAL.get(name, SAMPLE.get(p["type"])) if name in SPECIAL else SAMPLE[p["type"]]
            if name == "near-insee-code":
                continue
            if name == "_has":
                name, value = "_has:Task:focus:_id", "x"
            if name == "_id":
                value = "some-id"
            if p["type"] == "reference" and name in (
                "subject",
                "patient",
                "encounter",
                "focus",
                "based-on",
                "part-of",
                "owner",
                "requester",
                "endpoint",
                "supplements",
            ):
                value = "x"  # fmt: skip
            resp = client.get(f"/fhir/{r['type']}", params={name: value})
            assert resp.status_code == 200, (r["type"], name, resp.text)


def test_metadata_declares_ig_search_params_and_includes(client: Any) -> None:
    ours = _by_type(client.get("/fhir/metadata").json())
    for rtype, theirs in _by_type(IG_CS).items():
        names = {p["name"] for p in ours[rtype]["searchParam"]}
        wanted = {p["name"] for p in theirs.get("searchParam", [])}
        assert wanted <= names, (rtype, wanted - names)
        for field in ("searchInclude", "searchRevInclude"):
            ig = {i.strip() for item in theirs.get(field, []) for i in item.split(",")}
            ig = {i for i in ig if i.split(":")[0] == rtype} if field == "searchInclude" else ig
            assert ig <= set(ours[rtype].get(field, [])) | set(), (rtype, field, ig - set(ours[rtype][field]))
