"""Commune → département → région, and projected coordinates → WGS84, for FINESS imports (spec a.1, a.4).

The region ``meta.tag`` (TRE_R30, bound to JDV_J237-RegionOM-ROR) is derived from the INSEE commune
code through the COG tables of ``openror/definitions/geo`` (see its PROVENANCE.md). Coordinates of
the etalab ``geolocalisation`` lines are projected metres (Lambert-93 in metropolitan France, a UTM
zone overseas); pyproj turns them into WGS84 longitude/latitude.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pyproj import CRS, Transformer

# Régions of the COG that are overseas collectivities (COM), not ROR regions. Saint-Barthélemy
# (977) and Saint-Martin (978) are served by the ARS of Guadeloupe and filed by FINESS under the
# Guadeloupe département code 9A: their records go to region 01. The other COM (Saint-Pierre-et-
# Miquelon, Wallis-et-Futuna, TAAF, Polynesia, New Caledonia, Clipperton) have no ROR region
# (JDV_J237 lists the 18 regions only): such records get no region tag.
COM_REGION: dict[str, str | None] = {
    "977": "01",
    "978": "01",
    "975": None,
    "984": None,
    "986": None,
    "987": None,
    "988": None,
    "989": None,
}


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    name: str
    departement: str
    region: str


@dataclass(frozen=True, slots=True)
class Geography:
    communes: dict[str, Commune]
    departement_region: dict[str, str]

    def commune(self, code: str) -> Commune | None:
        return self.communes.get(code)

    def region_of(self, commune_code: str) -> str | None:
        """The ROR region code (TRE_R30) of a commune, or None when it has none or is unknown.

        Unknown commune codes (created after the COG millésime, or very old) fall back to their
        département: the first two characters, three overseas (``97x``/``98x``), ``2A``/``2B``.
        """
        c = self.communes.get(commune_code)
        region = c.region if c is not None else self.departement_region.get(departement_of(commune_code))
        if region is None:
            return None
        return COM_REGION.get(region, region) if region in COM_REGION else region


def departement_of(commune_code: str) -> str:
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]


@lru_cache(maxsize=1)
def geography() -> Geography:
    """The packaged COG tables (loaded once)."""
    base = resources.files("openror.definitions") / "geo"
    raw = gzip.decompress((base / "communes.csv.gz").read_bytes()).decode("utf-8")
    communes: dict[str, Commune] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        communes[row["code"]] = Commune(row["code"], row["nom"], row["departement"], row["region"])
    deps: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO((base / "departements.csv").read_text(encoding="utf-8"))):
        deps[row["code"]] = row["region"]
    return Geography(communes, deps)


# -- coordinate reference systems of the etalab geolocalisation lines --------------------------------

# Legacy tokens (files up to ~2021, source written with ';' inside the line, e.g.
# "1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;LAMBERT_93"): the projected CRS of each territory.
LEGACY_CRS: dict[str, int] = {
    "LAMBERT_93": 2154,  # RGF93 / Lambert-93 (metropolitan France)
    "UTM_N20": 5490,  # RGAF09 / UTM zone 20N (Guadeloupe, Martinique)
    "UTM_N21": 4467,  # RGSPM06 / UTM zone 21N (Saint-Pierre-et-Miquelon)
    "UTM_N22": 2972,  # RGFG95 / UTM zone 22N (Guyane)
    "UTM_S38": 4471,  # RGM04 / UTM zone 38S (Mayotte)
    "UTM_S40": 2975,  # RGR92 / UTM zone 40S (La Réunion)
    "UTM_S1": 32701,  # WGS 84 / UTM zone 1S (Wallis-et-Futuna)
}
_EPSG = re.compile(r"EPSG\s*:\s*(\d{4,5})", re.IGNORECASE)
_UTM = re.compile(r"UTM[\s_]*(?:ZONE[\s_]*)?(?:([NS])[\s_]*(\d{1,2})|(\d{1,2})[\s_]*([NS]))", re.IGNORECASE)
_LAMBERT93 = re.compile(r"LAMBERT[\s_-]*93", re.IGNORECASE)


def crs_of(source: str) -> int | None:
    """The EPSG code of an etalab ``sourcecoordet`` (current or legacy layout), or None if unknown.

    Current files name it (``…,EPSG:2154 RGF93 / Lambert-93 (Métropole)``); older ones use tokens
    (``LAMBERT_93``, ``UTM_N20``…); a bare UTM zone without datum is read as WGS 84 / UTM.
    """
    m = _EPSG.search(source)
    if m:
        return int(m.group(1))
    for token, epsg in LEGACY_CRS.items():
        if token in source.upper():
            return epsg
    if _LAMBERT93.search(source):
        return 2154
    m = _UTM.search(source)
    if m:
        hemi = (m.group(1) or m.group(4)).upper()
        zone = int(m.group(2) or m.group(3))
        if 1 <= zone <= 60:
            return (32600 if hemi == "N" else 32700) + zone
    return None


@lru_cache(maxsize=32)
def _transformer(epsg: int) -> tuple[Transformer, tuple[float, float, float, float]]:
    """The transformer to WGS84 and the CRS's area of use widened by 1° (west, south, east, north)."""
    transformer = Transformer.from_crs(epsg, 4326, always_xy=True)
    area = CRS.from_epsg(epsg).area_of_use
    if area is None:
        return transformer, (-180.0, -90.0, 180.0, 90.0)
    return transformer, (area.west - 1, area.south - 1, area.east + 1, area.north + 1)


def to_wgs84(epsg: int, xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float] | None]:
    """Project many points of one CRS to WGS84 (longitude, latitude), 6 decimals (~0.1 m).

    A point that falls outside the CRS's area of use (a wrong CRS, swapped or garbage coordinates)
    gives None.
    """
    if not xs:
        return []
    transformer, (west, south, east, north) = _transformer(epsg)
    lons, lats = transformer.transform(list(xs), list(ys))
    out: list[tuple[float, float] | None] = []
    for lon, lat in zip(_iterable(lons), _iterable(lats), strict=True):
        if west <= lon <= east and south <= lat <= north:
            out.append((round(float(lon), 6), round(float(lat), 6)))
        else:  # NaN and inf fail both comparisons
            out.append(None)
    return out


def _iterable(value: float | Iterable[float]) -> Iterable[float]:
    return value if isinstance(value, Iterable) else [value]
