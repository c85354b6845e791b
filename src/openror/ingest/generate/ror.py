"""ROR FHIR resources of the synthetic data set (issue 4.5; spec a.1-a.7, e, f).

For one described legal entity: the EJ, its ROR establishments (EG, ``partOf`` EJ), their internal
organisations (OI, ``partOf`` EG), offers (HealthcareService ``providedBy`` EG or OI, ``location``
its places), places of care with their capacity records (every status of TRE_R330), practitioners,
their roles (``healthcareService``, ``practitioner``, ``location``) and anomaly reports (Task
``focus`` an offer). Shapes follow the hand-made demo bundle (``definitions/demo``), which passes the
write validation; ids are sequential per type (``gen-org-000123``) in universe order.

Access-relevant variety (spec f): sensitive units, contacts and telecoms at confidentiality levels
1, 2 and 3, supplementary capacities, installed-only capacities.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import cache
from random import Random
from typing import Any

from openror.ingest.generate.cards import (
    AS_OF,
    MSS_DOMAIN,
    WEB_DOMAIN,
    Address,
    Card,
    Described,
    luhn_key,
    person,
    phone,
)
from openror.ingest.generate.codes import (
    HL7_SD,
    ROR_SD,
    SYSTEMS,
    cc,
    coding,
    commune_cc,
    ext,
    ext_cc,
    meta,
    sub,
    telecom,
    telecom_extensions,
)
from openror.ingest.generate.model import Establishment, Offer, Template
from openror.ingest.generate.tables import Tables
from openror.ingest.generate.universe import stream

TYPES = ("Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole", "Task")
_PREFIX = {
    "Organization": "org",
    "HealthcareService": "hcs",
    "Location": "loc",
    "Practitioner": "pra",
    "PractitionerRole": "rol",
    "Task": "tsk",
}
TZ = timezone(timedelta(hours=1))
NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 6, 0, tzinfo=TZ)
SUPPORTED_CAPACITY = ROR_SD + "ror-location-supported-capacity"
INSEE_CODE = "http://interopsante.org/fhir/StructureDefinition/FrAddressInseeCode"
LIEU_DIT = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-lieu-dit"
_AGGREGATE = (  # TRE_R72 statut juridique → TRE_R69 agrégat (FINESS nomenclature ranges)
    (10, "1100"),
    (40, "1200"),
    (70, "2100"),
    (90, "2200"),
    (91, "3100"),
    (1000, "2200"),
)
_EQUIPMENT = {"mco": ("112", "118", "064", "115", "093"), "ssr": ("098", "102", "125", "113"), "psy": ("097", "100")}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def aggregate(statut: str) -> str:
    n = int(statut)
    return next(agg for bound, agg in _AGGREGATE if n < bound)


class Ids:
    """Sequential resource ids per type and the functional identifier counters of the ROR."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(TYPES, 0)
        self.serials: dict[str, int] = {}

    def next(self, rtype: str) -> str:
        self.counts[rtype] += 1
        return f"gen-{_PREFIX[rtype]}-{self.counts[rtype]:06d}"

    def serial(self, kind: str) -> int:
        self.serials[kind] = self.serials.get(kind, 0) + 1
        return self.serials[kind]


def instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def moment(rng: Random, start: date, end: date) -> datetime:
    """A working-hours instant between two dates."""
    d = start + timedelta(days=rng.randrange(max(1, (end - start).days)))
    return datetime(d.year, d.month, d.day, rng.randint(8, 17), rng.choice((0, 15, 30, 45)), tzinfo=TZ)


def ref(rtype: str, rid: str, display: str | None = None) -> dict[str, Any]:
    out = {"reference": f"{rtype}/{rid}", "type": rtype}
    if display:
        out["display"] = display
    return out


def identifier(key: str, code: str, system: str, value: str, use: str = "official") -> dict[str, Any]:
    return {"use": use, "type": cc(key, code), "system": system, "value": value}


def _line_parts(a: Address) -> tuple[list[str], list[dict[str, Any]]]:
    lines: list[str] = []
    shadows: list[dict[str, Any]] = []
    street = a.line()
    if street:
        parts: list[dict[str, Any]] = []
        if a.number:
            parts.append({"url": HL7_SD + "iso21090-ADXP-houseNumber", "valueString": a.number})
        if a.suffix:
            parts.append({"url": HL7_SD + "iso21090-ADXP-buildingNumberSuffix", "valueString": a.suffix})
        if a.street_type_code:
            parts.append({"url": HL7_SD + "iso21090-ADXP-streetNameType", "valueString": a.street_type_code})
        parts.append({"url": HL7_SD + "iso21090-ADXP-streetNameBase", "valueString": a.street})
        lines.append(street)
        shadows.append({"extension": parts})
    if a.lieu_dit:
        lines.append(a.lieu_dit)
        if a.lieu_dit.startswith("BP "):
            shadows.append({"extension": [{"url": HL7_SD + "iso21090-ADXP-postBox", "valueString": a.lieu_dit}]})
        else:
            shadows.append({"extension": [{"url": LIEU_DIT, "valueString": a.lieu_dit}]})
    return lines, shadows


def org_address(a: Address) -> dict[str, Any]:
    c = a.commune
    extensions: list[dict[str, Any]] = [
        {"url": INSEE_CODE, "valueCoding": {"system": SYSTEMS["R13"], "code": c.cog, "display": c.name}}
    ]
    if a.lat is not None and a.lon is not None:
        extensions.append(
            {
                "url": HL7_SD + "geolocation",
                "extension": [{"url": "latitude", "valueDecimal": a.lat}, {"url": "longitude", "valueDecimal": a.lon}],
            }
        )
    out: dict[str, Any] = {"extension": extensions, "use": "work", "type": "both"}
    lines, shadows = _line_parts(a)
    if lines:
        out["line"] = lines
        out["_line"] = shadows
    out.update(city=c.name, postalCode=c.postal_code, country="FRA")
    return out


def location_address(a: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"use": "work", "type": "both"}
    lines, shadows = _line_parts(a)
    if lines:
        out["line"] = lines
        out["_line"] = shadows
    out.update(city=a.commune.name, postalCode=a.commune.postal_code, country="FRA")
    return out


def org_contact(purpose: str, level: str, name: str, telecoms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "extension": [ext_cc("ror-contact-confidentiality-level", "R283", level)],
        "purpose": cc("R287", purpose),
        "name": {"text": name},
        "telecom": telecoms,
    }


def hcs_contact(purpose: str, level: str, description: str, channel: str, value: str) -> dict[str, Any]:
    return ext(
        "ror-healthcareservice-contact",
        extension=[
            sub("purposeContact", valueCodeableConcept=cc("R287", purpose)),
            sub("description", valueString=description),
            ext_cc("ror-confidentiality-level", "R283", level),
            ext(
                "ror-healthcareservice-contact-telecom",
                extension=[*telecom_extensions(channel, level), sub("telecomAddress", valueString=value)],
            ),
        ],
    )


@cache
def available_time(pattern: str, start: str) -> list[dict[str, Any]]:
    """Opening hours (spec a.1): one entry per day with the ROR extensions."""
    days: tuple[str, ...]
    if pattern == "h24":
        days, kind, hours = _DAYS, "01", ("00:00:00", "23:59:00")
    elif pattern == "day":
        days, kind, hours = _DAYS[:5], "01", ("09:00:00", "17:30:00")
    else:
        days, kind, hours = _DAYS[:5], "07", ("08:30:00", "19:00:00")
    out = []
    for i, d in enumerate(days, start=1):
        out.append(
            {
                "extension": [
                    ext_cc("ror-available-time-type-of-time", "R252", kind),
                    ext("ror-available-time-effective-opening-closing-date", valuePeriod={"start": start}),
                    ext("ror-available-time-number-days-of-week", valueInteger=i),
                ],
                "daysOfWeek": [d],
                "availableStartTime": hours[0],
                "availableEndTime": hours[1],
            }
        )
    if pattern == "consult":
        out.append(
            {
                "extension": [
                    ext_cc("ror-available-time-type-of-time", "R252", "06"),
                    ext("ror-available-time-effective-opening-closing-date", valuePeriod={"start": start}),
                    ext("ror-available-time-number-days-of-week", valueInteger=6),
                ],
                "daysOfWeek": ["sat"],
                "availableStartTime": "09:00:00",
                "availableEndTime": "12:00:00",
            }
        )
    return out


@cache
def age_range(low: int, high: int) -> dict[str, Any]:
    unit = {"system": SYSTEMS["R247"], "code": "a"}
    return {"low": {"value": low, "unit": "an", **unit}, "high": {"value": high, "unit": "ans", **unit}}


class _Capacity:
    """Builds the ror-location-supported-capacity records of one place (spec e)."""

    def __init__(self, kind: str, source: str, when: str) -> None:
        self.kind, self.source, self.when = kind, source, when
        self.records: list[dict[str, Any]] = []

    def add(
        self,
        status: str,
        nb: int,
        *,
        temporality: str = "01",
        gender: str | None = None,
        closing: str | None = None,
        additional: str | None = None,
        crisis: str | None = None,
        assignment: str = "01",
        comment: str | None = None,
    ) -> None:
        parts = [
            sub("capacityType", valueCodeableConcept=cc("R329", self.kind)),
            sub("capacityStatus", valueCodeableConcept=cc("R330", status)),
            sub("temporalityCapacity", valueCodeableConcept=cc("R331", temporality)),
            sub("nbCapacity", valueInteger=nb),
            sub("capacitySourceType", valueCodeableConcept=cc("R335", self.source)),
        ]
        if gender:
            parts.append(sub("genderCapacityAvailable", valueCodeableConcept=cc("R332", gender)))
        parts.append(sub("capacityUpdateDate", valueDateTime=self.when))
        if closing:
            parts.append(sub("capacityClosingType", valueCodeableConcept=cc("R333", closing)))
        if additional:
            parts.append(sub("additionalBedType", valueCodeableConcept=cc("R334", additional)))
        if crisis:
            parts.append(sub("crisisType", valueCodeableConcept=cc("R336", crisis)))
        parts.append(sub("temporaryAssignement", valueCodeableConcept=cc("R337", assignment)))
        if comment:
            parts.append(sub("comment", valueString=comment))
        self.records.append({"url": SUPPORTED_CAPACITY, "extension": parts})


def capacities(rng: Random, kind: str, installed: int, source: str, when: str) -> list[dict[str, Any]]:
    """Installed, available, occupied and, for some places, reserved, closed, supplementary and forecast records."""
    c = _Capacity(kind, source, when)
    closed = rng.randint(1, max(1, installed // 6)) if installed > 2 and rng.random() < 0.15 else 0
    reserved = rng.randint(1, max(1, installed // 10)) if installed > 4 and rng.random() < 0.12 else 0
    free = installed - closed - reserved
    occupied = min(free, round(free * (0.7 + 0.3 * rng.random())))
    available = free - occupied
    assignment = "02" if rng.random() < 0.01 else "01"
    c.add("01", installed)
    if available >= 2 and rng.random() < 0.3:
        women = rng.randint(0, available)
        c.add("02", women, gender="01", assignment=assignment)
        c.add("02", available - women, gender="02", assignment=assignment)
    else:
        c.add("02", available, gender="03", assignment=assignment)
    c.add("03", occupied)
    if reserved:
        c.add("04", reserved)
    if closed:
        comment = "Fermeture pour travaux" if rng.random() < 0.3 else None
        c.add("05", closed, closing=rng.choice(("01", "01", "02", "03")), comment=comment)
    if kind == "01" and rng.random() < 0.08:
        crisis = rng.choice(("01", "02")) if rng.random() < 0.5 else None
        c.add("06", rng.randint(1, 4), additional=rng.choice(("01", "02", "03")), crisis=crisis)
    if rng.random() < 0.2:
        c.add("02", max(0, available + rng.randint(-2, 3)), temporality=rng.choice(("03", "04")))
    return c.records


class RorBuilder:
    """Builds the ROR resources of described entities, in universe order, with one :class:`Ids`."""

    def __init__(self, seed: int, tables: Tables) -> None:
        self.seed = seed
        self.tables = tables
        self.ids = Ids()

    def resources(self, d: Described) -> Iterator[tuple[str, dict[str, Any]]]:
        entity = d.entity
        if not entity.in_ror:
            return
        rng = stream(self.seed, "ror", entity.number)
        ej_id = self.ids.next("Organization")
        region = entity.commune.region
        yield "Organization", self._ej(rng, d, ej_id, region)
        for est, card in zip(entity.establishments, d.cards, strict=True):
            if est.ror is not None:
                yield from self._establishment(rng, d, est, card, ej_id)

    def _created(self, rng: Random, start: date = date(2015, 1, 1)) -> str:
        return instant(moment(rng, start, date(2024, 12, 31)))

    def _ej(self, rng: Random, d: Described, rid: str, region: str) -> dict[str, Any]:
        entity, card = d.entity, d.card
        identifiers = [
            identifier("G07", "40", "urn:oid:1.2.250.1.71.4.2.2", "1" + entity.finess),
            identifier("G07", "1", "https://finess.esante.gouv.fr", entity.finess),
        ]
        if entity.siren:
            identifiers.append(identifier("G07", "2", "https://sirene.fr", entity.siren))
        res: dict[str, Any] = {
            "resourceType": "Organization",
            "id": rid,
            "meta": meta("Organization", region),
            "extension": [ext("ror-meta-creation-date", valueDateTime=self._created(rng))],
            "identifier": identifiers,
            "active": True,
            "type": [cc("R72", entity.statut), cc("R69", aggregate(entity.statut))],
            "name": card.long_name,
            "address": [org_address(card.address)],
        }
        if rng.random() < 0.6:
            res["contact"] = [
                org_contact("10", "2", "Direction générale", [telecom("phone", phone(rng, region), "2", "2")])
            ]
        return res

    def _establishment(
        self, rng: Random, d: Described, est: Establishment, card: Card, ej_id: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        plan = est.ror
        assert plan is not None
        region = est.commune.region
        eg_id = self.ids.next("Organization")
        slug = card.slug
        family = est.category.family
        hospital = family in ("mco", "ssr", "psy")
        contacts = [org_contact("06", "1", "Standard", [telecom("phone", phone(rng, region), "2", "1")])]
        if rng.random() < 0.7:
            contacts.append(
                org_contact(
                    "10",
                    "2",
                    "Secrétariat de direction",
                    [telecom("email", f"direction@{slug}.{MSS_DOMAIN}", "3", "2")],
                )
            )
        if rng.random() < (0.8 if hospital else 0.2):
            contacts.append(
                org_contact(
                    "08",
                    "3",
                    "Cellule de crise - alerte SSE",
                    [
                        telecom("phone", phone(rng, region), "2", "3"),
                        telecom("phone", phone(rng, region, mobile=True), "1", "3", use="mobile"),
                    ],
                )
            )
        identifiers = [
            identifier("G07", "40", "urn:oid:1.2.250.1.71.4.2.2", "1" + est.finess),
            identifier("G07", "1", "https://finess.esante.gouv.fr", est.finess),
        ]
        if est.siret:
            identifiers.append(identifier("G07", "3", "https://sirene.fr", est.siret))
        eg: dict[str, Any] = {
            "resourceType": "Organization",
            "id": eg_id,
            "meta": meta("Organization", region),
            "extension": [
                {"url": HL7_SD + "organization-period", "valuePeriod": {"start": card.opened.isoformat()}},
                ext("ror-meta-creation-date", valueDateTime=self._created(rng)),
            ],
            "identifier": identifiers,
            "active": True,
            "type": [cc("R66", est.category.code)],
            "name": card.name,
        }
        if card.long_name != card.name:
            eg["alias"] = [card.long_name]
        eg.update(
            address=[org_address(card.address)],
            partOf=ref("Organization", ej_id, d.card.name),
            contact=contacts,
        )
        yield "Organization", eg

        # internal organisations: pôles, then services (service s provides offer s first: named after it)
        providers: list[tuple[str, str]] = []  # (id, name)
        services = 0
        for kind in plan.organisations:
            oi_id = self.ids.next("Organization")
            serial = self.ids.serial("oi")
            if kind == "1":
                name = f"Pôle {rng.choice(('médecine', 'chirurgie', 'femme-enfant', 'gériatrie', 'urgences'))} {serial}"
            else:
                name = f"Service - {plan.offers[services].template.name}"
                services += 1
            providers.append((oi_id, name))
            yield (
                "Organization",
                {
                    "resourceType": "Organization",
                    "id": oi_id,
                    "meta": meta("Organization", region),
                    "extension": [ext("ror-meta-creation-date", valueDateTime=self._created(rng))],
                    "identifier": [
                        identifier("R345", "42", "https://oi.esante.gouv.fr", f"{region}/{5_000_000 + serial}")
                    ],
                    "active": True,
                    "type": [cc("R207", kind)],
                    "name": name,
                    "telecom": [telecom("email", f"oi{serial}@{slug}.{MSS_DOMAIN}", "3", "2")],
                    "partOf": ref("Organization", eg_id, card.name),
                },
            )

        practitioners: list[tuple[str, str]] = []  # (id, idNat_PS)
        for _ in range(plan.practitioners):
            pid = self.ids.next("Practitioner")
            rpps = f"10{80_000_000 + self.ids.serial('rpps')}"
            rpps += luhn_key(rpps)
            practitioners.append((pid, "8" + rpps))
            yield "Practitioner", self._practitioner(rng, pid, "8" + rpps, region, slug)

        for offer in plan.offers:
            yield from self._offer(rng, est, card, eg_id, offer, providers, practitioners)

    def _practitioner(self, rng: Random, pid: str, idnat: str, region: str, slug: str) -> dict[str, Any]:
        family, given, gender = person(rng)
        local = f"{given}.{family}".lower().replace(" ", "-").replace("'", "")
        return {
            "resourceType": "Practitioner",
            "id": pid,
            "meta": meta("Practitioner", region),
            "extension": [ext("ror-meta-creation-date", valueDateTime=self._created(rng))],
            "identifier": [{"use": "official", "system": "urn:oid:1.2.250.1.71.4.2.1", "value": idnat}],
            "active": True,
            "name": [
                {
                    "use": "official",
                    "family": family,
                    "given": [given],
                    "prefix": ["MME" if gender == "female" else "M"],
                }
            ],
            "telecom": [telecom("email", f"{local}@{slug}.{MSS_DOMAIN}", "3", "2")],
            "gender": gender,
        }

    def _offer(
        self,
        rng: Random,
        est: Establishment,
        card: Card,
        eg_id: str,
        offer: Offer,
        providers: list[tuple[str, str]],
        practitioners: list[tuple[str, str]],
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        t = offer.template
        region = est.commune.region
        hcs_id = self.ids.next("HealthcareService")
        name = t.name if offer.unit == 1 else f"{t.name} - unité {offer.unit}"
        created = moment(rng, date(2015, 1, 1), date(2024, 12, 31))

        locations: list[str] = []
        for k in range(offer.locations):
            loc_id = self.ids.next("Location")
            locations.append(loc_id)
            yield "Location", self._location(rng, est, card, t, offer, name, loc_id, k)

        extensions: list[dict[str, Any]] = [
            ext("ror-healthcareservice-sensitive-unit", valueBoolean=offer.sensitive),
        ]
        patient: list[dict[str, Any]] = []
        if t.public:
            patient.append(sub("supportedPatientInfo", valueCodeableConcept=cc("R239", t.public)))
        patient.append(sub("ageRange", valueRange=age_range(*t.ages)))
        extensions.append(ext("ror-healthcareservice-patient-type", extension=patient))
        if t.champ == "03":
            letter = "I" if t.ages[1] < 18 else "G"
            extensions.append(
                ext(
                    "ror-healthcareservice-psychiatric-sector",
                    valueString=f"{est.commune.departement}{letter}{rng.randint(1, 30):02d}",
                )
            )
        if t.mode == "49" and rng.random() < 0.8:
            for _ in range(rng.randint(1, 4)):
                c = self._neighbour(rng, region)
                extensions.append(
                    ext(
                        "ror-territorial-division",
                        extension=[
                            sub("typeTerritorialDivision", valueCodeableConcept=cc("R201", "3")),
                            sub("codeTerritorialDivision", valueCodeableConcept=commune_cc(c[0], c[1])),
                        ],
                    )
                )
        extensions.append(ext("ror-meta-creation-date", valueDateTime=instant(created)))
        extensions.extend(self._hcs_contacts(rng, t, offer, region, card.slug))

        res: dict[str, Any] = {
            "resourceType": "HealthcareService",
            "id": hcs_id,
            "meta": meta("HealthcareService", region),
            "extension": extensions,
            "identifier": [
                {
                    "use": "official",
                    "type": cc("R355", "35"),
                    "value": f"{region}/{5_000_000 + self.ids.serial('offer')}",
                }
            ],
            "active": True,
        }
        if offer.provider >= 0:
            pid, pname = providers[offer.provider]
            res["providedBy"] = ref("Organization", pid, pname)
        else:
            res["providedBy"] = ref("Organization", eg_id, card.name)
        if t.mode == "28":
            res["category"] = [cc("R244", "16")]
        res.update(type=[cc("R227", t.champ)], specialty=[cc("R211", t.activity)])
        if locations:
            res["location"] = [ref("Location", loc) for loc in locations]
        res["name"] = name
        if rng.random() < 0.5:
            res["telecom"] = [telecom("email", f"offre{hcs_id[8:]}@{card.slug}.{MSS_DOMAIN}", "3", "2")]
        characteristic = [cc("R213", t.mode)]
        if t.reception:
            characteristic.append(cc("R240", t.reception))
        characteristic.append(cc("R238", t.opening))
        res["characteristic"] = characteristic
        res["availableTime"] = available_time(t.hours, f"{created.year}-01-01")
        if rng.random() < 0.03:
            start = AS_OF + timedelta(days=rng.randint(10, 60))
            res["notAvailable"] = [
                {
                    "id": "closingReopeningDate",
                    "description": "Période de fermeture et de réouverture prévisionnelle",
                    "during": {
                        "start": start.isoformat(),
                        "end": (start + timedelta(days=rng.randint(7, 30))).isoformat(),
                    },
                }
            ]
        yield "HealthcareService", res

        role_location = [ref("Location", locations[0])] if locations else None
        for p in offer.roles:
            yield "PractitionerRole", self._role(rng, est, eg_id, hcs_id, t, practitioners[p][0], role_location)
        if offer.task:
            requester = practitioners[offer.roles[0]] if offer.roles else None
            yield "Task", self._task(rng, region, eg_id, hcs_id, name, requester)

    def _neighbour(self, rng: Random, region: str) -> tuple[str, str]:
        c = self.tables.communes[region].pick(rng)
        return c.cog, c.name

    def _hcs_contacts(self, rng: Random, t: Template, offer: Offer, region: str, slug: str) -> list[dict[str, Any]]:
        out = []
        if t.hours == "consult":
            out.append(hcs_contact("02", "1", "Prise de rendez-vous", "2", phone(rng, region)))
            if rng.random() < 0.4:
                out.append(
                    hcs_contact("02", "1", "Prise de rendez-vous en ligne", "4", f"https://rdv.{WEB_DOMAIN}/{slug}")
                )
        elif t.mode in ("28", "46", "31"):
            out.append(hcs_contact("03", "1", "Bureau des admissions", "2", phone(rng, region)))
        else:
            out.append(hcs_contact("01", "1", "Accueil du service", "2", phone(rng, region)))
        if rng.random() < 0.5:
            out.append(hcs_contact("07", "2", "Secrétariat", "3", f"secretariat@{slug}.{MSS_DOMAIN}"))
        if offer.sensitive or rng.random() < 0.3:
            purpose = rng.choice(("04", "13", "14"))
            label = {"04": "Ligne directe du médecin de garde", "13": "Alerte H24", "14": "Astreinte"}[purpose]
            out.append(hcs_contact(purpose, "3", label, "1", phone(rng, region, mobile=True)))
        return out

    def _location(
        self,
        rng: Random,
        est: Establishment,
        card: Card,
        t: Template,
        offer: Offer,
        name: str,
        loc_id: str,
        k: int,
    ) -> dict[str, Any]:
        region = est.commune.region
        family = est.category.family
        installed = self.tables.installed_capacity(rng)
        bed_management = family in ("mco", "ssr", "psy") and rng.random() < 0.6
        source = "02" if bed_management else rng.choice(("01", "01", "01", "04"))
        when = instant(NOW - timedelta(minutes=rng.randint(5, 2 * 24 * 60)))
        extensions: list[dict[str, Any]] = [
            ext("ror-commune-cog", valueCodeableConcept=commune_cc(est.commune.cog, est.commune.name)),
        ]
        equipment = _EQUIPMENT.get(family)
        if equipment and rng.random() < 0.15:
            for code in rng.sample(equipment, rng.randint(1, 2)):
                extensions.append(
                    ext(
                        "ror-location-equipment",
                        extension=[
                            sub("equipmentType", valueCodeableConcept=cc("R212", code)),
                            sub("nbInService", valueInteger=rng.randint(1, 12)),
                        ],
                    )
                )
        extensions.extend(capacities(rng, t.capacity or "02", installed, source, when))
        extensions.append(ext("ror-meta-creation-date", valueDateTime=self._created(rng)))
        serial = self.ids.serial("location")
        identifiers = []
        if bed_management or rng.random() < 0.3:
            identifiers.append(
                {
                    "use": "secondary",
                    "type": cc("R354", "26"),
                    "value": f"1{est.finess}/UF{serial % 10_000:04d}-{t.short}",
                }
            )
        identifiers.append({"use": "official", "type": cc("R354", "25"), "value": f"{region}/{7_000_000 + serial}"})
        suffix = "" if k == 0 else f" (site {k + 1})"
        res: dict[str, Any] = {
            "resourceType": "Location",
            "id": loc_id,
            "meta": meta("Location", region),
            "extension": extensions,
            "identifier": identifiers,
            "status": "active",
            "operationalStatus": coding("R203", "3"),
            "name": f"{name}{suffix}",
            "mode": "instance",
            "type": [cc("R343", "001")],
        }
        level = "3" if offer.sensitive else rng.choice(("1", "2", "2"))
        res["telecom"] = [telecom("phone", phone(rng, region), "2", level)]
        res["address"] = location_address(card.address)
        a = card.address
        if a.lat is not None and a.lon is not None:
            res["position"] = {
                "extension": [{"url": ROR_SD + "ror-coordinate-reliability", "valueBoolean": rng.random() < 0.9}],
                "longitude": a.lon,
                "latitude": a.lat,
            }
        return res

    def _role(
        self,
        rng: Random,
        est: Establishment,
        eg_id: str,
        hcs_id: str,
        t: Template,
        practitioner_id: str,
        location: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        region = est.commune.region
        city = est.category.family == "city"
        res: dict[str, Any] = {
            "resourceType": "PractitionerRole",
            "id": self.ids.next("PractitionerRole"),
            "meta": meta("PractitionerRole", region),
            "extension": [
                ext_cc("ror-practitionerrole-unit-exercise-mode", "R23", "L" if city else "S"),
                ext("ror-meta-creation-date", valueDateTime=self._created(rng)),
            ],
            "identifier": [{"value": f"{region}/SO-{5_000_000 + self.ids.serial('role')}"}],
            "active": True,
            "practitioner": ref("Practitioner", practitioner_id),
            "organization": ref("Organization", eg_id),
            "code": [cc("G15", "10")],
            "specialty": [cc("R04", "S"), cc("R38", t.specialty)],
        }
        if location:
            res["location"] = location
        res["healthcareService"] = [ref("HealthcareService", hcs_id)]
        if rng.random() < 0.5:
            level = rng.choice(("1", "2", "3")) if city else rng.choice(("2", "3"))
            res["telecom"] = [telecom("phone", phone(rng, region), "2", level)]
        if t.hours == "consult" and rng.random() < 0.5:
            res["availableTime"] = available_time("consult", "2025-01-01")[:1]
        return res

    def _task(
        self,
        rng: Random,
        region: str,
        eg_id: str,
        hcs_id: str,
        name: str,
        requester: tuple[str, str] | None,
    ) -> dict[str, Any]:
        business, status = rng.choice(
            (("02", "in-progress"), ("02", "requested"), ("08", "completed"), ("03", "cancelled"))
        )
        authored = moment(rng, date(2026, 1, 1), AS_OF - timedelta(days=1))
        modified = min(NOW, authored + timedelta(days=rng.randint(0, 20)))
        serial = self.ids.serial("task")
        inputs: list[dict[str, Any]] = [
            {"type": {"coding": [coding("input", "systemRequester")]}, "valueString": rng.choice(("IHM", "API"))}
        ]
        if requester:
            inputs.append(
                {
                    "type": {"coding": [coding("input", "identifierRequester")]},
                    "valueIdentifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": requester[1]},
                }
            )
        inputs += [
            {
                "type": {"coding": [coding("input", "pathElementError")]},
                "valueExpression": {"language": "text/fhirpath", "expression": "HealthcareService.name"},
            },
            {"type": {"coding": [coding("input", "errorValue")]}, "valueString": name},
            {"type": {"coding": [coding("input", "proposedValue")]}, "valueString": f"{name} (libellé à corriger)"},
        ]
        res: dict[str, Any] = {
            "resourceType": "Task",
            "id": self.ids.next("Task"),
            "meta": meta("Task", region),
            "extension": [ext("ror-meta-creation-date", valueDateTime=instant(authored))],
            "identifier": [{"value": f"{region}/ANO-{authored.year}-{serial:06d}"}],
            "status": status,
            "businessStatus": cc("R352", business),
            "intent": "order",
            "code": cc("R350", rng.choice(("01", "03", "04", "06"))),
            "description": "Le libellé de l'offre ne correspond plus à l'activité réalisée.",
            "focus": ref("HealthcareService", hcs_id, name),
        }
        if status in ("completed", "cancelled"):
            res["executionPeriod"] = {"start": instant(authored), "end": instant(modified)}
        res.update(
            authoredOn=instant(authored),
            lastModified=instant(modified),
            requester=ref("Practitioner", requester[0]) if requester else ref("Organization", eg_id),
            owner=ref("Organization", eg_id),
            reasonCode=cc("R349", "COR"),
            restriction={"recipient": [ref("Organization", eg_id)]},
            input=inputs,
        )
        return res
