"""The skeleton of the synthetic universe: legal entities, establishments and their ROR offers (issue 4.5; spec a.0).

A skeleton holds every *structural* decision (how many establishments, offers, places, roles…),
drawn from the per-entity structure stream; the builders then fill names, numbers and codes from a
separate content stream. Planned counts therefore come from skeletons alone, without building a
single resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openror.ingest.generate.tables import Category, Commune


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of offer (HealthcareService) of a family of establishments, with its NOS codes."""

    activity: str  # TRE_R211 activité opérationnelle (JDV_J17)
    mode: str  # TRE_R213 mode de prise en charge (JDV_J19)
    champ: str  # TRE_R227 champ d'activité (JDV_J20)
    name: str
    capacity: str | None = None  # TRE_R329 nature of the capacity (01 lit, 02 place); None: no Location
    ages: tuple[int, int] = (18, 120)
    public: str | None = None  # TRE_R239 public pris en charge
    specialty: str = "SM54"  # TRE_R38 spécialité ordinale of the médecins on the offer
    reception: str | None = None  # TRE_R240 temporalité d'accueil
    opening: str = "03"  # TRE_R238 ouverture annuelle
    hours: str = "h24"  # opening hours pattern: h24, day, consult
    short: str = "UNIT"  # stem of the bed-management synchronisation id


@dataclass(slots=True)
class Offer:
    template: Template
    unit: int  # 1 for the first offer of this template in the establishment, then 2, 3…
    sensitive: bool
    provider: int  # index of the providing internal organisation, -1: the establishment itself
    locations: int
    roles: list[int]  # per PractitionerRole: index of its practitioner in the establishment
    task: bool


@dataclass(slots=True)
class RorPlan:
    """What the ROR data set holds for one establishment."""

    organisations: list[str]  # TRE_R207 type of each internal organisation (1 pôle, 2 service)
    offers: list[Offer]
    practitioners: int

    def count(self) -> dict[str, int]:
        locations = sum(o.locations for o in self.offers)
        roles = sum(len(o.roles) for o in self.offers)
        return {
            "Organization": 1 + len(self.organisations),
            "HealthcareService": len(self.offers),
            "Location": locations,
            "Practitioner": self.practitioners,
            "PractitionerRole": roles,
            "Task": sum(o.task for o in self.offers),
        }


@dataclass(slots=True)
class Establishment:
    """A FINESS EGE (entité géographique); an EG Organization in the ROR data set when ``ror`` is set."""

    number: int  # 0-based over the universe; egeId = number + 1
    category: Category
    active: bool
    commune: Commune
    ror: RorPlan | None = None
    finess: str = ""
    siret: str | None = None


@dataclass(slots=True)
class Entity:
    """A FINESS PMEJ (entité juridique) with its establishments."""

    number: int  # 0-based; pmSmsseId = number + 1
    active: bool
    commune: Commune
    family: str
    statut: str  # TRE_R72
    gco_type: str | None
    establishments: list[Establishment] = field(default_factory=list)
    finess: str = ""
    siren: str | None = None

    @property
    def in_ror(self) -> bool:
        return any(e.ror is not None for e in self.establishments)
