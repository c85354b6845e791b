"""NOS files → CodeSystem / ValueSet resources: historic ``.tabs`` tables, derived CSV, FHIR JSON (spec i).

The NOS (*nomenclatures des objets de santé*, ANS) publishes each table as a code system (TRE) or a
value set (JDV) at ``https://mos.esante.gouv.fr/NOS/<TABLE>``, in several formats:

* ``.tabs`` (historic flat file, ``;``-separated): line 1 a fixed header, line 2 the table
  (``OID;TRE|JDV;file name;description;URL;date valid;date fin;date MàJ``), line 3 the column
  header, then one code per line. A TRE line is ``OID;code;libellé adapté;libellé court;libellé long;
  date valid;date fin;date MàJ`` (a past ``date fin`` = retired code); a JDV line is ``OID;code;libellé``
  where the OID names the code system of that code (a JDV may mix several TREs).
* FHIR JSON (``ansforge/IG-NOS``): a CodeSystem or ValueSet, kept as published (NOS URL normalised).
* ``<TABLE>.<anything>.csv`` with a ``code;display`` header: a code list without validity dates
  (``TRE_R211-ActiviteOperationnelle.derived-code-display.csv`` in the samples). Ranked last.

A TRE becomes a CodeSystem whose concepts carry NOS's own properties (``dateValid``, ``dateFin``,
``dateMaj``, dateTimes at +01:00 as in the NOS JSON) and designations (``LibelleCourt``,
``LibelleAdapte``): ``openror.fhir.terminology`` reads ``dateFin`` to refuse retired codes. A JDV
becomes a ValueSet with one ``compose.include`` per code system, the OIDs mapped to canonical TRE
URLs through an :class:`OidTable` learnt from the CodeSystem ``identifier`` values (and the OID
designations of the NOS ValueSet JSON). Resource ids are the last segment of the canonical URL,
e.g. ``TRE-R213-ModePriseEnCharge``. Any malformed line refuses the whole table: a table is never
half-imported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openror.fhir.terminology import NOS, canonical_url, nos_url

RANK_JSON, RANK_TABS, RANK_CSV = 3, 2, 1
SOURCES = {
    RANK_JSON: "urn:openror:import-nos:fhir-json",
    RANK_TABS: "urn:openror:import-nos:tabs",
    RANK_CSV: "urn:openror:import-nos:derived-csv",
}
FORMAT_NAMES = {RANK_JSON: "FHIR JSON", RANK_TABS: ".tabs", RANK_CSV: "derived CSV"}

_TABS_HEAD = "<OID>;<Type fichier>;<Nom fichier>;<Description>;<URL fichier>;<Date valid>;<Date fin>;<Date MàJ>"
_TRE_COLUMNS = (
    "<OID>",
    "<Code>",
    "<Libellé adapté>",
    "<Libellé court>",
    "<Libellé long>",
    "<Date valid>",
    "<Date fin>",
    "<Date MàJ>",
)
_JDV_COLUMNS = ("<OID>", "<Code>", "<Libellé>")
_TABLE_NAME = re.compile(r"^(TRE|JDV)_([A-Za-z0-9]+-[^/;|\s]+)$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_NOS_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")
OID_DESIGNATION = "OID"
URI_SYSTEM = "urn:ietf:rfc:3986"


class NosFormatError(Exception):
    """The whole file is refused (nothing of it is written)."""


@dataclass(slots=True)
class Table:
    """One terminology resource read from a file, with what decides which copy of a table wins."""

    resource: dict[str, Any]
    rank: int  # RANK_JSON > RANK_TABS > RANK_CSV (richer format wins at equal date)
    where: str
    warnings: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.resource["resourceType"])

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def url(self) -> str:
        return str(self.resource["url"])

    @property
    def key(self) -> tuple[str, int]:
        """Which copy of a table wins: the newest (``date``), then the richer format."""
        return date_key(self.resource), self.rank


def date_key(resource: Mapping[str, Any]) -> str:
    """``date`` as 14 sortable digits (``20230127120000``); empty when absent."""
    value = resource.get("date")
    return re.sub(r"\D", "", value[:19]).ljust(14, "0") if isinstance(value, str) else ""


def source_rank(resource: Mapping[str, Any]) -> int:
    """Rank of a stored resource from its ``meta.source`` (anything else counts as FHIR JSON)."""
    meta = resource.get("meta")
    source = meta.get("source") if isinstance(meta, dict) else None
    return next((r for r, s in SOURCES.items() if s == source), RANK_JSON)


def resource_id(url: str, fallback: str | None = None) -> str:
    """The id of a terminology resource: the canonical URL's last segment (a valid FHIR id)."""
    if not url.startswith(NOS) and fallback and re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", fallback):
        return fallback
    last = canonical_url(url).rstrip("/").rsplit("/", 1)[-1]
    rid = _ID_UNSAFE.sub("-", last).strip("-") or "terminology"
    if len(rid) > 64:
        rid = rid[:55] + "-" + hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:8]
    return rid


def fhir_date(value: str, where: str) -> str:
    """A NOS date ``YYYYMMDDhhmmss`` as the FHIR dateTime the NOS JSON uses (fixed +01:00)."""
    m = _NOS_DATE.match(value)
    if m is None:
        raise NosFormatError(f"{where}: '{value}' is not a NOS date (YYYYMMDDhhmmss)")
    y, mo, d, hh, mi, ss = m.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(hh) < 24 and int(mi) < 60 and int(ss) < 60):
        raise NosFormatError(f"{where}: '{value}' is not a valid date")
    return f"{y}-{mo}-{d}T{hh}:{mi}:{ss}+01:00"


class OidTable:
    """Code-system OID → canonical URL, learnt from CodeSystem identifiers and NOS ValueSet designations."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._urls)

    def add(self, oid: str, url: str) -> None:
        self._urls.setdefault(oid, canonical_url(url))

    def get(self, oid: str) -> str | None:
        return self._urls.get(oid)

    def learn(self, resource: Mapping[str, Any]) -> None:
        url = resource.get("url")
        if not isinstance(url, str):
            return
        if resource.get("resourceType") == "CodeSystem":
            for ident in resource.get("identifier") or []:
                value = ident.get("value") if isinstance(ident, dict) else None
                if isinstance(value, str) and value.startswith("urn:oid:"):
                    self.add(value[len("urn:oid:") :], url)
        elif resource.get("resourceType") == "ValueSet":
            for inc in (resource.get("compose") or {}).get("include") or []:
                system = inc.get("system") if isinstance(inc, dict) else None
                if not isinstance(system, str):
                    continue
                oid = next(
                    (
                        d["value"]
                        for concept in inc.get("concept") or []
                        if isinstance(concept, dict)
                        for d in concept.get("designation") or []
                        if isinstance(d, dict)
                        and isinstance(d.get("use"), dict)
                        and d["use"].get("code") == OID_DESIGNATION
                        and isinstance(d.get("value"), str)
                    ),
                    None,
                )
                if oid is not None:
                    self.add(oid.removeprefix("urn:oid:"), system)


# -- .tabs ------------------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_tabs(where: str, text: str, oids: OidTable | None) -> Table:
    """A NOS ``.tabs`` table as a CodeSystem (TRE) or ValueSet (JDV); ``oids`` resolves JDV systems.

    Without ``oids`` (first pass) JDV codes are grouped under ``urn:oid:`` systems.
    """
    lines = _lines(text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or lines[0].strip() != _TABS_HEAD:
        raise NosFormatError(f"{where}: not a NOS .tabs file (line 1 must be '{_TABS_HEAD}')")
    if len(lines) < 3:
        raise NosFormatError(f"{where}: the table description (line 2) or the column header (line 3) is missing")
    meta = lines[1].split(";")
    if len(meta) < 8:
        raise NosFormatError(f"{where}: line 2 has {len(meta)} fields, 8 expected (OID;type;file;…;date MàJ)")
    table_oid, kind, file_name = meta[0].strip(), meta[1].strip(), meta[2].strip()
    description = ";".join(meta[3:-4]).strip()
    date_valid, date_fin, date_maj = (m.strip() for m in meta[-3:])
    if kind not in ("TRE", "JDV"):
        raise NosFormatError(
            f"{where}: table type '{kind}' is not imported (only TRE code systems and JDV value sets; "
            "ASS association tables are not terminology resources)"
        )
    m = _TABLE_NAME.match(file_name.removesuffix(".tabs"))
    if m is None or m.group(1) != kind:
        raise NosFormatError(f"{where}: line 2 file name '{file_name}' is not a {kind}_<id>-<name>.tabs name")
    if not _OID.match(table_oid):
        raise NosFormatError(f"{where}: line 2 OID '{table_oid}' is not an OID")
    name = m.group(2)
    url = nos_url(kind, name)
    columns = tuple(c.strip() for c in lines[2].split(";"))
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem" if kind == "TRE" else "ValueSet",
        "id": resource_id(url),
        "meta": {"source": SOURCES[RANK_TABS]},
        "url": url,
        "identifier": [{"system": URI_SYSTEM, "value": f"urn:oid:{table_oid}"}],
        "name": f"{kind}_{name}",
        "status": "retired" if date_fin else "active",
    }
    if date_maj or date_valid:
        resource["date"] = fhir_date(date_maj or date_valid, f"{where} line 2")
    resource["publisher"] = "ANS"
    if description:
        resource["description"] = description
    table = Table(resource, RANK_TABS, where)
    if kind == "TRE":
        _tre_concepts(table, lines, columns, table_oid)
    else:
        _jdv_compose(table, lines, columns, oids)
    return table


def _fields(where: str, lineno: int, line: str, width: int) -> list[str]:
    values = line.split(";")
    if len(values) != width:
        raise NosFormatError(f"{where} line {lineno}: {len(values)} fields, {width} expected: the table is refused")
    return [v.strip() for v in values]


def _tre_concepts(table: Table, lines: list[str], columns: tuple[str, ...], table_oid: str) -> None:
    where = table.where
    missing = [c for c in _TRE_COLUMNS if c not in columns]
    if missing:
        raise NosFormatError(f"{where} line 3: column(s) {', '.join(missing)} missing from the TRE header")
    extra = [c for c in columns if c not in _TRE_COLUMNS]
    if extra:
        table.warnings.append(f"column(s) {', '.join(extra)} not imported")
    at = {c: columns.index(c) for c in _TRE_COLUMNS}
    concepts: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        f = _fields(where, lineno, line, len(columns))
        oid, code = f[at["<OID>"]], f[at["<Code>"]]
        if oid != table_oid:
            raise NosFormatError(f"{where} line {lineno}: OID {oid} differs from the table's {table_oid}")
        if not code:
            raise NosFormatError(f"{where} line {lineno}: empty code")
        if code in seen:
            raise NosFormatError(f"{where} line {lineno}: code '{code}' already defined at line {seen[code]}")
        seen[code] = lineno
        adapted, short, long_ = f[at["<Libellé adapté>"]], f[at["<Libellé court>"]], f[at["<Libellé long>"]]
        concept: dict[str, Any] = {"code": code}
        display = long_ or adapted or short
        if display:
            concept["display"] = display
        designations = [
            {"use": {"code": use}, "value": value}
            for use, value in (("LibelleCourt", short), ("LibelleAdapte", adapted))
            if value
        ]
        if designations:
            concept["designation"] = designations
        props = []
        for prop, column in (("dateValid", "<Date valid>"), ("dateFin", "<Date fin>"), ("dateMaj", "<Date MàJ>")):
            if f[at[column]]:
                props.append({"code": prop, "valueDateTime": fhir_date(f[at[column]], f"{where} line {lineno}")})
        if props:
            concept["property"] = props
        concepts.append(concept)
    res = table.resource
    res["caseSensitive"] = True
    res["content"] = "complete"
    res["count"] = len(concepts)
    res["property"] = [
        {"code": "dateValid", "description": "date de début de validité", "type": "dateTime"},
        {"code": "dateFin", "description": "date de fin de validité (code retiré)", "type": "dateTime"},
        {"code": "dateMaj", "description": "date de mise à jour", "type": "dateTime"},
    ]
    if concepts:
        res["concept"] = concepts


def _jdv_compose(table: Table, lines: list[str], columns: tuple[str, ...], oids: OidTable | None) -> None:
    where = table.where
    if columns != _JDV_COLUMNS:
        raise NosFormatError(f"{where} line 3: JDV column header must be '{';'.join(_JDV_COLUMNS)}'")
    includes: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for lineno, line in enumerate(lines[3:], start=4):
        if not line.strip():
            continue
        oid, code, label = _fields(where, lineno, line, 3)
        if not _OID.match(oid):
            raise NosFormatError(f"{where} line {lineno}: '{oid}' is not an OID")
        if not code:
            raise NosFormatError(f"{where} line {lineno}: empty code")
        if (oid, code) in seen:
            raise NosFormatError(f"{where} line {lineno}: code '{code}' already listed at line {seen[(oid, code)]}")
        seen[(oid, code)] = lineno
        concept: dict[str, Any] = {"code": code}
        if label:
            concept["display"] = label
        includes.setdefault(oid, []).append(concept)
    include = []
    for oid, concepts in includes.items():
        system = oids.get(oid) if oids is not None else None
        if system is None:
            system = f"urn:oid:{oid}"
            if oids is not None:
                table.warnings.append(
                    f"code system OID {oid} is unknown (no CodeSystem with this identifier): "
                    f"its {len(concepts)} code(s) are kept under system {system}"
                )
        include.append({"system": system, "concept": concepts})
    if include:
        table.resource["compose"] = {"include": include}
    else:
        raise NosFormatError(f"{where}: the value set lists no code")


# -- derived CSV ------------------------------------------------------------------------------------------


def read_csv(where: str, file_name: str, text: str) -> Table:
    """A ``code;display`` list named ``TRE_<id>-<name>.<anything>.csv`` as a CodeSystem (no validity dates)."""
    m = _TABLE_NAME.match(file_name.split(".", 1)[0])
    if m is None or m.group(1) != "TRE":
        raise NosFormatError(f"{where}: a NOS CSV must be named TRE_<id>-<name>[.<anything>].csv")
    lines = _lines(text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or lines[0].strip().lower() != "code;display":
        raise NosFormatError(f"{where}: line 1 must be the header 'code;display'")
    concepts: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        code, display = _fields(where, lineno, line, 2)
        if not code:
            raise NosFormatError(f"{where} line {lineno}: empty code")
        if code in seen:
            raise NosFormatError(f"{where} line {lineno}: code '{code}' already defined at line {seen[code]}")
        seen[code] = lineno
        concepts.append({"code": code, "display": display} if display else {"code": code})
    if not concepts:
        raise NosFormatError(f"{where}: no code")
    name = m.group(2)
    url = nos_url("TRE", name)
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem",
        "id": resource_id(url),
        "meta": {"source": SOURCES[RANK_CSV]},
        "url": url,
        "name": f"TRE_{name}",
        "status": "active",
        "publisher": "ANS",
        "description": f"Code list derived from {file_name} (codes and displays only, no validity dates)",
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
    return Table(resource, RANK_CSV, where, ["a derived code list without validity dates: retired codes not marked"])


# -- FHIR JSON --------------------------------------------------------------------------------------------


def json_table(where: str, resource: dict[str, Any]) -> Table:
    """A CodeSystem/ValueSet from JSON: NOS URL normalised, id from the URL, ``meta.source`` set."""
    rtype = resource.get("resourceType")
    if rtype not in ("CodeSystem", "ValueSet"):
        raise NosFormatError(
            f"{where}: a {rtype} is not a CodeSystem or ValueSet (use `openror load` for other resources)"
        )
    url = resource.get("url")
    if not isinstance(url, str) or not url:
        raise NosFormatError(f"{where}: the {rtype} has no url")
    out = dict(resource)
    warnings = []
    if url.startswith(NOS) or url.startswith("http://mos.esante.gouv.fr/NOS/"):
        canon = canonical_url(url)
        if canon != url:
            warnings.append(f"url {url} normalised to {canon}")
        out["url"] = canon
    rid = resource_id(out["url"], resource.get("id") if isinstance(resource.get("id"), str) else None)
    out["id"] = rid
    meta = dict(resource["meta"]) if isinstance(resource.get("meta"), dict) else {}
    meta.pop("versionId", None)
    meta.pop("lastUpdated", None)
    meta["source"] = SOURCES[RANK_JSON]
    out["meta"] = meta
    return Table(out, RANK_JSON, where, warnings)


def iter_codes(resource: Mapping[str, Any]) -> Iterator[str]:
    """Codes of a CodeSystem, depth first (tests and reports)."""
    stack = list(reversed(resource.get("concept") or []))
    while stack:
        c = stack.pop()
        if isinstance(c.get("code"), str):
            yield c["code"]
        stack.extend(reversed(c.get("concept") or []))
