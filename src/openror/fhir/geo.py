"""Commune centroid table (INSEE code → lat/lon, département, région) for ``near-insee-code`` (spec b.3, c.2, defect 9).

``location.near-insee-code=<INSEE>|<distance>|<unit>`` measures distances from the centroid of the commune
(``ror-fhir-api.md`` b.3, c.2 and "Known defects" 9). This module answers the three questions the search
needs, from ``openror/definitions/geo/commune-centroids.csv.gz`` (provenance and gaps:
``PROVENANCE-centroids.md`` beside it; rebuilt by ``scripts/build_commune_centroids.py``):

* :func:`commune_centroid` - ``(lat, lon)`` in WGS84 degrees, the centre of the commune's bounding box
  (geo.api.gouv.fr's ``centre``), 5 decimals;
* :func:`commune_departement` and :func:`commune_region` - COG 2026 codes (``"44"``, ``"2A"``, ``"974"``;
  ``"52"``, ``"94"``, ``"04"``).

Codes are COG commune codes: five characters, ``[0-9][0-9AB][0-9]{3}`` (Corsica ``2A``/``2B``, overseas
``97x``). Anything else, and codes not in the table, give ``None``. Municipal arrondissements (Paris
75101-75120, Lyon 69381-69389, Marseille 13201-13216), which the source has no box for, resolve to
their commune (75056, 69123, 13055): exact for département and région, an approximation (up to about
10 km in Marseille) for the centroid. Not covered (``None``): overseas collectivities 975-989, seven
communes restored after 2017 and Cayenne (listed in the provenance file).

Pure: no IO beyond reading the packaged table once (lazily, cached), kept compact (~35k rows in flat
arrays, a few MB).
"""

from __future__ import annotations

import gzip
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
    "commune_centroid",
    "commune_departement",
    "commune_region",
    "is_commune_code",
]

_CODE = re.compile(r"[0-9][0-9AB][0-9]{3}")
_TABLE = "commune-centroids.csv.gz"
# Municipal arrondissement code ranges → their commune (same département and région).
_ARRONDISSEMENTS: tuple[tuple[int, int, str], ...] = (
    (75101, 75120, "75056"),
    (69381, 69389, "69123"),
    (13201, 13216, "13055"),
)


@dataclass(frozen=True, slots=True)
class _Table:
    index: dict[str, int]
    lat: array[float]
    lon: array[float]
    dep: array[int]  # index into deps
    reg: array[int]  # index into regs
    deps: tuple[str, ...]
    regs: tuple[str, ...]


def is_commune_code(code: object) -> bool:
    """Whether ``code`` has the shape of a COG commune code (``44109``, ``2A004``, ``97411``)."""
    return isinstance(code, str) and _CODE.fullmatch(code) is not None


@lru_cache(maxsize=1)
def _table() -> _Table:
    raw = (resources.files("openror.definitions") / "geo" / _TABLE).read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    if not lines or not lines[0].startswith("code,lat,lon,departement,region"):
        raise ValueError(f"{_TABLE}: unexpected header {lines[:1]!r}")
    rows = [line.split(",", 5) for line in lines[1:]]
    codes, lats, lons, deps, regs, _names = zip(*rows, strict=True)
    dep_names = tuple(sorted(set(deps)))
    reg_names = tuple(sorted(set(regs)))
    dep_pos = {name: i for i, name in enumerate(dep_names)}
    reg_pos = {name: i for i, name in enumerate(reg_names)}
    return _Table(
        index=dict(zip(codes, range(len(codes)), strict=True)),
        lat=array("d", map(float, lats)),
        lon=array("d", map(float, lons)),
        dep=array("H", map(dep_pos.__getitem__, deps)),
        reg=array("H", map(reg_pos.__getitem__, regs)),
        deps=dep_names,
        regs=reg_names,
    )


def _row(code: str) -> int | None:
    if not is_commune_code(code):
        return None
    table = _table()
    i = table.index.get(code)
    if i is None and code.isdigit():
        n = int(code)
        for first, last, commune in _ARRONDISSEMENTS:
            if first <= n <= last:
                return table.index.get(commune)
    return i


def commune_centroid(code: str) -> tuple[float, float] | None:
    """``(latitude, longitude)`` (WGS84 degrees) of the commune's centroid, or ``None`` if unknown/invalid."""
    i = _row(code)
    if i is None:
        return None
    table = _table()
    return (table.lat[i], table.lon[i])


def commune_departement(code: str) -> str | None:
    """Code of the commune's département or overseas collectivity (COG 2026), or ``None``."""
    i = _row(code)
    if i is None:
        return None
    table = _table()
    return table.deps[table.dep[i]]


def commune_region(code: str) -> str | None:
    """Code of the commune's région (COG 2026; ``"94"`` for Corsica, ``"01"``-``"06"`` overseas), or ``None``."""
    i = _row(code)
    if i is None:
        return None
    table = _table()
    return table.regs[table.reg[i]]
