"""Search-index extraction: the index rows of one resource for every registered parameter (spec c; issue 3 point 2).

``index_rows(resource)`` evaluates the compiled getter of each parameter of the resource's type (the
registry of ``openror.fhir.search.registry``) and converts the matched elements by parameter type:

* token: CodeableConcept → one row per coding (system, code; text = folded display, else the concept's
  folded text; a concept with text only gives one row with code ``""``, findable by ``:text``); Coding;
  Identifier → (system, value) plus ``<name>:of-type`` rows (type system, ``<type code>|<value>``) per
  type coding; ContactPoint → (system, value); code/string/id/uri → (None, value); boolean → "true"/"false".
* string: plain strings; HumanName (family, given, prefix, suffix, text) and Address (line, city,
  district, state, postalCode, country, text) give one row per part; ``norm`` is ``fold()``.
* date: date/dateTime/instant → [lo, hi) in µs at the value's precision (``2024`` is the whole year,
  ``2024-05-01T10:00`` the minute, ``.123`` the millisecond); **no time zone means UTC**; Period →
  [start lo, end hi) with DATE_MIN/DATE_MAX for an open end.
* number: integer/decimal, Money/Quantity value. quantity: Quantity (value, system, code or unit);
  Money (value, urn:iso:std:iso:4217, currency). A Range node gives nothing (the ROR parameters index
  ``Range.low``/``.high``, which are Quantities).
* reference: Reference → ``Type/id`` (relative, ``/_history/v`` dropped, or an absolute URL ending so:
  url kept), ``urn:uuid:``/``urn:oid:``/``#contained`` → no target, url kept; ``Reference.type`` gives
  the target type when the reference string does not; ``identifier`` → ident_system/ident_value.
  A canonical string → url only.
* uri: strings. special: ``near`` → GeoRow from Location.position; other special parameters (e.g.
  ``near-insee-code``) and composites produce no rows (the engine resolves them from other rows).

``_id``/``_lastUpdated`` are columns of the resource table and are skipped. ``_content``: ``words`` is
the set of (term, vis) of every string of the resource (``content_terms``: folded, French-stemmed),
except the narrative (``text``), the technical keys ``url``/``system``/``reference``/``resourceType``/
``id`` and coded values (``code``: searched as tokens; their displays are content), URI-valued
strings and dates; one entry per (term, visibility class) it occurs with (classes are not ordered:
a profile may see a restricted contact and not a public capacity). Bounded: MAX_WORDS terms,
MAX_WORDS_SCANNED words read, MAX_CONTENT_NODES objects walked.

Each row carries the visibility class of its element (``fhirpath.Node.vis``). Values too long for the
index columns: strings and token text are truncated to MAX_STRING_LENGTH; a token, uri or reference
longer than its column is refused with a FhirError (structure), as the core server always did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from openror.fhir.access.classify import child_class
from openror.fhir.errors import Category, FhirError
from openror.fhir.search.fhirpath import CompiledPath, Node, reference_target
from openror.fhir.search.registry import registry
from openror.fhir.search.rows import (
    DATE_MAX,
    DATE_MIN,
    DateRow,
    GeoRow,
    IndexRows,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    StringRow,
    TokenRow,
    UriRow,
)
from openror.fhir.search.text import content_terms, fold

MAX_TOKEN_LENGTH = 512  # idx_token.system / code
MAX_STRING_LENGTH = 512  # idx_string.norm / exact, idx_token.text (truncated)
MAX_URI_LENGTH = 1024  # idx_uri.value, idx_reference.url
MAX_WORDS = 5000
MAX_WORDS_SCANNED = 50_000
MAX_CONTENT_NODES = 200_000  # objects and arrays walked for _content

SKIPPED_PARAMS = frozenset({"_id", "_lastUpdated"})
CURRENCY_SYSTEM = "urn:iso:std:iso:4217"
_CONTENT_SKIPPED_KEYS = frozenset({"url", "system", "reference", "resourceType", "id", "code", "div"})
_URI_PREFIXES = ("http://", "https://", "urn:")
_HUMAN_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")
_STRING_PARTS = (*_HUMAN_NAME_PARTS[:-1], *_ADDRESS_PARTS)  # each part once, ``text`` last

_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86_400_000_000
_RESOURCE_TYPE_NAME = re.compile(r"(?:^|/)([A-Z][A-Za-z]{1,63})$")


# ---------------------------------------------------------------------------------------------------
# Dates


def _day_us(year: int, month: int, day: int) -> int:
    return (date(year, month, day).toordinal() - _EPOCH_ORDINAL) * _DAY


def date_range(value: str) -> tuple[int, int] | None:
    """[lo, hi) in µs since the epoch of a FHIR date, dateTime or instant at its precision; None if invalid.

    Without a time zone the value is taken as UTC (FHIR leaves it to the server; the ROR is one country
    but spans time zones, and UTC keeps index and query consistent).
    """
    m = _DATE.fullmatch(value)
    if m is None:
        return None
    year_s, month_s, day_s, hour_s, minute_s, second_s, fraction_s, zone = m.groups()
    try:
        year = int(year_s)
        if month_s is None:
            return _day_us(year, 1, 1), (_day_us(year + 1, 1, 1) if year < 9999 else DATE_MAX)
        month = int(month_s)
        if day_s is None:
            nxt = _day_us(year + (month == 12), month % 12 + 1, 1) if (year, month) < (9999, 12) else DATE_MAX
            return _day_us(year, month, 1), nxt
        lo = _day_us(year, month, int(day_s))
    except ValueError:  # year 0, month 13, 30 February...
        return None
    if hour_s is None:
        return lo, lo + _DAY
    hour, minute = int(hour_s), int(minute_s)
    second = int(second_s) if second_s is not None else 0
    if hour > 23 or minute > 59 or second > 60:  # 60: a leap second, counted as the next one
        return None
    lo += ((hour * 60 + minute) * 60 + second) * 1_000_000
    if zone is not None and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        lo -= sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60_000_000
    if second_s is None:
        return lo, lo + 60_000_000
    if fraction_s is None:
        return lo, lo + 1_000_000
    digits = min(len(fraction_s), 6)
    lo += int(fraction_s[:digits].ljust(6, "0"))
    return lo, lo + 10 ** (6 - digits)


def period_range(period: dict[str, Any]) -> tuple[int, int] | None:
    """[start lo, end hi) of a Period, open ends DATE_MIN/DATE_MAX; None when empty or inverted."""
    start, end = period.get("start"), period.get("end")
    if start is None and end is None:
        return None
    lo, hi = DATE_MIN, DATE_MAX
    if start is not None:
        found = date_range(start) if isinstance(start, str) else None
        if found is None:
            return None
        lo = found[0]
    if end is not None:
        found = date_range(end) if isinstance(end, str) else None
        if found is None:
            return None
        hi = found[1]
    return (lo, hi) if lo < hi else None


# ---------------------------------------------------------------------------------------------------
# Converters: (parameter name, matched nodes, rows)

Converter = Callable[[str, list[Node], IndexRows], None]


def _too_long(param: str, what: str, limit: int) -> FhirError:
    return FhirError.of(Category.STRUCTURE, f"{param}: {what} longer than {limit} characters", expression=param)


def _token(rows: IndexRows, param: str, system: Any, code: str, text: Any, vis: int) -> None:
    sys_ = system if isinstance(system, str) else None
    if len(code) > MAX_TOKEN_LENGTH or (sys_ is not None and len(sys_) > MAX_TOKEN_LENGTH):
        raise _too_long(param, "token value", MAX_TOKEN_LENGTH)
    folded = fold(text)[:MAX_STRING_LENGTH] if isinstance(text, str) and text.strip() else None
    rows.tokens.append(TokenRow(param, sys_, code, folded, vis))


def _token_kind(value: dict[str, Any], typ: str | None) -> str:
    if typ is not None:
        return typ
    if "coding" in value:
        return "CodeableConcept"
    if "code" in value:
        return "Coding"
    if "value" in value:
        return "Identifier"  # or ContactPoint: both index (system, value)
    return "CodeableConcept" if "text" in value else ""


def _tokens(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, typ, vis in nodes:
        if isinstance(value, bool):
            _token(rows, param, None, "true" if value else "false", None, vis)
        elif isinstance(value, str):
            _token(rows, param, None, value, None, vis)
        elif isinstance(value, int | float):
            _token(rows, param, None, str(value), None, vis)
        elif isinstance(value, dict):
            kind = _token_kind(value, typ)
            if kind == "CodeableConcept":
                text = value.get("text")
                codings = value.get("coding")
                coded = False
                for coding in codings if isinstance(codings, list) else ():
                    if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                        display = coding.get("display")
                        shown = display if isinstance(display, str) and display.strip() else text
                        _token(rows, param, coding.get("system"), coding["code"], shown, vis)
                        coded = True
                if not coded and isinstance(text, str) and text.strip():
                    _token(rows, param, None, "", text, vis)
            elif kind == "Coding":
                if isinstance(value.get("code"), str):
                    _token(rows, param, value.get("system"), value["code"], value.get("display"), vis)
            elif kind in ("Identifier", "ContactPoint"):
                ident = value.get("value")
                if isinstance(ident, str):
                    _token(rows, param, value.get("system"), ident, None, vis)
                    _of_type(rows, param, value.get("type"), ident, vis)


def _of_type(rows: IndexRows, param: str, type_: Any, ident: str, vis: int) -> None:
    codings = type_.get("coding") if isinstance(type_, dict) else None
    for coding in codings if isinstance(codings, list) else ():
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            _token(rows, f"{param}:of-type", coding.get("system"), f"{coding['code']}|{ident}", None, vis)


def _string(rows: IndexRows, param: str, text: str, vis: int) -> None:
    if text.strip():
        rows.strings.append(StringRow(param, fold(text)[:MAX_STRING_LENGTH], text[:MAX_STRING_LENGTH], vis))


def _strings(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, str):
            _string(rows, param, value, vis)
        elif isinstance(value, dict):  # HumanName, Address
            for part in _STRING_PARTS:
                found = value.get(part)
                if isinstance(found, str):
                    _string(rows, param, found, vis)
                elif isinstance(found, list):
                    for item in found:
                        if isinstance(item, str):
                            _string(rows, param, item, vis)


def _dates(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, str):
            found = date_range(value)
        elif isinstance(value, dict):
            found = period_range(value)
        else:
            continue
        if found is not None:
            rows.dates.append(DateRow(param, found[0], found[1], vis))


def _number_of(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _numbers(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        number = _number_of(value.get("value")) if isinstance(value, dict) else _number_of(value)
        if number is not None:
            rows.numbers.append(NumberRow(param, number, vis))


def _quantities(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, dict):
            number = _number_of(value.get("value"))
            if number is None:
                continue  # also a Range: its low/high are indexed through their own paths
            system: Any = value.get("system")
            code: Any = value.get("code", value.get("unit"))
            if isinstance(value.get("currency"), str):
                system, code = CURRENCY_SYSTEM, value["currency"]
            rows.quantities.append(
                QuantityRow(
                    param,
                    number,
                    system if isinstance(system, str) else None,
                    code if isinstance(code, str) else None,
                    vis,
                )
            )
        else:
            number = _number_of(value)
            if number is not None:
                rows.quantities.append(QuantityRow(param, number, None, None, vis))


def _check_uri(param: str, value: str) -> str:
    if len(value) > MAX_URI_LENGTH:
        raise _too_long(param, "URI", MAX_URI_LENGTH)
    return value


def _references(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, str):  # canonical / uri
            rows.references.append(ReferenceRow(param, None, None, _check_uri(param, value), vis=vis))
            continue
        if not isinstance(value, dict):
            continue
        ref = value.get("reference")
        target_type = target_id = url = None
        if isinstance(ref, str) and ref:
            target = reference_target(ref)
            if target is not None:
                target_type, target_id = target
            if target is None or "://" in ref:
                url = _check_uri(param, ref)
        if target_type is None and isinstance(value.get("type"), str):
            named = _RESOURCE_TYPE_NAME.search(value["type"])
            target_type = named.group(1) if named else None
        ident = value.get("identifier")
        ident_system = ident_value = None
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            ident_value = ident["value"]
            ident_system = ident.get("system") if isinstance(ident.get("system"), str) else None
            if len(ident_value) > MAX_TOKEN_LENGTH or (ident_system and len(ident_system) > MAX_TOKEN_LENGTH):
                raise _too_long(param, "reference identifier", MAX_TOKEN_LENGTH)
        if target_id is None and url is None and ident_value is None:
            continue  # display only
        rows.references.append(ReferenceRow(param, target_type, target_id, url, ident_system, ident_value, vis))


def _uris(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, str) and value:
            rows.uris.append(UriRow(param, _check_uri(param, value), vis))


def _near(param: str, nodes: list[Node], rows: IndexRows) -> None:
    for value, _typ, vis in nodes:
        if isinstance(value, dict):
            lat, lon = _number_of(value.get("latitude")), _number_of(value.get("longitude"))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                rows.geo.append(GeoRow(param, lat, lon, vis))


_CONVERTERS: dict[str, Converter] = {
    "token": _tokens,
    "string": _strings,
    "date": _dates,
    "number": _numbers,
    "quantity": _quantities,
    "reference": _references,
    "uri": _uris,
}


@cache
def _plan(resource_type: str) -> tuple[tuple[str, CompiledPath, Converter], ...]:
    """(name, getter, converter) of every parameter of ``resource_type`` that has index rows."""
    plan: list[tuple[str, CompiledPath, Converter]] = []
    for name, p in registry().params(resource_type).items():
        if name in SKIPPED_PARAMS or p.getter is None:
            continue
        converter = _near if (p.type == "special" and name == "near") else _CONVERTERS.get(p.type)
        if converter is not None:
            plan.append((name, p.getter, converter))
    return tuple(plan)


def index_rows(resource: dict[str, Any]) -> IndexRows:
    """Index rows of ``resource`` for every registered parameter of its type, plus ``_content`` words.

    Raises FhirError (structure) when a token, uri or reference value is too long for the index.
    """
    rows = IndexRows()
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return rows
    root_vis = 0
    memo: dict[int, list[Node]] = {}
    for name, getter, convert in _plan(resource_type):
        nodes = getter(resource, root_vis, memo)
        if nodes:
            convert(name, nodes, rows)
    rows.words = content_words(resource, root_vis)
    _dedupe(rows)
    return rows


def content_words(resource: dict[str, Any], root_vis: int | None = None) -> set[tuple[str, int]]:
    """``_content`` (term, vis) pairs of ``resource``: each term once per visibility class it occurs in."""
    found: set[tuple[str, int]] = set()
    scanned = 0
    stack: list[tuple[Any, int, str]] = [(resource, 0 if root_vis is None else root_vis, "")]
    walked = 0
    while stack and scanned < MAX_WORDS_SCANNED and len(found) < MAX_WORDS and walked < MAX_CONTENT_NODES:
        value, vis, name = stack.pop()
        walked += 1
        strings: list[str] = []
        if isinstance(value, dict):
            if value is not resource:
                vis = child_class(vis, name, value)
            is_root = value is resource  # its narrative (text.div, text.status) is generated, not content
            for key, item in value.items():
                if key in _CONTENT_SKIPPED_KEYS or key[0] == "_" or (is_root and key == "text"):
                    continue
                if isinstance(item, str):
                    strings.append(item)
                elif isinstance(item, dict | list):
                    stack.append((item, vis, key))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    strings.append(item)
                elif isinstance(item, dict | list):
                    stack.append((item, vis, name))
        for text in strings:
            if text.startswith(_URI_PREFIXES) or (text[:1].isdigit() and _DATE.fullmatch(text)):
                continue
            terms = content_terms(text)
            scanned += len(terms)
            for term in terms:
                found.add((term, vis))
    if len(found) > MAX_WORDS:
        found = set(sorted(found)[:MAX_WORDS])
    return found


def _dedupe(rows: IndexRows) -> None:
    rows.tokens = list(dict.fromkeys(rows.tokens))
    rows.strings = list(dict.fromkeys(rows.strings))
    rows.dates = list(dict.fromkeys(rows.dates))
    rows.numbers = list(dict.fromkeys(rows.numbers))
    rows.quantities = list(dict.fromkeys(rows.quantities))
    rows.references = list(dict.fromkeys(rows.references))
    rows.uris = list(dict.fromkeys(rows.uris))
    rows.geo = list(dict.fromkeys(rows.geo))
