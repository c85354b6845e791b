"""Server-managed meta and FHIR instants (spec a.1, checklist 3 and 32).

Times are kept as integer microseconds since the Unix epoch (UTC) in storage, so both databases
compare and order them identically; this module turns them into FHIR instants and back.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.resources import CREATION_DATE_URL, PROFILES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<f>\.\d{1,9})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def us_to_datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def datetime_to_us(value: datetime) -> int:
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def us_to_instant(us: int) -> str:
    """FHIR instant with microseconds, e.g. ``2026-11-22T10:00:00.123456+00:00``."""
    return us_to_datetime(us).isoformat(timespec="microseconds")


def us_to_http_date(us: int) -> str:
    """RFC 7231 date for ``Last-Modified``."""
    return format_datetime(us_to_datetime(us).replace(microsecond=0), usegmt=True)


def parse_instant_bound(value: str, *, upper: bool = False) -> int:
    """Parse a FHIR date/dateTime/instant given as a query value into microseconds.

    A partial value (``2022``, ``2022-11-06T15:00``) denotes a range; ``upper`` selects its end
    (exclusive) instead of its start. A value without time zone is read as UTC (documented).
    """
    m = _DATE_RE.match(value)
    if not m:
        raise FhirError.of(Category.INVALID, f"'{value}' is not a FHIR date, dateTime or instant")
    try:
        y = int(m["y"])
        mo = int(m["m"] or 1)
        d = int(m["d"] or 1)
        hh = int(m["H"] or 0)
        mi = int(m["M"] or 0)
        ss = int(m["S"] or 0)
        frac = m["f"]
        micro = int((frac[1:] + "000000")[:6]) if frac else 0
        tz = m["tz"]
        start = datetime(y, mo, d, hh, mi, ss, micro, tzinfo=UTC)
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            start -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    except ValueError as exc:
        raise FhirError.of(Category.INVALID, f"'{value}' is not a valid date: {exc}") from None
    if not upper:
        return datetime_to_us(start)
    if frac:
        step = timedelta(microseconds=10 ** max(0, 6 - (len(frac) - 1)))
    elif m["S"]:
        step = timedelta(seconds=1)
    elif m["M"]:
        step = timedelta(minutes=1)
    elif m["d"]:
        step = timedelta(days=1)
    elif m["m"]:
        nxt = date(y + (mo == 12), mo % 12 + 1, 1)
        return datetime_to_us(datetime(nxt.year, nxt.month, 1, tzinfo=UTC))
    else:
        return datetime_to_us(datetime(y + 1, 1, 1, tzinfo=UTC))
    return datetime_to_us(start + step)


def creation_date(resource: dict[str, Any]) -> str | None:
    """The ``ror-meta-creation-date`` value of a resource, if any (a resource-level extension)."""
    for ext in resource.get("extension", []) or []:
        if isinstance(ext, dict) and ext.get("url") == CREATION_DATE_URL:
            value = ext.get("valueDateTime")
            return value if isinstance(value, str) else None
    return None


def stamp(resource: dict[str, Any], *, resource_id: str, version_id: int, last_updated_us: int) -> dict[str, Any]:
    """Set the commit-time fields on ``resource`` (in place) and return it.

    ``id``, ``meta.versionId``, ``meta.lastUpdated`` and the ROR profile first in ``meta.profile``.
    """
    rtype = resource["resourceType"]
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    new_meta: dict[str, Any] = {"versionId": str(version_id), "lastUpdated": us_to_instant(last_updated_us)}
    new_meta.update({k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")})
    profile = PROFILES.get(rtype)
    if profile is not None:
        others = [p for p in meta.get("profile", []) or [] if p != profile]
        new_meta["profile"] = [profile, *others]
    # Canonical order for readers: resourceType, id, meta, then the rest as given.
    rest = {k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}
    resource.clear()
    resource.update({"resourceType": rtype, "id": resource_id, "meta": new_meta, **rest})
    return resource


def keep_creation_date(resource: dict[str, Any], original: str | None, now_us: int) -> None:
    """Set ``ror-meta-creation-date`` on a ROR resource about to be written (spec a.1).

    The value of the first version wins (``original``); on creation the client's value is kept,
    or the write time is used when the client gave none.
    """
    if resource.get("resourceType") not in PROFILES:
        return
    value = original or creation_date(resource) or us_to_instant(now_us)
    _set_creation_date(resource, value)


def _set_creation_date(resource: dict[str, Any], value: str) -> None:
    """Set ror-meta-creation-date (spec a.1), in place when present so the client's order is kept."""
    exts = resource.get("extension")
    if not isinstance(exts, list):
        exts = []
    for ext in exts:
        if isinstance(ext, dict) and ext.get("url") == CREATION_DATE_URL:
            for key in [k for k in ext if k.startswith("value")]:
                del ext[key]
            ext["valueDateTime"] = value
            break
    else:
        exts.append({"url": CREATION_DATE_URL, "valueDateTime": value})
    resource["extension"] = exts
