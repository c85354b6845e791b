"""Streaming parsers of the FINESS+ JSON feeds "structures" and "activités" (data.gouv.fr, schema v1).

National files are single JSON documents of up to ~2 GB: they are read with ijson one ``pmej``
record at a time (``pmej.item``), never whole. Field access goes through the tables of
:mod:`openror.ingest.finess.fields`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from openror.ingest.finess.clean import (
    COMMUNE_RE,
    POSTAL_RE,
    SIREN_RE,
    SIRET_RE,
    RecordError,
    checked,
    coordinate,
    finess_number,
    integer,
    iso_date,
    phone_kind,
    text,
)
from openror.ingest.finess.fields import (
    JSON_ACTIVITY,
    JSON_ACTIVITY_TYPE,
    JSON_ADDRESS,
    JSON_CAPACITY,
    JSON_CONTACT,
    JSON_EG,
    JSON_EJ,
    Field,
)
from openror.ingest.finess.geo import to_wgs84
from openror.ingest.finess.model import (
    Activity,
    ActivitySet,
    Address,
    Capacity,
    Establishment,
    LegalEntity,
    Telecom,
)

Record = LegalEntity | Establishment | ActivitySet


def _paths(fields: tuple[Field, ...]) -> dict[str, tuple[str, ...]]:
    return {f.target: f.path for f in fields if f.target and "[]" not in f.source and "," not in f.source}


_EJ = _paths(JSON_EJ)
_EG = _paths(JSON_EG)
_ADDR = _paths(JSON_ADDRESS)
_ACT = _paths(JSON_ACTIVITY)
_TYPE_LEAVES = {f.source: f.target for f in JSON_ACTIVITY_TYPE}
_CAP = {f.source: f.target for f in JSON_CAPACITY}
_CONTACT = {f.source: f.target for f in JSON_CONTACT}


def _get(record: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- structures ---------------------------------------------------------------------------------------


def iter_structures(fh: IO[bytes]) -> Iterator[Record | RecordError]:
    """EJ then its EGs, for each ``pmej`` record; a malformed record yields a :class:`RecordError`."""
    for i, pm in enumerate(ijson.items(fh, "pmej.item")):
        where = f"pmej[{i}]"
        if not isinstance(pm, dict):
            yield RecordError(where, "pmej record is not an object")
            continue
        try:
            ej = legal_entity(pm, where)
        except RecordError as err:
            yield err
            continue
        yield ej
        for j, e in enumerate(_list(pm.get("ege"))):
            ewhere = f"{where}.ege[{j}]"
            if not isinstance(e, dict):
                yield RecordError(ewhere, "ege record is not an object")
                continue
            try:
                yield establishment(e, ej.finess, ewhere)
            except RecordError as err:
                yield err


def _state(value: Any, warnings: list[str]) -> bool:
    v = text(value)
    if v not in ("A", "I"):
        if v is not None:
            warnings.append(f"etatObjet {v!r} unknown (A or I expected): read as A")
        return True
    return v == "A"


def legal_entity(pm: dict[str, Any], where: str) -> LegalEntity:
    if not isinstance(pm.get("informationsGeneralesPMEJ"), dict):
        raise RecordError(where, "informationsGeneralesPMEJ is missing")
    finess = finess_number(_get(pm, _EJ["finess"]), "numFinessPm", where)
    where = f"{where} (EJ {finess})"
    w: list[str] = []
    ej = LegalEntity(finess=finess, where=where, warnings=w)
    ej.name = text(_get(pm, _EJ["name"]))
    ej.long_name = text(_get(pm, _EJ["long_name"]))
    ej.siren = checked(_get(pm, _EJ["siren"]), SIREN_RE, "siren", w)
    ej.legal_status = text(_get(pm, _EJ["legal_status"]))
    ej.created = iso_date(_get(pm, _EJ["created"]), "dateCreation", w)
    ej.closed = iso_date(_get(pm, _EJ["closed"]), "dateFermeture", w)
    ej.active = _state(_get(pm, _EJ["state"]), w) and ej.closed is None
    ej.address = _address(pm.get("adresse"), "02", w)
    ej.telecoms = _telecoms(pm.get("contact"))
    return ej


def establishment(e: dict[str, Any], ej_finess: str, where: str) -> Establishment:
    if not isinstance(e.get("informationsGeneralesEGE"), dict):
        raise RecordError(where, "informationsGeneralesEGE is missing")
    finess = finess_number(_get(e, _EG["finess"]), "numFinessEge", where)
    where = f"{where} (EG {finess})"
    w: list[str] = []
    eg = Establishment(finess=finess, where=where, ej_finess=ej_finess, warnings=w)
    eg.name = text(_get(e, _EG["name"]))
    eg.long_name = text(_get(e, _EG["long_name"]))
    eg.name_complement = text(_get(e, _EG["name_complement"]))
    eg.siret = checked(_get(e, _EG["siret"]), SIRET_RE, "siret", w)
    eg.category = text(_get(e, _EG["category"]))
    espic = _get(e, _EG["espic"])
    eg.espic = text(espic[0]) if isinstance(espic, list) and espic else text(espic)
    eg.opened = iso_date(_get(e, _EG["opened"]), "dateOuverture", w)
    eg.closed = iso_date(_get(e, _EG["closed"]), "dateFermeture", w)
    eg.active = _state(_get(e, _EG["state"]), w) and eg.closed is None
    eg.address = _address(e.get("adresse"), "03", w)
    eg.telecoms = _telecoms(e.get("contact"))
    return eg


def _address(items: Any, usage: str, w: list[str]) -> Address | None:
    candidates = [a for a in _list(items) if isinstance(a, dict)]
    if not candidates:
        return None
    chosen = next((a for a in candidates if text(_get(a, _ADDR["usage"])) == usage), candidates[0])
    a = Address()
    a.commune = checked(_get(chosen, _ADDR["commune"]), COMMUNE_RE, "cogCommune", w)
    a.postal_code = checked(_get(chosen, _ADDR["postal_code"]), POSTAL_RE, "codePostal", w)
    a.city = text(_get(chosen, _ADDR["city"]))
    a.number = text(_get(chosen, _ADDR["number"]))
    a.number_suffix = text(_get(chosen, _ADDR["number_suffix"]))
    a.street_type = text(_get(chosen, _ADDR["street_type"]))
    a.street = text(_get(chosen, _ADDR["street"]))
    a.street_line = text(_get(chosen, _ADDR["street_line"]))
    a.lieu_dit = text(_get(chosen, _ADDR["lieu_dit"]))
    a.complement = text(_get(chosen, _ADDR["complement"]))
    a.position = _position(chosen, a.commune, w)
    return a


def _wgs84(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    if lon is None or lat is None or not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    return (round(lon, 6), round(lat, 6))


def _position(address: dict[str, Any], commune: str | None, w: list[str]) -> tuple[float, float] | None:
    """WGS84 (lon, lat): coordonneeX/Y, else the direction* pair when it is the WGS84 one (the two are
    swapped in some records), else Lambert-93 metres projected with pyproj (metropolitan communes)."""
    xy = (coordinate(_get(address, _ADDR["lon"])), coordinate(_get(address, _ADDR["lat"])))
    lambert = (coordinate(_get(address, _ADDR["lambert_x"])), coordinate(_get(address, _ADDR["lambert_y"])))
    found = _wgs84(*xy)
    if found is not None:
        return found
    found = _wgs84(*lambert)
    if found is not None:
        w.append("coordonneeX/Y hold projected metres and directionLongitude/Latitude WGS84 (swapped): WGS84 used")
        return found
    if commune and not commune.startswith(("97", "98")):
        for x, y in (lambert, xy):
            if x is not None and y is not None:
                found = to_wgs84(2154, [x], [y])[0]
                if found is not None:
                    return found
    if xy != (None, None) or lambert != (None, None):
        w.append(f"coordinates {xy} / {lambert} are neither WGS84 nor Lambert-93 here: position dropped")
    return None


def _telecoms(contacts: Any) -> list[Telecom]:
    out: list[Telecom] = []
    seen: set[tuple[str, str]] = set()
    for c in _list(contacts):
        telecom = c.get("telecom") if isinstance(c, dict) else None
        if not isinstance(telecom, dict):
            continue
        for source, target in _CONTACT.items():
            value = text(telecom.get(source))
            if value is None:
                continue
            kind = phone_kind(value) if target == "phone" else target
            if (kind, value) not in seen:
                seen.add((kind, value))
                out.append(Telecom(kind, value))
    return out


# -- activités ----------------------------------------------------------------------------------------


def iter_activities(fh: IO[bytes]) -> Iterator[Record | RecordError]:
    """For each ``pmej``: one :class:`ActivitySet` per EG, and one for the EJ's unexercised authorisations."""
    for i, pm in enumerate(ijson.items(fh, "pmej.item")):
        where = f"pmej[{i}]"
        if not isinstance(pm, dict):
            yield RecordError(where, "pmej record is not an object")
            continue
        try:
            ej = finess_number(pm.get("numFiness", pm.get("numeroFiness")), "numFiness", where)
        except RecordError as err:
            yield err
            continue
        exercised: set[str] = set()
        for j, e in enumerate(_list(pm.get("ege"))):
            ewhere = f"{where}.ege[{j}]"
            if not isinstance(e, dict):
                yield RecordError(ewhere, "ege record is not an object")
                continue
            try:
                finess = finess_number(e.get("numFinessEge"), "numFinessEge", ewhere)
            except RecordError as err:
                yield err
                continue
            acts = ActivitySet("eg", finess, f"{ewhere} (EG {finess})")
            for k, raw in enumerate(_list(e.get("activitesExercees"))):
                act = _activity(raw, f"activitesExercees[{k}]", acts.warnings)
                if act is not None:
                    acts.activities.append(act)
                    if "authorisationId" in act.values:
                        exercised.add(act.values["authorisationId"])
            yield acts
        held = ActivitySet("ej", ej, f"{where} (EJ {ej})")
        for k, raw in enumerate(_list(pm.get("activitesAutorisees"))):
            act = _activity(raw, f"activitesAutorisees[{k}]", held.warnings)
            if act is not None and act.values.get("activityId") not in exercised:
                held.activities.append(act)
        yield held


def _activity(raw: Any, where: str, w: list[str]) -> Activity | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("caracteristiquesGeneriques"), dict):
        w.append(f"{where}: caracteristiquesGeneriques missing, activity skipped")
        return None
    values: dict[str, Any] = {}
    period: dict[str, str] = {}
    for target, path in _ACT.items():
        value = _get(raw, path)
        if target == "active":
            if text(value) is not None:
                values["active"] = text(value) == "A"
        elif target.startswith("authorisedPeriod."):
            d = iso_date(value, path[-1], w)
            if d:
                period[target.split(".", 1)[1]] = d
        elif target in ("effectiveEnd", "lapseDate"):
            d = iso_date(value, path[-1], w)
            if d:
                values[target] = d
        elif target.endswith(("AgeMin", "AgeMax")):
            n = integer(value, path[-1], w)
            if n is not None:
                values[target] = n
        else:
            v = text(value)
            if v is not None:
                values[target] = v
    if period:
        if "start" in period and "end" in period and period["end"] < period["start"]:
            w.append(f"{where}: authorised period ends before it starts: end dropped")
            del period["end"]
        values["authorisedPeriod"] = period
    specifics = _get(raw, ("nature", "caracteristiquesSpecifiques"))
    if isinstance(specifics, dict):
        for key, sub in specifics.items():
            if key.startswith("typeActivite") and isinstance(sub, dict):
                for leaf, v in sub.items():
                    leaf_target = _TYPE_LEAVES.get(leaf)
                    leaf_value = text(v)
                    if leaf_value is None:
                        continue
                    if leaf_target is None:
                        w.append(f"{key}.{leaf} is not mapped (ignored)")
                    elif leaf_target not in values:
                        values[leaf_target] = leaf_value
    act = Activity(values)
    for c in _list(raw.get("capacite")):
        if not isinstance(c, dict):
            continue
        cv: dict[str, Any] = {}
        for source, target in _CAP.items():
            if target == "count":
                n = integer(c.get(source), "capacite.nombre", w)
                if n is not None:
                    cv[target] = n
            else:
                v = text(c.get(source))
                if v is not None:
                    cv[target] = v
        if cv:
            act.capacities.append(Capacity(cv))
    return act
