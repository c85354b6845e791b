"""Index-row extraction (openror.fhir.search.extract) and text folding (openror.fhir.search.text)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openror.fhir.access.rules import Category, Level, vis_of
from openror.fhir.errors import FhirError
from openror.fhir.search.extract import MAX_WORDS, content_words, date_range, index_rows, period_range
from openror.fhir.search.rows import (
    DATE_MAX,
    DATE_MIN,
    PUBLIC,
    DateRow,
    GeoRow,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    StringRow,
    TokenRow,
    UriRow,
)
from openror.fhir.search.text import content_terms, fold
from tests.unit.test_search_fhirpath import SD, corpus, level, rich_resources

RESTRICTED, VERY_RESTRICTED = Level.RESTRICTED, Level.VERY_RESTRICTED


def us(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()) * 1_000_000


def rich(rtype: str) -> dict[str, Any]:
    return next(r for r in rich_resources() if r["resourceType"] == rtype)


def by_param(rows: list[Any], param: str) -> list[Any]:
    return [r for r in rows if r.param == param]


# ---------------------------------------------------------------------------------------------------
# Dates


def test_date_ranges_at_each_precision() -> None:
    assert date_range("2024") == (us(2024, 1, 1), us(2025, 1, 1))
    assert date_range("2024-02") == (us(2024, 2, 1), us(2024, 3, 1))
    assert date_range("2024-12") == (us(2024, 12, 1), us(2025, 1, 1))
    assert date_range("2024-02-29") == (us(2024, 2, 29), us(2024, 3, 1))
    assert date_range("2024-05-01T10:20") == (us(2024, 5, 1, 10, 20), us(2024, 5, 1, 10, 21))
    assert date_range("2024-05-01T10:20:30Z") == (us(2024, 5, 1, 10, 20, 30), us(2024, 5, 1, 10, 20, 31))
    lo = us(2024, 5, 1, 10, 20, 30) + 123_000
    assert date_range("2024-05-01T10:20:30.123Z") == (lo, lo + 1000)
    assert date_range("2024-05-01T10:20:30.1234567Z") == (lo + 456, lo + 457)  # µs precision at most


def test_date_time_zones() -> None:
    # No time zone: UTC (documented).
    assert date_range("2024-05-01T10:00:00") == date_range("2024-05-01T10:00:00Z")
    assert date_range("2024-05-01T10:00:00+02:00") == date_range("2024-05-01T08:00:00Z")
    assert date_range("2024-05-01T01:00:00-03:30") == date_range("2024-05-01T04:30:00Z")


@pytest.mark.parametrize("bad", ["", "24", "2024-13", "2024-02-30", "2024-01-01T25:00", "2024-01-01 10:00", "0000"])
def test_invalid_dates(bad: str) -> None:
    assert date_range(bad) is None


def test_periods() -> None:
    assert period_range({"start": "2024", "end": "2024-06-30"}) == (us(2024, 1, 1), us(2024, 7, 1))
    assert period_range({"start": "2024-07-14"}) == (us(2024, 7, 14), DATE_MAX)
    assert period_range({"end": "2024"}) == (DATE_MIN, us(2025, 1, 1))
    assert period_range({}) is None
    assert period_range({"start": "2025", "end": "2024"}) is None
    assert period_range({"start": "nope"}) is None
    assert date_range("9999") == (us(9999, 1, 1), DATE_MAX)


def test_date_rows() -> None:
    hcs = rich("HealthcareService")
    rows = index_rows(hcs)
    assert by_param(rows.dates, "notavailable-closing-reopeningdate") == [
        DateRow("notavailable-closing-reopeningdate", us(2026, 7, 14), DATE_MAX, PUBLIC)
    ]
    org = index_rows(rich("Organization"))
    assert by_param(org.dates, "period-end") == [DateRow("period-end", us(2030, 6, 30), us(2030, 7, 1))]
    assert [(r.lo, r.hi) for r in by_param(org.dates, "price-validity-start-date")] == [
        (us(2026, 1, 1), us(2026, 1, 2)),
        (us(2025, 1, 1), us(2026, 1, 1)),
    ]
    task = index_rows(rich("Task"))
    assert by_param(task.dates, "period") == [DateRow("period", us(2026, 3, 1), us(2026, 3, 3))]
    assert not by_param(task.dates, "_lastUpdated")  # a column of the resource table


# ---------------------------------------------------------------------------------------------------
# Tokens


def test_token_rows_of_every_datatype() -> None:
    org = index_rows(rich("Organization"))
    # zonePoser is ORSAN data (profiles 1 and 4 only): its rows carry that category.
    assert by_param(org.tokens, "drop-zone") == [TokenRow("drop-zone", None, "true", None, vis_of(0, Category.ORSAN))]
    assert by_param(org.tokens, "price-type")[0].text == "hebergement permanent"  # folded display
    assert by_param(org.tokens, "identifier") == [TokenRow("identifier", "https://oi.esante.gouv.fr", "52/0001")]
    assert by_param(org.tokens, "_security") == [
        TokenRow("_security", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")
    ]
    assert by_param(org.tokens, "_tag")[0].code == "52"
    assert by_param(org.tokens, "address-use") == [TokenRow("address-use", None, "work")]
    hcs = index_rows(rich("HealthcareService"))
    assert by_param(hcs.tokens, "program") == [TokenRow("program", None, "", "programme regional")]  # text only
    pract = index_rows(rich("Practitioner"))
    assert by_param(pract.tokens, "phone") == [TokenRow("phone", "phone", "0261910000", None, VERY_RESTRICTED)]
    assert by_param(pract.tokens, "communication") == [TokenRow("communication", "urn:ietf:bcp:47", "fr")]
    assert not by_param(pract.tokens, "_id")
    task = index_rows(rich("Task"))
    assert by_param(task.tokens, "priority") == [TokenRow("priority", None, "urgent")]
    assert by_param(task.tokens, "group-identifier") == [
        TokenRow("group-identifier", "https://ror.example.org/lot", "L1")
    ]
    vs = index_rows(rich("ValueSet"))
    assert by_param(vs.tokens, "code") == [TokenRow("code", None, "a")]


def test_codeable_concept_text_falls_back_to_concept_text() -> None:
    loc = {
        "resourceType": "Location",
        "type": [
            {"coding": [{"system": "s", "code": "1", "display": "Hébergement"}, {"system": "t", "code": "2"}]},
            {"coding": [{"system": "s", "code": "3"}], "text": "Accueil  de JOUR"},
        ],
    }
    assert by_param(index_rows(loc).tokens, "type") == [
        TokenRow("type", "s", "1", "hebergement"),
        TokenRow("type", "t", "2", None),
        TokenRow("type", "s", "3", "accueil de jour"),
    ]


def test_identifier_of_type_rows() -> None:
    demo_eg = next(
        r for _, r in corpus(synthetic=False) if any(i.get("value") == "750150104" for i in r.get("identifier", []))
    )
    rows = index_rows(demo_eg)
    finess = [t for t in by_param(rows.tokens, "identifier:of-type") if t.code.endswith("|750150104")]
    assert finess == [
        TokenRow(
            "identifier:of-type",
            "https://mos.esante.gouv.fr/NOS/TRE_G07-TypeIdentifiantStructure/FHIR/TRE-G07-TypeIdentifiantStructure",
            "1|750150104",
        )
    ]
    assert TokenRow("identifier", "https://finess.esante.gouv.fr", "750150104") in rows.tokens
    hcs = next(r for label, r in corpus() if label == "HealthcareService-1234564")
    assert [t.code for t in by_param(index_rows(hcs).tokens, "identifier:of-type")] == ["35|06/0099999"]


def test_too_long_token_is_refused() -> None:
    loc = {"resourceType": "Location", "identifier": [{"system": "s", "value": "x" * 513}]}
    with pytest.raises(FhirError, match="longer than 512"):
        index_rows(loc)


# ---------------------------------------------------------------------------------------------------
# Strings, numbers, quantities, references, uris, near


def test_string_rows_of_names_and_addresses() -> None:
    pract = index_rows(rich("Practitioner"))
    assert [(r.norm, r.exact) for r in by_param(pract.strings, "name")] == [
        ("le bihan", "Le Bihan"),
        ("anne", "Anne"),
        ("marie", "Marie"),
        ("dr", "Dr"),
        ("dr anne le bihan", "Dr Anne Le Bihan"),
    ]
    assert [r.exact for r in by_param(pract.strings, "given")] == ["Anne", "Marie"]
    assert [r.norm for r in by_param(pract.strings, "address")] == [
        "1 rue de la paix",
        "batiment b",
        "nantes",
        "loire-atlantique",
        "pays de la loire",
        "44000",
        "fra",
        "1 rue de la paix, 44000 nantes",
    ]
    org = index_rows(rich("Organization"))
    assert [r.exact for r in by_param(org.strings, "name")] == ["Unité de soins", "USLD"]
    assert by_param(org.strings, "oi-name") == [StringRow("oi-name", "unite de soins", "Unité de soins")]
    long = {"resourceType": "Location", "name": "é" * 600}
    (row,) = by_param(index_rows(long).strings, "name")
    assert len(row.norm) == len(row.exact) == 512 and row.norm == "e" * 512


def test_number_and_quantity_rows() -> None:
    org = index_rows(rich("Organization"))
    assert by_param(org.numbers, "price-amount-value") == [NumberRow("price-amount-value", 72.5)] * 1
    loc = index_rows(rich("Location"))
    # residential capacity counts as installed capacity (not public data)
    assert by_param(loc.numbers, "residential-number") == [
        NumberRow("residential-number", 12.0, vis_of(0, Category.CAPACITY_INSTALLED))
    ]
    assert sorted(r.value for r in by_param(loc.quantities, "limit-value")) == [2.5, 180.0]
    assert by_param(loc.quantities, "limit-value")[1] == QuantityRow(
        "limit-value", 180.0, "http://unitsofmeasure.org", "kg", vis_of(0, Category.EQUIPMENT)
    )
    hcs = next(r for label, r in corpus() if label == "HealthcareService-1234564")
    rows = index_rows(hcs)
    tre = "https://mos.esante.gouv.fr/NOS/TRE_R247-UcumUniteMesure/FHIR/TRE-R247-UcumUniteMesure"
    assert by_param(rows.quantities, "age-range-low") == [QuantityRow("age-range-low", 15.0, tre, "a")]
    assert by_param(rows.quantities, "age-range-high") == [QuantityRow("age-range-high", 150.0, tre, "a")]
    cs = index_rows(rich("CodeSystem"))
    assert by_param(cs.quantities, "context-quantity") == [QuantityRow("context-quantity", 18.0, None, "a")]  # no Range


def test_money_as_quantity() -> None:
    from openror.fhir.search.extract import CURRENCY_SYSTEM, _quantities
    from openror.fhir.search.fhirpath import Node
    from openror.fhir.search.rows import IndexRows

    rows = IndexRows()
    _quantities("q", [Node({"value": 3, "currency": "EUR"}, "Money", 0), Node(4, None, 1)], rows)
    assert rows.quantities == [QuantityRow("q", 3.0, CURRENCY_SYSTEM, "EUR"), QuantityRow("q", 4.0, None, None, 1)]


def test_reference_rows() -> None:
    loc = index_rows(rich("Location"))
    assert by_param(loc.references, "organization") == [ReferenceRow("organization", "Organization", "rich-eg", None)]
    assert by_param(loc.references, "partof") == [
        ReferenceRow("partof", "Location", "parent", "https://ror.example.org/fhir/Location/parent/_history/3")
    ]
    task = index_rows(rich("Task"))
    assert by_param(task.references, "focus") == [
        ReferenceRow("focus", "HealthcareService", None, "urn:uuid:8f8b0a55-2f3e-4b1a-9a39-6a3c4cf3d2b4")
    ]
    assert by_param(task.references, "patient") == [ReferenceRow("patient", "Patient", "p1", None)]
    ig_task = next(r for label, r in corpus() if label == "Task-ror-task-exemple")
    assert by_param(index_rows(ig_task).references, "focus") == [
        ReferenceRow("focus", "Organization", None, None, None, "1910800002")
    ]
    cs = index_rows(rich("CodeSystem"))
    assert by_param(cs.references, "supplements") == [
        ReferenceRow("supplements", None, None, "https://ror.example.org/CodeSystem/base|1.0")
    ]
    odd = {
        "resourceType": "Location",
        "managingOrganization": {"reference": "Organization/o1/_history/7", "identifier": {"value": "v"}},
        "partOf": {"display": "only a display"},
        "endpoint": [{"reference": "#contained"}],
    }
    rows = index_rows(odd)
    assert rows.references == [
        ReferenceRow("endpoint", None, None, "#contained"),
        ReferenceRow("organization", "Organization", "o1", None, None, "v"),
    ]


def test_uri_and_near_rows() -> None:
    loc = index_rows(rich("Location"))
    assert by_param(loc.uris, "_source") == [UriRow("_source", "https://ror.example.org/feed#42")]
    assert loc.geo == [GeoRow("near", 47.2184, -1.5536)]
    ig_loc = next(r for label, r in corpus() if label == "Location-ror-location-exemple")
    rows = index_rows(ig_loc)
    assert rows.uris == [
        UriRow("_profile", "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-location")
    ]
    assert rows.geo == []
    cs = index_rows(rich("CodeSystem"))
    assert by_param(cs.uris, "url") == [UriRow("url", "https://ror.example.org/CodeSystem/rich")]
    bad = {"resourceType": "Location", "position": {"latitude": 91, "longitude": 0}}
    assert index_rows(bad).geo == []


# ---------------------------------------------------------------------------------------------------
# Visibility


def test_visibility_classes_on_rows() -> None:
    org = {
        "resourceType": "Organization",
        "contact": [
            {
                "extension": [
                    {
                        "url": SD + "ror-contact-confidentiality-level",
                        "valueCodeableConcept": {"coding": [{"code": "2"}]},
                    }
                ],
                "name": {"family": "Direction"},
                "telecom": [{"extension": [level("3")], "system": "phone", "value": "0199000000"}],
            }
        ],
        "telecom": [{"extension": [level("1")], "system": "phone", "value": "0199000001"}],
        "name": "Clinique",
    }
    rows = index_rows(org)
    assert by_param(rows.strings, "name") == [StringRow("name", "clinique", "Clinique", PUBLIC)]
    assert ("direct", RESTRICTED) in rows.words
    assert ("0199000000", VERY_RESTRICTED) in rows.words and ("0199000001", PUBLIC) in rows.words
    pract = rich("Practitioner")
    assert {r.vis for r in index_rows(pract).tokens if r.param in ("phone", "telecom")} == {VERY_RESTRICTED}


def test_sensitive_unit_rows_keep_their_element_classes() -> None:
    """A sensitive unit is hidden as a row (resource.access), not by its index rows' classes."""
    sensitive = next(
        r for _, r in corpus(synthetic=False) if any(i.get("value") == "52/0018734" for i in r.get("identifier", []))
    )
    assert PUBLIC in {r.vis for r in index_rows(sensitive).tokens}


# ---------------------------------------------------------------------------------------------------
# _content and text


def test_content_words() -> None:
    ig_loc = next(r for label, r in corpus() if label == "Location-ror-location-exemple")
    terms = {t for t, _ in index_rows(ig_loc).words}
    assert {"versaill", "heberg", "port", "buc", "78000"} <= terms
    assert "78646" not in terms and "001" not in terms  # codes: searched as tokens, their displays are here
    assert "narratif" not in terms  # text.div
    assert not {"http", "https", "interop", "ror", "locat", "exempl"} & terms  # url/profile/id
    assert not any(t.startswith("2023") or "t10" in t for t in terms)  # dates
    hcs = next(r for label, r in corpus() if label == "HealthcareService-1234564")
    words = index_rows(hcs).words
    assert ("chirurg", PUBLIC) in words and ("hospitalis", PUBLIC) in words
    assert content_terms("Hospitalisations COMPLÈTES") == ["hospitalis", "complet"]


def test_content_keeps_each_visibility_class_per_term() -> None:
    res = {
        "resourceType": "Practitioner",
        "telecom": [{"extension": [level("3")], "value": "secret commun"}],
        "name": [{"text": "commun"}],
    }
    assert content_words(res) == {("secret", VERY_RESTRICTED), ("commun", VERY_RESTRICTED), ("commun", PUBLIC)}


def test_content_is_bounded() -> None:
    res = {"resourceType": "Location", "description": " ".join(f"mot{i}" for i in range(MAX_WORDS * 2))}
    assert len(content_words(res)) == MAX_WORDS


def test_every_corpus_resource_indexes() -> None:
    total = 0
    for _, resource in corpus():
        rows = index_rows(resource)
        total += len(rows.tokens) + len(rows.strings) + len(rows.dates) + len(rows.references)
        assert len(rows.tokens) == len(set(rows.tokens))
    assert total > 500


ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"


@given(st.text(max_size=60))
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz -'" + ACCENTED), max_size=40))
def test_fold_is_accent_and_case_insensitive(text: str) -> None:
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    assert fold(text) == fold(stripped) == fold(stripped.upper())
    assert fold(text).isascii() or any(c in text for c in "œæŒÆ")


def test_fold_examples() -> None:
    assert fold("  Hôpital\tSaint-ÉLOI  ") == "hopital saint-eloi"
    assert fold("Straße") == "strasse"
    assert fold("ﬁ") == "fi"
    assert fold("x" * 300) == "x" * 300
