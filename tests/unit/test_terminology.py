"""Terminology: packaged NOS/IG content, URL normalisation, value-set membership and the binding policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openror.fhir.terminology import (
    KNOWN_VALUE_SET_SYSTEMS,
    InMemoryTerminology,
    Terminology,
    Verdict,
    canonical_url,
    nos_url,
    packaged_terminology,
)

T = packaged_terminology()
R30 = nos_url("TRE", "R30-RegionOM")
R211 = nos_url("TRE", "R211-ActiviteOperationnelle")
R66 = nos_url("TRE", "R66-CategorieEtablissement")
J17 = nos_url("JDV", "J17-ActiviteOperationnelle-ROR")
J55 = nos_url("JDV", "J55-CategorieEG-ROR")
J237 = nos_url("JDV", "J237-RegionOM-ROR")


def test_packaged_terminology_is_loaded_once_and_is_a_terminology() -> None:
    assert packaged_terminology() is T
    assert isinstance(T, InMemoryTerminology)
    term: Terminology = T  # structural typing: the protocol is satisfied
    assert term.has_code_system(R30) and term.has_value_set(J17)
    assert T.has_code_system("https://interop.esante.gouv.fr/ig/fhir/ror/CodeSystem/act-type-ror-codesystem")


def test_lookup() -> None:
    assert T.lookup(R30, "52") == "Pays de la Loire"
    assert T.lookup(R30, "00") is None
    assert T.lookup(nos_url("TRE", "R999-Unknown"), "1") is None
    # TRE_R331 is not shipped, but JDV_J189 lists its codes with displays.
    assert T.lookup(nos_url("TRE", "R331-TemporaliteCapacite"), "01") == "Courant"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        (R30 + "/", R30),
        (R30.replace("https://", "http://"), R30),
        (R30 + "|1.0", R30),
        (
            "https://mos.esante.gouv.fr/NOS/TRE_R345-TypeIdentifiantAutre/FHIR/TRE_R345-TypeIdentifiantAutre",
            nos_url("TRE", "R345-TypeIdentifiantAutre"),
        ),
        ("https://mos.esante.gouv.fr/NOS/JDV_J237-RegionOM-ROR.tabs/FHIR/JDV-J237-RegionOM-ROR", J237),
        ("https://mos.esante.gouv.fr/NOS/JDV_J20-ESPIC-ROR/FHIR/JDV-J202-ESPIC-ROR", nos_url("JDV", "J202-ESPIC-ROR")),
        ("https://example.org/cs/", "https://example.org/cs"),
    ],
)
def test_canonical_url(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical


def test_canonical_system_maps_jdv_urls_and_aliases_to_the_tre() -> None:
    assert T.canonical_system(J17 + "/") == R211
    assert T.canonical_system(nos_url("JDV", "J30-TemporaliteAccueil-ROR")) == nos_url("TRE", "R240-TemporaliteAccueil")
    assert T.canonical_system(nos_url("TRE", "R13-Commune")) == nos_url("TRE", "R13-CommuneOM")
    assert T.canonical_system(J55) == J55  # two TREs: no single answer, left as is


def test_the_j237_value_set_is_found_under_the_url_the_profiles_bind() -> None:
    assert T.has_value_set(J237)
    assert T.validate_code(J237, R30, "52").verdict is Verdict.VALID


def test_code_in_the_jdv() -> None:
    check = T.validate_code(J17, R211, "022")
    assert check.verdict is Verdict.VALID and check.ok and check.display == "Chirurgie gynécologique"
    assert T.validate_code(J17, R211 + "/", "022").verdict is Verdict.VALID


def test_code_not_in_the_jdv() -> None:
    check = T.validate_code(J17, R211, "9999")
    assert check.verdict is Verdict.INVALID and not check.ok
    assert "JDV_J17-ActiviteOperationnelle-ROR" in check.message
    check = T.validate_code(J237, R30, "21")  # exists in TRE_R30 (retired region) but not in the JDV
    assert check.verdict is Verdict.INVALID


def test_system_not_in_the_jdv() -> None:
    check = T.validate_code(J17, R30, "022")
    assert check.verdict is Verdict.INVALID and "not a code system of" in check.message


def test_bare_code_is_resolved_in_the_jdv() -> None:
    assert T.validate_code(J17, None, "022").system == R211
    vs = "https://interop.esante.gouv.fr/ig/fhir/ror/ValueSet/act-type-ror-valueset"
    assert T.validate_code(vs, None, "specificAct").verdict is Verdict.VALID
    assert T.validate_code(vs, None, "other").verdict is Verdict.INVALID


def test_tre_fallback_when_the_jdv_is_not_shipped() -> None:
    j241 = nos_url("JDV", "J241-ThematiqueAnomalie-ROR")
    r350 = nos_url("TRE", "R350-ThematiqueAnomalie")
    check = T.validate_code(j241, r350, "06")
    assert check.verdict is Verdict.VALID_IN_CODE_SYSTEM and check.ok and check.display == "Exactitude"
    assert "checked against TRE_R350-ThematiqueAnomalie only" in check.message
    # Absent from our (older) TRE copy: accepted with a warning, never refused without the JDV.
    unknown = T.validate_code(j241, r350, "99")
    assert unknown.verdict is Verdict.UNKNOWN_IN_CODE_SYSTEM and unknown.ok
    # A system that is not the JDV's is refused when the mapping is verified, noted otherwise.
    assert T.validate_code(nos_url("JDV", "J30-TemporaliteAccueil-ROR"), r350, "01").verdict is Verdict.INVALID
    assert T.validate_code(j241, R30, "06").verdict is Verdict.NOT_CHECKED


def test_nothing_loaded_is_not_checked() -> None:
    check = T.validate_code(
        nos_url("JDV", "J244-StatutMetierAnomalie-ROR"), nos_url("TRE", "R352-StatutMetierAnomalie"), "02"
    )
    assert check.verdict is Verdict.NOT_CHECKED and check.ok
    assert T.validate_code("https://example.org/vs", "https://example.org/cs", "x").verdict is Verdict.NOT_CHECKED


def test_retired_codes_are_refused_unless_allowed() -> None:
    refused = T.validate_code(J55, R66, "130")
    assert refused.verdict is Verdict.RETIRED and not refused.ok and refused.retired
    assert "dateFin 2013-12-19" in refused.message
    allowed = T.validate_code(J55, R66, "130", allow_retired=True)
    assert allowed.verdict is Verdict.VALID and allowed.ok and allowed.retired
    assert T.is_retired(R66, "130") == "dateFin 2013-12-19"
    assert T.is_retired(R66, "101") is None


def test_known_value_set_systems_cite_their_source() -> None:
    assert all(k.source and k.systems for k in KNOWN_VALUE_SET_SYSTEMS.values())
    assert not any(T.has_value_set(url) for url in KNOWN_VALUE_SET_SYSTEMS)  # only for JDVs we do not ship


# -- value set composition on a small hand-made terminology -----------------------------------------------

CS = "https://example.org/cs"
CS2 = "https://example.org/cs2"


def _concept(code: str, *children: dict[str, Any], **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "display": code.upper()}
    if children:
        out["concept"] = list(children)
    if props:
        out["property"] = [{"code": k, **v} for k, v in props.items()]
    return out


def _term(*value_sets: dict[str, Any]) -> InMemoryTerminology:
    cs = {
        "resourceType": "CodeSystem",
        "url": CS,
        "status": "active",
        "content": "complete",
        "concept": [
            _concept("a", _concept("a1", _concept("a11")), _concept("a2")),
            _concept("b", kind={"valueCode": "x"}),
            _concept("old", status={"valueCode": "retired"}),
            _concept("dep", deprecated={"valueBoolean": True}),
            _concept("later", dateFin={"valueDateTime": "2999-01-01T00:00:00+01:00"}),
        ],
    }
    vss = [
        {"resourceType": "ValueSet", "url": f"https://example.org/vs{i}", "status": "active", "compose": c}
        for i, c in enumerate(value_sets)
    ]
    return InMemoryTerminology([cs, *vss], now=datetime(2026, 11, 22, tzinfo=UTC))


def _codes(term: InMemoryTerminology, vs: str, codes: list[str], system: str = CS) -> dict[str, Verdict]:
    return {c: term.validate_code(vs, system, c).verdict for c in codes}


ALL = ["a", "a1", "a11", "a2", "b", "zz"]


def test_include_whole_system() -> None:
    term = _term({"include": [{"system": CS}]})
    got = _codes(term, "https://example.org/vs0", ALL)
    assert got == {c: Verdict.VALID for c in ALL[:-1]} | {"zz": Verdict.INVALID}


def test_include_whole_system_not_loaded_is_not_checked() -> None:
    term = _term({"include": [{"system": CS2}]})
    assert term.validate_code("https://example.org/vs0", CS2, "q").verdict is Verdict.NOT_CHECKED


def test_filters() -> None:
    term = _term(
        {"include": [{"system": CS, "filter": [{"property": "concept", "op": "is-a", "value": "a1"}]}]},
        {"include": [{"system": CS, "filter": [{"property": "concept", "op": "descendent-of", "value": "a"}]}]},
        {"include": [{"system": CS, "filter": [{"property": "kind", "op": "=", "value": "x"}]}]},
        {"include": [{"system": CS, "filter": [{"property": "concept", "op": "regex", "value": "a.*"}]}]},
    )
    assert [c for c, v in _codes(term, "https://example.org/vs0", ALL).items() if v is Verdict.VALID] == ["a1", "a11"]
    assert [c for c, v in _codes(term, "https://example.org/vs1", ALL).items() if v is Verdict.VALID] == [
        "a1",
        "a11",
        "a2",
    ]
    assert [c for c, v in _codes(term, "https://example.org/vs2", ALL).items() if v is Verdict.VALID] == ["b"]
    assert set(_codes(term, "https://example.org/vs3", ALL).values()) == {Verdict.NOT_CHECKED}


def test_include_value_sets_and_exclude() -> None:
    term = _term(
        {"include": [{"system": CS, "concept": [{"code": "a"}, {"code": "b"}]}]},
        {
            "include": [{"valueSet": ["https://example.org/vs0"]}],
            "exclude": [{"system": CS, "concept": [{"code": "b"}]}],
        },
        {"include": [{"valueSet": ["https://example.org/vs0", "https://example.org/missing"]}]},
    )
    assert _codes(term, "https://example.org/vs1", ["a", "b"]) == {"a": Verdict.VALID, "b": Verdict.INVALID}
    assert _codes(term, "https://example.org/vs2", ["a", "b", "zz"]) == {
        "a": Verdict.VALID,
        "b": Verdict.VALID,
        "zz": Verdict.NOT_CHECKED,
    }


def test_fhir_status_properties_mark_codes_retired() -> None:
    term = _term({"include": [{"system": CS}]})
    got = _codes(term, "https://example.org/vs0", ["old", "dep", "later"])
    assert got == {"old": Verdict.RETIRED, "dep": Verdict.RETIRED, "later": Verdict.VALID}


def test_results_are_cached() -> None:
    first = T.validate_code(J17, R211, "022")
    assert T.validate_code(J17, R211, "022") is first
