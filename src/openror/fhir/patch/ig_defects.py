"""Detect the invalid FHIRPath Patch forms of the ROR IG pages and say what to send instead (spec "Known defects" 8).

The IG's PATCH examples (page 10, scenarios 2-9) are not valid FHIR, and suppliers copy them:

* ``"valueInt": "2"`` — no such type; the R4 type is ``valueInteger`` and its JSON is a number;
* ``"quantity": [{"value": "300", "unit": "kg"}]`` — must be ``"valueQuantity": {...}``, an
  object with a numeric ``value``;
* operation parts named ``extension`` (or raw ``url``/``extension`` JSON inside ``part``), where
  FHIRPath Patch wants ``name`` (valueString ``extension``) and ``value`` (nested parts);
* untyped ``"value": 3`` and ``{"name": "valueInteger", "value": 0}``;
* several sub-extensions flattened into one part (``url``, ``value``, ``url``, ``value``...);
* extension URLs ``…/StructureDefinition-ror-…`` (the HTML page) instead of
  ``…/StructureDefinition/ror-…`` (the canonical URL).

Each is a 400 (Category.INVALID) whose diagnostics give the exact replacement, all found at once.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from openror.fhir.errors import Category, FhirError, Issue
from openror.fhir.patch.datatypes import COMPLEX_TYPES, PRIMITIVE_TYPES, SUFFIX_TO_TYPE, json_shape_error

OPERATION_PARTS = ("type", "path", "name", "value", "index", "source", "destination")
_PART_KEYS = frozenset({"id", "extension", "modifierExtension", "name", "part", "resource"})
_TYPE_BY_LOWER = {t.lower(): t for t in (*PRIMITIVE_TYPES, *COMPLEX_TYPES)}
_VALUE_KEYS = [f"value{suffix}" for suffix in SUFFIX_TO_TYPE]
_SD_DASH = re.compile(
    r"(https?://[^\s'\"]*?)/StructureDefinition-([A-Za-z0-9][A-Za-z0-9.\-]*?)(?:\.html)?(?=$|[\s'\"#)])"
)
_URL_KEYS = frozenset({"valueUri", "valueUrl", "valueCanonical", "url", "system", "profile"})
_MAX_NODES = 100_000
_MAX_DEPTH = 64

ROR_FHIRPATH_PATCH_HINT = (
    "FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html): each 'operation' has parts 'type', 'path' "
    "and, depending on the type, 'name', 'value', 'index', 'source', 'destination'"
)


def _json(value: Any) -> str:
    # Compact, stable rendering for diagnostics (no dependency on a JSON library's options).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    return "{…}" if isinstance(value, dict) else "[…]"


def _number_hint(value: Any) -> str:
    """``"2"`` → ``2`` when the string is a number, for the corrected JSON shown to the client."""
    if isinstance(value, str):
        try:
            return str(int(value))
        except ValueError:
            try:
                return repr(float(value))
            except ValueError:
                return "<number>"
    return _json(value)


def _guess_value_key(value: Any) -> str:
    if isinstance(value, bool):
        return "valueBoolean"
    if isinstance(value, int):
        return "valueInteger"
    if isinstance(value, float):
        return "valueDecimal"
    if isinstance(value, str):
        return "valueString"
    return "value[x] (e.g. valueQuantity, valueCodeableConcept)"


def _value_key_issue(key: str, value: Any, part: dict[str, Any]) -> str | None:
    """Diagnostics for a ``value…`` key of a part, or None when it is fine."""
    suffix = key[len("value") :]
    if suffix in SUFFIX_TO_TYPE:
        problem = json_shape_error(SUFFIX_TO_TYPE[suffix], value)
        if problem is None:
            return None
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            return f"'{key}' {problem}: send \"{key}\": {{…}} without the surrounding [ ]"
        fixed = _number_hint(value) if SUFFIX_TO_TYPE[suffix] in ("integer", "decimal") else "…"
        return f"'{key}' {problem}: send \"{key}\": {fixed}"
    if key == "value":
        name = part.get("name")
        if isinstance(name, str) and name[len("value") :] in SUFFIX_TO_TYPE and name.startswith("value"):
            return (
                f'part {{"name": "{name}", "value": {_json(value)}}} is not FHIR: send '
                f'{{"name": "value", "{name}": {_json(value)}}}'
            )
        return (
            f"'value' has no type: a Parameters part carries value[x]; send \"{_guess_value_key(value)}\": "
            f"{_json(value)} (e.g. valueInteger for a count)"
        )
    if key == "valueInt":
        return f"'valueInt' is not a FHIR type: send \"valueInteger\": {_number_hint(value)} (a JSON number)"
    if key == "valueExtension":
        return (
            "R4 Parameters has no valueExtension: give the extension as nested parts, a part named 'url' "
            "(valueUri) and a part named 'value' (value[x]) or parts named 'extension' for sub-extensions"
        )
    close = difflib.get_close_matches(key, _VALUE_KEYS, n=1)
    return f"'{key}' is not a FHIR R4 data type" + (f": did you mean '{close[0]}'?" if close else "")


def _other_key_issue(key: str, value: Any) -> str:
    if key in ("url", "coding", "system", "code"):
        return (
            f"'{key}' cannot appear directly in a part: a part has a 'name' and one value[x] or nested "
            "'part's; an Extension is given as parts named 'url' (valueUri) and 'value' (value[x]) "
            "or 'extension' (nested parts)"
        )
    fhir_type = _TYPE_BY_LOWER.get(key.lower())
    if fhir_type is not None:
        suffix = fhir_type[:1].upper() + fhir_type[1:]
        shape = "{…}" if fhir_type in COMPLEX_TYPES else "…"
        array = " (an object, not an array)" if isinstance(value, list) and fhir_type in COMPLEX_TYPES else ""
        example = (
            ', e.g. "valueQuantity": {"value": 300, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}'
            if fhir_type == "Quantity"
            else ""
        )
        return f"'{key}' is not a part property: send \"value{suffix}\": {shape}{array}{example}"
    return f"'{key}' is not a Parameters part property (allowed: name, value[x], part, resource)"


def _operation_issues(parts: list[Any], where: str) -> list[Issue]:
    issues: list[Issue] = []
    for j, part in enumerate(parts):
        if not isinstance(part, dict):
            continue
        name = part.get("name")
        if not isinstance(name, str) or name in OPERATION_PARTS:
            continue
        if name == "extension" or "part" in part or any(k.startswith("value") for k in part):
            message = (
                f"operation part {name!r} is not a FHIRPath Patch part: to add an element send "
                f'{{"name": "name", "valueString": "{name}"}} and put its content in '
                '{"name": "value", "part": [...]} (for an extension: parts \'url\' (valueUri) and '
                "'value' (value[x]) or 'extension' (one part per sub-extension))"
            )
        else:
            message = f"operation part {name!r} is unknown (allowed: {', '.join(OPERATION_PARTS)})"
        issues.append(Issue("invalid", message, expression=(f"{where}.part[{j}]",)))
    return issues


def _part_issues(part: dict[str, Any], where: str) -> list[Issue]:
    issues: list[Issue] = []
    for key, value in part.items():
        if key in _PART_KEYS:
            continue
        message = _value_key_issue(key, value, part) if key.startswith("value") else _other_key_issue(key, value)
        if message:
            issues.append(Issue("invalid", message, expression=(where,)))
    subparts = part.get("part")
    if isinstance(subparts, list):
        urls = sum(1 for p in subparts if isinstance(p, dict) and p.get("name") == "url")
        if urls > 1:
            issues.append(
                Issue(
                    "invalid",
                    f"{urls} parts named 'url' in one value: each sub-extension must be its own part named "
                    "'extension' holding one 'url' part and one 'value' part",
                    expression=(where,),
                )
            )
    return issues


def _string_issues(text: str, where: str) -> list[Issue]:
    issues: list[Issue] = []
    for m in _SD_DASH.finditer(text):
        fixed = f"{m.group(1)}/StructureDefinition/{m.group(2)}"
        issues.append(
            Issue(
                "invalid",
                f"{m.group(0)!r} is the address of an IG web page, not an extension URL: send {fixed!r}",
                expression=(where,),
            )
        )
    return issues


def _url_like(holder: dict[str, Any], key: str, is_part: bool) -> bool:
    """Whether strings under ``holder[key]`` are URLs or paths (free text may cite IG pages)."""
    return key in _URL_KEYS or (is_part and key == "valueString" and holder.get("name") in ("path", "url"))


def find_ig_defects(parameters: Any) -> list[Issue]:
    """Every known IG-page defect in a FHIRPath Patch ``Parameters`` body (empty list: none)."""
    issues: list[Issue] = []
    if not isinstance(parameters, dict):
        return issues
    # Iterative walk: (node, FHIRPath-like location, depth, node is a part, strings are URLs).
    stack: list[tuple[Any, str, int, bool, bool]] = [(parameters, "Parameters", 0, False, False)]
    seen = 0
    while stack:
        node, where, depth, is_part, url_like = stack.pop()
        seen += 1
        if seen > _MAX_NODES or depth > _MAX_DEPTH:
            issues.append(Issue("too-costly", "Parameters body too large or too deeply nested", expression=(where,)))
            break
        if isinstance(node, str):
            if url_like:
                issues.extend(_string_issues(node, where))
        elif isinstance(node, list):
            stack.extend((v, f"{where}[{i}]", depth + 1, is_part, url_like) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, dict):
            if is_part:
                issues.extend(_part_issues(node, where))
                if node.get("name") == "operation" and isinstance(node.get("part"), list):
                    issues.extend(_operation_issues(node["part"], where))
            for key, value in reversed(list(node.items())):
                if key == "resource" and is_part:
                    continue  # a resource inside a part is ordinary FHIR, not a part
                child = (value, f"{where}.{key}", depth + 1, key in ("parameter", "part"))
                stack.append((*child, _url_like(node, key, is_part)))
    issues.sort(key=lambda i: i.expression)
    return issues


def check_ig_defects(parameters: Any) -> None:
    """Raise a 400 FhirError listing every IG-page defect found (see module docstring)."""
    issues = find_ig_defects(parameters)
    if issues:
        raise FhirError(Category.INVALID, issues)
