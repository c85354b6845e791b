"""Tier (b) write validation: full FHIR R4 structure through the fhir.resources R4B models (DESIGN 3).

The R4B models are used for R4 data: for the types we serve (Organization, HealthcareService,
Location, Practitioner, PractitionerRole, Task, CodeSystem, ValueSet) R4B and R4 have the same
elements. fhir.resources is imported lazily (it is slow to import) and only the model of the type
being validated is loaded.

Two passes:

1. a small JSON pass for what the models let through: ``null`` values (except inside the arrays of
   primitive extensions, ``_line: [null, {...}]``), empty objects, empty arrays and empty strings
   (ele-1, "no empty elements"), and invariant ext-1 (an extension has a value or sub-extensions,
   never both, never neither);
2. pydantic validation of the model; each error becomes an :class:`~openror.fhir.errors.Issue` whose
   ``expression`` is built from the error location (``Location.position.latitude``,
   ``Location.extension[1].valueDateTime``).

Issue codes: ``structure`` (unknown element, wrong JSON type, cardinality, empty element),
``required`` (missing mandatory element), ``value`` (a primitive that does not match its FHIR
format: dates, ids, codes...), ``invalid`` (wrong ``resourceType``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any, Final

from openror.fhir.errors import Issue

# resourceType -> fhir.resources.R4B module name
MODELS: Final[dict[str, str]] = {
    "Organization": "organization",
    "HealthcareService": "healthcareservice",
    "Location": "location",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitionerrole",
    "Task": "task",
    "CodeSystem": "codesystem",
    "ValueSet": "valueset",
}

_models: dict[str, Any] = {}
_MAX_NODES: Final = 500_000
_PY_SUFFIX = re.compile(r"__ext$|_fhir$")


def _model(rtype: str) -> Any:
    model = _models.get(rtype)
    if model is None:
        module = importlib.import_module(f"fhir.resources.R4B.{MODELS[rtype]}")
        model = _models[rtype] = getattr(module, rtype)
    return model


def validate_structure(resource: Mapping[str, Any]) -> list[Issue]:
    """Structural issues (all errors) of ``resource`` as FHIR R4 JSON; empty when valid."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        return [Issue("structure", "resourceType is missing or not a string", expression=("resourceType",))]
    if rtype not in MODELS:
        return [
            Issue(
                "not-supported", f"resource type {rtype!r} is not served by this server", expression=("resourceType",)
            )
        ]
    issues = _json_pass(resource, rtype)
    if any(i.diagnostics.startswith("non-string key") for i in issues):
        return issues
    try:
        _model(rtype).model_validate(resource)
    except Exception as exc:  # pydantic.ValidationError (kept lazy: no pydantic import at module load)
        errors = getattr(exc, "errors", None)
        if errors is None:
            if isinstance(exc, TypeError):  # e.g. a dict with non-string keys: not a JSON body
                return [*issues, Issue("structure", f"not a JSON resource: {exc}", expression=(rtype,))]
            raise
        seen = tuple(e for i in issues for e in i.expression)
        for err in errors():
            issue = _issue(rtype, err)
            # The JSON pass already reported this element (or a parent of it): one issue is enough.
            if not any(e == s or e.startswith((s + ".", s + "[")) for e in issue.expression for s in seen):
                issues.append(issue)
    return issues


def _issue(rtype: str, err: Mapping[str, Any]) -> Issue:
    kind: str = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    expression = _expression(rtype, loc)
    msg: str = err.get("msg", "invalid")
    if kind == "extra_forbidden":
        return Issue("structure", f"unknown element '{_name(loc[-1]) if loc else '?'}'", expression=(expression,))
    if kind.endswith("missing"):
        return Issue("required", f"{expression} is required", expression=(expression,))
    if "wrong-resource-type" in kind or loc == ("resource_type",):
        return Issue("invalid", f"resourceType must be {rtype}", expression=(f"{rtype}.resourceType",))
    if "Any of one field value is expected" in msg:
        return Issue(
            "structure",
            "an element value[x] (or another choice element) must have exactly one value",
            expression=(expression,),
        )
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type") or kind.endswith("_type"):
        got = type(err.get("input")).__name__
        return Issue("structure", f"wrong JSON type ({got}): {msg}", expression=(expression,))
    msg = msg.removeprefix("Value error, ")
    return Issue("value", f"{msg} (value: {_short(err.get('input'))})", expression=(expression,))


def _name(part: Any) -> str:
    text = str(part)
    if text == "resource_type":
        return "resourceType"
    if text.startswith("_") and text.endswith("__ext"):
        return text[:-5]
    return _PY_SUFFIX.sub("", text)


def _expression(rtype: str, loc: tuple[Any, ...]) -> str:
    out = rtype
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = _name(part)
        if name.startswith("_"):  # primitive extensions live in _name but belong to name
            name = name[1:]
        out += "." + name
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_pass(resource: Mapping[str, Any], rtype: str) -> list[Issue]:
    """Empty / null elements and ext-1, which the models do not check."""
    issues: list[Issue] = []
    stack: list[tuple[Any, str, bool]] = [(resource, rtype, False)]
    nodes = 0
    while stack:
        node, path, nulls_ok = stack.pop()
        nodes += 1
        if nodes > _MAX_NODES:
            issues.append(Issue("too-costly", "resource too large to validate", expression=(rtype,)))
            break
        if isinstance(node, dict):
            if not node:
                issues.append(
                    Issue("structure", "empty object (elements must have a value or children)", expression=(path,))
                )
                continue
            for key, value in node.items():
                if not isinstance(key, str):  # not JSON: nothing more can be said about this body
                    issues.append(Issue("structure", f"non-string key {key!r}", expression=(path,)))
                    return issues
                child = f"{path}.{key[1:] if key.startswith('_') else key}"
                if value is None:
                    issues.append(Issue("structure", f"'{key}' is null (omit empty elements)", expression=(child,)))
                    continue
                if isinstance(value, list):
                    # Arrays of primitives with extensions are aligned with nulls (``given``/``_given``).
                    aligned = key.startswith("_") or f"_{key}" in node
                    if not value:
                        issues.append(
                            Issue("structure", f"'{key}' is an empty array (omit empty elements)", expression=(child,))
                        )
                        continue
                    if key in ("extension", "modifierExtension"):
                        for i, ext in enumerate(value):
                            _ext1(ext, f"{child}[{i}]", issues)
                    for i, item in enumerate(value):
                        stack.append((item, f"{child}[{i}]", aligned))
                elif key != "div":  # the narrative is XHTML, checked by the model
                    stack.append((value, child, False))
        elif node is None:
            if not nulls_ok:
                issues.append(Issue("structure", "null in an array", expression=(path,)))
        elif isinstance(node, str) and not node:
            issues.append(Issue("structure", "empty string (omit empty elements)", expression=(path,)))
    return issues


def _ext1(ext: Any, path: str, issues: list[Issue]) -> None:
    if not isinstance(ext, dict):
        return
    has_value = any(isinstance(k, str) and k.startswith("value") and len(k) > 5 and k[5].isupper() for k in ext)
    has_ext = bool(ext.get("extension"))
    if has_value and has_ext:
        issues.append(
            Issue(
                "structure",
                "an extension must have either a value or sub-extensions, not both (ext-1)",
                expression=(path,),
            )
        )
    elif not has_value and not has_ext:
        issues.append(
            Issue("structure", "an extension must have a value or sub-extensions (ext-1)", expression=(path,))
        )
