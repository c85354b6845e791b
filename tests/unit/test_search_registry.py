"""SearchParameter registry (openror.fhir.search.registry): coverage of spec c.1/c.2, names, fixes, documentation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openror.fhir.access.rules import Level
from openror.fhir.search.registry import (
    COMMON_PARAMS,
    FIXES,
    SEARCH_TYPES,
    SearchParam,
    build_registry,
    registry,
)
from tests.unit.test_search_fhirpath import SD, cc, corpus, limit, price, rich_resources

VERY_RESTRICTED = Level.VERY_RESTRICTED

ROOT = Path(__file__).parents[2]
CAPABILITY = ROOT / "tests" / "data" / "ig" / "CapabilityStatement-ror-serveur.json"
DOC = ROOT / "docs" / "search-registry.md"
SP_DIR = ROOT / "src" / "openror" / "definitions" / "searchparameters"
TYPES = ("Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole", "Task")
ENGINE_PARAMS = {"_filter", "_has", "_content"}  # handled by the query engine, not registered


def definitions() -> list[dict[str, Any]]:
    core = json.loads((SP_DIR / "core-search-parameters.subset.json").read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = [e["resource"] for e in core["entry"]]
    out += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SP_DIR.glob("SearchParameter-*.json"))]
    return out


def values(rtype: str, name: str, resource: dict[str, Any]) -> list[Any]:
    p = registry().get(rtype, name)
    assert p is not None and p.getter is not None, name
    return [n.value for n in p.getter(resource)]


def codes(rtype: str, name: str, resource: dict[str, Any]) -> list[str]:
    return [c["code"] for v in values(rtype, name, resource) for c in v["coding"]]


def test_registry_is_cached_and_covers_our_types() -> None:
    assert registry() is registry()
    assert set(registry().resource_types) == {*TYPES, "CodeSystem", "ValueSet"}
    for rtype in registry().resource_types:
        params = registry().params(rtype)
        assert set(COMMON_PARAMS) <= set(params), rtype
        for name, p in params.items():
            assert isinstance(p, SearchParam) and p.name == name and p.resource_type == rtype
            assert p.type in SEARCH_TYPES
    assert registry().get("Patient", "name") is None and registry().params("Patient") == {}
    assert registry().get("Location", "no-such-param") is None


def test_every_capability_statement_parameter_is_registered() -> None:
    cs = json.loads(CAPABILITY.read_text(encoding="utf-8"))
    for rest in cs["rest"]:
        for res in rest["resource"]:
            for sp in res.get("searchParam", []):
                if sp["name"] in ENGINE_PARAMS:
                    continue
                p = registry().get(res["type"], sp["name"])
                assert p is not None, f"{res['type']}.{sp['name']}"
                assert p.type == sp["type"], f"{res['type']}.{sp['name']}"
                assert p.url.rsplit("/", 1)[-1] == sp["definition"].rsplit("/", 1)[-1].split("|")[0]


def test_scenario_parameters_of_spec_c1() -> None:
    for rtype, name in [
        ("HealthcareService", "organization"),
        ("HealthcareService", "location"),
        ("PractitionerRole", "practitioner"),
        ("PractitionerRole", "service"),
        ("Task", "focus"),
        ("Task", "business-status"),
        ("Organization", "partof"),
    ]:
        assert registry().get(rtype, name) is not None, name


def test_all_36_ror_parameters_registered_by_cs_name_and_code() -> None:
    ror = [d for d in definitions() if d["url"].startswith("https://interop.esante.gouv.fr/")]
    assert len(ror) == 36
    for d in ror:
        for base in d["base"]:
            by_code = registry().get(base, d["code"])
            assert by_code is not None and by_code.url == d["url"]
    p = registry().get("Organization", "price-amount-value")
    assert p is not None and p.code == "amount-value"
    assert registry().get("Organization", "amount-value") is p
    assert "amount-value" not in registry().params("Organization")


def test_reference_targets() -> None:
    def targets(rtype: str, name: str) -> tuple[str, ...]:
        p = registry().get(rtype, name)
        assert p is not None
        return p.targets

    assert targets("HealthcareService", "organization") == ("Organization",)
    assert targets("PractitionerRole", "service") == ("HealthcareService",)
    # Restricted to the types we serve, in the SearchParameter's order...
    assert targets("Task", "owner") == ("Practitioner", "Organization", "HealthcareService", "PractitionerRole")
    assert set(targets("Task", "focus")) == {*TYPES, "CodeSystem", "ValueSet"}
    # ...unless none is served.
    assert targets("Task", "patient") == ("Patient",)
    assert targets("Location", "endpoint") == ("Endpoint",)
    assert targets("Location", "type") == ()


def test_multi_base_expressions_are_cut_per_type() -> None:
    p = registry().get("ValueSet", "context")
    assert p is not None and p.expression == "(ValueSet.useContext.value as CodeableConcept)"
    p = registry().get("PractitionerRole", "email")
    assert p is not None and p.expression == "PractitionerRole.telecom.where(system='email')"
    p = registry().get("Task", "_tag")
    assert p is not None and p.expression == "Resource.meta.tag"


# ---------------------------------------------------------------------------------------------------
# The fixes, each on data


def org_with_prices() -> dict[str, Any]:
    return next(r for r in rich_resources() if r["resourceType"] == "Organization")


def test_fix_capacity_codeable_concepts() -> None:
    loc = next(r for _, r in corpus() if any(i.get("value") == "11/204517" for i in r.get("identifier", [])))
    for name in (
        "capacity-status",
        "capacity-type",
        "temporality-capacity",
        "gender-capacity-available",
        "capacity-closing-type",
        "additional-bed-type",
        "crisis-type",
    ):
        p = registry().get("Location", name)
        assert p is not None and p.fix is not None and ".value.as(CodeableConcept)" in (p.expression or "")
    assert sorted(set(codes("Location", "capacity-status", loc))) == ["01", "02", "03", "05", "06"]
    assert sorted(codes("Location", "gender-capacity-available", loc)) == ["01", "02"]
    assert codes("Location", "capacity-closing-type", loc) and codes("Location", "additional-bed-type", loc)


def test_fix_special_price_reads_special_price() -> None:
    org = org_with_prices()
    assert codes("Organization", "special-price", org) == ["02", "03"]
    assert codes("Organization", "price-dependency-level", org) == ["GIR1", "GIR1"]


def test_fix_price_validity_start_date_reads_the_price_extension() -> None:
    assert values("Organization", "price-validity-start-date", org_with_prices()) == ["2026-01-01", "2025"]


def test_fix_oi_name_is_the_name_of_internal_organisations() -> None:
    org = org_with_prices()
    assert values("Organization", "oi-name", org) == ["Unité de soins"]
    eg = copy.deepcopy(org)
    eg["identifier"] = [{"system": "https://finess.esante.gouv.fr", "value": "440052785"}]
    assert values("Organization", "oi-name", eg) == []
    # The demo OI.
    demo_oi = [
        r
        for _, r in corpus(synthetic=False)
        if r["resourceType"] == "Organization"
        and any(i.get("system") == "https://oi.esante.gouv.fr" for i in r.get("identifier", []))
    ]
    assert [values("Organization", "oi-name", r) for r in demo_oi] == [["Département de cardiologie"]]


def test_fix_equipment_limit_at_both_places() -> None:
    loc = next(r for r in rich_resources() if r["resourceType"] == "Location")
    assert sorted(codes("Location", "equipment-feature", loc)) == ["01", "02"]  # nested, top level
    assert sorted(v["value"] for v in values("Location", "limit-value", loc)) == [2.5, 180]
    only_top = {"resourceType": "Location", "extension": [limit("09", 1)]}
    assert codes("Location", "equipment-feature", only_top) == ["09"]


def test_fix_hcs_equipment_type_is_a_chain_alias() -> None:
    p = registry().get("HealthcareService", "equipment-type")
    assert p is not None and p.chain_alias == "location.equipment-type" and p.expression is None and p.getter is None
    loc_param = registry().get("Location", "equipment-type")
    assert loc_param is not None and loc_param.getter is not None and loc_param.fix is None


def test_fix_near_insee_code_is_special_without_expression() -> None:
    p = registry().get("Location", "near-insee-code")
    assert p is not None and p.type == "special" and p.expression is None and p.fix and "commune-cog" in p.fix
    assert registry().get("Location", "commune-cog") is not None


def test_unfixed_ig_expression_indeed_misses() -> None:
    """The reason for the capacity fix, checked: the IG expression selects nothing on real data."""
    from openror.fhir.search.fhirpath import compile_path

    raw = next(d for d in definitions() if d["id"] == "ror-sp-capacity-status")["expression"]
    loc = next(r for _, r in corpus() if any(i.get("value") == "11/204517" for i in r.get("identifier", [])))
    assert compile_path(raw, "Location")(loc) == []
    raw = next(d for d in definitions() if d["id"] == "ror-sp-organization-special-price")["expression"]
    assert [n.value["coding"][0]["code"] for n in compile_path(raw, "Organization")(org_with_prices())] == [
        "GIR1",
        "GIR1",
    ]


def test_every_fix_is_documented_with_its_reason() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for sp_id in FIXES:
        assert f"`{sp_id}`" in doc, sp_id
    for rtype in registry().resource_types:
        for p in registry().params(rtype).values():
            if p.fix:
                assert "Why:" in p.fix


def test_a_fix_that_no_longer_applies_breaks_the_build() -> None:
    defs = definitions()
    for d in defs:
        if d["id"] == "ror-sp-organization-special-price":
            d["expression"] = d["expression"].replace("dependencyLevel", "somethingElse")
    with pytest.raises(ValueError, match="no longer applies"):
        build_registry(defs)


def test_unsupported_expression_breaks_the_build() -> None:
    defs = definitions()
    defs.append(
        {
            "resourceType": "SearchParameter",
            "id": "x",
            "url": "https://example.org/SearchParameter/x",
            "code": "x",
            "base": ["Location"],
            "type": "token",
            "expression": "Location.name.substring(1)",
        }
    )
    with pytest.raises(ValueError, match="substring"):
        build_registry(defs)


def test_a_name_defined_twice_breaks_the_build() -> None:
    defs = definitions()
    dup = copy.deepcopy(next(d for d in defs if d["id"] == "ror-sp-capacity-status"))
    dup["id"] = "copy"
    defs.append(dup)
    with pytest.raises(ValueError, match="defined twice"):
        build_registry(defs)


def test_visibility_reaches_registered_getters() -> None:
    pract = next(r for r in rich_resources() if r["resourceType"] == "Practitioner")
    p = registry().get("Practitioner", "phone")
    assert p is not None and p.getter is not None
    assert [n.vis for n in p.getter(pract)] == [VERY_RESTRICTED]


def test_fixtures_use_the_ror_urls() -> None:
    assert price("01", "2026")["url"] == SD + "ror-organization-price"
    assert cc("s", "c", "d") == {"coding": [{"system": "s", "code": "c", "display": "d"}]}
