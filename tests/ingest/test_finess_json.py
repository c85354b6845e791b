"""FINESS+ JSON feeds on the real samples, SQLite and PostgreSQL (issue 4 points 1, 2; docs/ingest.md)."""

from __future__ import annotations

from openror.app.factory import Services
from openror.ingest.finess import FinessImporter
from openror.ingest.finess.mapping import (
    ACTIVITY_URL,
    CATEGORY_URL,
    EXT_PERIOD,
    SYSTEM_FINESS,
    SYSTEM_IDNATST,
    SYSTEM_SIRENE,
    TRE_R30,
    TRE_R66,
)
from openror.services.directory import Directory
from tests.ingest.finess_helpers import (
    ACTIVITIES,
    STRUCTURES,
    all_bodies,
    body,
    counts,
    ext,
    n_versions,
    run,
)

SUPPORTED_CAPACITY = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-location-supported-capacity"


def _ident(res: dict, system: str) -> str:
    return next(
        i["value"] for i in res["identifier"] if i["system"] == system and i["type"]["coding"][0]["code"] != "3"
    )


def test_structures_and_activities_samples(services: Services) -> None:
    # Full R4 structural validation on (the default): the real sample imports without a reject.
    (rep,) = run(services, STRUCTURES)
    assert rep.kind == "structures"
    assert counts(rep) == (30 + 1753 + 1753, 0, 0, 0), rep.rejects
    assert rep.expected == 3536

    ej = body(services, "Organization", "finess-ej-010000156")
    assert _ident(ej, SYSTEM_FINESS) == "010000156"
    assert _ident(ej, SYSTEM_IDNATST) == "1010000156"
    assert _ident(ej, SYSTEM_SIRENE) == "772201489"
    assert ej["active"] is True and ej["meta"]["tag"][0] == {
        "system": TRE_R30,
        "code": "84",
        "display": "Auvergne-Rhône-Alpes",
    }
    eg = body(services, "Organization", "finess-eg-010780195")
    assert eg["partOf"] == {"reference": "Organization/finess-ej-010000156"}
    assert eg["type"][0]["coding"][0]["system"] == TRE_R66 and eg["type"][0]["coding"][0]["code"] == "365"
    assert {"type", "system", "value"} <= eg["identifier"][2].keys() and eg["identifier"][2][
        "value"
    ] == "77220148900022"
    assert ext(eg, EXT_PERIOD)[0]["valuePeriod"] == {"start": "1956-11-16"}
    loc = body(services, "Location", "loc-finess-010780195")
    assert loc["position"] == {"longitude": 5.254203, "latitude": 46.211257}
    assert loc["managingOrganization"] == {"reference": "Organization/finess-eg-010780195"}
    assert loc["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "01053"
    assert loc["status"] == "active" and loc["operationalStatus"]["code"] == "3"

    # A closed EJ: inactive, closing date kept.
    closed = body(services, "Organization", "finess-ej-010000016")
    assert closed["active"] is False
    assert ext(closed, EXT_PERIOD)[0]["valuePeriod"] == {"end": "2019-03-03"}
    # Closed EGs and their Locations are inactive; retired categories are kept in the project extension.
    orgs = all_bodies(services, "Organization")
    locs = all_bodies(services, "Location")
    inactive = [o for o in orgs.values() if o["id"].startswith("finess-eg-") and not o["active"]]
    assert len(inactive) == 912
    assert all(locs["loc-finess-" + o["id"][len("finess-eg-") :]]["status"] == "inactive" for o in inactive)
    assert sum(1 for o in orgs.values() if ext(o, CATEGORY_URL)) == 444
    # The swapped coordinates of EJ 010002277 were read from the WGS84 pair.
    geo = body(services, "Organization", "finess-ej-010002277")["address"][0]["extension"][1]["extension"]
    assert geo == [{"url": "latitude", "valueDecimal": 45.958916}, {"url": "longitude", "valueDecimal": 5.358366}]
    warned = {w["message"] for w in rep.to_json()["warnings"]}
    assert any("swapped" in m for m in warned) and any("category 297" in m for m in warned)

    # Activities: reference data on the EG Organizations, never Location capacities.
    versions = n_versions(services)
    (act,) = run(services, ACTIVITIES)
    assert act.kind == "activities"
    assert counts(act) == (0, 1616, 164, 0), act.rejects
    eg = body(services, "Organization", "finess-eg-010008183")
    activities = ext(eg, ACTIVITY_URL)
    assert activities, "activities expected on EG 010008183"
    first = {e["url"]: e for e in activities[0]["extension"]}
    assert first["nature"]["valueCode"] == "ASMR" and "capacity" in first
    assert all(not ext(loc, SUPPORTED_CAPACITY) for loc in all_bodies(services, "Location").values())
    assert n_versions(services) == versions + 1616

    # Re-importing both files changes nothing; the structures import keeps the activities.
    versions = n_versions(services)
    trusted = Directory(services.store, services.directory.terminology, structural_validation=False)
    importer = FinessImporter(trusted)
    again, again_act = importer.import_file(STRUCTURES), importer.import_file(ACTIVITIES, fmt="json")
    assert counts(again) == (0, 0, 3536, 0)
    assert counts(again_act) == (0, 0, 1780, 0)
    assert n_versions(services) == versions
    assert ext(body(services, "Organization", "finess-eg-010008183"), ACTIVITY_URL) == activities
