"""Terminology operations over HTTP on SQLite and PostgreSQL: $lookup, $validate-code, $expand (FHIR R4; spec i)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from openror.api.operations import operation_routes
from openror.app.factory import Services, build_app
from openror.config import Settings
from openror.fhir.terminology import nos_url
from openror.ingest.nos import NosImporter
from openror.services.terminology import StoredTerminology
from tests.conftest import DATA

R213 = nos_url("TRE", "R213-ModePriseEnCharge")
R66 = nos_url("TRE", "R66-CategorieEtablissement")
R81 = nos_url("TRE", "R81-Civilite")
J19 = nos_url("JDV", "J19-ModePriseEnCharge-ROR")
J55 = nos_url("JDV", "J55-CategorieEG-ROR")
J30 = nos_url("JDV", "J30-TemporaliteAccueil-ROR")
ACT_TYPE_VS = "https://interop.esante.gouv.fr/ig/fhir/ror/ValueSet/act-type-ror-valueset"
TERRITORY_VS = "https://interop.esante.gouv.fr/ig/fhir/ror/ValueSet/code-region-territorial-division-ror-valueset"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def api(settings: Settings, services: Services) -> Iterator[TestClient]:
    """The app with the operation routes mounted before the generic /fhir/{type}/{id} routes."""
    app = build_app(settings, services)
    app.router.routes[0:0] = operation_routes()
    StoredTerminology.for_store(services.store).check_interval = 0  # see writes at once
    with TestClient(app) as c:
        yield c


def _params(body: dict[str, Any]) -> dict[str, Any]:
    assert body["resourceType"] == "Parameters", body
    out: dict[str, Any] = {}
    for p in body["parameter"]:
        value = p.get("part") or next(v for k, v in p.items() if k.startswith("value"))
        out.setdefault(p["name"], []).append(value)
    return {k: v[0] if len(v) == 1 and k not in ("designation", "property") else v for k, v in out.items()}


def _parameters(*pairs: tuple[str, str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": n, t: v} for n, t, v in pairs]}


def _outcome(r: Any, status: int, text: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome" and text in body["issue"][0]["diagnostics"], body


def test_lookup(api: TestClient) -> None:
    r = api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "code": "03"})
    assert r.status_code == 200, r.text
    p = _params(r.json())
    assert (p["name"], p["display"]) == ("TRE_R213-ModePriseEnCharge", "Centre autre (médecine du travail,...)")
    uses = {d[0]["valueCoding"]["code"]: d[1]["valueString"] for d in p["designation"]}
    assert uses["LibelleCourt"] == "Centre autre (méd travail,...)"
    props = {pp[0]["valueCode"]: pp[1] for pp in p["property"]}
    assert props["dateFin"] == {"name": "value", "valueDateTime": "2018-03-30T12:00:00+01:00"}
    assert props["inactive"] == {"name": "value", "valueBoolean": True}
    only = _params(
        api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "code": "03", "property": "inactive"}).json()
    )
    assert [pp[0]["valueCode"] for pp in only["property"]] == ["inactive"]
    # A JDV URL used as system (spec i caveat) is read as its TRE; POST with a coding.
    post = api.post(
        "/fhir/CodeSystem/$lookup",
        json=_parameters(("coding", "valueCoding", {"system": J19 + "/", "code": "02"})),
        headers=FHIR_JSON,
    )
    assert _params(post.json())["display"] == "Accueil spécialisé"
    _outcome(api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "code": "zz"}), 404, "code 'zz' is not in")
    _outcome(api.get("/fhir/CodeSystem/$lookup", params={"system": "http://x.org", "code": "1"}), 404, "not known")
    _outcome(api.get("/fhir/CodeSystem/$lookup", params={"code": "1"}), 400, "needs system and code")
    _outcome(
        api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "code": "1", "version": "9"}), 404, "version 9"
    )
    _outcome(
        api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "code": "1", "x": "1"}),
        400,
        "unknown parameter 'x'",
    )
    _outcome(api.get("/fhir/CodeSystem/$lookup", params={"system": R213, "coding": "x"}), 400, "POST Parameters body")


def test_codesystem_validate_code(api: TestClient, services: Services) -> None:
    def check(**params: str) -> dict[str, Any]:
        r = api.get("/fhir/CodeSystem/$validate-code", params=params)
        assert r.status_code == 200, r.text
        return _params(r.json())

    assert check(url=R213, code="02") == {"result": True, "display": "Accueil spécialisé"}
    retired = check(url=R213, code="03")
    assert retired["result"] is True and "retired (dateFin 2018-03-30)" in retired["message"]
    assert check(url=R213, code="99")["result"] is False
    wrong = check(url=R213, code="02", display="Autre chose")
    assert wrong["result"] is False and "is not a display" in wrong["message"]
    assert check(url=R213, code="02", display="Accueil spécialisé")["result"] is True
    _outcome(api.get("/fhir/CodeSystem/$validate-code", params={"url": "http://x.org", "code": "1"}), 404, "not known")
    _outcome(api.get("/fhir/CodeSystem/$validate-code", params={"url": R213}), 400, "exactly one of code")
    # Instance level, on a code system stored by `openror import nos` (not packaged).
    NosImporter(services.directory).run([DATA / "nos" / "TRE_R81-Civilite.tabs"])
    r = api.get("/fhir/CodeSystem/TRE-R81-Civilite/$validate-code", params={"code": "MLLE"})
    p = _params(r.json())
    assert p["result"] is True and "retired (dateFin 2016-09-01)" in p["message"]
    _outcome(api.get("/fhir/CodeSystem/nope/$validate-code", params={"code": "M"}), 404, "CodeSystem/nope not found")
    _outcome(
        api.get("/fhir/CodeSystem/TRE-R81-Civilite/$validate-code", params={"code": "M", "url": R81}),
        400,
        "from the URL path",
    )


def test_valueset_validate_code(api: TestClient) -> None:
    def check(**params: str) -> dict[str, Any]:
        r = api.get("/fhir/ValueSet/$validate-code", params=params)
        assert r.status_code == 200, r.text
        return _params(r.json())

    assert check(url=J19, system=R213, code="02") == {"result": True, "display": "Accueil spécialisé"}
    assert check(url=J19, code="02")["result"] is True  # a bare code: the value set's only system
    out = check(url=J19, system=R213, code="03")
    assert out["result"] is False and "code '03' is not in JDV_J19-ModePriseEnCharge-ROR" in out["message"]
    other = check(url=J19, system=R66, code="101")
    assert other["result"] is False and "is not a code system of" in other["message"]
    # JDV_J55 still lists retired TRE_R66 codes: refused, as on writes (docs/validation.md).
    retired = check(url=J55, system=R66, code="130")
    assert retired["result"] is False and "retired" in retired["message"]
    assert check(url=J55, system=R66, code="101")["result"] is True
    body = _parameters(
        ("url", "valueUri", J19),
        (
            "codeableConcept",
            "valueCodeableConcept",
            {"coding": [{"system": R66, "code": "1"}, {"system": R213, "code": "02"}]},
        ),
    )
    r = api.post("/fhir/ValueSet/$validate-code", json=body, headers=FHIR_JSON)
    assert _params(r.json())["result"] is True
    r = api.get("/fhir/ValueSet/JDV-J19-ModePriseEnCharge-ROR/$validate-code", params={"code": "02"})
    _outcome(r, 404, "ValueSet/JDV-J19-ModePriseEnCharge-ROR not found")  # packaged, not stored: no instance
    _outcome(api.get("/fhir/ValueSet/$validate-code", params={"url": "http://x.org/vs", "code": "1"}), 404, "not known")
    _outcome(api.get("/fhir/ValueSet/$validate-code", params={"code": "1"}), 400, "url (the value set) is required")
    bad = api.post("/fhir/ValueSet/$validate-code", json={"resourceType": "Patient"}, headers=FHIR_JSON)
    assert bad.status_code == 400


def test_expand(api: TestClient, services: Services) -> None:
    def expand(path: str = "/fhir/ValueSet/$expand", **params: Any) -> dict[str, Any]:
        r = api.get(path, params=params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert body["resourceType"] == "ValueSet" and "compose" not in body
        return body["expansion"]

    full = expand(url=J19)
    assert full["total"] == 37 and len(full["contains"]) == 37 and full["offset"] == 0
    assert full["contains"][0] == {"system": R213, "code": "01", "display": full["contains"][0]["display"]}
    page = expand(url=J19, count=5, offset=35)
    assert [c["code"] for c in page["contains"]] == [c["code"] for c in full["contains"][35:]]
    assert expand(url=J19, count=0)["total"] == 37
    # Case and accent insensitive word prefixes; code prefixes too.
    hits = expand(url=J19, filter="hebergement")
    assert hits["total"] > 0 and all("ébergement" in c["display"] for c in hits["contains"])
    # Retired members are flagged; activeOnly drops them (8 in JDV_J55).
    j55 = expand(url=J55)
    assert sum(1 for c in j55["contains"] if c.get("inactive")) == 8
    assert expand(url=J55, activeOnly="true")["total"] == j55["total"] - 8
    # Whole-system include of an IG code system; a value set we cannot expand is a 422.
    assert [c["code"] for c in expand(url=ACT_TYPE_VS)["contains"]] == ["specificAct", "outsideOfficeAct"]
    r = api.get("/fhir/ValueSet/$expand", params={"url": TERRITORY_VS})
    _outcome(r, 422, "cannot be expanded here")
    # Bounded count.
    assert expand(url=J55, count=100_000)["parameter"][-1] == {"name": "count", "valueInteger": 1000}
    _outcome(api.get("/fhir/ValueSet/$expand", params={"url": J19, "count": "-1"}), 400, "non-negative integer")
    _outcome(api.get("/fhir/ValueSet/$expand", params={"url": J19, "activeOnly": "yes"}), 400, "true or false")
    _outcome(api.get("/fhir/ValueSet/$expand", params={"url": J19, "displayLanguage": "en"}), 400, "French only")
    _outcome(api.get("/fhir/ValueSet/$expand", params={"url": J19, "count": ["1", "2"]}), 400, "more than once")
    # Instance level on a stored value set, and POST.
    NosImporter(services.directory).run([DATA / "nos" / "JDV_J30-TemporaliteAccueil-ROR.tabs"])
    stored = expand("/fhir/ValueSet/JDV-J30-TemporaliteAccueil-ROR/$expand")
    assert [(c["code"], c["display"]) for c in stored["contains"]] == [("01", "Temporaire"), ("02", "Permanent")]
    r = api.post(
        "/fhir/ValueSet/$expand",
        json=_parameters(("url", "valueUri", J30), ("filter", "valueString", "perm")),
        headers=FHIR_JSON,
    )
    assert [c["code"] for c in r.json()["expansion"]["contains"]] == ["02"]


def test_a_code_system_written_through_the_api_is_used_at_once(api: TestClient) -> None:
    url = "https://example.org/fhir/CodeSystem/test"
    cs = {
        "resourceType": "CodeSystem",
        "url": url,
        "status": "active",
        "content": "complete",
        "concept": [{"code": "a", "display": "Alpha", "concept": [{"code": "a1", "display": "Alpha one"}]}],
    }
    assert api.put("/fhir/CodeSystem/test", json=dict(cs, id="test")).status_code == 201
    p = _params(api.get("/fhir/CodeSystem/$lookup", params={"system": url, "code": "a1"}).json())
    assert p["display"] == "Alpha one"
    assert {pp[0]["valueCode"]: pp[1] for pp in p["property"]}["parent"] == {"name": "value", "valueCode": "a"}
    assert api.delete("/fhir/CodeSystem/test").status_code == 204
    _outcome(api.get("/fhir/CodeSystem/$lookup", params={"system": url, "code": "a1"}), 404, "not known")
