"""NOS file formats → CodeSystem/ValueSet (openror.ingest.nos.formats): .tabs, derived CSV, JSON; no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openror.fhir.terminology import InMemoryTerminology, nos_url
from openror.ingest.nos.formats import (
    NosFormatError,
    OidTable,
    date_key,
    iter_codes,
    json_table,
    read_csv,
    read_tabs,
    resource_id,
)
from openror.services.terminology import packaged_resources

NOS = Path(__file__).parent.parent / "data" / "nos"
PACKAGED = {r["id"]: r for r in packaged_resources()}


def _text(name: str) -> str:
    return (NOS / name).read_text(encoding="utf-8")


def _packaged_oids() -> OidTable:
    oids = OidTable()
    for res in packaged_resources():
        oids.learn(res)
    return oids


def test_tre_tabs_gives_the_same_concepts_as_the_nos_json() -> None:
    table = read_tabs("TRE_R213-ModePriseEnCharge.tabs", _text("TRE_R213-ModePriseEnCharge.tabs"), None)
    cs = table.resource
    assert (cs["resourceType"], cs["id"]) == ("CodeSystem", "TRE-R213-ModePriseEnCharge")
    assert cs["url"] == nos_url("TRE", "R213-ModePriseEnCharge")
    assert cs["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.250.1.213.3.3.13"}]
    assert (cs["date"], cs["content"], cs["count"], cs["status"]) == (
        "2023-01-27T12:00:00+01:00",
        "complete",
        59,
        "active",
    )
    nos_json = {c["code"]: c for c in PACKAGED["TRE-R213-ModePriseEnCharge"]["concept"]}
    for concept in cs["concept"]:
        expected = dict(nos_json[concept["code"]])
        # The JSON adds a long business description that the .tabs format does not carry.
        expected["designation"] = [d for d in expected["designation"] if d["use"]["code"] != "DescriptionMetier"]
        assert concept == expected
    assert list(iter_codes(cs)) == list(nos_json)
    # Retired codes (dateFin) are seen as such by the write validation's terminology.
    term = InMemoryTerminology([cs])
    assert term.is_retired(cs["url"], "03") == "dateFin 2018-03-30"
    assert term.is_retired(cs["url"], "01") is None


def test_jdv_tabs_maps_each_oid_to_its_code_system_url() -> None:
    oids = _packaged_oids()
    # TRE_R02's OID is only known from the OID designations of the NOS ValueSet JSON of JDV_J55.
    assert oids.get("1.2.250.1.71.4.2.4") == nos_url("TRE", "R02-SecteurActivite")
    table = read_tabs("JDV_J55-CategorieEG-ROR.tabs", _text("JDV_J55-CategorieEG-ROR.tabs"), oids)
    vs = table.resource
    assert (vs["resourceType"], vs["id"]) == ("ValueSet", "JDV-J55-CategorieEG-ROR")
    includes = vs["compose"]["include"]
    assert [(i["system"], len(i["concept"])) for i in includes] == [
        (nos_url("TRE", "R66-CategorieEtablissement"), 166),
        (nos_url("TRE", "R02-SecteurActivite"), 4),
    ]
    assert includes[1]["concept"][0] == {"code": "SA05", "display": "Centre de santé"}
    assert table.warnings == []
    # Same codes as the packaged NOS JSON of the value set.
    packaged = PACKAGED["JDV-J55-CategorieEG-ROR"]["compose"]["include"]
    assert [[c["code"] for c in i["concept"]] for i in includes] == [
        [c["code"] for c in i["concept"]] for i in packaged
    ]


def test_jdv_with_an_unknown_oid_keeps_it_as_urn_oid_with_a_warning() -> None:
    table = read_tabs("JDV_J30-TemporaliteAccueil-ROR.tabs", _text("JDV_J30-TemporaliteAccueil-ROR.tabs"), OidTable())
    assert table.resource["compose"]["include"][0]["system"] == "urn:oid:1.2.250.1.213.3.3.31"
    assert "OID 1.2.250.1.213.3.3.31 is unknown" in table.warnings[0]
    known = read_tabs("JDV_J30", _text("JDV_J30-TemporaliteAccueil-ROR.tabs"), _packaged_oids())
    assert known.resource["compose"]["include"][0]["system"] == nos_url("TRE", "R240-TemporaliteAccueil")
    assert known.resource["url"] == nos_url("JDV", "J30-TemporaliteAccueil-ROR")


def test_table_name_comes_from_the_file_name_column_not_the_url() -> None:
    # NOS publishes JDV_J202 with the URL of folder JDV_J20 (a NOS defect); the file name is right.
    text = (
        "<OID>;<Type fichier>;<Nom fichier>;<Description>;<URL fichier>;<Date valid>;<Date fin>;<Date MàJ>\n"
        "1.2.250.1.213.3.4.34;JDV;JDV_J202-ESPIC-ROR.tabs;ESPIC;https://mos.esante.gouv.fr/NOS/JDV_J20-ESPIC-ROR;"
        "20220826120000;;20220826120000\n<OID>;<Code>;<Libellé>\n1.2.250.1.213.1.6.1.45;0;Non concerné\n"
    )
    assert read_tabs("x", text, None).resource["id"] == "JDV-J202-ESPIC-ROR"


_HEAD = (
    "<OID>;<Type fichier>;<Nom fichier>;<Description>;<URL fichier>;<Date valid>;<Date fin>;<Date MàJ>\n"
    "1.2.250.1.213.1.6.1.69;TRE;TRE_R81-Civilite.tabs;Civilité;https://mos.esante.gouv.fr/NOS/TRE_R81-Civilite;"
    "20130628000000;;20200424120000\n"
    "<OID>;<Code>;<Libellé adapté>;<Libellé court>;<Libellé long>;<Date valid>;<Date fin>;<Date MàJ>\n"
)
_LINE = "1.2.250.1.213.1.6.1.69;M;Monsieur;M;Monsieur;20070725150435;;20070725150435\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nothing;to;see\n", "not a NOS .tabs file"),
        (_HEAD.replace(";TRE;", ";ASS;"), "ASS association tables"),
        (_HEAD + _LINE + "1.2.250.1.213.1.6.1.69;MME;Madame\n", "line 5: 3 fields, 8 expected"),
        (_HEAD + _LINE + _LINE, "line 5: code 'M' already defined at line 4"),
        (_HEAD + _LINE.replace("20070725150435;;", "2007-07-25;;"), "not a NOS date"),
        (_HEAD + _LINE.replace("1.2.250.1.213.1.6.1.69;M;", "1.2.250.1.213.1.6.1.70;M;"), "differs from the table's"),
        (_HEAD.replace("<Libellé long>;", ""), "column(s) <Libellé long> missing"),
        (_HEAD.replace("TRE_R81-Civilite.tabs", "R81.tabs"), "is not a TRE_<id>-<name>.tabs name"),
    ],
)
def test_a_malformed_tabs_file_is_refused_whole(text: str, message: str) -> None:
    with pytest.raises(NosFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_tabs("f.tabs", text, None)


def test_derived_csv_is_a_code_system_without_dates() -> None:
    name = "TRE_R211-ActiviteOperationnelle.derived-code-display.csv"
    table = read_csv(name, name, _text(name))
    cs = table.resource
    assert (cs["id"], cs["count"], date_key(cs)) == ("TRE-R211-ActiviteOperationnelle", 524, "")
    assert cs["concept"][0] == {"code": "001", "display": "Addictologie comportementale (sans substance)"}
    assert table.rank < read_tabs("t", _HEAD + _LINE, None).rank
    with pytest.raises(NosFormatError, match="header 'code;display'"):
        read_csv(name, name, "code,display\n001,x\n")
    with pytest.raises(NosFormatError, match="must be named"):
        read_csv("x.csv", "x.csv", "code;display\n001;x\n")


def test_json_table_normalises_nos_urls_and_derives_the_id() -> None:
    j237 = dict(PACKAGED["JDV-J237-RegionOM-ROR"])
    table = json_table("ValueSet-JDV-J237-RegionOM-ROR.json", j237)
    assert table.resource["url"] == nos_url("JDV", "J237-RegionOM-ROR")
    assert "normalised" in table.warnings[0]
    assert table.resource["meta"]["source"] == "urn:openror:import-nos:fhir-json"
    ig = json_table("x", dict(PACKAGED["act-type-ror-codesystem"]))
    assert ig.id == "act-type-ror-codesystem"  # the IG's own ids are kept
    with pytest.raises(NosFormatError, match="not a CodeSystem or ValueSet"):
        json_table("x", {"resourceType": "Patient", "url": "http://x"})
    assert resource_id("https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM") == "TRE-R13-CommuneOM"
    assert len(resource_id("http://example.org/" + "x" * 100)) <= 64


def test_nos_json_sample_is_the_packaged_copy() -> None:
    sample = json.loads((NOS / "CodeSystem-TRE-R227-ChampActivite.json").read_text(encoding="utf-8"))
    assert sample == PACKAGED["TRE-R227-ChampActivite"]


def test_fill_displays_sets_only_missing_coding_displays() -> None:
    from openror.fhir.terminology import packaged_terminology
    from openror.services.terminology import fill_displays, with_displays

    r213 = nos_url("TRE", "R213-ModePriseEnCharge")
    resource = {
        "resourceType": "HealthcareService",
        "characteristic": [
            {"coding": [{"system": r213, "code": "02"}]},
            {"coding": [{"system": r213, "code": "01", "display": "mine"}]},
            {"coding": [{"system": r213 + "/", "code": "zz"}]},
        ],
        "extension": [{"url": "x", "valueQuantity": {"system": "http://unitsofmeasure.org", "code": "02", "value": 1}}],
    }
    assert fill_displays(resource, packaged_terminology()) == 1
    assert resource["characteristic"][0]["coding"][0]["display"] == "Accueil spécialisé"
    assert resource["characteristic"][1]["coding"][0]["display"] == "mine"
    assert "display" not in resource["characteristic"][2]["coding"][0]
    assert "display" not in resource["extension"][0]["valueQuantity"]
    items = list(with_displays([("a", {"meta": {"tag": [{"system": r213, "code": "02"}]}})], packaged_terminology))
    assert items[0][1]["meta"]["tag"][0]["display"] == "Accueil spécialisé"
