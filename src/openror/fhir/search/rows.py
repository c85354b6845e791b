"""Index rows of one resource: what the store writes in the same transaction (spec c; issue 3 point 2).

Every row carries the visibility class of the element it came from (``openror.fhir.access.rules``:
confidentiality level, element category, médico-social bit), so that access control can restrict
criteria as well as outputs; 0 is a public element of the base category. Times are microseconds
since the epoch (UTC); open date bounds use DATE_MIN / DATE_MAX.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC = 0

DATE_MIN = -(2**62)
DATE_MAX = 2**62


@dataclass(frozen=True, slots=True)
class TokenRow:
    param: str
    system: str | None  # None: the value has no system
    code: str
    text: str | None = None  # folded display/text, for :text
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class StringRow:
    param: str
    norm: str  # case- and accent-folded (fold())
    exact: str  # as written, for :exact
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class DateRow:
    param: str
    lo: int  # inclusive, µs
    hi: int  # exclusive, µs
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class NumberRow:
    param: str
    value: float
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class QuantityRow:
    param: str
    value: float
    system: str | None
    code: str | None  # UCUM code or unit
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    param: str
    target_type: str | None  # "Organization" for "Organization/123" or an absolute URL ending so
    target_id: str | None
    url: str | None  # the reference as written when absolute (or canonical)
    ident_system: str | None = None  # Reference.identifier (for :identifier)
    ident_value: str | None = None
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class UriRow:
    param: str
    value: str
    vis: int = PUBLIC


@dataclass(frozen=True, slots=True)
class GeoRow:
    param: str  # "near"
    lat: float
    lon: float
    vis: int = PUBLIC


@dataclass(slots=True)
class IndexRows:
    tokens: list[TokenRow] = field(default_factory=list)
    strings: list[StringRow] = field(default_factory=list)
    dates: list[DateRow] = field(default_factory=list)
    numbers: list[NumberRow] = field(default_factory=list)
    quantities: list[QuantityRow] = field(default_factory=list)
    references: list[ReferenceRow] = field(default_factory=list)
    uris: list[UriRow] = field(default_factory=list)
    geo: list[GeoRow] = field(default_factory=list)
    words: set[tuple[str, int]] = field(default_factory=set)  # (_content term, vis): folded + stemmed
