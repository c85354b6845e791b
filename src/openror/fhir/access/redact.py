"""The one redaction step of every outbound path (spec f; checklist 25-30; docs/security.md).

``redact`` removes from a resource every element the caller's profile may not see (by the classes of
``openror.fhir.access.classify``) and tags what it changed with ``meta.security`` SUBSETTED. The
store keeps, per resource, the set of classes present (``classes_present``), so that a resource with
nothing to hide from a profile is served as stored, without being parsed.
"""

from __future__ import annotations

from typing import Any

from openror.fhir.access.classify import child_class
from openror.fhir.access.rules import ACCESS_MS, MS_BIT, allowed_vis, element_visible

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
MAX_NODES = 200_000  # elements walked in one resource (bodies are bounded by the API's limits anyway)


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError("resource too large to classify")


def classes_present(resource: dict[str, Any]) -> int:
    """Bit mask of the element classes (without the médico-social bit, 0-31) found in ``resource``."""
    mask = 1  # the root: public, base
    budget = _Budget()
    stack: list[tuple[Any, int]] = [(resource, 0)]
    while stack:
        value, cls = stack.pop()
        budget.spend()
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is list:
                    for child in item:
                        if type(child) in (dict, list):
                            c = child_class(cls, key, child)
                            mask |= 1 << c
                            stack.append((child, c))
                elif type(item) is dict:
                    c = child_class(cls, key, item)
                    mask |= 1 << c
                    stack.append((item, c))
        elif type(value) is list:
            for child in value:
                if type(child) in (dict, list):
                    stack.append((child, cls))
    return mask


def needs_redaction(profile: int, access: int, classes: int) -> bool:
    """Whether a resource with these ``classes`` hides something from ``profile`` (False: serve as is)."""
    if profile == 1:
        return False
    allowed = allowed_vis(profile)
    ms = MS_BIT if access & ACCESS_MS else 0
    c = 0
    while classes:
        if classes & 1 and (c | ms) not in allowed:
            return True
        classes >>= 1
        c += 1
    return False


def redact(resource: dict[str, Any], profile: int, access: int) -> dict[str, Any]:
    """``resource`` without the elements ``profile`` may not see; the same object if nothing was hidden.

    The row itself is assumed visible (``rules.row_visible``): callers check it first.
    """
    if profile == 1:
        return resource
    root = MS_BIT if access & ACCESS_MS else 0
    budget = _Budget()
    out, changed = _walk(resource, root, profile, budget)
    if not changed:
        return resource
    meta = dict(out.get("meta") or {})
    security = [s for s in meta.get("security") or () if not (isinstance(s, dict) and s.get("code") == "SUBSETTED")]
    meta["security"] = [*security, dict(SUBSETTED)]
    out["meta"] = meta
    return out


def _walk(obj: dict[str, Any], cls: int, profile: int, budget: _Budget) -> tuple[dict[str, Any], bool]:
    budget.spend()
    out: dict[str, Any] = {}
    changed = False
    for key, value in obj.items():
        if type(value) is dict:
            c = child_class(cls, key, value)
            if not element_visible(profile, c):
                changed = True
                continue
            sub, sub_changed = _walk(value, c, profile, budget)
            changed |= sub_changed
            if sub:
                out[key] = sub
            else:
                changed = True
        elif type(value) is list:
            items: list[Any] = []
            for item in value:
                if type(item) is dict:
                    c = child_class(cls, key, item)
                    if not element_visible(profile, c):
                        changed = True
                        continue
                    sub, sub_changed = _walk(item, c, profile, budget)
                    changed |= sub_changed
                    if sub:
                        items.append(sub)
                    else:
                        changed = True
                else:
                    items.append(item)
            if items:
                out[key] = items
            elif value:
                changed = True
        else:
            out[key] = value
    return out, changed
