"""Rebuild ``definitions/generate/distributions.json``, the frequency tables of ``openror generate`` (issue 4.5).

The synthetic data set of ``openror generate`` follows the real FINESS open data (docs/generate.md).
This script derives the compact tables it reads from the samples of the team's reference copy
(``shared/data/finess``, provenance in ``shared/data/README.md``), read-only:

* ``RECENS_STRUCTURES_mensuel-202607.txt`` - field profile of the **complete** national FINESS+
  structures file: national counts, shares of present/absent fields, the full value counts of the
  short fields (fewer than 60 distinct values; longer lists are truncated by the profiler and not used);
* ``finess-structures-mensuel-202607-echantillon_json.gz`` - 30 real legal entities, 1,753
  establishments: category counts, region counts, communes (postal code, city, WGS84 position),
  street types and names, the tail of the establishments-per-entity distribution;
* ``t-finess_etalab_small_20201231.csv`` (100 establishments of département 01) and the 14
  ``structureet`` lines of ``etalab-cs1100502-…excerpt-15-lines.csv``: category counts, communes;
* ``finess-activites-mensuel-202607-echantillon_json.gz`` - authorised activities exercised per
  establishment (the proxy of "offers per establishment") and installed capacities;
* the NOS tables shipped in ``src/openror/definitions/terminology`` (category labels, JDV_J55
  membership, retired codes) and the commune table of ``src/openror/definitions/geo``.

Corrections, each recorded in the output's ``provenance.corrections``: the pharmacy share (category
620) is set to the national figure 20,003 / 103,032 (data-sources.md §5) because the samples are
drawn from multi-establishment entities; the regions are counted on the *active* establishments of
the FINESS+ sample only (t-finess is a single département, the etalab excerpt was chosen for its
overseas lines). Tables that cannot be derived from the files (category → family, legal status per
family) are hand-made below and marked ``hand-made`` in the output.

    python scripts/build_distributions.py [--data ../shared/data/finess] [--out src/openror/definitions/generate]

Deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import hashlib
import io
import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "finess"
OUT = ROOT / "src" / "openror" / "definitions" / "generate"
TERMINOLOGY = ROOT / "src" / "openror" / "definitions" / "terminology"
GEO = ROOT / "src" / "openror" / "definitions" / "geo" / "communes.csv.gz"

STRUCTURES = "finess-structures-mensuel-202607-echantillon_json.gz"
ACTIVITIES = "finess-activites-mensuel-202607-echantillon_json.gz"
RECENS = "RECENS_STRUCTURES_mensuel-202607.txt"
TFINESS = "t-finess_etalab_small_20201231.csv"
ETALAB = "etalab-cs1100502-stock-20260512-0339.excerpt-15-lines.csv"

# National pharmacy count (category 620) over the establishments of the complete etalab cs1100507
# file of September 2026 (shared/research/data-sources.md §5, third-party measurement).
PHARMACIES, ETALAB_ROWS = 20_003, 103_032

# ROR perimeter: the FINESS categories the national ROR describes (ansforge/ROR-indicateurs-BI-SQL
# view_V_REF_J55_CategorieEG.sql, historic perimeter + "nouveau périmètre 2023", data-sources.md
# §1.3) plus 124 (centre de santé, "offre de ville"); retired TRE_R66 codes and codes missing from
# JDV_J55 are dropped by the script.
ROR_PERIMETER = [
    "101",
    "106",
    "109",
    "114",
    "122",
    "127",
    "128",
    "129",
    "131",
    "141",
    "146",
    "156",
    "161",
    "182",
    "183",
    "186",
    "188",
    "189",
    "190",
    "192",
    "194",
    "195",
    "196",
    "198",
    "202",
    "207",
    "209",
    "221",
    "238",
    "246",
    "249",
    "252",
    "253",
    "255",
    "292",
    "354",
    "355",
    "362",
    "365",
    "366",
    "370",
    "377",
    "379",
    "381",
    "382",
    "390",
    "395",
    "396",
    "402",
    "412",
    "415",
    "425",
    "430",
    "437",
    "444",
    "445",
    "446",
    "448",
    "449",
    "460",
    "500",
    "501",
    "502",
    "696",
    "697",
    "698",
    "178",
    "197",
    "228",
    "603",
    "604",
    "606",
    "617",
    "618",
    "124",
]

# hand-made: offer profile family of each FINESS category (labels of TRE_R66; CNSA domains of
# corresp_categorie_complete_CNSA.csv for the medico-social ones). Anything else is "other".
FAMILIES: dict[str, str] = {
    **dict.fromkeys(["101", "106", "114", "122", "128", "129", "131", "355", "365", "696", "697", "698", "433"], "mco"),
    **dict.fromkeys(["109", "362"], "ssr"),
    **dict.fromkeys(["156", "161", "292", "366", "412", "415", "425", "430", "444"], "psy"),
    **dict.fromkeys(["127", "141", "146"], "home_care"),
    **dict.fromkeys(["500", "501", "502", "202", "207", "381"], "elderly"),
    **dict.fromkeys(["354", "209", "460"], "home_services"),
    **dict.fromkeys(
        ["182", "183", "186", "188", "189", "190", "192", "194", "195", "196", "238", "377", "390", "396", "402"],
        "disability_child",
    ),
    **dict.fromkeys(
        ["198", "246", "249", "252", "253", "255", "370", "379", "382", "395", "437", "445", "446", "448", "449"],
        "disability_adult",
    ),
    **dict.fromkeys(["178", "197", "221", "228"], "prevention"),
    **dict.fromkeys(["124", "603"], "city"),
    **dict.fromkeys(["604", "606"], "coordination"),
    **dict.fromkeys(["620", "627", "628", "629"], "pharmacy"),
    **dict.fromkeys(["610", "611", "612"], "laboratory"),
    **dict.fromkeys(
        [
            "159",
            "166",
            "172",
            "175",
            "176",
            "177",
            "214",
            "216",
            "219",
            "236",
            "241",
            "256",
            "257",
            "258",
            "259",
            "443",
            "442",
            "462",
        ],
        "social",
    ),
}

# hand-made: legal status (TRE_R72) of the legal entity, by family of its first establishment. The
# samples hold 30 legal entities only; the weights follow the legal forms usual in each sector.
STATUTS: dict[str, dict[str, int]] = {
    "mco": {"13": 30, "14": 10, "11": 4, "60": 10, "61": 6, "63": 4, "95": 20, "73": 10, "72": 6},
    "ssr": {"13": 15, "60": 25, "61": 10, "63": 5, "95": 25, "73": 10, "72": 10},
    "psy": {"11": 30, "14": 20, "13": 10, "60": 25, "61": 5, "95": 10},
    "home_care": {"13": 20, "60": 40, "61": 10, "95": 20, "72": 10},
    "elderly": {"21": 20, "17": 15, "22": 5, "13": 10, "60": 20, "61": 5, "63": 5, "95": 10, "72": 10},
    "home_services": {"17": 25, "60": 45, "61": 5, "72": 15, "95": 10},
    "disability_child": {"60": 60, "61": 20, "19": 10, "63": 5, "21": 5},
    "disability_adult": {"60": 60, "61": 20, "19": 10, "63": 5, "21": 5},
    "prevention": {"60": 60, "61": 10, "13": 15, "02": 15},
    "city": {"60": 30, "47": 15, "03": 15, "74": 15, "80": 25},
    "coordination": {"60": 90, "28": 10},
    "pharmacy": {"85": 35, "91": 20, "72": 15, "70": 20, "78": 5, "100": 5},
    "laboratory": {"85": 30, "91": 40, "86": 10, "95": 20},
    "social": {"60": 55, "61": 15, "02": 15, "17": 10, "63": 5},
    "other": {"60": 35, "02": 10, "03": 10, "13": 5, "72": 15, "95": 15, "70": 10},
}

# hand-made: APE code of the legal entity by family (NAF rév. 2, as seen in the samples)
APE: dict[str, str] = {
    "mco": "86.10Z",
    "ssr": "86.10Z",
    "psy": "86.10Z",
    "home_care": "86.10Z",
    "elderly": "87.10A",
    "home_services": "88.10A",
    "disability_child": "87.20A",
    "disability_adult": "88.10C",
    "prevention": "86.90F",
    "city": "86.21Z",
    "coordination": "86.90F",
    "pharmacy": "47.73Z",
    "laboratory": "86.90B",
    "social": "87.90B",
    "other": "88.99B",
}

_PAIR = re.compile(r"'?([^':{},]+)'?: (\d+)")
_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\{.*)$")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _json_gz(path: Path) -> Any:
    return json.loads(gzip.decompress(path.read_bytes()))


# -- RECENS: field profile of the complete national file -------------------------------------------


class Recens:
    """The RECENS text: PRESENT/NULS per path, cardinalities (may be truncated), value counts."""

    def __init__(self, path: Path) -> None:
        self.present: dict[str, int] = {}
        self.nulls: dict[str, int] = {}
        self.cards: dict[str, dict[str, int]] = {}
        self.values: dict[str, dict[str, int]] = {}
        self.roots: dict[str, int] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# Duree"):
                self.roots = ast.literal_eval(line.split("tableaux racines : ", 1)[1])
            elif " -> " in line and " valeurs : " in line:
                name, rest = line.split(" -> ", 1)
                count, _, values = rest.partition(" valeurs : ")
                if not count.startswith("60+"):  # truncated lists are a sample, not counts
                    self.values[name.strip()] = ast.literal_eval(values)
            else:
                m = _ROW.match(line)
                if m:
                    path_ = m.group(1)
                    self.present[path_] = int(m.group(2))
                    self.nulls[path_] = int(m.group(3))
                    card = re.search(r"\}\s+(\{.*)$", m.group(4))
                    if card:
                        self.cards[path_] = {k.strip(): int(v) for k, v in _PAIR.findall(card.group(1))}

    def share(self, path: str) -> float:
        """Share of non-null values among the present ones."""
        return round(1 - self.nulls[path] / self.present[path], 6)


def national(r: Recens) -> dict[str, Any]:
    pmej = r.roots["pmej"]
    ege = r.present["pmej.ege[].informationsGeneralesEGE"]
    per = r.cards["pmej.ege"]  # {0: …, 1: …} (the profiler's column is truncated after two values)
    ege_address = r.present["pmej.ege[].adresse[].cogCommune"]
    return {
        "pmej": pmej,
        "ege": ege,
        "gco": r.roots["gco"],
        "gcc": r.roots["gcc"],
        "pmej_with_0_ege": per["0"],
        "pmej_with_1_ege": per["1"],
        "pmej_etat": r.values["pmej.etatObjet"],
        "ege_etat": r.values["pmej.ege[].etatObjet"],
        "pmej_closing_date_share": r.share("pmej.informationsGeneralesPMEJ.dateFermeture"),
        "ege_closing_date_share": r.share("pmej.ege[].informationsGeneralesEGE.dateFermeture"),
        "pmej_siren_share": r.share("pmej.informationsGeneralesPMEJ.siren"),
        "ege_siret_share": r.share("pmej.ege[].informationsGeneralesEGE.siret"),
        "ege_espic_share": r.share("pmej.ege[].informationsGeneralesEGE.espic"),
        "ege_espic": r.values["pmej.ege[].informationsGeneralesEGE.espic[]"],
        "ege_long_name_complement_share": r.share("pmej.ege[].informationsGeneralesEGE.complementDenominationEg"),
        "ege_education_number_share": r.share("pmej.ege[].informationsGeneralesEGE.numeroEducationNationale"),
        "pmej_fonction_publique_share": r.share("pmej.informationsGeneralesPMEJ.fonctionPublique"),
        "pmej_fonction_publique": r.values["pmej.informationsGeneralesPMEJ.fonctionPublique"],
        "gco_type": r.values["gco.typeGco"],
        "gcc_type": r.values["gcc.typeGcc"],
        "pmej_with_contact_share": round(r.cards["pmej.contact"]["1"] / pmej, 6),
        "ege_with_contact_share": round(r.cards["pmej.ege[].contact"]["1"] / ege, 6),
        "telephone_share": r.share("pmej.ege[].contact[].telecom.telephone"),
        "telecopie_share": r.share("pmej.ege[].contact[].telecom.telecopie"),
        "courriel_share": r.share("pmej.ege[].contact[].telecom.courriel"),
        "pmej_geocoded_share": r.share("pmej.adresse[].coordonneesGeographique"),
        "ege_geocoded_share": r.share("pmej.ege[].adresse[].coordonneesGeographique"),
        "ege_address_usage": r.values["pmej.ege[].adresse[].usageAdresse"],
        "ege_addresses": ege_address,
        "address_number_share": r.share("pmej.ege[].adresse[].numeroVoie"),
        "address_street_share": r.share("pmej.ege[].adresse[].libelleVoie"),
        "address_lieu_dit_share": r.share("pmej.ege[].adresse[].lieuDit"),
        "address_complement_share": r.share("pmej.ege[].adresse[].complementVoie"),
        "address_complement": r.values["pmej.ege[].adresse[].complementVoie"],
        "mode_fixation_tarifaire": r.values["pmej.ege[].modefixationtarifaire"],
        "type_budget": r.values["pmej.ege[].typeBudget[]"],
        "ege_with_engagement_share": round(1 - r.cards["pmej.ege[].engagement"]["0"] / ege, 6),
        "engagement_type": r.values["pmej.ege[].engagement[].typeEngagement"],
        "engagement_subtype": r.values["pmej.ege[].engagement[].sousTypeEngagement"],
        "ege_event_codes": r.values["pmej.ege[].evenement[].codeEvenement"],
        "pmej_event_codes": r.values["pmej.evenement[].codeEvenement"],
    }


def fit_tail(mean: float, lo: int, hi: int) -> float:
    """Exponent a of P(n) ∝ n^-a on [lo, hi] whose mean is ``mean`` (bisection)."""

    def m(a: float) -> float:
        w = [math.pow(n, -a) for n in range(lo, hi + 1)]
        return sum(n * x for n, x in zip(range(lo, hi + 1), w, strict=True)) / sum(w)

    a, b = 0.5, 4.0
    for _ in range(80):
        mid = (a + b) / 2
        if m(mid) > mean:
            a = mid
        else:
            b = mid
    return round((a + b) / 2, 6)


# -- samples -----------------------------------------------------------------------------------------


def _communes_table() -> dict[str, tuple[str, str]]:
    with gzip.open(GEO, "rt", encoding="utf-8") as fh:
        return {r["code"]: (r["nom"], r["region"]) for r in csv.DictReader(fh)}


def _codesystem(name: str) -> dict[str, dict[str, Any]]:
    doc = json.loads((TERMINOLOGY / f"CodeSystem-{name}.json").read_bytes())
    out: dict[str, dict[str, Any]] = {}
    stack = list(doc["concept"])
    while stack:
        c = stack.pop()
        out[c["code"]] = c
        stack.extend(c.get("concept", []))
    return out


def _retired(concept: dict[str, Any]) -> bool:
    return any(p.get("code") == "dateFin" for p in concept.get("property", []))


def sample_tables(data: Path) -> dict[str, Any]:
    structures = _json_gz(data / STRUCTURES)
    geo = _communes_table()
    j237 = {
        c["code"]
        for c in json.loads((TERMINOLOGY / "ValueSet-JDV-J237-RegionOM-ROR.json").read_bytes())["compose"]["include"][
            0
        ]["concept"]
    }
    categories: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    communes: dict[str, dict[str, Any]] = {}
    street_types: Counter[str] = Counter()
    streets: Counter[str] = Counter()
    tail: list[int] = []

    def commune(a: dict[str, Any]) -> None:
        cog, postal, city = a.get("cogCommune"), a.get("codePostal"), a.get("ligneAcheminement")
        if not (cog and postal and city) or cog not in geo or geo[cog][1] not in j237:
            return
        entry = communes.setdefault(
            cog, {"postal": postal, "city": city, "n": 0, "lat": None, "lon": None, "x": None, "y": None}
        )
        entry["n"] += 1
        xy = a.get("coordonneesGeographique")
        if entry["lat"] is None and isinstance(xy, dict):
            lon, lat = float(xy["coordonneeX"]), float(xy["coordonneeY"])
            if -180 <= lon <= 180 and -90 <= lat <= 90:
                entry["lat"], entry["lon"] = round(lat, 6), round(lon, 6)
                # projected metres as published (Lambert-93, or the UTM zone overseas)
                entry["x"], entry["y"] = float(xy["directionLongitude"]), float(xy["directionLatitude"])

    for pm in structures["pmej"]:
        if len(pm["ege"]) >= 2:
            tail.append(len(pm["ege"]))
        for a in pm["adresse"]:
            commune(a)
        for e in pm["ege"]:
            for a in e["adresse"]:
                commune(a)
                if a.get("typeVoie"):
                    street_types[a["typeVoie"]] += 1
                if a.get("libelleVoie"):
                    streets[a["libelleVoie"]] += 1
            if e["etatObjet"] != "A":
                continue
            categories[e["categorieentiteGeographiqueExercice"]] += 1
            cog = e["adresse"][0]["cogCommune"] if e["adresse"] else None
            if cog in geo and geo[cog][1] in j237:
                regions[geo[cog][1]] += 1

    with (data / TFINESS).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            categories[row["categetab"]] += 1
            commune(
                {"cogCommune": row["cog"], "codePostal": row["codepostal"], "ligneAcheminement": row["libelle_routage"]}
            )
    with (data / ETALAB).open(encoding="latin-1") as fh:
        for line in list(fh)[1:]:
            f = next(csv.reader([line], delimiter=";"))
            categories[f[18]] += 1
            dep = f[13]
            dep = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9F": "976"}.get(dep, dep)
            postal, _, city = f[15].partition(" ")
            cog = dep + f[12][-2:] if len(dep) == 3 else dep + f[12]
            commune({"cogCommune": cog, "codePostal": postal, "ligneAcheminement": city})
    return {
        "categories": categories,
        "regions": regions,
        "communes": communes,
        "street_types": street_types,
        "streets": streets,
        "tail": sorted(tail),
        "geo": geo,
    }


def activity_tables(data: Path, categories_of: dict[str, str]) -> dict[str, Any]:
    """Active authorised activities exercised per active establishment, by family; installed capacities."""
    activities = _json_gz(data / ACTIVITIES)
    per_family: dict[str, Counter[int]] = defaultdict(Counter)
    installed: list[int] = []
    for pm in activities["pmej"]:
        for e in pm["ege"]:
            category = categories_of.get(e["egeId"])
            if category is None:
                continue  # closed establishment, or not in the structures sample
            n = 0
            for act in e["activitesExercees"]:
                if act["caracteristiquesGeneriques"]["etatObjet"] != "A":
                    continue
                n += 1
                for cap in act["capacite"]:
                    if cap.get("statutCapacite") == "08" and (cap.get("nombre") or "").isdigit():
                        installed.append(int(cap["nombre"]))
            per_family[FAMILIES.get(category, "other")][n] += 1
    installed = sorted(x for x in installed if x > 0)
    quantiles = [installed[min(len(installed) - 1, int(q * len(installed) / 20))] for q in range(21)]
    quantiles[-1] = installed[-1]
    return {
        "activities_per_ege": {f: {str(k): v for k, v in sorted(c.items())} for f, c in sorted(per_family.items())},
        "installed_capacity_quantiles": quantiles,
        "installed_capacity_records": len(installed),
    }


def build(data: Path, out: Path = OUT) -> dict[str, Any]:
    recens = Recens(data / RECENS)
    nat = national(recens)
    tail_n = nat["pmej"] - nat["pmej_with_0_ege"] - nat["pmej_with_1_ege"]
    tail_mean = (nat["ege"] - nat["pmej_with_1_ege"]) / tail_n
    s = sample_tables(data)
    structures = _json_gz(data / STRUCTURES)
    category_of_ege = {
        e["informationsGeneralesEGE"]["egeId"]: e["categorieentiteGeographiqueExercice"]
        for pm in structures["pmej"]
        for e in pm["ege"]
        if e["etatObjet"] == "A"
    }
    acts = activity_tables(data, category_of_ege)

    r66 = _codesystem("TRE-R66-CategorieEtablissement")
    labels = {}
    with (data / "nomenclature_categorie_finess.csv").open(encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    for row in csv.DictReader(io.StringIO("".join(rows)), delimiter=";"):
        labels[row["code"]] = row["libelle"]
    j55 = json.loads((TERMINOLOGY / "ValueSet-JDV-J55-CategorieEG-ROR.json").read_bytes())
    j55_codes = {c["code"] for c in j55["compose"]["include"][0]["concept"]}
    perimeter = sorted(c for c in ROR_PERIMETER if c in j55_codes and c in r66 and not _retired(r66[c]))

    counts = s["categories"]
    pooled = sum(counts.values())
    rest = pooled - counts["620"]
    p620 = PHARMACIES / ETALAB_ROWS
    categories = {}
    for code in sorted(counts, key=lambda c: (-(p620 if c == "620" else counts[c] / rest), c)):
        weight = p620 if code == "620" else (1 - p620) * counts[code] / rest
        concept = r66.get(code)
        categories[code] = {
            "weight": round(weight, 6),
            "sample_count": counts[code],
            "label": concept["display"] if concept else labels.get(code, code),
            "family": FAMILIES.get(code, "other"),
            "ror": code in perimeter,
            "retired": bool(concept and _retired(concept)),
        }

    r30 = _codesystem("TRE-R30-RegionOM")
    regions = {
        code: {"weight": n, "label": r30[code]["display"]}
        for code, n in sorted(s["regions"].items(), key=lambda kv: (-kv[1], kv[0]))
    }
    communes: dict[str, list[list[Any]]] = defaultdict(list)
    for cog in sorted(s["communes"]):
        c = s["communes"][cog]
        name, region = s["geo"][cog]
        communes[region].append([cog, name, c["postal"], c["city"], c["lat"], c["lon"], c["x"], c["y"], c["n"]])
    streets = [name for name, _ in sorted(s["streets"].items(), key=lambda kv: (-kv[1], kv[0]))[:400]]

    doc = {
        "provenance": {
            "script": "scripts/build_distributions.py",
            "inputs": {name: _sha256(data / name) for name in (RECENS, STRUCTURES, ACTIVITIES, TFINESS, ETALAB)},
            "corrections": [
                f"category 620 (pharmacie d'officine) weight set to the national share {PHARMACIES}/{ETALAB_ROWS}"
                " (data-sources.md §5); other categories keep their pooled sample proportions",
                "regions counted on the active establishments of the FINESS+ sample only",
                "establishments per legal entity: 0 and 1 from RECENS (national), 2+ a power law fitted to the"
                " national mean of the 2+ entities, bounded by the largest entity of the sample",
            ],
            "hand_made": ["category family", "legal status per family", "APE code per family"],
        },
        "national": nat,
        "ege_per_pmej_tail": {
            "min": 2,
            "max": max(s["tail"]),
            "mean": round(tail_mean, 6),
            "exponent": fit_tail(tail_mean, 2, max(s["tail"])),
            "sample": s["tail"],
        },
        "categories": categories,
        "ror_perimeter": perimeter,
        "regions": regions,
        "commune_columns": ["cog", "name", "postal_code", "city", "lat", "lon", "x", "y", "addresses"],
        "communes": dict(sorted(communes.items())),
        "street_types": dict(sorted(s["street_types"].items(), key=lambda kv: (-kv[1], kv[0]))),
        "streets": streets,
        "families": {
            family: {
                "statut": STATUTS[family],
                "ape": APE[family],
                "activities_per_ege": acts["activities_per_ege"].get(family, {}),
            }
            for family in STATUTS
        },
        "installed_capacity_quantiles": acts["installed_capacity_quantiles"],
        "installed_capacity_records": acts["installed_capacity_records"],
    }
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    (out / "distributions.json").write_text(text, encoding="utf-8")
    return doc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild src/openror/definitions/generate/distributions.json.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data/finess folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.data, args.out)
    print(
        f"{len(doc['categories'])} categories ({len(doc['ror_perimeter'])} in the ROR perimeter), "
        f"{len(doc['regions'])} regions, {sum(len(v) for v in doc['communes'].values())} communes "
        f"written to {args.out / 'distributions.json'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
