"""Legacy etalab CSV extracts cs1100501, cs1100502, cs1100507, SQLite and PostgreSQL (issue 4 points 1, 7)."""

from __future__ import annotations

from pathlib import Path

from openror.app.factory import Services
from openror.ingest.finess.csv_feed import insee_code, split_line
from openror.ingest.finess.geo import crs_of
from openror.ingest.finess.mapping import ADXP, SYSTEM_SIRENE, TRE_R72
from tests.ingest.finess_helpers import CS1100501, CS1100502, CS1100507, body, counts, n_resources, n_versions, run


def test_parsing_helpers() -> None:
    assert split_line('structureet;1;"LIEU ""A;B""";x') == ["structureet", "1", 'LIEU "A;B"', "x"]
    assert insee_code("9D", "411") == "97411" and insee_code("9J", "613") == "98613"
    assert insee_code("2A", "004") == "2A004" and insee_code("01", "451") == "01451"
    assert insee_code("01", "45") is None
    assert crs_of("1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)") == 2154
    assert crs_of("1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;UTM_S38") == 4471
    assert crs_of("3,ATLASANTE,.,ADMIN-EXPRESS-2023,UTM 1S (Wallis-et-Futuna)") == 32701
    assert crs_of("1,ATLASANTE,.,MAPS,") is None


def test_cs1100502_excerpt(services: Services) -> None:
    (rep,) = run(services, CS1100502)
    assert (rep.kind, rep.encoding, rep.manifest) == ("csv", "latin-1", "finess;etalab;111;2026-05-12")
    assert counts(rep) == (28, 0, 0, 0), rep.rejects
    eg = body(services, "Organization", "finess-eg-980501506")
    assert eg["name"] == 'LIEU DE VIE ET D\'ACCUEIL "MAVOUNA MEMA 1"'  # doubled quotes, latin-1
    assert eg["alias"] == ['LIEU DE VIE "MAVOUNA MEMA 1"']
    assert eg["partOf"] == {"reference": "Organization/finess-ej-980501498"}
    assert eg["meta"]["tag"][0]["code"] == "06"
    loc = body(services, "Location", "loc-finess-980501506")
    assert loc["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "97606"
    assert loc["address"]["postalCode"] == "97620" and loc["address"]["city"] == "CHIRONGUI"
    # Saint-Barthélemy (old code 97123, FINESS département 9A) goes to region 01 (Guadeloupe).
    assert body(services, "Organization", "finess-eg-970102018")["meta"]["tag"][0]["code"] == "01"
    # Wallis-et-Futuna has no ROR region: no tag, a warning.
    assert "meta" not in body(services, "Location", "loc-finess-980600027") or not body(
        services, "Location", "loc-finess-980600027"
    )["meta"].get("tag")
    assert any("98613" in w["message"] for w in rep.to_json()["warnings"])
    fleyriat = body(services, "Organization", "finess-eg-010000024")
    assert fleyriat["address"][0]["_line"][0]["extension"][0] == {"url": ADXP + "houseNumber", "valueString": "900"}
    versions = n_versions(services)
    (again,) = run(services, CS1100502)
    assert counts(again) == (0, 0, 28, 0) and n_versions(services) == versions


def test_cs1100507_both_geolocation_layouts(services: Services) -> None:
    (rep,) = run(services, CS1100507)
    assert counts(rep) == (28, 0, 0, 0), rep.rejects
    pos = {
        f: body(services, "Location", f"loc-finess-{f}").get("position")
        for f in ("010000024", "970300026", "970102018", "970400024", "980501506", "970210126", "980600027")
    }
    assert pos["010000024"] == {"longitude": 5.209181, "latitude": 46.222286}  # Lambert-93, current layout
    assert pos["970300026"] == {"longitude": -52.3254, "latitude": 4.9366}  # EPSG:2972, current layout
    assert pos["970400024"] == {"longitude": 55.4504, "latitude": -20.8823}  # UTM_S40, legacy layout
    assert pos["980501506"] == {"longitude": 45.1494, "latitude": -12.9164}  # UTM_S38, legacy layout
    assert pos["970210126"] == {"longitude": -60.9986, "latitude": 14.6161}  # UTM_N20, legacy layout
    assert pos["980600027"] == {"longitude": -176.1745, "latitude": -13.2825}  # "UTM 1S"
    assert "position" not in body(services, "Location", "loc-finess-970409645")  # empty geolocation
    messages = " ".join(w["message"] for w in rep.to_json()["warnings"])
    assert "EPSG:99999" in messages and "absent from the file" in messages
    # The EG Organization carries the position too (address geolocation extension).
    org = body(services, "Organization", "finess-eg-010000024")
    assert org["address"][0]["extension"][1]["url"] == "http://hl7.org/fhir/StructureDefinition/geolocation"


def test_cs1100501_legal_entities(services: Services) -> None:
    (rep,) = run(services, CS1100501)
    assert counts(rep) == (7, 0, 0, 0), rep.rejects
    ej = body(services, "Organization", "finess-ej-010783009")
    assert ej["type"][0]["coding"][0]["system"] == TRE_R72 and ej["type"][0]["coding"][0]["code"] == "61"
    assert any(i["system"] == SYSTEM_SIRENE and i["value"] == "775544562" for i in ej["identifier"])
    assert ej["address"][0]["line"][-1] == "BP 5"
    assert ej["address"][0]["_line"][-1]["extension"][0]["url"] == ADXP + "postBox"
    assert ej["extension"][0] == {
        "url": "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-organization-creation-date",
        "valueDate": "2001-01-01",
    }
    cayenne = body(services, "Organization", "finess-ej-970302477")
    assert cayenne["meta"]["tag"][0]["code"] == "03"


def test_utf8_file_read_with_a_warning(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "utf8.csv"
    src.write_bytes(CS1100502.read_bytes().decode("latin-1").encode("utf-8"))
    (rep,) = run(services, src)
    assert rep.encoding == "utf-8" and counts(rep) == (28, 0, 0, 0)
    assert any("UTF-8" in w["message"] for w in rep.to_json()["warnings"])
    eg = body(services, "Organization", "finess-eg-970216057")
    assert eg["address"][0]["city"] == "FORT DE FRANCE"
    assert body(services, "Organization", "finess-eg-970409645")["type"][0]["coding"][0]["code"] == "146"


def test_bad_lines_are_rejected_one_by_one(services: Services, tmp_path: Path) -> None:
    lines = CS1100502.read_bytes().decode("latin-1").splitlines()
    good = lines[1]
    fields = good.split(";")
    bad = [
        ";".join(fields[:-1]),  # missing column
        good + ";extra",  # extra column
        "structureet;12345;" + ";".join(fields[2:]),  # malformed FINESS number
        'structureet;010000032;"UNBALANCED;' + ";".join(fields[3:]),  # malformed quoting
        "unknownsection;1;2",
        good,  # duplicate of line 2
    ]
    src = tmp_path / "bad.csv"
    src.write_bytes("\n".join([lines[0], good, *bad, lines[2]]).encode("latin-1"))
    (rep,) = run(services, src)
    assert rep.created == 4 and rep.rejected == 6
    reasons = [r["reason"] for r in rep.rejects]
    assert "31 fields, 32 expected (missing columns)" in reasons[0]
    assert "33 fields, 32 expected (extra columns)" in reasons[1]
    assert "not a FINESS number" in reasons[2]
    assert "malformed quoting" in reasons[3]
    assert "unknown section 'unknownsection'" in reasons[4]
    assert "duplicate FINESS number 010000024" in reasons[5]
    assert [r["where"].split(" ")[:2] for r in rep.rejects] == [["line", str(n)] for n in range(3, 9)]
    assert n_resources(services) == 4
