"""Parser of the legacy etalab FINESS CSV extracts cs1100501 (EJ), cs1100502 and cs1100507 (ET + geolocation).

Layout (data.gouv.fr "FINESS Extraction du Fichier des établissements"): latin-1, ``;``-separated,
no header; line 1 is a manifest ``finess;etalab;<n>;<YYYY-MM-DD>``; each line starts with its
section: ``structureej`` (cs1100501), ``structureet`` (cs1100502/07), ``geolocalisation``
(cs1100507, after all ``structureet`` lines). Fields containing ``"`` are quoted with doubled
quotes. Geolocation lines changed layout over time (the coordinate source used to contain ``;``),
so they are parsed by position from both ends. Columns are read through the tables of
:mod:`openror.ingest.finess.fields`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from openror.ingest.finess.clean import (
    COMMUNE_RE,
    SIREN_RE,
    SIRET_RE,
    RecordError,
    checked,
    coordinate,
    finess_number,
    iso_date,
    phone_kind,
    text,
)
from openror.ingest.finess.fields import CSV_EJ, CSV_ET, CSV_GEO
from openror.ingest.finess.geo import crs_of, to_wgs84
from openror.ingest.finess.model import Address, Establishment, LegalEntity, Telecom

MANIFEST_RE = re.compile(r"^finess;etalab;[0-9]+;[0-9]{4}-[0-9]{2}-[0-9]{2};*$")
SECTION_EJ, SECTION_ET, SECTION_GEO = "structureej", "structureet", "geolocalisation"
# Number of ';'-fields of a line, section name included (a trailing ';' adds an empty last field).
EJ_FIELDS = 1 + len(CSV_EJ)  # 23, or 24 with a trailing empty field
ET_FIELDS = 1 + len(CSV_ET)  # 32: the last one is numuai (cs1100502) or empty (cs1100507)
GEO_MIN_FIELDS = 1 + len(CSV_GEO)  # 6 in the current layout, more in the legacy one
_EJ = {f.target: i + 1 for i, f in enumerate(CSV_EJ) if f.target}
_ET = {f.target: i + 1 for i, f in enumerate(CSV_ET) if f.target}
_OVERSEAS = {"9A": "97", "9B": "97", "9C": "97", "9D": "97", "9E": "97", "9F": "97", "9J": "98"}


def split_line(line: str) -> list[str]:
    """The ``;`` fields of one line; quoted fields with doubled quotes are unquoted."""
    if '"' not in line:
        return line.split(";")
    try:
        return next(csv.reader([line], delimiter=";", quotechar='"', doublequote=True, strict=True))
    except csv.Error as exc:
        raise ValueError(f"malformed quoting: {exc}") from None


def insee_code(departement: str | None, commune3: str | None) -> str | None:
    """The INSEE commune code from FINESS département + 3-digit commune (``9D`` + ``411`` → ``97411``)."""
    if not departement or not commune3 or not re.fullmatch(r"[0-9]{3}", commune3):
        return None
    prefix = _OVERSEAS.get(departement, departement)
    code = prefix + commune3 if len(prefix) == 2 else None
    return code if code and COMMUNE_RE.match(code) else None


@dataclass(slots=True)
class Geolocations:
    """Positions of cs1100507 ``geolocalisation`` lines, read in a first pass (they follow the ETs)."""

    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    rejects: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    _pending: dict[int, list[tuple[str, float, float, int]]] = field(default_factory=dict)

    def add(self, lineno: int, fields: list[str]) -> None:
        where = f"line {lineno}"
        if len(fields) < GEO_MIN_FIELDS:
            self.rejects.append((where, f"geolocalisation line has {len(fields)} fields, at least 6 expected"))
            return
        try:
            finess = finess_number(fields[1], "nofinesset", where)
        except RecordError as err:
            self.rejects.append((err.where, err.reason))
            return
        if finess in self.lines:
            self.rejects.append((where, f"duplicate geolocalisation of {finess} (first at line {self.lines[finess]})"))
            return
        self.lines[finess] = lineno
        x, y = coordinate(fields[2]), coordinate(fields[3])
        source = ";".join(fields[4:-1])
        if x is None or y is None:
            if text(fields[2]) or text(fields[3]):
                self.warnings.append((where, f"coordinates {fields[2]!r}, {fields[3]!r} of {finess} unreadable"))
            return
        epsg = crs_of(source)
        if epsg is None:
            self.warnings.append((where, f"unknown coordinate system in {source!r}: no position for {finess}"))
            return
        self._pending.setdefault(epsg, []).append((finess, x, y, lineno))

    def project(self) -> None:
        """Project every pending point to WGS84 (in bulk per CRS)."""
        for epsg, pts in self._pending.items():
            try:
                projected = to_wgs84(epsg, [p[1] for p in pts], [p[2] for p in pts])
            except Exception as exc:  # pyproj: unknown EPSG code
                for finess, _, _, lineno in pts:
                    self.warnings.append((f"line {lineno}", f"EPSG:{epsg} unusable ({exc}): no position for {finess}"))
                continue
            for (finess, x, y, lineno), pos in zip(pts, projected, strict=True):
                if pos is None:
                    self.warnings.append(
                        (f"line {lineno}", f"({x}, {y}) lies outside EPSG:{epsg}'s area: no position for {finess}")
                    )
                else:
                    self.points[finess] = pos
        self._pending.clear()


def iter_records(lines: Iterable[str], geo: Geolocations) -> Iterator[LegalEntity | Establishment | RecordError]:
    """Records of every data line (line 1, the manifest, is skipped; geolocalisation lines were read by ``geo``)."""
    for lineno, raw in enumerate(lines, start=1):
        if lineno == 1:
            continue
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"line {lineno}"
        section = line.split(";", 1)[0]
        if section == SECTION_GEO:
            continue
        try:
            fields = split_line(line)
        except ValueError as exc:
            yield RecordError(where, str(exc))
            continue
        try:
            if section == SECTION_ET:
                yield _establishment(fields, where, geo)
            elif section == SECTION_EJ:
                yield _legal_entity(fields, where)
            else:
                yield RecordError(
                    where, f"unknown section {section[:40]!r} (not structureej, structureet, geolocalisation)"
                )
        except RecordError as err:
            yield err


def _count(fields: list[str], expected: int, section: str, where: str, *, trailing_ok: bool) -> None:
    n = len(fields)
    if n == expected or (trailing_ok and n == expected + 1 and fields[-1] == ""):
        return
    what = "missing" if n < expected else "extra"
    raise RecordError(where, f"{section} line has {n} fields, {expected} expected ({what} columns)")


def _address(fields: list[str], idx: dict[str, int], w: list[str]) -> Address:
    a = Address()
    dep = text(fields[idx["departement"]])
    c3 = text(fields[idx["commune3"]])
    a.commune = insee_code(dep, c3)
    if a.commune is None and (dep or c3):
        w.append(f"commune {dep!r} + {c3!r} is not an INSEE code: dropped")
    routing = text(fields[idx["routing"]]) or ""
    m = re.match(r"^([0-9]{5})\s*(.*)$", routing)
    if m:
        a.postal_code, a.city = m.group(1), (m.group(2).strip() or None)
    elif routing:
        a.city = routing
    a.number = text(fields[idx["number"]])
    a.number_suffix = text(fields[idx["number_suffix"]])
    a.street_type = text(fields[idx["street_type"]])
    a.street = text(fields[idx["street"]])
    a.lieu_dit = text(fields[idx["lieu_dit"]])
    a.complement = text(fields[idx["complement"]])
    return a


def _phones(fields: list[str], idx: dict[str, int]) -> list[Telecom]:
    out = []
    phone = text(fields[idx["phone"]])
    if phone:
        out.append(Telecom(phone_kind(phone), phone))
    if "fax" in idx:
        fax = text(fields[idx["fax"]])
        if fax:
            out.append(Telecom("fax", fax))
    return out


def _legal_entity(fields: list[str], where: str) -> LegalEntity:
    _count(fields, EJ_FIELDS, SECTION_EJ, where, trailing_ok=True)
    finess = finess_number(fields[_EJ["finess"]], "nofiness", where)
    w: list[str] = []
    ej = LegalEntity(finess=finess, where=f"{where} (EJ {finess})", warnings=w)
    ej.name = text(fields[_EJ["name"]])
    ej.long_name = text(fields[_EJ["long_name"]])
    ej.name_complement = text(fields[_EJ["name_complement"]])
    ej.siren = checked(fields[_EJ["siren"]], SIREN_RE, "siren", w)
    ej.legal_status = text(fields[_EJ["legal_status"]])
    ej.created = iso_date(fields[_EJ["created"]], "datecrea", w)
    ej.address = _address(fields, _EJ, w)
    ej.telecoms = _phones(fields, _EJ)
    return ej


def _establishment(fields: list[str], where: str, geo: Geolocations) -> Establishment:
    _count(fields, ET_FIELDS, SECTION_ET, where, trailing_ok=False)
    finess = finess_number(fields[_ET["finess"]], "nofinesset", where)
    w: list[str] = []
    eg = Establishment(finess=finess, where=f"{where} (ET {finess})", warnings=w)
    ej = text(fields[_ET["ej_finess"]])
    if ej is not None:
        eg.ej_finess = finess_number(ej, "nofinessej", where)
    eg.name = text(fields[_ET["name"]])
    eg.long_name = text(fields[_ET["long_name"]])
    eg.name_complement = text(fields[_ET["name_complement"]])
    eg.siret = checked(fields[_ET["siret"]], SIRET_RE, "siret", w)
    eg.category = text(fields[_ET["category"]])
    eg.espic = text(fields[_ET["espic"]])
    eg.opened = iso_date(fields[_ET["opened"]], "dateouv", w)
    eg.address = _address(fields, _ET, w)
    eg.address.position = geo.points.get(finess)
    eg.telecoms = _phones(fields, _ET)
    return eg
