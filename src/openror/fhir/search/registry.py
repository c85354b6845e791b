"""SearchParameter registry: R4 core subset + the 36 ROR SearchParameters, with the IG's defects fixed (spec c.1, c.2).

Built once from the packaged definitions (``openror/definitions/searchparameters``, see PROVENANCE.md
there) for the resource types openror serves (``openror.fhir.resources.TYPES``) plus the common
Resource parameters ``_id _lastUpdated _tag _profile _security _source``. Each parameter is registered
per resource type with the part of its expression that applies to that type (``A.x | B.y`` keeps
``A.x`` on A), compiled once by ``openror.fhir.search.fhirpath``: the registry does not build if an
expression it keeps falls outside the supported FHIRPath subset.

Clients use the CapabilityStatement names (``price-amount-value``); the SearchParameter ``code``
(``amount-value``) stays an alias. ``FIXES`` lists every change made to an IG definition, one reason
each (documented in docs/search-registry.md; a test keeps the two in step). The IG files themselves
are kept verbatim.

Reference targets: the SearchParameter ``target`` list restricted to the types openror serves (a
reference to a Patient cannot be followed here); when none of them is served, the list as declared.
Parameters without an expression (``_content``, ``_filter``, ``_has``, ``_text``, ``_query``) are
handled by the query engine itself and are not registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import orjson

from openror.fhir.resources import TYPES
from openror.fhir.search.fhirpath import CompiledPath, compile_path, expression_for

SEARCH_TYPES = ("number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special")
COMMON_PARAMS = ("_id", "_lastUpdated", "_tag", "_profile", "_security", "_source")
ROR_SP = "https://interop.esante.gouv.fr/ig/fhir/ror/SearchParameter/"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
OI_IDENTIFIER_SYSTEM = "https://oi.esante.gouv.fr"


@dataclass(frozen=True, slots=True)
class SearchParam:
    """One search parameter of one resource type."""

    name: str  # what clients write (CapabilityStatement name)
    type: str  # token | string | date | number | quantity | reference | uri | special | composite
    expression: str | None  # for this resource type, after fixes; None: resolved by the engine
    targets: tuple[str, ...]  # reference target types
    url: str  # canonical of the SearchParameter
    fix: str | None = None  # the fix applied to the IG definition, and why
    chain_alias: str | None = None  # "location.equipment-type": search through that chain instead
    code: str = ""  # SearchParameter.code (an alias when it differs from name)
    resource_type: str = ""
    getter: CompiledPath | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Fix:
    """A change to one IG SearchParameter. ``old``/``new``: a substring of the expression replaced
    (``old`` must occur, so a changed IG definition fails the build instead of being mis-fixed);
    ``expression``: the whole new expression (``""`` = none, the engine resolves the parameter)."""

    change: str
    reason: str
    old: str | None = None
    new: str | None = None
    expression: str | None = None
    name: str | None = None
    type: str | None = None
    chain_alias: str | None = None

    @property
    def text(self) -> str:
        return f"{self.change}. Why: {self.reason}"


_CAPACITY_AS_CODE = Fix(
    change="`.value.as(code)` -> `.value.as(CodeableConcept)`",
    reason=(
        "the ror-location-supported-capacity sub-extensions hold CodeableConcept values (spec e), so "
        "`as(code)` selects nothing under FHIRPath typing and the parameter would never match (spec c.2 notes)"
    ),
    old=".value.as(code)",
    new=".value.as(CodeableConcept)",
)
_EQUIPMENT = ROR_SD + "ror-location-equipment"
_LIMIT = ROR_SD + "ror-location-equipment-limit"


def _limit_union(leaf: str) -> str:
    top = f"Location.extension.where(url='{_LIMIT}')"
    nested = f"Location.extension.where(url='{_EQUIPMENT}').extension.where(url='{_LIMIT}')"
    return f"{top}.{leaf} | {nested}.{leaf}"


_LIMIT_REASON = (
    "the IG SearchParameter expects ror-location-equipment-limit at Location top level, where the 0.7.0 "
    "ror-location profile has no such slice; the extension ror-location-equipment carries it as a nested "
    "sub-extension (IG FSH) and the PATCH examples nest it there (spec Known defects 4): both places are indexed"
)

FIXES: dict[str, Fix] = {
    **{
        f"ror-sp-{code}": _CAPACITY_AS_CODE
        for code in (
            "additional-bed-type",
            "capacity-closing-type",
            "capacity-status",
            "capacity-type",
            "crisis-type",
            "gender-capacity-available",
            "temporality-capacity",
        )
    },
    "ror-sp-organization-special-price": Fix(
        change="sub-extension `dependencyLevel` -> `specialPrice`",
        reason=(
            "the IG expression is a copy of price-dependency-level; the tariff sub-extension for special prices "
            "(JDV_J39) is `specialPrice` (spec a.2)"
        ),
        old="extension.where(url='dependencyLevel')",
        new="extension.where(url='specialPrice')",
    ),
    "ror-sp-organization-price-validity-start-date": Fix(
        change="extension `…/ror-organization` -> `…/ror-organization-price`",
        reason=(
            "`startDate` is a sub-extension of the tariff extension ror-organization-price (spec a.2); no extension "
            "has the profile URL …/ror-organization"
        ),
        old=f"extension.where(url='{ROR_SD}ror-organization')",
        new=f"extension.where(url='{ROR_SD}ror-organization-price')",
    ),
    "ror-sp-organization-oi-name": Fix(
        change=(
            f"expression -> `Organization.where(identifier.where(system='{OI_IDENTIFIER_SYSTEM}').exists()).name` "
            "(the name of internal organisations)"
        ),
        reason=(
            "the extension ror-organization-oi-name does not exist; the OI name is Organization.name of an "
            f"organisation carrying an identifierOI (system {OI_IDENTIFIER_SYSTEM}, spec a.2)"
        ),
        expression=f"Organization.where(identifier.where(system='{OI_IDENTIFIER_SYSTEM}').exists()).name",
    ),
    "ror-sp-healthcareservice-equipment-type": Fix(
        change="no expression; alias of the chain `location.equipment-type`",
        reason=(
            "the expression points at the dead ROR 3.0 extension "
            "http://interop.esante.gouv.fr/ig/fhir/ror30/StructureDefinition/ror-healthcareservice-equipement; "
            "in 0.7.0 equipment is carried by the offer's Locations (ror-location-equipment, spec a.4)"
        ),
        expression="",
        chain_alias="location.equipment-type",
    ),
    "ror-sp-location-near-insee-code": Fix(
        change="no expression (special, resolved by the engine)",
        reason=(
            "the expression reads an address INSEE-code extension that ror-location does not carry; the commune "
            "is the ror-commune-cog extension, already indexed as the token commune-cog, and the distance needs "
            "a commune-centroid table the engine owns (spec c.2 notes, Known defects 9)"
        ),
        expression="",
    ),
    "ror-sp-equipment-feature": Fix(
        change="union of the limit extension at Location top level and nested in ror-location-equipment",
        reason=_LIMIT_REASON,
        expression=_limit_union("extension.where(url='equipmentFeature').value.as(CodeableConcept)"),
    ),
    "ror-sp-limit-value": Fix(
        change="union of the limit extension at Location top level and nested in ror-location-equipment",
        reason=_LIMIT_REASON,
        expression=_limit_union("extension.where(url='limitValue').value.as(Quantity)"),
    ),
    "ror-sp-organization-price-amount-value": Fix(
        change="name `price-amount-value` (code `amount-value` kept as an alias)",
        reason="the server CapabilityStatement names the parameter price-amount-value (spec c.2 notes)",
        name="price-amount-value",
    ),
}
"""Every fix to an IG SearchParameter, by SearchParameter id."""


class Registry:
    """Search parameters by resource type and name (or alias)."""

    def __init__(self, params: dict[str, dict[str, SearchParam]], aliases: dict[str, dict[str, str]]) -> None:
        self._params = params
        self._aliases = aliases

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self._params)

    def get(self, resource_type: str, name: str) -> SearchParam | None:
        """The parameter ``name`` (a name or an alias such as a SearchParameter code) of ``resource_type``."""
        by_name = self._params.get(resource_type)
        if by_name is None:
            return None
        found = by_name.get(name)
        if found is None:
            alias = self._aliases[resource_type].get(name)
            found = by_name.get(alias) if alias is not None else None
        return found

    def params(self, resource_type: str) -> dict[str, SearchParam]:
        """Every parameter of ``resource_type`` by name (aliases not repeated); empty for other types."""
        return dict(self._params.get(resource_type, {}))


@cache
def registry() -> Registry:
    """The registry of the packaged definitions, built and compiled once per process."""
    return build_registry(_load_definitions())


def _load_definitions() -> list[dict[str, Any]]:
    folder = resources.files("openror") / "definitions" / "searchparameters"
    core = orjson.loads((folder / "core-search-parameters.subset.json").read_bytes())
    definitions: list[dict[str, Any]] = [entry["resource"] for entry in core["entry"]]
    ror = sorted(
        (e for e in folder.iterdir() if e.name.startswith("SearchParameter-") and e.name.endswith(".json")),
        key=lambda e: e.name,
    )
    definitions.extend(orjson.loads(entry.read_bytes()) for entry in ror)
    return definitions


def build_registry(definitions: list[dict[str, Any]], resource_types: tuple[str, ...] = TYPES) -> Registry:
    """A registry of ``definitions`` (SearchParameter resources) for ``resource_types``, fixes applied.

    Raises ValueError on a definition it cannot use (unknown type, a fix that no longer applies, a name
    registered twice, an expression outside the FHIRPath subset).
    """
    params: dict[str, dict[str, SearchParam]] = {t: {} for t in resource_types}
    aliases: dict[str, dict[str, str]] = {t: {} for t in resource_types}
    unused_fixes = set(FIXES)
    for sp in definitions:
        code = sp["code"]
        bases = list(sp.get("base", ()))
        if "Resource" in bases or "DomainResource" in bases:
            if code not in COMMON_PARAMS:
                continue
            bases = list(resource_types)
        bases = [b for b in bases if b in resource_types]
        if not bases or (not sp.get("expression") and sp.get("id") not in FIXES):
            continue
        name, ptype, expression, chain_alias, fix = _apply_fix(sp)
        unused_fixes.discard(sp["id"])
        if ptype not in SEARCH_TYPES:
            raise ValueError(f"SearchParameter {sp['id']}: unknown type {ptype!r}")
        declared = tuple(sp.get("target", ()))
        served = tuple(t for t in declared if t in resource_types)
        targets = served or declared
        for base in bases:
            base_expression = expression_for(expression, base) if expression else None
            if expression and base_expression is None:
                raise ValueError(f"SearchParameter {sp['id']}: no part of its expression applies to {base}")
            if name in params[base] or name in aliases[base]:
                raise ValueError(f"search parameter {base}.{name} defined twice (second: {sp['id']})")
            getter = compile_path(base_expression, base) if base_expression else None
            params[base][name] = SearchParam(
                name=name,
                type=ptype,
                expression=base_expression,
                targets=targets,
                url=sp["url"],
                fix=fix,
                chain_alias=chain_alias,
                code=code,
                resource_type=base,
                getter=getter,
            )
            if code != name:
                aliases[base][code] = name
    if unused_fixes and resource_types == TYPES:
        raise ValueError(f"fixes for SearchParameters that are not packaged: {sorted(unused_fixes)}")
    for base, table in aliases.items():
        clash = set(table) & set(params[base])
        if clash:
            raise ValueError(f"aliases of {base} shadow parameter names: {sorted(clash)}")
    return Registry(params, aliases)


def _apply_fix(sp: dict[str, Any]) -> tuple[str, str, str | None, str | None, str | None]:
    """(name, type, expression, chain_alias, fix text) of ``sp`` after its fix, if any."""
    code: str = sp["code"]
    ptype: str = sp["type"]
    expression: str | None = sp.get("expression")
    fix = FIXES.get(sp.get("id", ""))
    if fix is None:
        return code, ptype, expression, None, None
    if fix.old is not None:
        if expression is None or fix.old not in expression:
            raise ValueError(f"fix of {sp['id']} no longer applies: {fix.old!r} not in its expression")
        expression = expression.replace(fix.old, fix.new or "")
    if fix.expression is not None:
        expression = fix.expression or None
    return fix.name or code, fix.type or ptype, expression, fix.chain_alias, fix.text
