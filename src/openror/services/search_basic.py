"""Basic search until the search engine lands (issue 3): ``_id``, ``identifier``, ``_lastUpdated``.

Strict by default (spec c.1): an unsupported parameter is a 400 naming it, never ignored. Pages are
ordered by lastUpdated then row id and walked with a keyset cursor, so polling
``_lastUpdated=ge<greatest seen>`` follows the change feed of docs/architecture.md.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import orjson

from openror.fhir.access import AccessContext
from openror.fhir.errors import Category, FhirError
from openror.fhir.indexing import parse_token
from openror.fhir.meta import parse_instant_bound
from openror.fhir.resources import is_valid_id
from openror.services.directory import Directory, check_type
from openror.store.repository import BasicQuery, search_basic

_CURSOR_RE = re.compile(r"^(\d{1,20})\.(\d{1,20})$")
_PREFIX_RE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$")
SUPPORTED = ("_id", "identifier", "_lastUpdated", "_count", "_cursor", "_format", "_pretty", "_total")
DEFAULT_COUNT = 200


def _date_bounds(value: str) -> list[tuple[str, int]]:
    m = _PREFIX_RE.match(value)
    assert m is not None
    prefix, date = m[1] or "eq", m[2]
    lo, hi = parse_instant_bound(date), parse_instant_bound(date, upper=True)
    if prefix == "eq":
        return [("ge", lo), ("lt", hi)]
    if prefix in ("ge",):
        return [("ge", lo)]
    if prefix in ("gt", "sa"):
        return [("ge", hi)]
    if prefix in ("lt", "eb"):
        return [("lt", lo)]
    if prefix == "le":
        return [("lt", hi)]
    raise FhirError.of(Category.INVALID, f"prefix '{prefix}' is not supported on _lastUpdated yet")


def basic_search(
    directory: Directory,
    ctx: AccessContext,
    rtype: str,
    params: list[tuple[str, str]],
    base: str,
    *,
    max_count: int,
) -> dict[str, Any]:
    check_type(rtype)
    q = BasicQuery(rtype)
    count = DEFAULT_COUNT
    after: tuple[int, int] | None = None
    for name, value in params:
        if name == "_id":
            ids = value.split(",")
            for i in ids:
                if not is_valid_id(i):
                    raise FhirError.of(Category.INVALID, f"'{i}' is not a valid id")
            q = BasicQuery(
                rtype, sorted(set(ids) & set(q.ids)) if q.ids is not None else ids, q.token_groups, q.updated
            )
        elif name == "identifier":
            group = [("identifier", *parse_token(v)) for v in value.split(",")]
            if any(not code for _, _, code in group):
                raise FhirError.of(Category.INVALID, f"empty identifier value in '{value}'")
            q.token_groups.append(group)
        elif name == "_lastUpdated":
            q.updated.extend(_date_bounds(value))
        elif name == "_count":
            if not value.isdigit():
                raise FhirError.of(Category.INVALID, f"_count must be a non-negative integer, got '{value}'")
            count = min(int(value), max_count)
        elif name == "_cursor":
            m = _CURSOR_RE.match(value)
            if not m:
                raise FhirError.of(Category.INVALID, "malformed _cursor")
            after = (int(m[1]), int(m[2]))
        elif name in ("_format", "_pretty"):
            continue
        elif name == "_total":
            if value not in ("accurate", "estimate", "none"):
                raise FhirError.of(Category.INVALID, "_total must be none, estimate or accurate")
        else:
            raise FhirError.of(
                Category.INVALID,
                f"search parameter '{name}' is not supported yet on {rtype} (supported: {', '.join(SUPPORTED)})",
            )
    rows, total = search_basic(directory.store, q, after=after, limit=count + 1)
    page, more = rows[:count], len(rows) > count
    kept = [(k, v) for k, v in params if k != "_cursor"]
    links = [{"relation": "self", "url": f"{base}/{rtype}" + (f"?{urlencode(params)}" if params else "")}]
    if more and page:
        last = page[-1]
        links.append(
            {
                "relation": "next",
                "url": f"{base}/{rtype}?{urlencode([*kept, ('_cursor', f'{last.last_updated}.{last.rid}')])}",
            }
        )
    entries = [
        {
            "fullUrl": f"{base}/{rtype}/{r.id}",
            "resource": orjson.Fragment(r.body),
            "search": {"mode": "match"},
        }
        for r in page
        if r.body is not None
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links, "entry": entries}
