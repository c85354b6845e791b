"""Criteria of conditional interactions (If-None-Exist, conditional update/patch/delete), spec b.10.

Until the search engine lands, conditions may use ``identifier`` (repeatable: AND) and ``_id``.
Anything else is refused with a 400 naming the parameter, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from openror.fhir.errors import Category, FhirError
from openror.fhir.resources import is_valid_id


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``code`` → (None = any system, code); ``|code`` → ("", code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


@dataclass(frozen=True, slots=True)
class Criteria:
    tokens: list[tuple[str, str | None, str]]
    ids: list[str]


SUPPORTED = ("identifier", "_id")


def parse_criteria(query: str | list[tuple[str, str]]) -> Criteria:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    if not pairs:
        raise FhirError.of(Category.INVALID, "a conditional interaction needs search criteria (e.g. identifier=...)")
    tokens: list[tuple[str, str | None, str]] = []
    ids: list[str] = []
    for name, value in pairs:
        if name == "identifier":
            if "," in value:
                raise FhirError.of(Category.INVALID, "conditional criteria accept one identifier value per parameter")
            system, code = parse_token(value)
            if not code:
                raise FhirError.of(Category.INVALID, f"empty identifier value in '{value}'")
            tokens.append(("identifier", system, code))
        elif name == "_id":
            if not is_valid_id(value):
                raise FhirError.of(Category.INVALID, f"'{value}' is not a valid id")
            ids.append(value)
        elif name.startswith("_") and name in ("_format", "_pretty"):
            continue
        else:
            raise FhirError.of(
                Category.INVALID,
                f"conditional criteria support only {', '.join(SUPPORTED)}; '{name}' is not supported",
            )
    if not tokens and not ids:
        raise FhirError.of(Category.INVALID, "a conditional interaction needs identifier or _id criteria")
    if len(set(ids)) > 1:
        raise FhirError.of(Category.INVALID, "several different _id values can never match together")
    return Criteria(tokens, ids)
