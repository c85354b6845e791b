"""Token index values of a resource for the parameters the core server needs (identifier, _tag).

The search issue replaces this with getters generated from every SearchParameter; the store only
sees (param, system, code, visibility) rows, so that change stays behind this function.
"""

from __future__ import annotations

from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.search.rows import IndexRows, TokenRow

Token = tuple[str, str | None, str, int]

PUBLIC = 0

MAX_TOKEN_LENGTH = 512


def index_tokens(resource: dict[str, Any]) -> list[Token]:
    """identifier (system|value) and _tag (system|code) tokens of ``resource``."""
    out: list[Token] = []
    idents = resource.get("identifier")
    if isinstance(idents, dict):  # 0..1 on some types (PractitionerRole in ROR is 0..1 but R4 is 0..*)
        idents = [idents]
    for ident in idents or []:
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            system = ident.get("system")
            _add(out, "identifier", system if isinstance(system, str) else None, ident["value"])
    meta = resource.get("meta")
    if isinstance(meta, dict):
        for tag in meta.get("tag", []) or []:
            if isinstance(tag, dict) and isinstance(tag.get("code"), str):
                system = tag.get("system")
                _add(out, "_tag", system if isinstance(system, str) else None, tag["code"])
    return out


def _add(out: list[Token], param: str, system: str | None, code: str) -> None:
    if len(code) > MAX_TOKEN_LENGTH or (system is not None and len(system) > MAX_TOKEN_LENGTH):
        raise FhirError.of(
            Category.STRUCTURE, f"{param} value longer than {MAX_TOKEN_LENGTH} characters", expression=param
        )
    out.append((param, system, code, PUBLIC))


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``code`` → (None = any system, code); ``|code`` → ("", code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def basic_index_rows(resource: dict[str, Any]) -> IndexRows:
    """identifier and _tag tokens as IndexRows (until the full extractor replaces it)."""
    rows = IndexRows()
    rows.tokens.extend(TokenRow(p, s, c, None, v) for p, s, c, v in index_tokens(resource))
    return rows
