"""FINESS records → ROR resources: Organization EJ/EG and Location (spec a.1, a.2, a.4, i).

Ids are derived from the FINESS number, so an import is an update of the same resources every time
(identical content writes nothing): ``finess-ej-<n>`` (EJ), ``finess-eg-<n>`` (EG, ``partOf`` its
EJ) and ``loc-finess-<n>`` (the EG's place, ``managingOrganization`` the EG). Identifier systems
are those of the ``ror-organization`` slices (spec a.2); the ``idNatSt`` value is ``1`` + FINESS
(the national structure identifier of a FINESS-registered structure: type prefix 1 = FINESS).

Authorised activities are FINESS reference data: they are kept on the EG (or EJ) Organization in
the project extension :data:`ACTIVITY_URL`, never as ``ror-location-supported-capacity`` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from openror.fhir.resources import ROR_SD
from openror.fhir.terminology import Terminology, Verdict, nos_url
from openror.ingest.finess.geo import Geography
from openror.ingest.finess.model import Activity, ActivitySet, Address, Establishment, LegalEntity, Telecom

# -- identifier systems (ror-organization slices, spec a.2) ------------------------------------------

SYSTEM_IDNATST: Final = "urn:oid:1.2.250.1.71.4.2.2"
SYSTEM_FINESS: Final = "https://finess.esante.gouv.fr"
SYSTEM_SIRENE: Final = "https://sirene.fr"  # SIREN (EJ) and SIRET (EG) alike, told apart by type
IDNATST_FINESS_PREFIX: Final = "1"

# -- NOS code systems ----------------------------------------------------------------------------------

TRE_G07: Final = nos_url("TRE", "G07-TypeIdentifiantStructure")
TRE_R13: Final = nos_url("TRE", "R13-CommuneOM")
TRE_R30: Final = nos_url("TRE", "R30-RegionOM")
TRE_R66: Final = nos_url("TRE", "R66-CategorieEtablissement")
TRE_R72: Final = nos_url("TRE", "R72-FinessStatutJuridique")
TRE_R73: Final = nos_url("TRE", "R73-ESPIC")
TRE_R200: Final = nos_url("TRE", "R200-CanalCommunication")
TRE_R203: Final = nos_url("TRE", "R203-StatutLieu")
TRE_R283: Final = nos_url("TRE", "R283-NiveauConfidentialite")
JDV_J55: Final = nos_url("JDV", "J55-CategorieEG-ROR")
JDV_J237: Final = nos_url("JDV", "J237-RegionOM-ROR")

# -- extension URLs ------------------------------------------------------------------------------------

EXT_CREATION_DATE_EJ: Final = f"{ROR_SD}/ror-organization-creation-date"
EXT_PERIOD: Final = "http://hl7.org/fhir/StructureDefinition/organization-period"
EXT_ADDITIONAL_NAME: Final = f"{ROR_SD}/ror-organization-additional-name"
EXT_COMMUNE_COG: Final = f"{ROR_SD}/ror-commune-cog"
EXT_CHANNEL: Final = f"{ROR_SD}/ror-telecom-communication-channel"
EXT_CONFIDENTIALITY: Final = f"{ROR_SD}/ror-telecom-confidentiality-level"
EXT_GEOLOCATION: Final = "http://hl7.org/fhir/StructureDefinition/geolocation"
# The URL the IG's own SearchParameter ror-sp-location-near-insee-code reads (value as code).
EXT_INSEE_CODE: Final = "https://interop.esante.gouv.fr/ig/fhir/ror/structuredefinition/datatype/fr-address-insee-code"
EXT_LIEU_DIT: Final = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-lieu-dit"
ADXP: Final = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-"

# Project extensions for FINESS data that has no ROR element. Logical URNs: openror publishes no
# StructureDefinition site; docs/ingest.md defines them.
OPENROR_SD: Final = "urn:openror:fhir:StructureDefinition:"
ACTIVITY_URL: Final = OPENROR_SD + "finess-authorised-activity"
CATEGORY_URL: Final = OPENROR_SD + "finess-category"

CONFIDENTIALITY_PUBLIC: Final = "1"  # FINESS open data is public: TRE_R283 1 = accès libre
CHANNEL: Final[dict[str, tuple[str, str]]] = {  # Telecom.kind -> (ContactPoint.system, TRE_R200 code)
    "phone": ("phone", "2"),  # téléphone fixe
    "mobile": ("phone", "1"),
    "fax": ("fax", "6"),
    "email": ("email", "3"),
}
OPEN, CLOSED = "3", "1"  # TRE_R203-StatutLieu: 3 opérationnel, 1 fermé définitivement

# Activity sub-extensions (model.Activity.values keys) and their FHIR value types.
ACTIVITY_VALUE_TYPES: Final[dict[str, str]] = {
    "activityId": "String",
    "authorisationId": "String",
    "arhgosNumber": "String",
    "nature": "Code",
    "activity": "Code",
    "modality": "Code",
    "form": "Code",
    "operatingMode": "Code",
    "public": "Code",
    "equipmentType": "Code",
    "smsseType": "Code",
    "active": "Boolean",
    "authorisedPeriod": "Period",
    "effectiveEnd": "Date",
    "lapseDate": "Date",
    "authorisedAgeMin": "Integer",
    "authorisedAgeMax": "Integer",
    "installedAgeMin": "Integer",
    "installedAgeMax": "Integer",
}
CAPACITY_VALUE_TYPES: Final[dict[str, str]] = {
    "id": "String",
    "count": "Integer",
    "status": "Code",
    "unit": "Code",
    "gender": "Code",
    "habilitation": "Code",
    "accommodationType": "Code",
    "fundingMode": "Code",
}


def ej_id(finess: str) -> str:
    return f"finess-ej-{finess}"


def eg_id(finess: str) -> str:
    return f"finess-eg-{finess}"


def location_id(finess: str) -> str:
    return f"loc-finess-{finess}"


class MappingError(Exception):
    """A record that cannot become a valid ROR resource (the reason goes to the report)."""


@dataclass(slots=True)
class Mapper:
    """Builds the resources of one record; ``warn`` collects what was kept or dropped and why."""

    terminology: Terminology
    geography: Geography
    warn: Callable[[str, str], None]
    _category_cache: dict[str, tuple[bool, str | None, str]] = field(default_factory=dict)

    # -- EJ -------------------------------------------------------------------------------------------

    def legal_entity(self, ej: LegalEntity) -> dict[str, Any]:
        for w in ej.warnings:
            self.warn(ej.where, w)
        res: dict[str, Any] = {"resourceType": "Organization", "id": ej_id(ej.finess)}
        self._region_meta(res, ej.address, ej.where)
        ext: list[dict[str, Any]] = []
        if ej.created:
            ext.append({"url": EXT_CREATION_DATE_EJ, "valueDate": ej.created})
        if ej.closed:
            ext.append({"url": EXT_PERIOD, "valuePeriod": {"end": ej.closed}})
        if ext:
            res["extension"] = ext
        idents = self._structure_identifiers(ej.finess)
        if ej.siren:
            idents.append(self._identifier("2", SYSTEM_SIRENE, ej.siren))
        res["identifier"] = idents
        res["active"] = ej.active
        if ej.legal_status:
            res["type"] = [{"coding": [self._coding(TRE_R72, ej.legal_status)]}]
        self._names(res, ej.name, ej.long_name, ej.name_complement)
        telecom = self._telecoms(ej.telecoms)
        if telecom:
            res["telecom"] = telecom
        if ej.address is not None:
            address = self._address(ej.address, geolocation=True)
            if address:
                res["address"] = [address]
        return res

    # -- EG + Location --------------------------------------------------------------------------------

    def establishment(self, eg: Establishment) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The EG Organization and its Location (None, with a warning, when it cannot have one)."""
        for w in eg.warnings:
            self.warn(eg.where, w)
        res: dict[str, Any] = {"resourceType": "Organization", "id": eg_id(eg.finess)}
        region = self._region_meta(res, eg.address, eg.where)
        ext: list[dict[str, Any]] = []
        if eg.opened or eg.closed:
            period = {k: v for k, v in (("start", eg.opened), ("end", eg.closed)) if v}
            ext.append({"url": EXT_PERIOD, "valuePeriod": period})
        types: list[dict[str, Any]] = []
        if eg.category:
            accepted, display, why = self._category(eg.category)
            if accepted:
                types.append({"coding": [_coding(TRE_R66, eg.category, display)]})
            else:
                self.warn(eg.where, f"category {eg.category}: {why}; kept in {CATEGORY_URL} only")
                ext.append({"url": CATEGORY_URL, "valueCoding": _coding(TRE_R66, eg.category, display)})
        if eg.espic:
            types.append({"coding": [self._coding(TRE_R73, eg.espic)]})
        if ext:
            res["extension"] = ext
        idents = self._structure_identifiers(eg.finess)
        if eg.siret:
            idents.append(self._identifier("3", SYSTEM_SIRENE, eg.siret))
        res["identifier"] = idents
        res["active"] = eg.active
        if types:
            res["type"] = types
        self._names(res, eg.name, eg.long_name, eg.name_complement)
        telecom = self._telecoms(eg.telecoms)
        if telecom:
            res["telecom"] = telecom
        address = self._address(eg.address, geolocation=True) if eg.address is not None else None
        if address:
            res["address"] = [address]
        if eg.ej_finess:
            res["partOf"] = {"reference": f"Organization/{ej_id(eg.ej_finess)}"}
        return res, self._location(eg, region)

    def _location(self, eg: Establishment, region: dict[str, Any] | None) -> dict[str, Any] | None:
        commune = eg.address.commune if eg.address else None
        if not commune:
            self.warn(eg.where, "no commune (INSEE code): no Location (ror-commune-cog is 1..1)")
            return None
        loc: dict[str, Any] = {"resourceType": "Location", "id": location_id(eg.finess)}
        if region is not None:
            loc["meta"] = {"tag": [region]}
        known = self.geography.commune(commune)
        loc["extension"] = [
            {
                "url": EXT_COMMUNE_COG,
                "valueCodeableConcept": {"coding": [_coding(TRE_R13, commune, known.name if known else None)]},
            }
        ]
        loc["status"] = "active" if eg.active else "inactive"
        loc["operationalStatus"] = self._coding(TRE_R203, OPEN if eg.active else CLOSED)
        name = eg.long_name or eg.name
        if name:
            loc["name"] = name
        assert eg.address is not None
        address = self._address(eg.address, geolocation=False)
        if address:
            loc["address"] = address
        if eg.address.position is not None:
            lon, lat = eg.address.position
            loc["position"] = {"longitude": lon, "latitude": lat}
        loc["managingOrganization"] = {"reference": f"Organization/{eg_id(eg.finess)}"}
        return loc

    # -- activities -----------------------------------------------------------------------------------

    def activity_extensions(self, acts: ActivitySet) -> list[dict[str, Any]]:
        for w in acts.warnings:
            self.warn(acts.where, w)
        return [activity_extension(a) for a in acts.activities]

    # -- pieces ---------------------------------------------------------------------------------------

    def _category(self, code: str) -> tuple[bool, str | None, str]:
        """(usable in the categorieEtablissement slice, display, why not) for a TRE_R66 code."""
        hit = self._category_cache.get(code)
        if hit is None:
            check = self.terminology.validate_code(JDV_J55, TRE_R66, code)
            display = self.terminology.lookup(TRE_R66, code)
            if check.verdict is Verdict.VALID:
                hit = (True, display, "")
            elif check.verdict is Verdict.RETIRED or self.terminology.is_retired(TRE_R66, code):
                hit = (False, display, f"retired in TRE_R66-CategorieEtablissement ({check.message})")
            elif display is None:
                hit = (False, None, "unknown to our TRE_R66-CategorieEtablissement copy and not in JDV_J55")
            else:
                hit = (False, display, "not in JDV_J55-CategorieEG-ROR (outside the ROR perimeter)")
            self._category_cache[code] = hit
        return hit

    def _region_meta(self, res: dict[str, Any], address: Address | None, where: str) -> dict[str, Any] | None:
        commune = address.commune if address else None
        if not commune:
            return None
        region = self.geography.region_of(commune)
        if region is None:
            self.warn(where, f"commune {commune}: no ROR region (JDV_J237), no region tag")
            return None
        tag = self._coding(TRE_R30, region)
        res["meta"] = {"tag": [tag]}
        return tag

    def _structure_identifiers(self, finess: str) -> list[dict[str, Any]]:
        return [
            self._identifier("40", SYSTEM_IDNATST, IDNATST_FINESS_PREFIX + finess),
            self._identifier("1", SYSTEM_FINESS, finess),
        ]

    def _identifier(self, type_code: str, system: str, value: str) -> dict[str, Any]:
        return {"type": {"coding": [self._coding(TRE_G07, type_code)]}, "system": system, "value": value}

    def _coding(self, system: str, code: str) -> dict[str, Any]:
        return _coding(system, code, self.terminology.lookup(system, code))

    @staticmethod
    def _names(res: dict[str, Any], short: str | None, long: str | None, complement: str | None) -> None:
        name = long or short
        if name:
            res["name"] = name
            if complement:
                res["_name"] = {"extension": [{"url": EXT_ADDITIONAL_NAME, "valueString": complement}]}
        if short and long and short != long:
            res["alias"] = [short]

    def _telecoms(self, telecoms: list[Telecom]) -> list[dict[str, Any]]:
        out = []
        for t in telecoms:
            system, channel = CHANNEL[t.kind]
            out.append(
                {
                    "extension": [
                        {"url": EXT_CHANNEL, "valueCodeableConcept": {"coding": [self._coding(TRE_R200, channel)]}},
                        {
                            "url": EXT_CONFIDENTIALITY,
                            "valueCodeableConcept": {"coding": [self._coding(TRE_R283, CONFIDENTIALITY_PUBLIC)]},
                        },
                    ],
                    "system": system,
                    "value": t.value,
                }
            )
        return out

    def _address(self, a: Address, *, geolocation: bool) -> dict[str, Any]:
        lines: list[str] = []
        parts: list[dict[str, Any] | None] = []
        if a.complement:
            lines.append(a.complement)
            parts.append({"extension": [_adxp("additionalLocator", a.complement)]})
        street_parts = []
        if a.number:
            street_parts.append(_adxp("houseNumber", a.number))
        if a.number_suffix:
            street_parts.append(_adxp("buildingNumberSuffix", a.number_suffix))
        if a.street_type:
            street_parts.append(_adxp("streetNameType", a.street_type))
        if a.street:
            street_parts.append(_adxp("streetNameBase", a.street))
        street = a.street_line or " ".join(
            x for x in ((a.number or "") + (a.number_suffix or ""), a.street_type, a.street) if x
        )
        if street:
            lines.append(street)
            parts.append({"extension": street_parts} if street_parts else None)
        if a.lieu_dit:
            lines.append(a.lieu_dit)
            box = a.lieu_dit.upper().startswith(("BP", "B.P", "CS", "TSA"))
            parts.append(
                {
                    "extension": [
                        _adxp("postBox", a.lieu_dit) if box else {"url": EXT_LIEU_DIT, "valueString": a.lieu_dit}
                    ]
                }
            )
        out: dict[str, Any] = {"use": "work"}
        ext: list[dict[str, Any]] = []
        if a.commune:
            ext.append({"url": EXT_INSEE_CODE, "valueCode": a.commune})
        if geolocation and a.position is not None:
            lon, lat = a.position
            ext.append(
                {
                    "url": EXT_GEOLOCATION,
                    "extension": [{"url": "latitude", "valueDecimal": lat}, {"url": "longitude", "valueDecimal": lon}],
                }
            )
        if ext:
            out["extension"] = ext
        if lines:
            out["line"] = lines
            if any(p is not None for p in parts):
                out["_line"] = parts
        if a.city:
            out["city"] = a.city
        if a.postal_code:
            out["postalCode"] = a.postal_code
        return out if len(out) > 1 else {}


def _coding(system: str, code: str, display: str | None) -> dict[str, Any]:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def _adxp(part: str, value: str) -> dict[str, Any]:
    return {"url": ADXP + part, "valueString": value}


def activity_extension(act: Activity) -> dict[str, Any]:
    """One authorised activity as the complex extension :data:`ACTIVITY_URL` (order of the type table)."""
    sub = [
        _typed(name, ACTIVITY_VALUE_TYPES[name], act.values[name])
        for name in ACTIVITY_VALUE_TYPES
        if name in act.values
    ]
    for cap in act.capacities:
        sub.append(
            {
                "url": "capacity",
                "extension": [
                    _typed(name, CAPACITY_VALUE_TYPES[name], cap.values[name])
                    for name in CAPACITY_VALUE_TYPES
                    if name in cap.values
                ],
            }
        )
    return {"url": ACTIVITY_URL, "extension": sub}


def _typed(name: str, value_type: str, value: Any) -> dict[str, Any]:
    return {"url": name, f"value{value_type}": value}


def is_activity_extension(ext: Any) -> bool:
    return isinstance(ext, dict) and ext.get("url") == ACTIVITY_URL
