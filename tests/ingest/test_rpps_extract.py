"""PS_LibreAcces_Personne_activite reader and mapping (openror.ingest.rpps): no database."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from openror.ingest.rpps import extract as extract_module
from openror.ingest.rpps.extract import COLUMNS, Extract, ExtractError
from openror.ingest.rpps.mapping import PRACTITIONER_ID_SYSTEM, PROFESSION_SYSTEM, SPECIALTY_SYSTEM, practitioner
from tests.ingest.rpps_helpers import HEADER, SAMPLE, line, write


def test_sample_scans_clean_and_maps_to_practitioners() -> None:
    ex = Extract(SAMPLE)
    scan = ex.scan()
    assert (scan.lines, scan.persons, scan.contiguous, scan.tainted, scan.orphans) == (22, 22, True, {}, [])
    persons = list(ex.persons(scan))
    assert len(persons) == 22
    resources = [practitioner(nat, lines, scan.columns) for nat, lines in persons]
    assert {r["id"][:6] for r in resources} == {"rpps-0", "rpps-8"}  # ADELI (0…) and RPPS (8…) national ids
    rpps = next(r for r in resources if r["id"].startswith("rpps-8"))
    assert rpps["identifier"] == [{"use": "official", "system": PRACTITIONER_ID_SYSTEM, "value": rpps["id"][5:]}]
    assert rpps["name"][0]["use"] == "usual" and rpps["name"][0]["prefix"] in (["M"], ["MME"], ["MLLE"])
    # Its line has a savoir-faire of type S (spécialité ordinale): profession + specialty qualifications.
    assert [q["code"]["coding"][0]["system"] for q in rpps["qualification"]] == [PROFESSION_SYSTEM, SPECIALTY_SYSTEM]
    assert rpps["qualification"][1]["code"]["coding"][0]["code"] == "SM20"


def test_several_lines_of_one_professional_make_one_practitioner(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.txt",
        [
            line("10000000001"),
            line("10000000001", values={"Code profession": "70", "Libellé profession": "Masseur-Kinésithérapeute"}),
            line("10000000001"),  # same profession again: one qualification
            line("10000000002", type_="0", values={"Code civilité": ""}),
        ],
    )
    ex = Extract(path)
    scan = ex.scan()
    assert (scan.lines, scan.persons, scan.contiguous) == (4, 2, True)
    (nat1, lines1), (nat2, lines2) = list(ex.persons(scan))
    assert (nat1, [n for n, _ in lines1], nat2) == ("810000000001", [2, 3, 4], "010000000002")
    p = practitioner(nat1, lines1, scan.columns)
    assert [q["code"]["coding"][0]["code"] for q in p["qualification"]] == ["60", "70"]
    assert "prefix" not in practitioner(nat2, lines2, scan.columns)["name"][0]


def test_an_unsorted_file_is_grouped_through_buckets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract_module, "LINES_PER_BUCKET", 2)  # several buckets even for a small file
    ids = ["10000000001", "10000000002", "10000000003", "10000000001", "10000000004", "10000000002"]
    path = write(tmp_path / "f.txt", [line(i, values={"Code profession": str(n)}) for n, i in enumerate(ids)])
    ex = Extract(path)
    scan = ex.scan()
    assert (scan.lines, scan.runs, scan.persons, scan.contiguous) == (6, 6, 4, False)
    groups = {nat: [n for n, _ in lines] for nat, lines in ex.persons(scan)}
    assert groups == {"810000000001": [2, 5], "810000000002": [3, 7], "810000000003": [4], "810000000004": [6]}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace("|Code profession|", "|"), "missing column(s): Code profession"),
        (HEADER + "Nouvelle colonne|", "unexpected column(s): Nouvelle colonne"),
        (HEADER.replace("|", ";"), "is the separator '|'?"),
    ],
)
def test_a_wrong_header_refuses_the_file(tmp_path: Path, header: str, message: str) -> None:
    path = write(tmp_path / "f.txt", [line("10000000001")], header=header)
    with pytest.raises(ExtractError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        Extract(path).scan()


def test_encoding_and_archives(tmp_path: Path) -> None:
    text = "\n".join([HEADER, line("10000000001"), line("10000000002", values={"Nom d'exercice": "ÉTÉ"})]) + "\n"
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(text.encode("latin-1"))
    with pytest.raises(ExtractError, match=r"line 1: not UTF-8 \(byte 0xe9"):
        Extract(latin1).scan()
    gz = tmp_path / "f.txt.gz"
    data = gzip.compress(text.encode())
    gz.write_bytes(data[: len(data) - 10])
    with pytest.raises(ExtractError, match="truncated or corrupt gzip"):
        Extract(gz).scan()
    zipped = tmp_path / "PS_LibreAcces.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("PS_LibreAcces_Personne_activite_202601010000.txt", text)
        z.writestr("PS_LibreAcces_SavoirFaire_202601010000.txt", "x")
    ex = Extract(zipped)
    assert [nat for nat, _ in ex.persons(ex.scan())] == ["810000000001", "810000000002"]
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "x")
    with pytest.raises(ExtractError, match="one PS_LibreAcces_Personne_activite file"):
        Extract(other).scan()


def test_malformed_lines_taint_their_professional(tmp_path: Path) -> None:
    good = line("10000000001")
    short = "|".join(line("10000000002").split("|")[:10])  # 10 fields
    wrong_id = line("10000000003", values={"Identification nationale PP": "810000000999"})
    no_name = line("10000000004", values={"Nom d'exercice": ""})
    orphan = line("10000000005", values={"Identification nationale PP": ""})
    path = write(tmp_path / "f.txt", [good, short, wrong_id, no_name, orphan])
    scan = Extract(path).scan()
    assert scan.tainted == {
        "810000000002": ["line 3: 10 fields, 52 expected"],
        "810000000999": ["line 4: Identification nationale PP '810000000999' is not the identifier type '8' "
                         "followed by '10000000003'"],
        "810000000004": ["line 5: empty Nom d'exercice"],
    }  # fmt: skip
    assert scan.orphans == [(6, "empty Identification nationale PP")]


def test_a_file_of_mostly_malformed_lines_is_refused_whole(tmp_path: Path) -> None:
    bad = ["|".join(line(f"1{n:010d}").split("|")[:5]) for n in range(150)]
    path = write(tmp_path / "f.txt", [line("10000000001"), *bad])
    with pytest.raises(ExtractError, match="150 malformed lines out of 151: refused whole"):
        Extract(path).scan()


def test_identity_conflicts_are_refused() -> None:
    columns = {c: i for i, c in enumerate(COLUMNS)}
    a = line("10000000001").split("|")[:-1]
    b = line("10000000001", values={"Nom d'exercice": "AUTRENOM"}).split("|")[:-1]
    with pytest.raises(Exception, match="different identity on lines 2 and 3 \\(Nom d'exercice\\)"):
        practitioner("810000000001", [(2, a), (3, b)], columns)


def test_identifier_lookups_fit_the_search_value_bound() -> None:
    from openror.ingest.rpps.importer import _fitting

    values = [f"8{n:011d}" for n in range(200)]
    groups = list(_fitting(values))
    assert [v for g in groups for v in g] == values
    assert all(len(",".join(g)) <= 1000 for g in groups) and len(groups) == 3
