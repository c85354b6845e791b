"""Random ROR corpora for the access-control tests, and the pure oracle of what each profile sees.

A corpus is a small offer graph: organizations, offers (HealthcareService) with random sensitivity,
field of activity (MCO / médico-social / city practice) and contacts of random confidentiality;
places with capacity records of every status, equipment and telecoms; roles, practitioners and
anomaly reports. ``oracle_access`` derives every resource's row facts in pure Python from the
references in the JSON (independently of the store's incremental SQL refresh), with the rule
functions of ``openror.fhir.access``; ``redacted_corpus`` is then what a profile may see.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from openror.fhir.access.facts import RANK, SOURCES, compute
from openror.fhir.access.redact import redact
from openror.fhir.access.rules import row_visible

SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
TRE_R283 = "https://mos.esante.gouv.fr/NOS/TRE_R283-NiveauConfidentialite/FHIR/TRE-R283-NiveauConfidentialite"
TRE_R227 = "https://mos.esante.gouv.fr/NOS/TRE_R227-ChampActivite/FHIR/TRE-R227-ChampActivite"
TRE_R330 = "https://mos.esante.gouv.fr/NOS/TRE_R330-TypeStatutCapacite/FHIR/TRE-R330-TypeStatutCapacite"
ACTE = "https://mos.esante.gouv.fr/NOS/TRE_R210-ActeSpecifique/FHIR/TRE-R210-ActeSpecifique"
MODE = "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/TRE-R213-ModePriseEnCharge"

# Words that only ever occur in one confidentiality level, so _content queries probe leaks.
WORDS = {"1": "ouvert", "2": "discret", "3": "confidentiel"}


def level_ext(url: str, code: str) -> dict[str, Any]:
    return {"url": SD + url, "valueCodeableConcept": {"coding": [{"system": TRE_R283, "code": code}]}}


def telecom(value: str, code: str) -> dict[str, Any]:
    return {"extension": [level_ext("ror-telecom-confidentiality-level", code)], "system": "phone", "value": value}


def capacity(status: str, n: int) -> dict[str, Any]:
    return {
        "url": SD + "ror-location-supported-capacity",
        "extension": [
            {"url": "capacityStatus", "valueCodeableConcept": {"coding": [{"system": TRE_R330, "code": status}]}},
            {"url": "nbCapacity", "valueInteger": n},
        ],
    }


levels = st.sampled_from(["1", "2", "3"])


@st.composite
def corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n_org = draw(st.integers(1, 2))
    for o in range(n_org):
        lvl = draw(levels)
        org: dict[str, Any] = {
            "resourceType": "Organization",
            "id": f"org{o}",
            "name": f"Etablissement {o}",
            "contact": [
                {
                    "extension": [level_ext("ror-contact-confidentiality-level", lvl)],
                    "name": {"text": f"direction {WORDS[lvl]}"},
                    "telecom": [telecom(f"01000{o}{lvl}", draw(levels))],
                }
            ],
        }
        if draw(st.booleans()):
            org["extension"] = [{"url": SD + "ror-organization-drop-zone", "valueBoolean": True}]
        out.append(org)
    n_loc = draw(st.integers(1, 3))
    for i in range(n_loc):
        caps = [
            capacity(s, draw(st.integers(0, 3)))
            for s in draw(st.lists(st.sampled_from(["01", "02", "06"]), max_size=3))
        ]
        loc: dict[str, Any] = {
            "resourceType": "Location",
            "id": f"loc{i}",
            "name": f"Batiment {i}",
            "telecom": [telecom(f"02000{i}{lvl}", lvl) for lvl in draw(st.lists(levels, max_size=2, unique=True))],
            "extension": caps,
        }
        if draw(st.booleans()):
            loc["extension"].append(
                {
                    "url": SD + "ror-location-equipment",
                    "extension": [{"url": "equipmentType", "valueCodeableConcept": {"coding": [{"code": "IRM"}]}}],
                }
            )
        if not loc["telecom"]:
            del loc["telecom"]
        if not loc["extension"]:
            del loc["extension"]
        out.append(loc)
    n_hcs = draw(st.integers(1, 3))
    for h in range(n_hcs):
        lvl = draw(levels)
        hcs: dict[str, Any] = {
            "resourceType": "HealthcareService",
            "id": f"hcs{h}",
            "name": f"Unite {h}",
            "extension": [
                {"url": SD + "ror-healthcareservice-sensitive-unit", "valueBoolean": draw(st.booleans())},
                {
                    "url": SD + "ror-healthcareservice-contact",
                    "extension": [
                        level_ext("ror-confidentiality-level", lvl),
                        {"url": "name", "valueString": f"accueil {WORDS[lvl]}"},
                    ],
                },
            ],
            "type": [{"coding": [{"system": TRE_R227, "code": draw(st.sampled_from(["01", "04", "05"]))}]}],
            "providedBy": {"reference": f"Organization/org{draw(st.integers(0, n_org - 1))}"},
            "characteristic": [{"coding": [{"system": MODE, "code": "07"}]}],
        }
        if draw(st.booleans()):
            hcs["characteristic"].append({"coding": [{"system": ACTE, "code": "123"}], "text": "acte specifique"})
        locs = draw(st.lists(st.integers(0, n_loc - 1), max_size=2, unique=True))
        if locs:
            hcs["location"] = [{"reference": f"Location/loc{i}"} for i in locs]
        out.append(hcs)
    n_pr = draw(st.integers(0, 2))
    for p in range(n_pr):
        lvl = draw(levels)
        out.append(
            {
                "resourceType": "Practitioner",
                "id": f"pr{p}",
                "name": [{"family": f"Martin{p}"}],
                "telecom": [telecom(f"0300{p}{lvl}", lvl)],
            }
        )
    for r in range(draw(st.integers(0, 3))):
        role: dict[str, Any] = {
            "resourceType": "PractitionerRole",
            "id": f"role{r}",
            "telecom": [telecom(f"0400{r}", draw(levels))],
        }
        if n_pr:
            role["practitioner"] = {"reference": f"Practitioner/pr{draw(st.integers(0, n_pr - 1))}"}
        if draw(st.booleans()):
            role["healthcareService"] = [{"reference": f"HealthcareService/hcs{draw(st.integers(0, n_hcs - 1))}"}]
        out.append(role)
    for t in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from([r for r in out if r["resourceType"] != "Task"] + [None]))
        task: dict[str, Any] = {"resourceType": "Task", "id": f"task{t}", "status": "requested", "intent": "order"}
        task["focus"] = {
            "reference": f"{target['resourceType']}/{target['id']}" if target else "HealthcareService/nowhere"
        }
        out.append(task)
    return out


def _refs(resource: dict[str, Any], param: str) -> list[str]:
    """References held by ``resource`` for the dependency parameters of fhir.access.facts.SOURCES."""
    field = {
        ("HealthcareService", "location"): "location",
        ("HealthcareService", "organization"): "providedBy",
        ("PractitionerRole", "service"): "healthcareService",
        ("PractitionerRole", "practitioner"): "practitioner",
        ("Task", "focus"): "focus",
    }[(resource["resourceType"], param)]
    value = resource.get(field)
    items = value if isinstance(value, list) else [value] if value else []
    return [i["reference"] for i in items]


def oracle_access(corpus: list[dict[str, Any]]) -> dict[str, int]:
    """``Type/id`` → access facts, from the JSON alone, rank by rank."""
    by_key = {f"{r['resourceType']}/{r['id']}": r for r in corpus}
    access: dict[str, int] = {}
    for rank in range(4):
        for key, r in by_key.items():
            rtype = r["resourceType"]
            if RANK.get(rtype, 0) != rank:
                continue
            sources: list[int] = []
            for src in SOURCES:
                if src.dependent != rtype:
                    continue
                if src.forward:
                    sources += [access[t] for t in _refs(r, src.param) if t in access]
                else:
                    for other_key, other in by_key.items():
                        if other["resourceType"] == src.source and key in _refs(other, src.param):
                            sources.append(access[other_key])
            access[key] = compute(rtype, r, sources)
    return access


def redacted_corpus(corpus: list[dict[str, Any]], profile: int) -> list[dict[str, Any]]:
    access = oracle_access(corpus)
    out = []
    for r in corpus:
        a = access[f"{r['resourceType']}/{r['id']}"]
        if row_visible(a, profile):
            out.append(redact(r, profile, a))
    return out
