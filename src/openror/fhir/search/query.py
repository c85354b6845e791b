"""Search query parsing: FHIR search parameters → a filter tree, pure (spec c; FHIR R4 search.html).

The tree is what the store compiles to SQL: leaves (``Match``) test one parameter of the current
resource; ``Chain`` follows a reference to a target satisfying an inner filter (``:above``/
``:below`` walk the ``partOf`` hierarchy); ``Has`` is reverse chaining; ``And``/``Or``/``Not``
combine. ``_filter`` expressions compile into the same tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from openror.fhir.errors import Category, FhirError, Issue
from openror.fhir.meta import parse_instant_bound
from openror.fhir.resources import TYPES, is_valid_id

MAX_PARAMS = 100
MAX_VALUES = 100
MAX_CHAIN_DEPTH = 4
MAX_VALUE_LENGTH = 1024
DEFAULT_COUNT = 200
MAX_COUNT = 1000
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
RESULT_PARAMS = {"_count", "_sort", "_include", "_revinclude", "_total", "_summary", "_elements", "_cursor"}
IGNORED_PARAMS = {"_format", "_pretty"}


class Param(Protocol):
    """What the parser needs of a registered SearchParameter (openror.fhir.search.registry)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def targets(self) -> tuple[str, ...]: ...
    @property
    def chain_alias(self) -> str | None: ...


class Registry(Protocol):
    def get(self, resource_type: str, name: str) -> Param | None: ...


# -- the filter tree ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenValue:
    system: str | None  # None: any system; "": no system
    code: str | None  # None with a system: any code of that system


@dataclass(frozen=True, slots=True)
class DateValue:
    prefix: str
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class NumberValue:
    prefix: str
    value: float
    lo: float  # the implicit range of the value's precision
    hi: float
    system: str | None = None  # quantity
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    target_type: str | None
    target_id: str | None
    url: str | None = None
    ident_system: str | None = None
    ident_value: str | None = None


@dataclass(frozen=True, slots=True)
class NearValue:
    lat: float
    lon: float
    km: float
    insee: str | None = None


Value = TokenValue | DateValue | NumberValue | ReferenceValue | NearValue | str


@dataclass(frozen=True, slots=True)
class Match:
    """One parameter of the current resource against OR-ed values."""

    param: str  # registry name, or _id / _lastUpdated / _content / near / near-insee-code
    ptype: str  # token, string, date, number, quantity, reference, uri, special, id, content
    modifier: str | None
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Missing:
    param: str
    ptype: str
    missing: bool


@dataclass(frozen=True, slots=True)
class Chain:
    param: str  # reference parameter of the current resource
    target_type: str
    inner: Filter
    hierarchy: str | None = None  # "above" | "below": also through partOf ancestors/descendants


@dataclass(frozen=True, slots=True)
class Has:
    source_type: str
    param: str  # reference parameter of the source type pointing at the current resource
    inner: Filter


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


Filter = Match | Missing | Chain | Has | And | Or | Not


@dataclass(frozen=True, slots=True)
class SortKey:
    path: tuple[str, ...]  # ("name",) or ("organization", "price-validity-start-date")
    descending: bool


@dataclass(frozen=True, slots=True)
class Include:
    source_type: str
    param: str
    target_type: str | None
    iterate: bool
    reverse: bool


@dataclass(slots=True)
class Query:
    rtype: str
    filter: Filter = field(default_factory=lambda: And(()))
    count: int = DEFAULT_COUNT
    sort: list[SortKey] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    total: str = "accurate"
    summary: str | None = None  # count | true | data | text | false
    elements: list[str] | None = None
    cursor: str | None = None
    near: NearValue | None = None  # the near criterion, for distance sorting and entry.search
    ignored: list[Issue] = field(default_factory=list)


# -- parsing ----------------------------------------------------------------------------------------


def _bad(message: str) -> FhirError:
    return FhirError.of(Category.INVALID, message)


def split_values(raw: str) -> list[str]:
    """Split on unescaped commas; ``\\,`` is a literal comma (FHIR search escaping)."""
    out, cur, i = [], [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in ",$|\\":
            cur.append(raw[i + 1])
            i += 2
            continue
        if ch == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    if len(out) > MAX_VALUES:
        raise _bad(f"at most {MAX_VALUES} comma-separated values per parameter")
    return out


def _split_token(raw: str) -> tuple[str | None, str]:
    """``a|b`` split on the first unescaped pipe."""
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            i += 2
            continue
        if raw[i] == "|":
            return raw[:i].replace("\\|", "|"), raw[i + 1 :].replace("\\|", "|")
        i += 1
    return None, raw.replace("\\|", "|")


def parse_token(raw: str) -> TokenValue:
    system, code = _split_token(raw)
    if system is None:
        if not code:
            raise _bad("empty token value")
        return TokenValue(None, code)
    return TokenValue(system, code or None)


_NUMBER_RE = re.compile(r"^[+-]?(\d+)(\.(\d+))?([eE][+-]?\d+)?$")


def parse_number(raw: str, *, quantity: bool = False) -> NumberValue:
    prefix, rest = _prefix(raw)
    system = code = None
    if quantity:
        parts = rest.split("|")
        if len(parts) not in (1, 3):
            raise _bad(f"quantity '{raw}' must be [prefix]number or [prefix]number|system|code")
        rest = parts[0]
        if len(parts) == 3:
            system, code = parts[1] or None, parts[2] or None
    m = _NUMBER_RE.match(rest)
    if not m:
        raise _bad(f"'{raw}' is not a number")
    value = float(rest)
    decimals = len(m[3] or "")
    # Implicit precision (FHIR search: "100" means [99.5, 100.5)); exponent forms keep the mantissa's.
    half = 0.5 * 10**-decimals * (10 ** int(m[4][1:]) if m[4] else 1)
    return NumberValue(prefix, value, value - half, value + half, system, code)


def _prefix(raw: str) -> tuple[str, str]:
    if len(raw) > 2 and raw[:2] in PREFIXES and not raw[2:3].isalpha():
        return raw[:2], raw[2:]
    return "eq", raw


def parse_date(raw: str) -> DateValue:
    prefix, rest = _prefix(raw)
    if not rest:
        raise _bad(f"'{raw}' is not a date")
    return DateValue(prefix, parse_instant_bound(rest), parse_instant_bound(rest, upper=True))


_ABS_REF_RE = re.compile(r"^(https?://.+/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/\d+)?$")


def parse_reference(raw: str, targets: tuple[str, ...], type_modifier: str | None) -> ReferenceValue:
    m = _ABS_REF_RE.match(raw)
    if m:
        rtype, rid = m[2], m[3]
        if type_modifier and rtype != type_modifier:
            raise _bad(f"reference '{raw}' is not a {type_modifier}")
        return ReferenceValue(rtype, rid, raw if m[1] else None)
    if is_valid_id(raw):
        if type_modifier:
            return ReferenceValue(type_modifier, raw)
        return ReferenceValue(targets[0] if len(targets) == 1 else None, raw)
    if raw.startswith(("http://", "https://", "urn:")):
        return ReferenceValue(None, None, raw)
    raise _bad(f"'{raw}' is not a reference (Type/id, id or absolute URL)")


_NEAR_UNITS = {"km": 1.0, "m": 0.001, "[mi_i]": 1.609344, "mi": 1.609344}


def parse_near(raw: str, *, insee: bool) -> NearValue:
    parts = raw.split("|")
    try:
        if insee:
            if not 1 <= len(parts) <= 3 or not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", parts[0]):
                raise ValueError
            code = parts[0]
            dist = float(parts[1]) if len(parts) > 1 and parts[1] else 10.0
            unit = parts[2] if len(parts) > 2 and parts[2] else "km"
            lat = lon = 0.0
        else:
            if not 2 <= len(parts) <= 4:
                raise ValueError
            lat, lon = float(parts[0]), float(parts[1])
            dist = float(parts[2]) if len(parts) > 2 and parts[2] else 10.0
            unit = parts[3] if len(parts) > 3 and parts[3] else "km"
            code = None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
    except ValueError:
        form = "INSEE|distance|unit" if insee else "latitude|longitude|distance|unit"
        raise _bad(f"'{raw}' is not {form}") from None
    if unit not in _NEAR_UNITS:
        raise _bad(f"unknown distance unit '{unit}' (km, m, [mi_i])")
    km = dist * _NEAR_UNITS[unit]
    if not 0 <= km <= 2000:
        raise _bad("near distance must be between 0 and 2000 km")
    return NearValue(lat, lon, km, code)


class Parser:
    """Turns (name, value) pairs into a :class:`Query` for one resource type."""

    def __init__(self, registry: Registry, *, strict: bool = True, max_count: int = MAX_COUNT) -> None:
        self.registry = registry
        self.strict = strict
        self.max_count = max_count

    def parse(self, rtype: str, params: list[tuple[str, str]]) -> Query:
        if len(params) > MAX_PARAMS:
            raise _bad(f"at most {MAX_PARAMS} search parameters")
        q = Query(rtype)
        filters: list[Filter] = []
        for name, value in params:
            if len(value) > MAX_VALUE_LENGTH:
                raise _bad(f"value of '{name}' longer than {MAX_VALUE_LENGTH} characters")
            if name in IGNORED_PARAMS:
                continue
            if name in RESULT_PARAMS or name.startswith(("_include", "_revinclude")):
                self._result_param(q, name, value)
                continue
            try:
                f = self.criterion(rtype, name, value, q, depth=0)
            except _Unknown as unk:
                if self.strict:
                    raise _bad(f"unknown search parameter '{unk.name}' on {unk.rtype}") from None
                q.ignored.append(
                    Issue("not-supported", f"parameter '{name}' ignored: unknown on {unk.rtype}", severity="warning")
                )
                continue
            filters.append(f)
        q.filter = And(tuple(filters))
        return q

    # -- result parameters

    def _result_param(self, q: Query, name: str, value: str) -> None:
        if name == "_count":
            if not value.isdigit() or len(value) > 9:
                raise _bad(f"_count must be a non-negative integer, got '{value}'")
            q.count = min(int(value), self.max_count)
        elif name == "_sort":
            q.sort = [self._sort_key(q.rtype, v) for v in value.split(",") if v]
        elif name.startswith(("_include", "_revinclude")):
            q.includes.append(self._include(name, value))
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise _bad("_total must be none, estimate or accurate")
            q.total = value
        elif name == "_summary":
            if value not in ("true", "false", "count", "data", "text"):
                raise _bad("_summary must be true, false, count, data or text")
            q.summary = None if value == "false" else value
        elif name == "_elements":
            q.elements = [e.strip() for e in value.split(",") if e.strip()]
            for e in q.elements:
                if not re.fullmatch(r"[a-zA-Z][A-Za-z0-9]*(\[x\])?", e):
                    raise _bad(f"_elements entry '{e}' is not an element name")
        elif name == "_cursor":
            q.cursor = value

    def _sort_key(self, rtype: str, raw: str) -> SortKey:
        desc = raw.startswith("-")
        path = tuple(raw.lstrip("-").split("."))
        if path in (("near",), ("near-insee-code",)):
            return SortKey(path, desc)  # the distance; the service checks that a near criterion is given
        if len(path) > 2:
            raise _bad(f"_sort '{raw}': at most one chained step")
        cur = rtype
        for i, step in enumerate(path):
            if step in ("_id", "_lastUpdated") and i == len(path) - 1:
                continue
            p = self.registry.get(cur, step)
            if p is None:
                raise _bad(f"_sort: unknown parameter '{step}' on {cur}")
            if i < len(path) - 1:
                if p.type != "reference" or len(p.targets) != 1:
                    raise _bad(f"_sort: '{step}' must be a reference to one type to chain")
                cur = p.targets[0]
            elif p.type not in ("string", "token", "date", "number", "quantity", "uri", "reference"):
                raise _bad(f"_sort on '{step}' ({p.type}) is not supported")
        return SortKey(path, desc)

    def _include(self, name: str, value: str) -> Include:
        reverse = name.startswith("_revinclude")
        modifier = name.partition(":")[2]
        if modifier not in ("", "iterate", "recurse"):
            raise _bad(f"unknown modifier on {name}")
        parts = value.split(":")
        if len(parts) not in (2, 3) or parts[0] not in TYPES:
            raise _bad(f"{name}={value}: expected SourceType:parameter[:TargetType]")
        p = self.registry.get(parts[0], parts[1])
        if p is None or p.type != "reference":
            raise _bad(f"{name}={value}: '{parts[1]}' is not a reference parameter of {parts[0]}")
        target = parts[2] if len(parts) == 3 else None
        if target is not None and target not in TYPES:
            raise _bad(f"{name}={value}: unknown target type '{target}'")
        return Include(parts[0], p.name, target, bool(modifier), reverse)

    # -- criteria

    def criterion(self, rtype: str, name: str, value: str, q: Query | None, *, depth: int) -> Filter:
        if depth > MAX_CHAIN_DEPTH:
            raise _bad(f"chains and _has nest at most {MAX_CHAIN_DEPTH} levels")
        if name.startswith("_has:"):
            return self._has(rtype, name, value, q, depth)
        if name == "_filter":
            from openror.fhir.search.filter import parse_filter

            return parse_filter(self, rtype, value, depth)
        head, dot, rest = name.partition(".")
        base, _, modifier = head.partition(":")
        if dot:
            return self._chain(rtype, base, modifier or None, rest, value, q, depth)
        return self._leaf(rtype, base, modifier or None, value, q)

    def _has(self, rtype: str, name: str, value: str, q: Query | None, depth: int) -> Filter:
        parts = name.split(":", 3)
        if len(parts) < 4 or parts[1] not in TYPES:
            raise _bad(f"'{name}' must be _has:Type:reference:parameter")
        source, ref, rest = parts[1], parts[2], parts[3]
        p = self.registry.get(source, ref)
        if p is None or p.type != "reference":
            raise _bad(f"_has: '{ref}' is not a reference parameter of {source}")
        if p.targets and rtype not in p.targets:
            raise _bad(f"_has: {source}.{ref} does not point to {rtype}")
        inner = self.criterion(source, rest, value, None, depth=depth + 1)
        return Has(source, p.name, inner)

    def _chain(
        self, rtype: str, base: str, modifier: str | None, rest: str, value: str, q: Query | None, depth: int
    ) -> Filter:
        p = self._param(rtype, base)
        if p.type != "reference":
            raise _bad(f"'{base}' is not a reference parameter: it cannot be chained")
        hierarchy = modifier if modifier in ("above", "below") else None
        if modifier and not hierarchy and modifier not in TYPES:
            raise _bad(f"unknown modifier ':{modifier}' in a chain")
        targets = (modifier,) if modifier and not hierarchy else p.targets
        if not targets:
            raise _bad(f"'{base}' may point to any type: give one, e.g. {base}:Organization.{rest}")
        alts = []
        for target in targets:
            try:
                inner = self.criterion(target, rest, value, None, depth=depth + 1)
            except _Unknown:
                if len(targets) == 1:
                    raise
                continue
            alts.append(Chain(p.name, target, inner, hierarchy))
        if not alts:
            raise _Unknown(f"{base}.{rest}", rtype)
        return alts[0] if len(alts) == 1 else Or(tuple(alts))

    def _param(self, rtype: str, name: str) -> Param:
        p = self.registry.get(rtype, name)
        if p is None:
            raise _Unknown(name, rtype)
        return p

    def _leaf(self, rtype: str, name: str, modifier: str | None, value: str, q: Query | None) -> Filter:
        if name == "_id":
            return self._id(modifier, value)
        if name == "_lastUpdated":
            if modifier == "missing":
                return Missing("_lastUpdated", "date", value == "true")
            if modifier:
                raise _bad(f"modifier ':{modifier}' is not allowed on _lastUpdated")
            return Match("_lastUpdated", "date", None, tuple(parse_date(v) for v in split_values(value)))
        if name == "_content":
            if modifier:
                raise _bad("_content takes no modifier")
            return Match("_content", "content", None, tuple(split_values(value)))
        p = self._param(rtype, name)
        if p.chain_alias:
            alias_base, _, alias_rest = p.chain_alias.partition(".")
            return self._chain(rtype, alias_base, None, alias_rest, value, q, 0)
        if modifier == "missing":
            if value not in ("true", "false"):
                raise _bad(f"{name}:missing must be true or false")
            return Missing(p.name, p.type, value == "true")
        return self._typed(p, modifier, value, q)

    def _id(self, modifier: str | None, value: str) -> Filter:
        ids = split_values(value)
        for i in ids:
            if not is_valid_id(i):
                raise _bad(f"'{i}' is not a valid id")
        m = Match("_id", "id", None, tuple(ids))
        if modifier == "not":
            return Not(m)
        if modifier:
            raise _bad(f"modifier ':{modifier}' is not allowed on _id")
        return m

    def _typed(self, p: Param, modifier: str | None, value: str, q: Query | None) -> Filter:
        values = split_values(value)
        t = p.type
        if t == "token":
            if modifier not in (None, "not", "text", "of-type", "exact", "above", "below", "in", "not-in"):
                raise _bad(f"modifier ':{modifier}' is not allowed on token parameter '{p.name}'")
            if modifier in ("above", "below", "in", "not-in"):
                raise _bad(f"':{modifier}' on token parameters is not supported (no code hierarchies loaded)")
            if modifier == "text":
                return Match(p.name, t, "text", tuple(values))
            if modifier == "of-type":
                out = []
                for v in values:
                    parts = v.split("|")
                    if len(parts) != 3 or not parts[1] or not parts[2]:
                        raise _bad(f"{p.name}:of-type expects system|code|value, got '{v}'")
                    out.append(TokenValue(parts[0] or "", f"{parts[1]}|{parts[2]}"))
                return Match(f"{p.name}:of-type", t, None, tuple(out))
            m = Match(p.name, t, None, tuple(parse_token(v) for v in values))
            return Not(m) if modifier == "not" else m
        if t == "string":
            if modifier not in (None, "exact", "contains", "not"):
                raise _bad(f"modifier ':{modifier}' is not allowed on string parameter '{p.name}'")
            if modifier == "not":
                return Not(Match(p.name, t, "exact", tuple(values)))
            return Match(p.name, t, modifier, tuple(values))
        if t == "date":
            self._no_modifier(p, modifier)
            return Match(p.name, t, None, tuple(parse_date(v) for v in values))
        if t in ("number", "quantity"):
            self._no_modifier(p, modifier)
            return Match(p.name, t, None, tuple(parse_number(v, quantity=t == "quantity") for v in values))
        if t == "reference":
            if modifier == "identifier":
                idents: list[ReferenceValue] = []
                for v in values:
                    system, code = _split_token(v)
                    idents.append(ReferenceValue(None, None, None, system or None, code))
                return Match(p.name, t, "identifier", tuple(idents))
            hierarchy = modifier if modifier in ("above", "below") else None
            type_mod = modifier if modifier in TYPES else None
            if modifier and not hierarchy and not type_mod and modifier not in ("missing", "not"):
                raise _bad(f"modifier ':{modifier}' is not allowed on reference parameter '{p.name}'")
            refs = tuple(parse_reference(v, p.targets, type_mod) for v in values)
            m = Match(p.name, t, hierarchy, refs)
            return Not(m) if modifier == "not" else m
        if t == "uri":
            if modifier not in (None, "above", "below", "not"):
                raise _bad(f"modifier ':{modifier}' is not allowed on uri parameter '{p.name}'")
            m = Match(p.name, t, None if modifier == "not" else modifier, tuple(values))
            return Not(m) if modifier == "not" else m
        if t == "special" and p.name in ("near", "near-insee-code"):
            self._no_modifier(p, modifier)
            if len(values) != 1:
                raise _bad(f"{p.name} takes one value")
            near = parse_near(values[0], insee=p.name == "near-insee-code")
            if q is not None:
                q.near = near
            return Match(p.name, t, None, (near,))
        raise _bad(f"parameter '{p.name}' of type {t} is not searchable here")

    @staticmethod
    def _no_modifier(p: Param, modifier: str | None) -> None:
        if modifier == "not":
            raise _bad(f":not is only allowed on token, string, reference and uri parameters, not '{p.name}'")
        if modifier:
            raise _bad(f"modifier ':{modifier}' is not allowed on {p.type} parameter '{p.name}'")


class _Unknown(Exception):
    def __init__(self, name: str, rtype: str) -> None:
        super().__init__(name)
        self.name = name
        self.rtype = rtype
