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


def test_metadata_search_params_are_served(client: Any) -> None:
    for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]:
        for p in r["searchParam"]:
            value = {"_id": "some-id", "identifier": "x|y", "_lastUpdated": "ge2020-01-01"}[p["name"]]
            resp = client.get(f"/fhir/{r['type']}", params={p["name"]: value})
            assert resp.status_code == 200, (r["type"], p["name"], resp.text)
