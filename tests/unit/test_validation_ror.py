"""Tier (a): ROR profile rules and R4 required bindings (openror.fhir.validation.ror)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openror.fhir.errors import Issue
from openror.fhir.terminology import packaged_terminology
from openror.fhir.validation.ror import (
    CORE_REQUIRED_CODES,
    DISCRIMINATOR_OVERRIDES,
    HAND_EXTENSIONS,
    rule_table,
    validate_ror,
)

IG = Path(__file__).parents[1] / "data" / "ig"
NOS = "https://mos.esante.gouv.fr/NOS/"
SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
CREATION = SD + "ror-meta-creation-date"
CAPACITY = SD + "ror-location-supported-capacity"
T = packaged_terminology()


def tre(name: str) -> str:
    return f"{NOS}TRE_{name}/FHIR/TRE-{name}"


def cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((IG / name).read_text(encoding="utf-8"))
    return data


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def expressions(issues: list[Issue]) -> set[str]:
    return {e for i in errors(issues) for e in i.expression}


def the_error(issues: list[Issue]) -> Issue:
    errs = errors(issues)
    assert len(errs) == 1, [(i.expression, i.diagnostics) for i in errs]
    return errs[0]


def location() -> dict[str, Any]:
    return example("Location-ror-location-exemple.json")


def task() -> dict[str, Any]:
    return example("Task-ror-task-exemple.json")


def hcs() -> dict[str, Any]:
    """The IG HealthcareService example plus the careMode characteristic it lacks (see test below)."""
    res = example("HealthcareService-1234564.json")
    res["characteristic"].append(cc(tre("R213-ModePriseEnCharge"), "01"))
    return res


def capacity(**overrides: Any) -> dict[str, Any]:
    subs: dict[str, dict[str, Any]] = {
        "capacityType": {"valueCodeableConcept": cc(tre("R329-NatureCapacite"), "01")},
        "capacityStatus": {"valueCodeableConcept": cc(tre("R330-TypeStatutCapacite"), "02")},
        "temporalityCapacity": {"valueCodeableConcept": cc(tre("R331-TemporaliteCapacite"), "01")},
        "nbCapacity": {"valueInteger": 4},
        "capacitySourceType": {"valueCodeableConcept": cc(tre("R335-TypeSourceCapacite"), "02")},
        "capacityUpdateDate": {"valueDateTime": "2026-11-20T10:00:00+01:00"},
        "temporaryAssignement": {"valueCodeableConcept": cc(tre("R337-AffectationTemporaire"), "01")},
    }
    for key, value in overrides.items():
        if value is None:
            del subs[key]
        else:
            subs[key] = value
    return {"url": CAPACITY, "extension": [{"url": k, **v} for k, v in subs.items()]}


def telecom(value: str = "0240000000") -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": SD + "ror-telecom-communication-channel",
                "valueCodeableConcept": cc(tre("R200-CanalCommunication"), "2"),
            },
            {
                "url": SD + "ror-telecom-confidentiality-level",
                "valueCodeableConcept": cc(tre("R283-NiveauConfidentialite"), "1"),
            },
        ],
        "system": "phone",
        "value": value,
    }


G07 = tre("G07-TypeIdentifiantStructure")
REGION = {"system": tre("R30-RegionOM"), "code": "52"}


def organization_ej() -> dict[str, Any]:
    """Minimal EJ (spec a.2): FINESS + SIREN identifiers, legal status, creation date."""
    return {
        "resourceType": "Organization",
        "meta": {"tag": [REGION]},
        "extension": [{"url": CREATION, "valueDateTime": "2020-01-01T00:00:00+01:00"}],
        "identifier": [
            {"type": cc(G07, "1"), "system": "https://finess.esante.gouv.fr", "value": "440000289"},
            {"type": cc(G07, "2"), "system": "https://sirene.fr", "value": "264400078"},
        ],
        "type": [cc(tre("R72-FinessStatutJuridique"), "01")],
        "name": "CHU DE NANTES",
    }


def organization_eg() -> dict[str, Any]:
    """Minimal EG (spec a.2): FINESS + SIRET, category, parent EJ, a telecom with the ROR extensions."""
    return {
        "resourceType": "Organization",
        "meta": {"tag": [REGION]},
        "extension": [{"url": CREATION, "valueDateTime": "2020-01-01T00:00:00+01:00"}],
        "identifier": [
            {"type": cc(G07, "1"), "system": "https://finess.esante.gouv.fr", "value": "440000057"},
            {"type": cc(G07, "3"), "system": "https://sirene.fr", "value": "26440007800012"},
        ],
        "type": [cc(tre("R66-CategorieEtablissement"), "101")],
        "name": "HOPITAL NORD LAENNEC",
        "telecom": [telecom()],
        "address": [{"line": ["Boulevard Jacques Monod"], "city": "Saint-Herblain", "postalCode": "44800"}],
        "partOf": {"reference": "Organization/ej-1"},
    }


def practitioner() -> dict[str, Any]:
    """Minimal Practitioner (spec a.6)."""
    return {
        "resourceType": "Practitioner",
        "extension": [{"url": CREATION, "valueDateTime": "2020-01-01T00:00:00+01:00"}],
        "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810000000001"}],
        "name": [{"family": "MARTIN", "given": ["Claire"]}],
    }


def practitioner_role() -> dict[str, Any]:
    """Minimal PractitionerRole (spec a.5)."""
    return {
        "resourceType": "PractitionerRole",
        "extension": [
            {
                "url": SD + "ror-practitionerrole-unit-exercise-mode",
                "valueCodeableConcept": cc(tre("R23-ModeExercice"), "S"),
            },
            {"url": CREATION, "valueDateTime": "2020-01-01T00:00:00+01:00"},
        ],
        "practitioner": {"reference": "Practitioner/p-1"},
        "code": cc(tre("R94-ProfessionSocial"), "10"),
        "specialty": [cc(tre("R04-TypeSavoirFaire"), "S")],
        "healthcareService": {"reference": "HealthcareService/hcs-1"},
    }


# -- the IG examples and hand-made minimal resources are valid ---------------------------------------------


def test_ig_location_example_is_valid() -> None:
    assert errors(validate_ror(location(), T)) == []


def test_ig_task_example_is_valid() -> None:
    issues = validate_ror(task(), T)
    assert errors(issues) == []
    # Task.code and Task.reasonCode: JDVs not shipped, checked against their TRE with a warning.
    assert {i.expression[0] for i in issues if i.severity == "warning"} == {
        "Task.code.coding[0]",
        "Task.reasonCode.coding[0]",
    }


def test_ig_healthcareservice_example_misses_care_mode() -> None:
    """IG defect: HealthcareService/1234564 has no characteristic:careMode (1..1 in its own profile)."""
    issue = the_error(validate_ror(example("HealthcareService-1234564.json"), T))
    assert issue.code == "required"
    assert issue.expression == (
        f"HealthcareService.characteristic.where(coding.system='{tre('R213-ModePriseEnCharge')}')",
    )
    assert "careMode" in issue.diagnostics


def test_ig_healthcareservice_example_with_care_mode_is_valid() -> None:
    issues = validate_ror(hcs(), T)
    assert errors(issues) == []
    # category 157 is newer than our TRE_R244 copy (2023) and JDV_J238 is not shipped: warning only.
    cat = [i for i in issues if i.expression == ("HealthcareService.category[0].coding[0]",)]
    assert cat and cat[0].severity == "warning" and "157" in cat[0].diagnostics


@pytest.mark.parametrize("build", [organization_ej, organization_eg, practitioner, practitioner_role])
def test_minimal_hand_made_resources_are_valid(build: Any) -> None:
    assert errors(validate_ror(build(), T)) == []


def test_location_with_a_full_capacity_record_is_valid() -> None:
    loc = location()
    loc["extension"].append(
        capacity(genderCapacityAvailable={"valueCodeableConcept": cc(tre("R332-GenreCapacite"), "03")})
    )
    assert errors(validate_ror(loc, T)) == []


def test_terminology_resources_minimal_checks() -> None:
    cs = json.loads(
        (Path(__file__).parents[2] / "src/openror/definitions/terminology/CodeSystem-TRE-R30-RegionOM.json").read_text()
    )
    assert errors(validate_ror(cs, T)) == []
    del cs["url"]
    cs["status"] = "bogus"
    assert expressions(validate_ror(cs, T)) == {"CodeSystem.url", "CodeSystem.status"}
    vs = {"resourceType": "ValueSet", "url": "https://example.org/vs", "status": "active"}
    assert errors(validate_ror(vs, T)) == []


# -- each rule kind refuses a mutated example, pointing at the element ------------------------------------


def test_missing_required_element() -> None:
    res = hcs()
    del res["providedBy"]
    issue = the_error(validate_ror(res, T))
    assert issue.code == "required"
    assert issue.expression == ("HealthcareService.providedBy",)


def test_cardinality_exceeded() -> None:
    res = hcs()
    res["identifier"].append({"value": "06/0099998"})
    assert the_error(validate_ror(res, T)).expression == ("HealthcareService.identifier",)
    loc = location()
    loc["type"].append(cc(tre("R343-FonctionLieu"), "001"))
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == ("Location.type",) and "maximum cardinality 1" in issue.diagnostics


def test_missing_creation_date_unless_the_server_fills_it() -> None:
    loc = location()
    loc["extension"] = [e for e in loc["extension"] if e["url"] != CREATION]
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == (f"Location.extension.where(url='{CREATION}')",)
    assert errors(validate_ror(loc, T, server_fills_meta=True)) == []
    # HealthcareService needs 3 extensions; the creation date counts among them only when present.
    res = hcs()
    res["extension"] = [e for e in res["extension"] if e["url"] != CREATION]
    assert errors(validate_ror(res, T, server_fills_meta=True)) == []


def test_creation_date_is_at_most_once_and_a_date_time() -> None:
    loc = location()
    loc["extension"].append({"url": CREATION, "valueDateTime": "2023-01-01"})
    assert the_error(validate_ror(loc, T)).expression == (f"Location.extension.where(url='{CREATION}')",)
    loc = location()
    loc["extension"][1] = {"url": CREATION, "valueString": "yesterday"}
    assert the_error(validate_ror(loc, T)).expression == ("Location.extension[1].valueString",)


def test_missing_commune_cog() -> None:
    loc = location()
    del loc["extension"][0]
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == (f"Location.extension.where(url='{SD}ror-commune-cog')",)


def test_capacity_record_missing_a_required_sub_extension() -> None:
    loc = location()
    loc["extension"].append(capacity(nbCapacity=None))
    issue = the_error(validate_ror(loc, T))
    assert issue.code == "required"
    assert issue.expression == ("Location.extension[2].extension.where(url='nbCapacity')",)


def test_capacity_sub_extension_with_the_wrong_type_or_no_value() -> None:
    loc = location()
    loc["extension"].append(capacity(nbCapacity={"valueString": "4"}))
    assert the_error(validate_ror(loc, T)).expression == ("Location.extension[2].extension[3].valueString",)
    loc = location()
    loc["extension"].append(capacity(nbCapacity={"extension": [{"url": "x", "valueInteger": 1}]}))
    assert expressions(validate_ror(loc, T)) == {
        "Location.extension[2].extension[3].value",
        "Location.extension[2].extension[3].extension",
    }


def test_capacity_code_not_in_its_jdv() -> None:
    loc = location()
    loc["extension"].append(capacity(capacityType={"valueCodeableConcept": cc(tre("R329-NatureCapacite"), "99")}))
    issue = the_error(validate_ror(loc, T))
    assert issue.code == "code-invalid"
    assert issue.expression == ("Location.extension[2].extension[0].valueCodeableConcept.coding[0]",)
    assert "JDV_J187-NatureCapacite-ROR" in issue.diagnostics


def test_capacity_record_with_a_duplicate_sub_extension() -> None:
    loc = location()
    record = capacity()
    record["extension"].append({"url": "nbCapacity", "valueInteger": 5})
    loc["extension"].append(record)
    assert the_error(validate_ror(loc, T)).expression == ("Location.extension[2].extension.where(url='nbCapacity')",)


def test_code_not_in_the_bound_jdv() -> None:
    loc = location()
    loc["type"] = [cc(tre("R343-FonctionLieu"), "999")]
    issue = the_error(validate_ror(loc, T))
    assert issue.code == "code-invalid"
    assert issue.expression == ("Location.type[0].coding[0]",)
    assert "JDV_J198-FonctionLieu-ROR" in issue.diagnostics


def test_system_outside_the_bound_jdv() -> None:
    res = hcs()
    res["type"] = [cc(tre("R238-OuvertureAnnuelle"), "01")]
    issue = the_error(validate_ror(res, T))
    assert issue.expression == ("HealthcareService.type[0].coding[0]",)
    assert "not a code system of JDV_J20-ChampActivite-ROR" in issue.diagnostics


def test_known_system_variants_are_normalised_with_a_warning() -> None:
    res = hcs()
    jdv_as_system = f"{NOS}JDV_J17-ActiviteOperationnelle-ROR/FHIR/JDV-J17-ActiviteOperationnelle-ROR/"
    res["specialty"] = [cc(jdv_as_system, "022")]
    issues = validate_ror(res, T)
    assert errors(issues) == []
    warning = [i for i in issues if i.expression == ("HealthcareService.specialty[0].coding[0].system",)]
    assert warning and warning[0].severity == "warning"
    assert tre("R211-ActiviteOperationnelle") in warning[0].diagnostics


def test_organization_oi_identifier_pattern_uses_the_underscore_variant() -> None:
    """The profile's own pattern says TRE_R345…/FHIR/TRE_R345…; the canonical TRE URL matches it."""
    org = organization_ej()
    org["identifier"] = [
        {"type": cc(tre("R345-TypeIdentifiantAutre"), "42"), "system": "https://oi.esante.gouv.fr", "value": "x"}
    ]
    assert errors(validate_ror(org, T)) == []


def test_retired_code_is_refused_unless_allowed() -> None:
    org = organization_eg()
    org["type"] = [cc(tre("R66-CategorieEtablissement"), "130")]
    issue = the_error(validate_ror(org, T))
    assert issue.expression == ("Organization.type[0].coding[0]",)
    assert "retired" in issue.diagnostics and "dateFin 2013-12-19" in issue.diagnostics
    issues = validate_ror(org, T, allow_retired=True)
    assert errors(issues) == []
    assert any(i.severity == "warning" and "retired" in i.diagnostics for i in issues)


def test_core_required_binding() -> None:
    loc = location()
    loc["status"] = "bogus"
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == ("Location.status",)
    assert "location-status" in issue.diagnostics
    loc = location()
    loc["telecom"] = [telecom()]
    loc["telecom"][0]["use"] = "office"
    assert the_error(validate_ror(loc, T)).expression == ("Location.telecom[0].use",)
    res = hcs()
    res["availableTime"][2]["daysOfWeek"] = ["mercredi"]
    assert the_error(validate_ror(res, T)).expression == ("HealthcareService.availableTime[2].daysOfWeek[0]",)


def test_task_without_business_status() -> None:
    t = task()
    del t["businessStatus"]
    issue = the_error(validate_ror(t, T))
    assert issue.code == "required" and issue.expression == ("Task.businessStatus",)


def test_task_without_system_requester_input() -> None:
    t = task()
    t["input"] = [i for i in t["input"] if i["type"]["coding"][0]["code"] != "systemRequester"]
    issue = the_error(validate_ror(t, T))
    assert issue.expression == ("Task.input.where(type.coding.code='systemRequester')",)


def test_task_input_value_type() -> None:
    t = task()
    t["input"][0] = {"type": t["input"][0]["type"], "valueInteger": 3}
    assert the_error(validate_ror(t, T)).expression == ("Task.input[0].valueInteger",)


def test_task_core_status_and_intent() -> None:
    t = task()
    t["status"] = "open"
    t["intent"] = "bogus"
    assert expressions(validate_ror(t, T)) == {"Task.status", "Task.intent"}


def test_healthcareservice_without_care_mode() -> None:
    res = hcs()
    res["characteristic"] = res["characteristic"][:2]
    issue = the_error(validate_ror(res, T))
    assert issue.expression == (
        f"HealthcareService.characteristic.where(coding.system='{tre('R213-ModePriseEnCharge')}')",
    )


def test_healthcareservice_with_two_care_modes_or_an_act_type_on_care_mode() -> None:
    res = hcs()
    res["characteristic"].append(cc(tre("R213-ModePriseEnCharge"), "02"))
    assert "maximum cardinality 1" in the_error(validate_ror(res, T)).diagnostics
    res = hcs()
    res["characteristic"][2]["extension"] = [{"url": SD + "ror-act-type", "valueCode": "specificAct"}]
    issue = the_error(validate_ror(res, T))
    assert issue.expression == (f"HealthcareService.characteristic[2].extension.where(url='{SD}ror-act-type')",)


def test_healthcareservice_specific_act_slice_needs_its_act_type() -> None:
    res = hcs()
    act = cc(tre("R210-ActeSpecifique"), "0739")
    act["extension"] = [{"url": SD + "ror-act-type", "valueCode": "specificAct"}]
    res["characteristic"].append(act)
    assert errors(validate_ror(res, T)) == []


def test_healthcareservice_operational_activity_slice() -> None:
    res = hcs()
    res["specialty"] = []
    issue = the_error(validate_ror(res, T))
    assert issue.expression == (
        f"HealthcareService.specialty.where(coding.system='{tre('R211-ActiviteOperationnelle')}')",
    )
    res = hcs()
    res["specialty"].append(cc(tre("R211-ActiviteOperationnelle"), "023"))
    assert "maximum cardinality 1" in the_error(validate_ror(res, T)).diagnostics
    res = hcs()
    res["specialty"] = [cc(tre("R211-ActiviteOperationnelle"), "9999")]
    assert the_error(validate_ror(res, T)).expression == ("HealthcareService.specialty[0].coding[0]",)


def test_healthcareservice_required_extensions() -> None:
    res = hcs()
    res["extension"] = [e for e in res["extension"] if not e["url"].endswith("sensitive-unit")]
    issue = the_error(validate_ror(res, T))
    assert issue.expression == (f"HealthcareService.extension.where(url='{SD}ror-healthcareservice-sensitive-unit')",)


def test_healthcareservice_contact_needs_its_confidentiality_level() -> None:
    res = hcs()
    contact = next(e for e in res["extension"] if e["url"].endswith("ror-healthcareservice-contact"))
    contact["extension"] = [e for e in contact["extension"] if not e["url"].endswith("ror-confidentiality-level")]
    issue = the_error(validate_ror(res, T))
    assert issue.expression == ("HealthcareService.extension[4].extension.where(url='ror-confidentiality-level')",)


def test_territorial_division_type_pattern() -> None:
    res = hcs()
    res["extension"].append(
        {
            "url": SD + "ror-territorial-division",
            "extension": [
                {
                    "url": "typeTerritorialDivision",
                    "valueCodeableConcept": cc(tre("R201-TypeDivisionTerritoriale"), "4"),
                },
                {"url": "codeTerritorialDivision", "valueCodeableConcept": cc(tre("R30-RegionOM"), "52")},
            ],
        }
    )
    issue = the_error(validate_ror(res, T))
    assert issue.expression == ("HealthcareService.extension[5].extension[0].valueCodeableConcept",)
    assert "pattern" in issue.diagnostics


def test_telecom_needs_the_ror_extensions() -> None:
    loc = location()
    loc["telecom"] = [telecom()]
    del loc["telecom"][0]["extension"][1]
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == (f"Location.telecom[0].extension.where(url='{SD}ror-telecom-confidentiality-level')",)
    loc = location()
    loc["telecom"] = [telecom()]
    loc["telecom"][0]["extension"][0]["valueCodeableConcept"] = cc(tre("R200-CanalCommunication"), "42")
    assert the_error(validate_ror(loc, T)).expression == (
        "Location.telecom[0].extension[0].valueCodeableConcept.coding[0]",
    )


def test_region_tag_is_bound_to_j237() -> None:
    loc = location()
    loc["meta"]["tag"] = [{"system": tre("R30-RegionOM"), "code": "21"}]  # Champagne-Ardenne: not in J237
    issue = the_error(validate_ror(loc, T))
    assert issue.expression == ("Location.meta.tag[0]",)
    loc["meta"]["tag"].append({"system": tre("R30-RegionOM"), "code": "52"})
    loc["meta"]["tag"][0]["code"] = "11"
    assert the_error(validate_ror(loc, T)).expression == (f"Location.meta.tag.where(system='{tre('R30-RegionOM')}')",)


def test_organization_identifier_slices() -> None:
    org = organization_ej()
    org["identifier"].append({"type": cc(G07, "1"), "system": "https://finess.esante.gouv.fr", "value": "440000290"})
    issue = the_error(validate_ror(org, T))
    assert issue.expression == ("Organization.identifier.where(type.coding.code='1')",)
    org = organization_ej()
    org["identifier"].append({"type": cc(G07, "40"), "system": "urn:oid:1.2.3", "value": "1440000289"})
    issue = the_error(validate_ror(org, T))
    assert issue.expression == ("Organization.identifier[2].system",) and "pattern" in issue.diagnostics


def test_organization_type_slices_and_alias() -> None:
    org = organization_eg()
    org["type"].append(cc(tre("R66-CategorieEtablissement"), "106"))
    assert the_error(validate_ror(org, T)).expression == (
        f"Organization.type.where(coding.system='{tre('R02-SecteurActivite')}'"
        f" or coding.system='{tre('R66-CategorieEtablissement')}')",
    )
    org = organization_eg()
    org["alias"] = ["A", "B"]
    assert the_error(validate_ror(org, T)).expression == ("Organization.alias",)


def test_practitioner_identifier_system_pattern() -> None:
    p = practitioner()
    p["identifier"][0]["system"] = "urn:oid:1.2.250.1.71.4.2.2"
    assert the_error(validate_ror(p, T)).expression == ("Practitioner.identifier[0].system",)


def test_practitioner_role_needs_an_expertise_type_and_a_service() -> None:
    pr = practitioner_role()
    pr["specialty"] = [cc(tre("R38-SpecialiteOrdinale"), "SM26")]
    del pr["healthcareService"]
    assert expressions(validate_ror(pr, T)) == {
        f"PractitionerRole.specialty.where(coding.system='{tre('R04-TypeSavoirFaire')}')",
        "PractitionerRole.healthcareService",
    }


def test_unsupported_type() -> None:
    issue = the_error(validate_ror({"resourceType": "Patient"}, T))
    assert issue.code == "not-supported"


def test_rule_table_is_compiled_once_and_tables_cite_their_source() -> None:
    assert rule_table(T) is rule_table(T)
    assert all(ext.source for ext in HAND_EXTENSIONS.values())
    assert set(CORE_REQUIRED_CODES) >= {"Location", "Task", "HealthcareService", "CodeSystem", "ValueSet"}


def test_docs_list_every_hand_written_rule() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "validation.md").read_text(encoding="utf-8")
    for key in DISCRIMINATOR_OVERRIDES:
        assert f"`{key}`" in doc, key
    for url in HAND_EXTENSIONS:
        assert f"`{url.rsplit('/', 1)[-1]}`" in doc, url


def test_validation_does_not_modify_the_resource() -> None:
    res = hcs()
    before = copy.deepcopy(res)
    validate_ror(res, T)
    assert res == before
