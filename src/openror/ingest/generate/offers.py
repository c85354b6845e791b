"""Offer catalogue of the synthetic ROR data set and the planning of each establishment's offers (issue 4.5; spec a.3).

Hand-made (no real ROR offer file is public, data-sources.md §6): for each family of FINESS
categories, the kinds of offer it runs with their NOS codes (checked against the shipped JDVs by
``tests/ingest/test_generate.py``), and the ROR granularity parameters. The *number* of offers of an
establishment follows the real file: it is drawn from the authorised activities exercised per
establishment of the same family in the FINESS activités sample (``distributions.json``), times the
family's ``offers_per_activity`` (one authorisation is usually split into several ROR offers by care
mode). ``offers_per_activity`` and ``roles_per_offer`` are calibrated so that size L lands near
1.5 million resources (docs/generate.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

from openror.ingest.generate.model import Establishment, Offer, RorPlan, Template

T = Template
REUSE = 0.3  # share of roles given to a practitioner already working on another offer of the establishment


@dataclass(frozen=True, slots=True)
class Profile:
    templates: tuple[Template, ...]
    offers_per_activity: float
    roles_per_offer: float  # mean PractitionerRoles per offer
    sensitive: float  # share of sensitive units (ror-healthcareservice-sensitive-unit)
    internal_organisations: bool  # hospitals: offers provided by services (OI) grouped in pôles
    task_rate: float  # share of offers with an anomaly report
    two_places: float = 0.15  # share of offers with capacity spread over two Locations


PROFILES: dict[str, Profile] = {
    "mco": Profile(
        (
            T("013", "28", "01", "Cardiologie - hospitalisation complète", "01", specialty="SM04", short="CARDIO-HC"),
            T("013", "32", "01", "Consultations de cardiologie", specialty="SM04", hours="consult", short="CARDIO-CS"),
            T("354", "28", "01", "Soins intensifs de cardiologie (USIC)", "01", specialty="SM04", short="USIC"),
            T("046", "28", "01", "Gastro-entérologie - hospitalisation complète", "01", short="GASTRO-HC"),
            T("097", "28", "01", "Neurologie - hospitalisation complète", "01", short="NEURO-HC"),
            T("114", "28", "01", "Pneumologie - hospitalisation complète", "01", short="PNEUMO-HC"),
            T("083", "28", "01", "Médecine polyvalente", "01", short="MED-POLY"),
            T("050", "28", "01", "Court séjour gériatrique", "01", ages=(75, 120), short="CSG"),
            T("025", "28", "01", "Chirurgie orthopédique et traumatologique", "01", short="ORTHO-HC"),
            T("033", "28", "01", "Chirurgie digestive et viscérale", "01", short="VISC-HC"),
            T("033", "09", "01", "Chirurgie ambulatoire", "02", opening="01", hours="day", short="UCA"),
            T("100", "28", "01", "Maternité - obstétrique", "01", ages=(14, 55), specialty="SM20", short="MATER"),
            T("053", "32", "01", "Consultations de gynécologie", ages=(12, 120), specialty="SM20", hours="consult"),
            T("088", "28", "01", "Pédiatrie - hospitalisation complète", "01", ages=(0, 17), short="PEDIA-HC"),
            T("094", "28", "01", "Néonatologie", "01", ages=(0, 1), short="NEONAT"),
            T("127", "28", "01", "Réanimation polyvalente", "01", short="REA"),
            T("373", "28", "01", "Surveillance continue polyvalente", "01", short="USC"),
            T("157", "33", "01", "Urgences adultes", ages=(16, 120)),
            T("249", "33", "01", "Urgences pédiatriques", ages=(0, 17)),
            T("102", "29", "01", "Oncologie - hôpital de jour", "02", opening="01", hours="day", short="ONCO-HJ"),
            T("059", "20", "01", "Hémodialyse chronique", "02", opening="02", hours="day", short="DIALYSE"),
            T("170", "28", "01", "Soins palliatifs - lits identifiés", "01", short="LISP"),
            T("069", "55", "01", "Imagerie - radiologie conventionnelle", hours="day"),
            T("070", "55", "01", "Imagerie - scanner", hours="day"),
        ),
        offers_per_activity=2.2,
        roles_per_offer=2.2,
        sensitive=0.01,
        internal_organisations=True,
        task_rate=0.012,
    ),
    "ssr": Profile(
        (
            T("172", "28", "02", "Réadaptation polyvalente - hospitalisation complète", "01", short="SMR-HC"),
            T("172", "29", "02", "Réadaptation polyvalente - hôpital de jour", "02", hours="day", short="SMR-HJ"),
            T("233", "28", "02", "Réadaptation de l'appareil locomoteur", "01", short="SMR-LOCO"),
            T("234", "28", "02", "Réadaptation des affections du système nerveux", "01", short="SMR-NEURO"),
            T(
                "235",
                "29",
                "02",
                "Réadaptation cardio-vasculaire - hôpital de jour",
                "02",
                specialty="SM04",
                hours="day",
            ),
            T("241", "28", "02", "Réadaptation des personnes âgées polypathologiques", "01", ages=(75, 120)),
            T("333", "28", "02", "Soins de longue durée (USLD)", "01", ages=(60, 120), short="USLD"),
        ),
        offers_per_activity=2.2,
        roles_per_offer=1.8,
        sensitive=0.01,
        internal_organisations=True,
        task_rate=0.012,
    ),
    "psy": Profile(
        (
            T("229", "28", "03", "Psychiatrie adulte - hospitalisation complète", "01", short="PSY-HC"),
            T("229", "29", "03", "Psychiatrie adulte - hôpital de jour", "02", hours="day", short="PSY-HJ"),
            T("229", "32", "03", "Centre médico-psychologique adulte", hours="consult"),
            T("227", "29", "03", "Pédopsychiatrie - hôpital de jour", "02", ages=(0, 16), hours="day", short="PEDOPSY"),
            T("227", "32", "03", "CMP infanto-juvénile", ages=(0, 16), hours="consult"),
            T("228", "28", "03", "Psychiatrie de l'adolescent - hospitalisation complète", "01", ages=(12, 18)),
            T("158", "33", "03", "Urgences psychiatriques", ages=(16, 120)),
            T("231", "29", "03", "Réhabilitation psycho-sociale", "02", hours="day", short="REHAB"),
            T("051", "28", "03", "Géronto-psychiatrie", "01", ages=(65, 120), short="GERONTOPSY"),
            T("404", "32", "03", "Addictologie - consultations", public="04", hours="consult"),
        ),
        offers_per_activity=2.2,
        roles_per_offer=1.7,
        sensitive=0.06,
        internal_organisations=True,
        task_rate=0.012,
    ),
    "home_care": Profile(
        (
            T("083", "31", "01", "Hospitalisation à domicile", "02", ages=(0, 120), short="HAD"),
            T("059", "20", "01", "Unité d'autodialyse", "02", opening="02", hours="day", short="AUTODIAL"),
            T("170", "31", "01", "Soins palliatifs à domicile", "02", short="HAD-SP"),
        ),
        offers_per_activity=1.65,
        roles_per_offer=1.5,
        sensitive=0.01,
        internal_organisations=False,
        task_rate=0.01,
    ),
    "elderly": Profile(
        (
            T("293", "46", "04", "Hébergement permanent", "02", (60, 120), "01", reception="02", short="HP"),
            T("393", "46", "04", "Hébergement temporaire", "02", (60, 120), "01", reception="01", short="HT"),
            T("306", "47", "04", "Accueil de jour", "02", (60, 120), "01", opening="04", hours="day", short="AJ"),
            T("306", "47", "04", "Pôle d'activités et de soins adaptés (PASA)", "02", (60, 120), "01", hours="day"),
            T("325", "47", "04", "Plateforme d'accompagnement et de répit", None, (18, 120), "01", hours="day"),
        ),
        offers_per_activity=1.76,
        roles_per_offer=0.5,
        sensitive=0.005,
        internal_organisations=False,
        task_rate=0.008,
    ),
    "home_services": Profile(
        (
            T("288", "49", "04", "Soins infirmiers à domicile - personnes âgées", "02", (60, 120), "01", short="SSIAD"),
            T("288", "49", "04", "Soins infirmiers à domicile - personnes handicapées", "02", (18, 60), "02"),
            T("293", "49", "04", "Aide et accompagnement à domicile", None, (18, 120), "01", hours="day"),
            T("287", "49", "04", "Equipe spécialisée Alzheimer à domicile", "02", (60, 120), "01", hours="day"),
        ),
        offers_per_activity=1.65,
        roles_per_offer=0.4,
        sensitive=0.005,
        internal_organisations=False,
        task_rate=0.008,
    ),
    "disability_child": Profile(
        (
            T("300", "46", "04", "Accompagnement à la scolarisation - internat", "02", (6, 20), "02", short="INT"),
            T("300", "47", "04", "Accompagnement à la scolarisation - semi-internat", "02", (6, 20), "02", hours="day"),
            T("291", "49", "04", "Rééducation et réadaptation pour la mobilité", "02", (0, 20), "02", hours="day"),
            T("448", "32", "04", "Dépistage et diagnostic précoce", None, (0, 6), "02", hours="consult"),
            T("289", "32", "04", "Suivi psychologique", None, (0, 20), "02", hours="consult"),
        ),
        offers_per_activity=1.76,
        roles_per_offer=0.5,
        sensitive=0.04,
        internal_organisations=False,
        task_rate=0.008,
    ),
    "disability_adult": Profile(
        (
            T("293", "46", "04", "Hébergement - foyer de vie", "02", (18, 60), "02", reception="02", short="FV"),
            T("304", "47", "04", "Activité professionnelle adaptée", "02", (18, 62), "02", opening="01", hours="day"),
            T("298", "49", "04", "Accompagnement à la vie sociale", None, (18, 60), "02", hours="day"),
            T("285", "46", "04", "Hébergement médicalisé", "02", (18, 120), "02", short="MAS"),
            T("293", "47", "04", "Accueil de jour - adultes handicapés", "02", (18, 60), "02", hours="day"),
        ),
        offers_per_activity=1.76,
        roles_per_offer=0.5,
        sensitive=0.02,
        internal_organisations=False,
        task_rate=0.008,
    ),
    "prevention": Profile(
        (
            T("404", "32", "04", "Consultations d'addictologie", None, (12, 120), "04", hours="consult"),
            T("003", "32", "04", "Consultations d'alcoologie", None, (16, 120), "04", hours="consult"),
            T("450", "54", "04", "Accueil et réduction des risques", None, (16, 120), "04", hours="day"),
            T("105", "32", "05", "Orthogénie - planification familiale", None, (12, 55), specialty="SM20"),
            T("334", "32", "05", "Prévention et éducation à la santé", None, (0, 120), "07", hours="consult"),
        ),
        offers_per_activity=1.65,
        roles_per_offer=0.9,
        sensitive=0.08,
        internal_organisations=False,
        task_rate=0.01,
    ),
    "city": Profile(
        (
            T("437", "32", "05", "Consultations de médecine générale", None, (0, 120), "07", hours="consult"),
            T("101", "32", "05", "Soins dentaires", None, (0, 120), "07", hours="consult"),
            T("339", "32", "05", "Kinésithérapie", None, (0, 120), "07", hours="consult"),
            T("287", "32", "05", "Soins infirmiers", None, (0, 120), "07", hours="consult"),
            T("161", "32", "05", "Vaccinations", None, (0, 120), "07", hours="consult"),
            T("053", "32", "05", "Gynécologie médicale", None, (12, 120), "07", specialty="SM20", hours="consult"),
        ),
        offers_per_activity=2.75,
        roles_per_offer=1.8,
        sensitive=0.0,
        internal_organisations=False,
        task_rate=0.01,
    ),
    "coordination": Profile(
        (
            T("335", "58", "05", "Coordination des parcours complexes", None, (0, 120), "07", hours="day"),
            T("475", "58", "05", "Coordination des soins non programmés", None, (0, 120), "07", hours="day"),
            T("471", "58", "05", "Orientation vers un médecin traitant", None, (0, 120), "07", hours="day"),
        ),
        offers_per_activity=2.2,
        roles_per_offer=0.6,
        sensitive=0.0,
        internal_organisations=False,
        task_rate=0.01,
    ),
}


def _round(rng: Random, x: float) -> int:
    """``x`` rounded down or up at random, with the expectation ``x``."""
    low = math.floor(x)
    return low + (rng.random() < x - low)


def _poisson(rng: Random, mean: float) -> int:
    """A Poisson draw (Knuth; means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def plan_ror(rng: Random, est: Establishment, activities: int) -> RorPlan:
    """Offers, places, internal organisations and practitioners of one ROR establishment (structure stream).

    ``activities``: the establishment's number of authorised activities, from the plan.
    """
    profile = PROFILES[est.category.family]
    n = max(1, _round(rng, max(1, activities) * profile.offers_per_activity * (0.75 + rng.random() * 0.5)))
    order = list(profile.templates)
    rng.shuffle(order)
    services = 0
    organisations: list[str] = []
    if profile.internal_organisations and n >= 3:
        services = math.ceil(n / 3)
        poles = math.ceil(services / 4) if services >= 4 else 0
        organisations = ["1"] * poles + ["2"] * services
    offers: list[Offer] = []
    practitioners = 0
    units: dict[Template, int] = {}
    for k in range(n):
        template = order[k % len(order)]
        units[template] = units.get(template, 0) + 1
        locations = 0
        if template.capacity is not None:
            locations = 2 if rng.random() < profile.two_places else 1
        roles: list[int] = []
        for _ in range(_poisson(rng, profile.roles_per_offer)):
            if practitioners and rng.random() < REUSE:
                p = rng.randrange(practitioners)
                if p not in roles:
                    roles.append(p)
                    continue
            roles.append(practitioners)
            practitioners += 1
        offers.append(
            Offer(
                template=template,
                unit=units[template],
                sensitive=rng.random() < profile.sensitive,
                provider=(poles_offset(organisations) + k % services) if services else -1,
                locations=locations,
                roles=roles,
                task=rng.random() < profile.task_rate,
            )
        )
    return RorPlan(organisations, offers, practitioners)


def poles_offset(organisations: list[str]) -> int:
    """Index of the first service (the pôles come first)."""
    return organisations.count("1")
