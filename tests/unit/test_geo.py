"""Commune centroid table (openror.fhir.geo) behind ``near-insee-code``: known communes, gaps, validation, load time."""

from __future__ import annotations

import gzip
import math
from importlib import resources

import pytest

from openror.fhir import geo
from openror.fhir.geo import commune_centroid, commune_departement, commune_region, is_commune_code

TABLE = resources.files("openror.definitions") / "geo" / "commune-centroids.csv.gz"


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.mark.parametrize(
    ("code", "near", "within_km"),
    [
        ("44109", (47.22, -1.55), 3),  # Nantes
        ("75056", (48.8566, 2.3522), 3),  # Paris
        ("69123", (45.764, 4.8357), 3),  # Lyon
        ("13055", (43.2965, 5.3698), 5),  # Marseille
        ("2A004", (41.9192, 8.7386), 5),  # Ajaccio (box includes the Sanguinaires islands)
        ("2B033", (42.7009, 9.4503), 5),  # Bastia
        ("97411", (-20.8821, 55.4507), 10),  # Saint-Denis (La Réunion)
        ("97105", (15.9985, -61.7261), 5),  # Basse-Terre (Guadeloupe)
        ("97209", (14.6161, -61.0588), 5),  # Fort-de-France (Martinique)
        ("97307", (4.8472, -52.3306), 5),  # Matoury (Guyane)
        ("97611", (-12.7806, 45.2278), 5),  # Mamoudzou (Mayotte)
        ("01033", (46.11, 5.82), 5),  # Valserhône: commune nouvelle (2019) of three 2017 communes
    ],
)
def test_known_communes(code: str, near: tuple[float, float], within_km: float) -> None:
    centroid = commune_centroid(code)
    assert centroid is not None
    assert _km(centroid, near) < within_km


def test_centroid_is_lat_lon_rounded_to_5_decimals() -> None:
    lat, lon = commune_centroid("44109") or (0.0, 0.0)
    assert (lat, lon) == (47.23825, -1.5603)
    assert round(lat, 5) == lat and round(lon, 5) == lon


@pytest.mark.parametrize(
    ("code", "departement", "region"),
    [
        ("44109", "44", "52"),
        ("75056", "75", "11"),
        ("2A004", "2A", "94"),
        ("2B033", "2B", "94"),
        ("97411", "974", "04"),
        ("97105", "971", "01"),
        ("97611", "976", "06"),
        ("01001", "01", "84"),
        ("59350", "59", "32"),
    ],
)
def test_departement_and_region(code: str, departement: str, region: str) -> None:
    assert commune_departement(code) == departement
    assert commune_region(code) == region


@pytest.mark.parametrize(("arrondissement", "commune"), [("75112", "75056"), ("69383", "69123"), ("13216", "13055")])
def test_municipal_arrondissements_resolve_to_their_commune(arrondissement: str, commune: str) -> None:
    assert commune_centroid(arrondissement) == commune_centroid(commune)
    assert commune_departement(arrondissement) == commune_departement(commune)
    assert commune_region(arrondissement) == commune_region(commune)


@pytest.mark.parametrize(
    "code",
    [
        "99999",  # well-formed, no such commune
        "75121",  # past the last Paris arrondissement
        "75100",
        "2A999",
        "97701",  # Saint-Barthélemy: overseas collectivity, not in the source
        "98735",  # Papeete: idem
        "15031",  # Celles: restored after 2017, no 2017 box
        "97302",  # Cayenne: excluded, its 2017 box spans 192 km of coast
    ],
)
def test_unknown_code_gives_none(code: str) -> None:
    assert is_commune_code(code)
    assert commune_centroid(code) is None
    assert commune_departement(code) is None
    assert commune_region(code) is None


@pytest.mark.parametrize(
    "code", ["", "4410", "441090", "2C004", "2a004", "A4109", "44 109", " 44109", "4410x", "٤٤١٠٩"]
)
def test_invalid_codes_give_none(code: str) -> None:
    assert not is_commune_code(code)
    assert commune_centroid(code) is None
    assert commune_departement(code) is None
    assert commune_region(code) is None


def test_non_string_is_not_a_code() -> None:
    assert not is_commune_code(44109)
    assert not is_commune_code(None)


def test_table_shape() -> None:
    raw = TABLE.read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip MTIME 0: rebuilds are byte-identical
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    assert lines[0] == "code,lat,lon,departement,region,nom"
    codes = [line.split(",", 1)[0] for line in lines[1:]]
    assert codes == sorted(set(codes))
    assert 34_000 < len(codes) < 36_000
    assert all(is_commune_code(c) for c in codes)


def test_every_row_is_in_its_territory() -> None:
    boxes = {  # generous lat/lon boxes per territory
        "971": ((15.8, 18.2), (-63.2, -60.9)),
        "972": ((14.3, 15.0), (-61.3, -60.7)),
        "973": ((2.0, 6.0), (-55.0, -51.5)),
        "974": ((-21.5, -20.8), (55.2, 55.9)),
        "976": ((-13.1, -12.5), (44.9, 45.4)),
    }
    metro = ((41.3, 51.2), (-5.3, 9.7))
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").splitlines()[1:]
    for line in lines:
        code, lat, lon, dep, _reg, _nom = line.split(",", 5)
        assert code.startswith(dep), line
        (lat_lo, lat_hi), (lon_lo, lon_hi) = boxes.get(dep, metro)
        assert lat_lo < float(lat) < lat_hi and lon_lo < float(lon) < lon_hi, line


def test_agrees_with_the_cog_table() -> None:
    """Département and région agree with ``communes.csv.gz`` (same COG vintage) for every row."""
    cog = resources.files("openror.definitions") / "geo" / "communes.csv.gz"
    expected = {}
    for line in gzip.decompress(cog.read_bytes()).decode("utf-8").splitlines()[1:]:
        code, rest = line.split(",", 1)
        dep, reg = rest.rsplit(",", 2)[-2:]
        expected[code] = (dep, reg)
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").splitlines()[1:]
    for line in lines:
        code, _lat, _lon, dep, reg, _nom = line.split(",", 5)
        assert expected[code] == (dep, reg), line


def test_table_is_loaded_once() -> None:
    """The centroid table is read once per process, then served from the cache (no timing asserted here)."""
    geo._table.cache_clear()
    assert commune_centroid("44109") is not None
    for _ in range(1000):
        commune_centroid("44109")
    assert geo._table.cache_info().currsize == 1
    assert geo._table.cache_info().misses == 1
