"""``openror generate`` (issue 4.5, docs/generate.md): determinism, sizes, integrity, validity, distributions, loading.

Size S is generated once per module (about 1.5 s) and checked from every angle; M and L are never
written here - their planned counts come from the skeletons. The load test loads the whole S data
set into SQLite through :class:`~openror.ingest.load.Loader` with the ROR rules on and the structural
tier off (``openror load --trusted``), about 25-35 s on the 2-core reference machine.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openror.fhir.resources import ID_RE, iter_references
from openror.fhir.terminology import nos_url, packaged_terminology
from openror.fhir.validation import validate
from openror.ingest.generate import (
    TARGET_RESOURCES,
    TYPES,
    Size,
    Universe,
    planned_counts,
    write_finess,
    write_ndjson,
)
from openror.ingest.generate.codes import ROR_SD
from openror.ingest.generate.offers import PROFILES
from openror.ingest.generate.tables import load_tables

SEED = 7
CAPACITY_URL = ROR_SD + "ror-location-supported-capacity"
TELECOM_LEVEL = ROR_SD + "ror-telecom-confidentiality-level"
CONTACT_LEVEL = ROR_SD + "ror-contact-confidentiality-level"
HCS_CONTACT = ROR_SD + "ror-healthcareservice-contact"
HCS_CONTACT_LEVEL = ROR_SD + "ror-confidentiality-level"
SENSITIVE = ROR_SD + "ror-healthcareservice-sensitive-unit"
R66 = nos_url("TRE", "R66-CategorieEtablissement")
R30 = nos_url("TRE", "R30-RegionOM")


@pytest.fixture(scope="module")
def s_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen-s")
    write_ndjson(Size.S, SEED, out)
    return out


@pytest.fixture(scope="module")
def s_resources(s_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {t: [json.loads(line) for line in (s_dir / f"{t}.ndjson").open(encoding="utf-8")] for t in TYPES}


@pytest.fixture(scope="module")
def feed_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feed-s")
    return write_finess(Size.S, SEED, out).files[0]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _ext(node: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [x for x in node.get("extension", []) if x.get("url") == url]


def _code(cc: dict[str, Any]) -> str:
    code: str = cc["coding"][0]["code"]
    return code


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


# -- determinism --------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(s_dir: Path, tmp_path: Path) -> None:
    write_ndjson(Size.S, SEED, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(s_dir)


def test_gzip_output_is_deterministic_and_holds_the_same_lines(s_dir: Path, tmp_path: Path) -> None:
    write_ndjson(Size.S, SEED, tmp_path / "a", gz=True)
    write_ndjson(Size.S, SEED, tmp_path / "b", gz=True)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    raw = (tmp_path / "a" / "Task.ndjson.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert gzip.decompress(raw) == (s_dir / "Task.ndjson").read_bytes()


def test_output_does_not_depend_on_the_process(s_dir: Path, feed_path: Path, tmp_path: Path) -> None:
    """Another interpreter with another hash seed writes the same bytes (no salted hash, no global state)."""
    code = (
        "import sys; from pathlib import Path; from openror.ingest.generate import Size, write_ndjson, write_finess;"
        f"write_ndjson(Size.S, {SEED}, Path(sys.argv[1])); write_finess(Size.S, {SEED}, Path(sys.argv[2]))"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "n"), str(tmp_path / "f")], check=True, env=env)
    assert _digest(tmp_path / "n") == _digest(s_dir)
    assert (tmp_path / "f" / feed_path.name).read_bytes() == feed_path.read_bytes()


def test_another_seed_gives_another_data_set(s_dir: Path, tmp_path: Path) -> None:
    write_ndjson(Size.S, SEED + 1, tmp_path / "other")
    mine, other = _digest(s_dir), _digest(tmp_path / "other")
    assert all(mine[name] != other[name] for name in mine if name.endswith(".ndjson"))


# -- sizes ----------------------------------------------------------------------------------------------


def test_s_counts_are_the_planned_ones_and_near_the_target(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    counts = {t: len(rs) for t, rs in s_resources.items()}
    assert counts == planned_counts(Size.S, SEED)
    total = sum(counts.values())
    assert abs(total - TARGET_RESOURCES[Size.S]) <= 0.1 * TARGET_RESOURCES[Size.S], counts
    assert all(counts[t] > 0 for t in TYPES)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_s_planned_total_is_within_10_percent_for_other_seeds(seed: int) -> None:
    total = sum(planned_counts(Size.S, seed).values())
    assert abs(total - TARGET_RESOURCES[Size.S]) <= 0.1 * TARGET_RESOURCES[Size.S]


@pytest.mark.parametrize("size", [Size.M, Size.L])
def test_m_and_l_planned_counts_are_near_their_targets(size: Size) -> None:
    """Planned from the skeletons only: no resource is built, nothing is written."""
    counts = planned_counts(size, SEED)
    total = sum(counts.values())
    assert abs(total - TARGET_RESOURCES[size]) <= 0.1 * TARGET_RESOURCES[size], counts
    universe = Universe(size, SEED)
    nat = load_tables().national
    scale = {Size.M: 0.1, Size.L: 1.0}[size]
    assert universe.entities == round(nat["pmej"] * scale)
    assert universe.establishments == round(nat["ege"] * scale)


# -- integrity and validity ---------------------------------------------------------------------------


def test_ids_are_sequential_and_every_reference_resolves(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    prefix = {
        "Organization": "org",
        "HealthcareService": "hcs",
        "Location": "loc",
        "Practitioner": "pra",
        "PractitionerRole": "rol",
        "Task": "tsk",
    }
    known: set[str] = set()
    for rtype, resources in s_resources.items():
        ids = [r["id"] for r in resources]
        assert ids == [f"gen-{prefix[rtype]}-{n:06d}" for n in range(1, len(ids) + 1)]
        assert all(ID_RE.fullmatch(i) for i in ids)
        known.update(f"{rtype}/{i}" for i in ids)
    dangling = [
        (r["id"], node["reference"])
        for resources in s_resources.values()
        for r in resources
        for node in iter_references(r)
        if node["reference"] not in known
    ]
    assert dangling == []


def test_the_chains_ej_eg_oi_offer_place_role_task(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    orgs = {r["id"]: r for r in s_resources["Organization"]}

    def level(org: dict[str, Any]) -> str:
        systems = {c["system"] for t in org["type"] for c in t["coding"]}
        if R66 in systems:
            return "EG"
        if any("R207" in s for s in systems):
            return "OI"
        return "EJ"

    def target(reference: str) -> dict[str, Any]:
        return orgs[reference.split("/", 1)[1]]

    levels = Counter(level(o) for o in orgs.values())
    assert levels["EJ"] and levels["EG"] and levels["OI"]
    for org in orgs.values():
        lv = level(org)
        if lv == "EJ":
            assert "partOf" not in org
        else:
            assert level(target(org["partOf"]["reference"])) == {"EG": "EJ", "OI": "EG"}[lv]
    hcs = {r["id"]: r for r in s_resources["HealthcareService"]}
    places = {r["id"] for r in s_resources["Location"]}
    by_oi = sum(level(target(h["providedBy"]["reference"])) == "OI" for h in hcs.values())
    assert 0 < by_oi < len(hcs)
    linked = {ref["reference"].split("/", 1)[1] for h in hcs.values() for ref in h.get("location", [])}
    assert linked == places  # every place belongs to an offer
    for role in s_resources["PractitionerRole"]:
        assert role["healthcareService"][0]["reference"].split("/", 1)[1] in hcs
        assert role["practitioner"]["reference"].startswith("Practitioner/")
    for task in s_resources["Task"]:
        assert task["focus"]["reference"].split("/", 1)[1] in hcs


def test_a_sample_of_each_type_passes_the_write_validation(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    terminology = packaged_terminology()
    for rtype, resources in s_resources.items():
        step = max(1, len(resources) // 40)
        for resource in resources[::step]:
            result = validate(resource, terminology=terminology, structural=True)
            assert result.errors == (), (rtype, resource["id"], result.errors)


def test_every_catalogue_code_is_in_its_value_set() -> None:
    terminology = packaged_terminology()
    checks = {
        "activity": ("JDV_J17-ActiviteOperationnelle-ROR", "R211-ActiviteOperationnelle"),
        "mode": ("JDV_J19-ModePriseEnCharge-ROR", "R213-ModePriseEnCharge"),
        "champ": ("JDV_J20-ChampActivite-ROR", "R227-ChampActivite"),
        "capacity": ("JDV_J187-NatureCapacite-ROR", "R329-NatureCapacite"),
    }
    for family, profile in PROFILES.items():
        for template in profile.templates:
            for attribute, (jdv, tre) in checks.items():
                code = getattr(template, attribute)
                if code is None:
                    continue
                vs = nos_url("JDV", jdv[4:])
                check = terminology.validate_code(vs, nos_url("TRE", tre), code)
                assert check.verdict == "valid", (family, template.name, attribute, code, check.message)
    for category in load_tables().categories:
        if category.ror:
            check = terminology.validate_code(nos_url("JDV", "J55-CategorieEG-ROR"), R66, category.code)
            assert check.verdict == "valid", category


# -- features and distributions -------------------------------------------------------------------------


def test_every_capacity_status_and_both_natures_are_present(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    statuses: Counter[str] = Counter()
    natures: set[str] = set()
    for place in s_resources["Location"]:
        records = _ext(place, CAPACITY_URL)
        assert records, place["id"]
        for record in records:
            parts = {p["url"]: p for p in record["extension"]}
            statuses[_code(parts["capacityStatus"]["valueCodeableConcept"])] += 1
            natures.add(_code(parts["capacityType"]["valueCodeableConcept"]))
    assert set(statuses) == {"01", "02", "03", "04", "05", "06"}  # every code of TRE_R330
    assert natures == {"01", "02"}


def test_all_confidentiality_levels_on_contacts_and_telecoms(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    contacts: Counter[str] = Counter()
    telecoms: Counter[str] = Counter()
    for resources in s_resources.values():
        for r in resources:
            for c in r.get("contact", []):
                contacts[_code(_ext(c, CONTACT_LEVEL)[0]["valueCodeableConcept"])] += 1
            for c in _ext(r, HCS_CONTACT):
                contacts[_code(_ext(c, HCS_CONTACT_LEVEL)[0]["valueCodeableConcept"])] += 1
            for node in _walk(r):
                for x in _ext(node, TELECOM_LEVEL):
                    telecoms[_code(x["valueCodeableConcept"])] += 1
    assert set(contacts) == {"1", "2", "3"}
    assert set(telecoms) == {"1", "2", "3"}


def test_a_few_percent_of_sensitive_units(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    flags = [_ext(h, SENSITIVE)[0]["valueBoolean"] for h in s_resources["HealthcareService"]]
    share = sum(flags) / len(flags)
    assert 0.005 <= share <= 0.08, share


def test_categories_and_regions_follow_the_table(s_resources: dict[str, list[dict[str, Any]]]) -> None:
    tables = load_tables()
    categories: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for org in s_resources["Organization"]:
        for t in org["type"]:
            if t["coding"][0]["system"] == R66:
                categories[t["coding"][0]["code"]] += 1
                regions[next(tag["code"] for tag in org["meta"]["tag"] if tag["system"] == R30)] += 1
    ror = sorted((c for c in tables.categories if c.ror), key=lambda c: -c.weight)
    assert set(categories) <= {c.code for c in ror}
    assert categories.most_common(1)[0][0] == ror[0].code
    total = sum(categories.values())
    weight = sum(c.weight for c in ror)
    for c in ror[:5]:  # the frequent ones within a few points of their share
        assert abs(categories[c.code] / total - c.weight / weight) < 0.03, c.code
    # regions are drawn per legal entity (its establishments mostly follow it): looser at size S
    expected = {code: tables.regions.share(code) for code in tables.regions.items}
    assert set(regions) <= set(expected)
    top3 = sorted(expected, key=lambda k: -expected[k])[:3]
    assert {code for code, _ in regions.most_common(3)} == set(top3)
    for code, share in expected.items():
        assert abs(regions[code] / total - share) < 0.05, code


def test_the_finess_feed_parses_as_a_stream_and_follows_the_table(feed_path: Path) -> None:
    ijson = pytest.importorskip("ijson")
    tables = load_tables()
    universe = Universe(Size.S, SEED)
    categories: Counter[str] = Counter()
    n_pmej = n_ege = 0
    with feed_path.open("rb") as fh:
        for pm in ijson.items(fh, "pmej.item"):
            n_pmej += 1
            for ege in pm["ege"]:
                n_ege += 1
                categories[ege["categorieentiteGeographiqueExercice"]] += 1
    assert (n_pmej, n_ege) == (universe.entities, universe.establishments)
    top = max(tables.categories, key=lambda c: c.weight)
    assert categories.most_common(1)[0][0] == top.code == "620"
    doc = json.loads(feed_path.read_bytes())
    assert list(doc) == ["schemaVersion", "generatedAt", "gco", "gcc", "pmej"]
    assert len(doc["gco"]) == len(universe.gco)


def test_the_finess_feed_has_the_fields_of_the_real_sample(feed_path: Path) -> None:
    real_path = (
        Path(__file__).parent.parent / "data" / "finess" / "finess-structures-mensuel-202607-echantillon_json.gz"
    )
    if not real_path.exists():
        pytest.skip("the FINESS sample is not in tests/data")
    real = json.loads(gzip.decompress(real_path.read_bytes()))
    mine = json.loads(feed_path.read_bytes())
    pm_real = next(p for p in real["pmej"] if p["ege"])
    pm_mine = next(p for p in mine["pmej"] if p["ege"])
    assert list(pm_mine) == list(pm_real)
    assert list(pm_mine["informationsGeneralesPMEJ"]) == list(pm_real["informationsGeneralesPMEJ"])
    assert list(pm_mine["ege"][0]) == list(pm_real["ege"][0])
    assert list(pm_mine["ege"][0]["informationsGeneralesEGE"]) == list(pm_real["ege"][0]["informationsGeneralesEGE"])
    assert list(pm_mine["ege"][0]["adresse"][0]) == list(pm_real["ege"][0]["adresse"][0])
    assert list(mine["gcc"][0]) == list(real["gcc"][0])


# -- loading ---------------------------------------------------------------------------------------------


def test_s_loads_into_sqlite_without_rejects(s_dir: Path, tmp_path: Path) -> None:
    from openror.app.factory import build_services
    from openror.config import Settings
    from openror.ingest.load import Loader

    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'gen.db'}", structural_validation=False))
    loader = Loader(services.directory)
    created = 0
    for path in sorted(s_dir.glob("*.ndjson")):
        report = loader.load_file(path)
        assert report.rejected == 0, report.rejects[:5]
        created += report.created
    services.engine.dispose()
    assert created == sum(planned_counts(Size.S, SEED).values())


@pytest.mark.skipif(importlib.util.find_spec("openror.ingest.finess") is None, reason="no FINESS importer")
def test_the_finess_importer_takes_the_s_feed_without_rejects(feed_path: Path, tmp_path: Path) -> None:
    from openror.app.factory import build_services
    from openror.config import Settings
    from openror.ingest.finess import FinessImporter

    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'feed.db'}", structural_validation=False))
    report = FinessImporter(services.directory).import_file(feed_path)
    services.engine.dispose()
    assert report.rejected == 0, report.rejects[:5]
    assert report.created > 0


# -- command line ---------------------------------------------------------------------------------------


def test_the_command_mounts_as_openror_generate(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from openror.cli import generate as generate_cli

    parent = typer.Typer()
    parent.add_typer(generate_cli.app)  # how the main command mounts it
    result = CliRunner().invoke(
        parent, ["generate", "--size", "S", "--seed", str(SEED), "--out", str(tmp_path), "--format", "finess-json"]
    )
    assert result.exit_code == 0, result.output
    assert "174,508" not in result.output and "1,745" in result.output  # the S feed: 1/100 of the national file
    assert (tmp_path / "finess-structures.json").exists()
    manifest = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert manifest["counts"]["pmej"] == Universe(Size.S, SEED).entities
