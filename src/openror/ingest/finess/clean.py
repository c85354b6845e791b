"""Value checks shared by the FINESS parsers: identifiers, dates, codes (spec a.2; etalab dictionaries).

A malformed identifier of the record itself rejects the record; a malformed optional value is
dropped with a warning (the rest of the record is kept).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

FINESS_RE = re.compile(r"^[0-9][0-9A-Z][0-9]{7}$")
SIREN_RE = re.compile(r"^[0-9]{9}$")
SIRET_RE = re.compile(r"^[0-9]{14}$")
COMMUNE_RE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
POSTAL_RE = re.compile(r"^[0-9]{5}$")
CODE_RE = re.compile(r"^[0-9A-Za-z]{1,10}$")
_FR_DATE = re.compile(r"^([0-9]{2})/([0-9]{2})/([0-9]{4})$")


class RecordError(Exception):
    """A record rejected whole: ``where`` in the source and why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.where = where
        self.reason = reason


def text(value: Any) -> str | None:
    """A stripped non-empty string, or None (JSON null, empty, blank, non-string scalars as text)."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, dict | list):
            return None
        value = str(value)
    value = value.strip()
    return value or None


def finess_number(value: Any, what: str, where: str) -> str:
    v = text(value)
    if v is None:
        raise RecordError(where, f"{what} is missing")
    if not FINESS_RE.match(v):
        raise RecordError(where, f"{what} {v!r} is not a FINESS number (9 characters, [0-9][0-9A-Z][0-9]{{7}})")
    return v


def checked(value: Any, pattern: re.Pattern[str], what: str, warnings: list[str]) -> str | None:
    v = text(value)
    if v is None:
        return None
    if not pattern.match(v):
        warnings.append(f"{what} {v!r} is malformed: dropped")
        return None
    return v


def iso_date(value: Any, what: str, warnings: list[str]) -> str | None:
    """An ISO date from ``YYYY-MM-DD`` (optionally followed by a time) or ``DD/MM/YYYY`` (older files)."""
    v = text(value)
    if v is None:
        return None
    m = _FR_DATE.match(v)
    candidate = f"{m.group(3)}-{m.group(2)}-{m.group(1)}" if m else v[:10]
    try:
        return date.fromisoformat(candidate).isoformat()
    except ValueError:
        warnings.append(f"{what} {v!r} is not a date: dropped")
        return None


def integer(value: Any, what: str, warnings: list[str]) -> int | None:
    v = text(value)
    if v is None:
        return None
    try:
        n = int(v)
    except ValueError:
        warnings.append(f"{what} {v!r} is not an integer: dropped")
        return None
    if not -2_147_483_648 <= n <= 2_147_483_647:  # FHIR integer range
        warnings.append(f"{what} {v!r} is out of the FHIR integer range: dropped")
        return None
    return n


def coordinate(value: Any) -> float | None:
    v = text(value)
    if v is None:
        return None
    try:
        f = float(v.replace(",", "."))
    except ValueError:
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def phone_kind(number: str) -> str:
    """``mobile`` for French mobile numbers (06, 07), else ``phone``."""
    return "mobile" if number.startswith(("06", "07")) else "phone"
