"""Format-neutral FINESS records: what the JSON and CSV parsers produce and the mapper reads (spec a.2, a.4).

Both official formats (FINESS+ JSON feeds, legacy etalab CSV) are parsed into these records; the
FHIR mapping (:mod:`openror.ingest.finess.mapping`) knows nothing of either layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Address:
    commune: str | None = None  # INSEE COG code, 5 characters
    postal_code: str | None = None
    city: str | None = None
    number: str | None = None
    number_suffix: str | None = None  # B (bis), T (ter), Q, C
    street_type: str | None = None  # FINESS abbreviation: R, AV, BD, RTE...
    street: str | None = None
    street_line: str | None = None  # the whole street line when the source gives it
    lieu_dit: str | None = None  # lieu-dit, or a postal box (BP, CS...)
    complement: str | None = None  # complément de distribution / point géographique
    position: tuple[float, float] | None = None  # WGS84 (longitude, latitude)


@dataclass(slots=True)
class Telecom:
    kind: str  # phone | fax | email
    value: str


@dataclass(slots=True)
class LegalEntity:
    """An entité juridique (EJ)."""

    finess: str
    where: str  # location in the source, for the report
    name: str | None = None
    long_name: str | None = None
    name_complement: str | None = None
    siren: str | None = None
    legal_status: str | None = None
    created: str | None = None
    closed: str | None = None
    active: bool = True
    address: Address | None = None
    telecoms: list[Telecom] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Establishment:
    """An établissement / entité géographique (EG, ET)."""

    finess: str
    where: str
    ej_finess: str | None = None
    name: str | None = None
    long_name: str | None = None
    name_complement: str | None = None
    siret: str | None = None
    category: str | None = None
    espic: str | None = None
    opened: str | None = None
    closed: str | None = None
    active: bool = True
    address: Address | None = None
    telecoms: list[Telecom] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Capacity:
    """An installed / authorised capacity of an authorised activity (FINESS reference data)."""

    values: dict[str, Any]  # FHIR sub-extension name -> value (str or int)


@dataclass(slots=True)
class Activity:
    """One authorised activity as exercised at an EG (or held by an EJ): reference data, never availability."""

    values: dict[str, Any]  # FHIR sub-extension name -> value (str, int, bool)
    capacities: list[Capacity] = field(default_factory=list)


@dataclass(slots=True)
class ActivitySet:
    """All authorised activities of one EG (``level`` "eg") or one EJ (``level`` "ej")."""

    level: str
    finess: str
    where: str
    activities: list[Activity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
