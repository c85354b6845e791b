"""Row facts: which profiles may see a resource, derived from the offers it belongs to (spec f).

A HealthcareService carries its own facts (sensitive unit; médico-social or city-practice field of
activity, TRE_R227 ``04`` / ``05``). Places, roles, practitioners, organizations and anomaly reports
inherit theirs through references (``SOURCES``), so the store recomputes them in the commit that
changes an offer, and again down the chain (offer → role → practitioner → tasks about them).

Decisions the IG leaves open (docs/security.md, "Rule table"):

- a Location referenced by a sensitive offer is sensitive, even if a non-sensitive offer shares it
  (fail closed: its capacities and equipment are the sensitive unit's too);
- a PractitionerRole is sensitive if one of its offers is; it is médico-social / city practice if one
  of its offers is; a role without offer is visible to profiles 1, 2, 4, 5;
- a Practitioner is visible to a profile if one of its roles is (a person is not sensitive, the role
  tying them to a sensitive unit is); without roles, to profiles 1, 2, 4, 5;
- an Organization is always visible; it is a médico-social context (for profile 3's reading of its
  contacts) if it provides a non-sensitive médico-social offer;
- a Task follows its focus; a Task whose focus is unknown is visible to profiles 1 and 4 only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openror.fhir.access.classify import is_sensitive_unit
from openror.fhir.access.rules import (
    ACCESS_MS,
    ALL_PROFILES,
    FACT_M,
    FACT_S,
    FACT_V,
    FAIL_CLOSED,
    ROW_MASK,
    profiles_mask,
)

TRE_R227 = "https://mos.esante.gouv.fr/NOS/TRE_R227-ChampActivite/FHIR/TRE-R227-ChampActivite"
MEDICO_SOCIAL = "04"
CITY_PRACTICE = "05"  # Ambulatoire: the "Ville" offers of spec f

NO_OFFER = profiles_mask({1, 2, 4, 5})


@dataclass(frozen=True, slots=True)
class Source:
    """``dependent`` resources derive their facts from ``source`` resources linked by ``param``.

    ``forward``: the dependent holds the reference (PractitionerRole.service → HealthcareService);
    otherwise the source does (HealthcareService.location → Location). ``source`` "*" is any type.
    """

    dependent: str
    source: str
    param: str
    forward: bool


SOURCES: tuple[Source, ...] = (
    Source("Location", "HealthcareService", "location", forward=False),
    Source("Organization", "HealthcareService", "organization", forward=False),
    Source("PractitionerRole", "HealthcareService", "service", forward=True),
    Source("Practitioner", "PractitionerRole", "practitioner", forward=False),
    Source("Task", "*", "focus", forward=True),
)

# Facts are computed in this order within a commit, so a dependent sees its sources' new facts.
RANK = {"HealthcareService": 0, "Location": 1, "Organization": 1, "PractitionerRole": 1, "Practitioner": 2, "Task": 3}
MAX_RANK = 3


def sources_of(rtype: str) -> tuple[Source, ...]:
    return tuple(s for s in SOURCES if s.dependent == rtype)


def dependents_of(rtype: str) -> tuple[Source, ...]:
    return tuple(s for s in SOURCES if s.source in (rtype, "*") and s.dependent != rtype)


def _field_codes(resource: dict[str, Any]) -> set[str]:
    codes: set[str] = set()
    types = resource.get("type")
    for concept in types if type(types) is list else ():
        for coding in (concept.get("coding") if type(concept) is dict else None) or ():
            if type(coding) is dict and coding.get("system") == TRE_R227 and type(coding.get("code")) is str:
                codes.add(coding["code"])
    return codes


def offer_facts(resource: dict[str, Any]) -> int:
    """S/M/V bits of a HealthcareService from its own content."""
    codes = _field_codes(resource)
    facts = FACT_S if is_sensitive_unit(resource) else 0
    if MEDICO_SOCIAL in codes:
        facts |= FACT_M
    if CITY_PRACTICE in codes:
        facts |= FACT_V
    return facts


def compute(rtype: str, resource: dict[str, Any] | None, sources: Iterable[int]) -> int:
    """The ``resource.access`` value of a resource of ``rtype``, given its sources' access values."""
    src = list(sources)
    if rtype == "HealthcareService":
        facts = offer_facts(resource or {})
        rows = FAIL_CLOSED if facts & FACT_S else ALL_PROFILES
        return rows | facts | (ACCESS_MS if facts & FACT_M else 0)
    if rtype == "Location":
        s = any(a & FACT_S for a in src)
        m = any(a & FACT_M for a in src)
        return (FAIL_CLOSED if s else ALL_PROFILES) | (FACT_S if s else 0) | ((FACT_M | ACCESS_MS) if m else 0)
    if rtype == "Organization":
        m = any(a & FACT_M and not a & FACT_S for a in src)
        return ALL_PROFILES | ((FACT_M | ACCESS_MS) if m else 0)
    if rtype == "PractitionerRole":
        if not src:
            return NO_OFFER
        s = any(a & FACT_S for a in src)
        m = any(a & FACT_M for a in src)
        v = any(a & FACT_V for a in src)
        rows = FAIL_CLOSED
        if not s:
            rows |= profiles_mask({2, 5}) | (1 << 3 if m else 0) | (1 << 0 if v else 0)
        facts = (FACT_S if s else 0) | (FACT_M if m else 0) | (FACT_V if v else 0)
        return rows | facts | (ACCESS_MS if m else 0)
    if rtype == "Practitioner":
        if not src:
            return NO_OFFER
        rows = FAIL_CLOSED
        for a in src:
            rows |= a & ROW_MASK
        ms = any(a & ACCESS_MS and not a & FACT_S for a in src)
        return rows | (ACCESS_MS if ms else 0)
    if rtype == "Task":
        if not src:
            return FAIL_CLOSED
        return FAIL_CLOSED | (src[0] & (ROW_MASK | ACCESS_MS))
    return ALL_PROFILES
