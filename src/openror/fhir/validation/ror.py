"""Tier (a) write validation: the ROR profile rules and the R4 core required bindings (spec a, e, i).

Always on, on every write path (API and loaders), so it must be fast: the rule table is compiled
**once** per process from the packaged profile differentials (``openror/definitions/profiles``) and
then applied by a small walker that only visits the elements the rules talk about.

What is derived from the differentials, generically:

* ``min``/``max`` of elements and of slices (``X.extension:ror-meta-creation-date`` 1..1, ...);
* slices told apart by their discriminator - ``url`` for extensions (profile URL, ``fixedUri`` or the
  slice name for the relative sub-extensions of complex extensions), ``value`` on ``coding.system``
  (the systems of the bound JDV), ``value`` on ``type.coding.code``, ``pattern`` on ``type``, ``value``
  on ``id``;
* ``pattern[x]``/``fixed[x]`` values; ``value[x]`` types; ``value[x]`` 1..1 in sub-extensions that
  forbid nested extensions (invariant ext-1);
* ``required`` bindings, checked through :class:`~openror.fhir.terminology.Terminology` with the policy
  of that module (JDV, TRE fallback with a warning, not-loaded → information, retired → refused);
* the complex extension ``ror-location-supported-capacity`` (its own differential) wherever a slice
  points at it: capacity records are checked *structurally* only (spec e); business rules live elsewhere.

What cannot be derived generically is hand-written below in clearly marked tables, each entry citing
the differential element or the spec section it comes from: :data:`DISCRIMINATOR_OVERRIDES`,
:data:`HAND_EXTENSIONS` (extension definitions we do not ship) and :data:`CORE_REQUIRED_CODES` (R4
core required bindings, from ``fhir.schema.json`` 4.0.1).

Deliberately not enforced: ``meta.lastUpdated``/``meta.versionId`` (server-managed), and
``ror-meta-creation-date`` when the caller says the server fills it (``server_fills_meta=True``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

import orjson

from openror.fhir.errors import Issue
from openror.fhir.terminology import NOS, Terminology, Verdict, nos_url

ROR_SD: Final = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
CREATION_DATE_URL: Final = ROR_SD + "ror-meta-creation-date"
SUPPORTED_CAPACITY_URL: Final = ROR_SD + "ror-location-supported-capacity"

PROFILED_TYPES: Final = (
    "Organization",
    "HealthcareService",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Task",
)
TERMINOLOGY_TYPES: Final = ("CodeSystem", "ValueSet")

_MISSING: Final[Any] = object()
_lock = threading.Lock()
_SERVER_MANAGED: Final = frozenset({"meta.lastUpdated", "meta.versionId"})

Matcher = Callable[[Any], bool]


# -- the rule table ------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Rule:
    """Constraints on one element (or one slice of it), compiled from a differential element."""

    eid: str  # element id in the differential, e.g. HealthcareService.characteristic:careMode
    name: str  # JSON property name; "value[x]" for a choice
    min: int = 0
    max: int | None = None  # None: not constrained here
    binding: str | None = None  # required value set
    system_binding: str | None = None  # hand-written: codes must exist in this code system
    pattern: Any = _MISSING  # pattern[x] / fixed[x]
    types: tuple[str, ...] = ()  # allowed value[x] types
    profile: str | None = None  # extension profile (slices of extension elements)
    children: dict[str, Rule] = field(default_factory=dict)
    slices: dict[str, Rule] = field(default_factory=dict)
    discriminator: tuple[tuple[str, str], ...] | None = None
    # filled by compile():
    slice_name: str | None = None
    matcher: Matcher | None = None
    where: str = ""  # FHIRPath filter naming the slice, e.g. ".where(url='…')"
    url: str | None = None  # extension slices: the url they match
    min_covered: bool = False  # element min implied by the mins of its discriminable slices
    extension_rules: Rule | None = None  # rules of the extension definition this slice points at
    child_list: tuple[Rule, ...] = ()  # children that check something (pruned)
    slice_list: tuple[Rule, ...] = ()  # slices that can be told apart
    value_keys: frozenset[str] = frozenset()  # value[x]: allowed JSON keys
    url_index: dict[str, int] = field(default_factory=dict)  # extension slices by absolute url
    name_index: dict[str, int] = field(default_factory=dict)  # ... and by relative name / last segment
    by_url_only: bool = False  # every slice is an extension slice: match through the indexes
    systems: frozenset[str] = frozenset()  # slices told apart by coding.system: their systems
    system_index: dict[str, tuple[int, ...]] = field(default_factory=dict)  # system -> candidate slices
    by_system_only: bool = False
    loose_url: bool = False  # extension slice named by a relative url that may also come absolute
    per_item: bool = False  # something to check on each value (pattern, binding, children, extension rules)
    reads_shadow: bool = False  # has children: a primitive's extensions live in "_name"
    leaf: Rule | None = None  # simple sub-extension slice: its value[x] rule (fast path in _slices)

    def checks_something(self) -> bool:
        return bool(
            self.min
            or self.max is not None
            or self.binding
            or self.system_binding
            or self.pattern is not _MISSING
            or self.types
            or self.extension_rules is not None
            or self.child_list
            or self.slice_list
        )


def _type_key(type_code: str) -> str:
    return "value" + type_code[0].upper() + type_code[1:]


def _parse_differential(sd: Mapping[str, Any]) -> Rule:
    elements = sd["differential"]["element"]
    root = Rule(eid=elements[0]["id"], name=elements[0]["id"])
    for el in elements[1:]:
        eid: str = el["id"]
        node = root
        segments = eid.split(".")[1:]
        prefix = root.eid
        for seg in segments:
            name, _, slice_name = seg.partition(":")
            base_id = f"{prefix}.{name}"
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = Rule(eid=base_id, name=name)
            prefix = base_id
            if slice_name:
                prefix = f"{base_id}:{slice_name}"
                sl = child.slices.get(slice_name)
                if sl is None:
                    sl = child.slices[slice_name] = Rule(eid=prefix, name=name, slice_name=slice_name)
                child = sl
            node = child
        relative = ".".join(s.partition(":")[0] for s in segments)
        if "min" in el and relative not in _SERVER_MANAGED:
            node.min = int(el["min"])
        if "max" in el:
            node.max = None if el["max"] == "*" else int(el["max"])
        binding = el.get("binding")
        if binding and binding.get("strength") == "required" and binding.get("valueSet"):
            node.binding = binding["valueSet"]
        for key, value in el.items():
            if key.startswith(("pattern", "fixed")):
                node.pattern = value
        types = el.get("type") or []
        if node.name == "value[x]" and types:
            node.types = tuple(t["code"] for t in types)
        profiles = [p for t in types for p in t.get("profile", [])]
        if profiles:
            node.profile = profiles[0]
        if "slicing" in el:
            node.discriminator = tuple((d["type"], d["path"]) for d in el["slicing"]["discriminator"])
    return root


# Hand-written: slicings the generic compiler cannot use as stated in the differential.
# Key: element path (resource type "*" = every profile). Value: how to tell the slices apart.
DISCRIMINATOR_OVERRIDES: Final[dict[str, str | None]] = {
    # X.meta.tag slicing is value:url, but a Coding has no url: the slice codeRegion is the tag whose
    # system is a system of its bound JDV (JDV_J237-RegionOM-ROR → TRE_R30-RegionOM). Spec a.1.
    "*.meta.tag": "system-of-binding",
    # PractitionerRole.specialty slicing is value:url on a CodeableConcept: use coding.system of each
    # slice's bound JDV instead (expertiseType → JDV_J209 → TRE_R04-TypeSavoirFaire). Spec a.5.
    "PractitionerRole.specialty": "system-of-binding",
    # Organization.type slices (statutJuridiqueINSEE, categorieEtablissement, ...) have no slicing in
    # the differential (it comes from fr-core FrOrganization): told apart by their JDV's systems. Spec a.2.
    "Organization.type": "system-of-binding",
    # Location.alias slicing is value:url on a string: slice nomExterneSynchro cannot be told apart. Spec a.4.
    "Location.alias": None,
}


@dataclass(frozen=True, slots=True)
class HandExtension:
    """An extension definition we do not ship, reduced to what tier (a) checks."""

    value_types: tuple[str, ...] = ()  # required value[x] type(s) of a simple extension
    system: str | None = None  # codes must exist in this TRE (no JDV bound)
    required_sub: tuple[tuple[str, str | None], ...] = ()  # (relative url, value type) of 1..1 sub-extensions
    source: str = ""


_TRE_R200 = nos_url("TRE", "R200-CanalCommunication")
_TRE_R283 = nos_url("TRE", "R283-NiveauConfidentialite")
_TRE_R252 = nos_url("TRE", "R252-TypeHoraire")

# Hand-written: extension definitions of the IG that are not in the packaged differentials.
HAND_EXTENSIONS: Final[dict[str, HandExtension]] = {
    CREATION_DATE_URL: HandExtension(("dateTime",), source="spec a.1"),
    ROR_SD + "ror-meta-questionnaire-used-as-a-template": HandExtension(("canonical",), source="spec a.1"),
    ROR_SD + "ror-commune-cog": HandExtension(("CodeableConcept",), source="spec a.4, IG Location example"),
    ROR_SD + "ror-healthcareservice-sensitive-unit": HandExtension(("boolean",), source="spec a.3"),
    ROR_SD + "ror-healthcareservice-psychiatric-sector": HandExtension(("string",), source="spec a.3"),
    ROR_SD + "ror-telecom-communication-channel": HandExtension(
        ("CodeableConcept",), system=_TRE_R200, source="spec a.1"
    ),
    ROR_SD + "ror-telecom-confidentiality-level": HandExtension(
        ("CodeableConcept",), system=_TRE_R283, source="spec a.1"
    ),
    ROR_SD + "ror-contact-confidentiality-level": HandExtension(
        ("CodeableConcept",), system=_TRE_R283, source="spec a.2"
    ),
    ROR_SD + "ror-available-time-type-of-time": HandExtension(
        ("CodeableConcept",), system=_TRE_R252, source="spec a.1"
    ),
    ROR_SD + "ror-available-time-number-days-of-week": HandExtension(("integer",), source="spec a.1"),
    ROR_SD + "ror-available-time-effective-opening-closing-date": HandExtension(("Period",), source="spec a.1"),
    ROR_SD + "ror-organization-price": HandExtension(
        required_sub=(("priceType", "CodeableConcept"), ("priceUnit", "CodeableConcept"), ("amount", "Money")),
        source="spec a.2 (ror-organization-price), sub-extension names from the ROR SearchParameters",
    ),
    ROR_SD + "ror-location-equipment": HandExtension(
        required_sub=(("equipmentType", "CodeableConcept"),), source="spec a.4, SearchParameter equipment-type"
    ),
    ROR_SD + "ror-location-residential-capacity": HandExtension(
        required_sub=(("residentialType", "CodeableConcept"),), source="spec a.4, SearchParameter residential-type"
    ),
    # The contact's confidentiality level is carried with an absolute URL in the IG example (spec a.3).
    ROR_SD + "ror-healthcareservice-contact": HandExtension(
        required_sub=(("ror-confidentiality-level", "CodeableConcept"),), source="spec a.3"
    ),
}


def _hand_extension_rules(url: str, ext: HandExtension) -> Rule:
    root = Rule(eid=f"{url} (hand-written, {ext.source})", name="Extension")
    if ext.value_types:
        root.children["value[x]"] = Rule(
            eid=root.eid + ".value[x]", name="value[x]", min=1, types=ext.value_types, system_binding=ext.system
        )
    if ext.required_sub:
        ext_el = root.children["extension"] = Rule(eid=root.eid + ".extension", name="extension")
        for sub_url, vtype in ext.required_sub:
            sl = Rule(eid=f"{root.eid}.extension:{sub_url}", name="extension", min=1, max=1, slice_name=sub_url)
            if vtype:
                sl.children["value[x]"] = Rule(eid=sl.eid + ".value[x]", name="value[x]", min=1, types=(vtype,))
            ext_el.slices[sub_url] = sl
    return root


# -- compile --------------------------------------------------------------------------------------------


def _url_matcher(url: str, relative: bool) -> Matcher:
    if relative:  # sub-extension of a complex extension: relative name, sometimes an absolute ROR URL
        suffix = "/" + url

        def match_rel(item: Any) -> bool:
            u = item.get("url") if isinstance(item, dict) else None
            return isinstance(u, str) and (u == url or u.endswith(suffix))

        return match_rel

    def match_abs(item: Any) -> bool:
        return isinstance(item, dict) and item.get("url") == url

    return match_abs


def _systems_of(item: Any, term: Terminology) -> Iterator[str]:
    if not isinstance(item, dict):
        return
    codings = item.get("coding")
    if isinstance(codings, list):
        for c in codings:
            if isinstance(c, dict) and isinstance(c.get("system"), str):
                yield term.canonical_system(c["system"])
    elif isinstance(item.get("system"), str):
        yield term.canonical_system(item["system"])


def _system_matcher(systems: frozenset[str], term: Terminology) -> Matcher:
    def match(item: Any) -> bool:
        return any(s in systems for s in _systems_of(item, term))

    return match


def _child_pattern(rule: Rule, *names: str) -> Any:
    node: Rule | None = rule
    for n in names:
        node = node.children.get(n) if node else None
    return node.pattern if node else _MISSING


def _pattern_codes(pattern: Any) -> set[str]:
    if isinstance(pattern, dict):
        return {c["code"] for c in pattern.get("coding", []) if isinstance(c, dict) and "code" in c}
    return set()


class _Compiler:
    def __init__(self, term: Terminology, profiles: Mapping[str, Rule]) -> None:
        self.term = term
        self.profiles = profiles  # by canonical URL (complex extensions we ship)
        self.hand = {url: _hand_extension_rules(url, ext) for url, ext in HAND_EXTENSIONS.items()}
        for rule in self.hand.values():
            self.compile(rule, "Extension", in_extension=True)

    def compile(self, rule: Rule, path: str, *, in_extension: bool = False) -> None:
        # Inside an extension, sub-extension slices without a profile use their slice name as url.
        inside = in_extension or rule.name in ("extension", "modifierExtension", "Extension")
        for child in rule.children.values():
            self.compile(child, f"{path}.{child.name}", in_extension=inside)
            if child.slices:
                self._compile_slices(child, f"{path}.{child.name}", in_extension=inside)
        # ext-1: a sub-extension that forbids nested extensions must carry a value.
        ext = rule.children.get("extension")
        value = rule.children.get("value[x]")
        if ext is not None and ext.max == 0 and value is not None and value.min == 0:
            value.min = 1
        if value is not None and value.types:
            value.value_keys = frozenset(_type_key(t) for t in value.types)
        rule.child_list = tuple(c for c in rule.children.values() if c.checks_something())

    def _compile_slices(self, el: Rule, path: str, *, in_extension: bool) -> None:
        _, _, rel = path.partition(".")
        override_key = f"*.{rel}" if f"*.{rel}" in DISCRIMINATOR_OVERRIDES else path
        for sl in el.slices.values():
            self.compile(sl, f"{path}:{sl.slice_name}", in_extension=in_extension)
            if el.name in ("extension", "modifierExtension"):
                self._extension_slice(sl, relative=in_extension)
                continue
            if override_key in DISCRIMINATOR_OVERRIDES:
                how = DISCRIMINATOR_OVERRIDES[override_key]
                if how == "system-of-binding":
                    self._system_slice(sl)
                continue
            paths = {p for _, p in el.discriminator or ()}
            if "type.coding.code" in paths:
                codes = _pattern_codes(_child_pattern(sl, "type"))
                code = _child_pattern(sl, "type", "coding", "code")
                if isinstance(code, str):
                    codes.add(code)
                if codes:
                    sl.matcher = _identifier_type_matcher(frozenset(codes))
                    sl.where = f".where(type.coding.code='{sorted(codes)[0]}')"
            elif "type" in paths:
                pattern = _child_pattern(sl, "type")
                if pattern is not _MISSING:
                    sl.matcher = _pattern_matcher("type", pattern, self.term)
                    sl.where = f".where(type.coding.code='{sorted(_pattern_codes(pattern))[0]}')"
            elif "id" in paths:
                ident = _child_pattern(sl, "id")
                if isinstance(ident, str):
                    sl.matcher = _id_matcher(ident)
                    sl.where = f".where(id='{ident}')"
            elif "coding.system" in paths or el.discriminator is None:
                self._system_slice(sl)
                act = sl.children.get("extension")
                act_slice = act.slices.get("ror-act-type") if act else None
                act_type = _child_pattern(act_slice, "value[x]") if act_slice is not None else _MISSING
                if sl.matcher is not None and "extension(" in str(el.discriminator) and isinstance(act_type, str):
                    # HealthcareService.characteristic: discriminated by coding.system *and* ror-act-type.
                    sl.matcher = _and_act_type(sl.matcher, act_type)
                    sl.where = sl.where[:-1] + f" and extension('{ROR_SD}ror-act-type').value = '{act_type}')"
        slices = tuple(sl for sl in el.slices.values() if sl.matcher is not None)
        el.slice_list = slices
        if slices and all(sl.systems for sl in slices):
            el.by_system_only = True
            index: dict[str, list[int]] = {}
            for i, sl in enumerate(slices):
                for system in sl.systems:
                    index.setdefault(system, []).append(i)
            el.system_index = {k: tuple(v) for k, v in index.items()}
        if slices and all(sl.url is not None for sl in slices):
            el.by_url_only = True
            for i, sl in enumerate(slices):
                assert sl.url is not None
                if sl.loose_url:
                    el.name_index.setdefault(sl.url, i)
                else:
                    el.url_index.setdefault(sl.url, i)
        if el.min and sum(sl.min for sl in slices) >= el.min:
            el.min_covered = True

    def _extension_slice(self, sl: Rule, *, relative: bool) -> None:
        fixed = _child_pattern(sl, "url")
        if isinstance(fixed, str):
            url, rel = fixed, False
            # matched on exactly this url: the fixedUri check of the url child is implied
            sl.child_list = tuple(c for c in sl.child_list if c.name != "url")
        elif sl.profile:
            url, rel = sl.profile, False
        elif relative and sl.slice_name:
            url, rel = sl.slice_name, True
        else:
            return  # e.g. Organization.extension:usePeriod: no url known, nothing enforceable
        sl.url = url
        sl.loose_url = rel
        sl.matcher = _url_matcher(url, rel)
        sl.where = f".where(url='{url}')"
        if sl.profile:
            sl.extension_rules = self.profiles.get(sl.profile) or self.hand.get(sl.profile)

    def _system_slice(self, sl: Rule) -> None:
        if not sl.binding:
            return
        systems = self.term.value_set_systems(sl.binding)
        if not systems:
            return  # the JDV and its TRE are unknown: the slice cannot be told apart (not enforced)
        sl.matcher = _system_matcher(systems, self.term)
        sl.systems = systems
        element = "system" if sl.eid.split(".")[-1].startswith("tag:") else "coding.system"
        sl.where = ".where(" + " or ".join(f"{element}='{s}'" for s in sorted(systems)) + ")"


def _identifier_type_matcher(codes: frozenset[str]) -> Matcher:
    def match(item: Any) -> bool:
        t = item.get("type") if isinstance(item, dict) else None
        codings = t.get("coding") if isinstance(t, dict) else None
        return isinstance(codings, list) and any(
            isinstance(c, dict) and isinstance(c.get("code"), str) and c["code"] in codes for c in codings
        )

    return match


def _pattern_matcher(key: str, pattern: Any, term: Terminology) -> Matcher:
    def match(item: Any) -> bool:
        return isinstance(item, dict) and key in item and _matches(pattern, item[key], term, key)

    return match


def _id_matcher(ident: str) -> Matcher:
    def match(item: Any) -> bool:
        return isinstance(item, dict) and item.get("id") == ident

    return match


def _and_act_type(base: Matcher, act_type: str) -> Matcher:
    url = ROR_SD + "ror-act-type"

    def match(item: Any) -> bool:
        if not base(item):
            return False
        exts = item.get("extension")
        return isinstance(exts, list) and any(
            isinstance(e, dict) and e.get("url") == url and e.get("valueCode") == act_type for e in exts
        )

    return match


def _matches(pattern: Any, value: Any, term: Terminology, key: str = "") -> bool:
    """FHIR pattern semantics: every element of the pattern is present (arrays: matched by some item)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(k in value and _matches(pv, value[k], term, k) for k, pv in pattern.items())
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        return all(any(_matches(p, v, term, key) for v in value) for p in pattern)
    if key == "system" and isinstance(pattern, str) and isinstance(value, str):
        return term.canonical_system(pattern) == term.canonical_system(value)
    return bool(pattern == value)


# -- R4 core required bindings ----------------------------------------------------------------------

_DAYS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
_PUBLICATION_STATUS = frozenset({"draft", "active", "retired", "unknown"})
_CONTACT_POINT = (
    (("system",), frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"}), "contact-point-system"),
    (("use",), frozenset({"home", "work", "temp", "old", "mobile"}), "contact-point-use"),
)
_ADDRESS = (
    (("use",), frozenset({"home", "work", "temp", "old", "billing"}), "address-use"),
    (("type",), frozenset({"postal", "physical", "both"}), "address-type"),
)
_HUMAN_NAME = (
    (("use",), frozenset({"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"}), "name-use"),
)
_IDENTIFIER = ((("use",), frozenset({"usual", "official", "temp", "secondary", "old"}), "identifier-use"),)


def _under(prefix: tuple[str, ...], rows: tuple[tuple[tuple[str, ...], frozenset[str], str], ...]) -> list[Any]:
    return [(prefix + p, codes, vs) for p, codes, vs in rows]


_COMMON = [
    (("text", "status"), frozenset({"generated", "extensions", "additional", "empty"}), "narrative-status"),
    *_under(("identifier",), _IDENTIFIER),
]

# Hand-written: the R4 4.0.1 required bindings on code elements of our types and of the data types they
# use (codes copied from fhir-r4/fhir.schema.json enums; paths from structuredefinitions.subset.json and
# profiles-types.json). fhir.resources does not check these enumerations, so tier (a) does.
CORE_REQUIRED_CODES: Final[dict[str, list[tuple[tuple[str, ...], frozenset[str], str]]]] = {
    "Organization": [
        *_COMMON,
        *_under(("telecom",), _CONTACT_POINT),
        *_under(("address",), _ADDRESS),
        *_under(("contact", "telecom"), _CONTACT_POINT),
        *_under(("contact", "address"), _ADDRESS),
        *_under(("contact", "name"), _HUMAN_NAME),
    ],
    "HealthcareService": [
        *_COMMON,
        *_under(("telecom",), _CONTACT_POINT),
        (("availableTime", "daysOfWeek"), _DAYS, "days-of-week"),
    ],
    "Location": [
        *_COMMON,
        (("status",), frozenset({"active", "suspended", "inactive"}), "location-status"),
        (("mode",), frozenset({"instance", "kind"}), "location-mode"),
        *_under(("telecom",), _CONTACT_POINT),
        *_under(("address",), _ADDRESS),
        (("hoursOfOperation", "daysOfWeek"), _DAYS, "days-of-week"),
    ],
    "Practitioner": [
        *_COMMON,
        *_under(("telecom",), _CONTACT_POINT),
        *_under(("address",), _ADDRESS),
        *_under(("name",), _HUMAN_NAME),
        (("gender",), frozenset({"male", "female", "other", "unknown"}), "administrative-gender"),
    ],
    "PractitionerRole": [
        *_COMMON,
        *_under(("telecom",), _CONTACT_POINT),
        (("availableTime", "daysOfWeek"), _DAYS, "days-of-week"),
    ],
    "Task": [
        *_COMMON,
        (
            ("status",),
            frozenset(
                {
                    "draft",
                    "requested",
                    "received",
                    "accepted",
                    "rejected",
                    "ready",
                    "cancelled",
                    "in-progress",
                    "on-hold",
                    "failed",
                    "completed",
                    "entered-in-error",
                }
            ),
            "task-status",
        ),
        (
            ("intent",),
            frozenset(
                {
                    "unknown",
                    "proposal",
                    "plan",
                    "order",
                    "original-order",
                    "reflex-order",
                    "filler-order",
                    "instance-order",
                    "option",
                }
            ),
            "task-intent",
        ),
        (("priority",), frozenset({"routine", "urgent", "asap", "stat"}), "request-priority"),
        *_under(("groupIdentifier",), _IDENTIFIER),
    ],
    "CodeSystem": [
        *_COMMON,
        (("status",), _PUBLICATION_STATUS, "publication-status"),
        (
            ("content",),
            frozenset({"not-present", "example", "fragment", "complete", "supplement"}),
            "codesystem-content-mode",
        ),
        (
            ("hierarchyMeaning",),
            frozenset({"grouped-by", "is-a", "part-of", "classified-with"}),
            "codesystem-hierarchy-meaning",
        ),
    ],
    "ValueSet": [*_COMMON, (("status",), _PUBLICATION_STATUS, "publication-status")],
}

# Minimal checks on terminology resources: these elements must be present (url is 0..1 in R4, but a
# CodeSystem/ValueSet without a canonical URL is useless to a terminology-driven server).
_TERMINOLOGY_REQUIRED: Final = {"CodeSystem": ("url", "status", "content"), "ValueSet": ("url", "status")}


# -- the walker -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    term: Terminology
    issues: list[Issue]
    allow_retired: bool
    skip_min_urls: frozenset[str]

    def add(self, code: str, message: str, expression: str, severity: str = "error") -> None:
        self.issues.append(Issue(code, message, severity=severity, expression=(expression,)))


def _choice(container: Mapping[str, Any], prefix: str = "value") -> tuple[str | None, Any]:
    for key, value in container.items():
        if isinstance(key, str) and key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key, value
    return None, None


_NO_ITEMS: Final[list[Any]] = []


def _walk(rule: Rule, container: Mapping[str, Any], path: str, ctx: _Ctx) -> None:
    for child in rule.child_list:
        name = child.name
        if name == "value[x]":
            key = value = None
            for k in child.value_keys:  # usually one allowed type: one dict lookup
                if k in container:
                    key, value = k, container[k]
                    break
            else:
                key, value = _choice(container)
            if key is None:
                if child.min:
                    ctx.add("required", f"{child.eid}: a value is required", f"{path}.value")
                continue
            if child.value_keys and key not in child.value_keys:
                want = " or ".join(child.types)
                ctx.add("value", f"{child.eid}: the value must be of type {want}, not {key[5:]}", f"{path}.{key}")
                continue
            if child.per_item:
                _item(child, value, None, f"{path}.{key}", ctx)
            continue
        raw = container.get(name)
        shadow = container.get("_" + name) if child.reads_shadow else None
        if raw is None:
            if shadow is None:
                if child.min and not child.min_covered:
                    ctx.add("required", f"{child.eid}: minimum cardinality {child.min}, found 0", f"{path}.{name}")
                if child.slice_list:
                    _slices(child, _NO_ITEMS, None, path, name, False, ctx)
                continue
            raw = [None] * len(shadow) if isinstance(shadow, list) else None
        if isinstance(raw, list):
            _element(child, raw, shadow if isinstance(shadow, list) else None, path, name, True, ctx)
        else:
            _element(child, [raw], [shadow] if shadow is not None else None, path, name, False, ctx)


def _element(
    rule: Rule,
    items: list[Any],
    shadows: list[Any] | None,
    path: str,
    key: str,
    is_list: bool,
    ctx: _Ctx,
) -> None:
    n = len(items)
    if n < rule.min and not rule.min_covered:
        ctx.add("required", f"{rule.eid}: minimum cardinality {rule.min}, found {n}", f"{path}.{key}")
    if rule.max is not None and n > rule.max:
        ctx.add("structure", f"{rule.eid}: maximum cardinality {rule.max}, found {n}", f"{path}.{key}")
    if rule.per_item:
        for i, item in enumerate(items):
            ipath = f"{path}.{key}[{i}]" if is_list else f"{path}.{key}"
            _item(rule, item, shadows[i] if shadows is not None and i < len(shadows) else None, ipath, ctx)
    if rule.slice_list:
        _slices(rule, items, shadows, path, key, is_list, ctx)


def _slices(
    rule: Rule,
    items: list[Any],
    shadows: list[Any] | None,
    path: str,
    key: str,
    is_list: bool,
    ctx: _Ctx,
) -> None:
    matched: dict[int, list[int]] = {}
    if not items:
        pass
    elif rule.by_url_only:
        url_index, name_index = rule.url_index, rule.name_index
        for i, item in enumerate(items):
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str):
                continue
            s = url_index.get(url)
            if s is None and name_index:
                s = name_index.get(url.rsplit("/", 1)[-1])
            if s is not None:
                matched.setdefault(s, []).append(i)
    elif rule.by_system_only:
        term, index, slice_list = ctx.term, rule.system_index, rule.slice_list
        for i, item in enumerate(items):
            found = None
            for system in _systems_of(item, term):
                for s in index.get(system, ()):
                    matcher = slice_list[s].matcher
                    if matcher is not None and matcher(item):
                        found = s
                        break
                if found is not None:
                    break
            if found is not None:
                matched.setdefault(found, []).append(i)
    else:
        for i, item in enumerate(items):
            for s, sl in enumerate(rule.slice_list):
                if sl.matcher is not None and sl.matcher(item):
                    matched.setdefault(s, []).append(i)
                    break
    for s, sl in enumerate(rule.slice_list):
        idx = matched.get(s, ())
        count = len(idx)
        if count < sl.min and not (sl.url is not None and sl.url in ctx.skip_min_urls):
            ctx.add("required", f"{sl.eid}: minimum cardinality {sl.min}, found {count}", f"{path}.{key}{sl.where}")
        if sl.max is not None and count > sl.max:
            ctx.add("structure", f"{sl.eid}: maximum cardinality {sl.max}, found {count}", f"{path}.{key}{sl.where}")
        if sl.per_item:
            leaf = sl.leaf
            for i in idx:
                item = items[i]
                if leaf is not None and "extension" not in item:
                    # Fast path (capacity records): one typed value, plainly valid. Anything else takes
                    # the full path below, which reports the problem.
                    for k in leaf.value_keys:
                        if k in item:
                            if leaf.binding is None or _plainly_valid(leaf.binding, item[k], ctx):
                                break
                            k = ""
                            break
                    else:
                        k = ""
                    if k:
                        continue
                ipath = f"{path}.{key}[{i}]" if is_list else f"{path}.{key}"
                _item(sl, item, shadows[i] if shadows is not None and i < len(shadows) else None, ipath, ctx)


def _item(rule: Rule, item: Any, shadow: Any, path: str, ctx: _Ctx) -> None:
    if rule.pattern is not _MISSING and item is not None and not _matches(rule.pattern, item, ctx.term, rule.name):
        ctx.add("value", f"{rule.eid}: the value must match the profile's pattern {_short(rule.pattern)}", path)
    if rule.binding and item is not None:
        _check_binding(rule.binding, item, path, ctx)
    if rule.system_binding and item is not None:
        _check_system(rule.system_binding, item, path, ctx)
    if rule.extension_rules is None and not rule.child_list:
        return
    container = item if isinstance(item, dict) else shadow if isinstance(shadow, dict) else None
    if container is None:
        return
    if rule.extension_rules is not None:
        _walk(rule.extension_rules, container, path, ctx)
    if rule.child_list:
        _walk(rule, container, path, ctx)


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 200 else text[:197] + "..."


def _codings(item: Any) -> tuple[list[tuple[str | None, str, str]], bool]:
    """(system, code, sub-path) of each coding of a CodeableConcept / Coding / code, and whether it is a CC."""
    if isinstance(item, str):
        return [(None, item, "")], False
    if not isinstance(item, dict):
        return [], False
    if "coding" in item or "text" in item:
        out = []
        codings = item.get("coding")
        for j, c in enumerate(codings if isinstance(codings, list) else ()):
            if isinstance(c, dict) and isinstance(c.get("code"), str):
                system = c.get("system")
                out.append((system if isinstance(system, str) else None, c["code"], f".coding[{j}]"))
        return out, True
    code = item.get("code")
    system = item.get("system")
    if isinstance(code, str):
        return [(system if isinstance(system, str) else None, code, "")], False
    return [], False


def _plainly_valid(vs: str, item: Any, ctx: _Ctx) -> bool:
    """Fast path: the first coding is in the value set, active, with the canonical system (no issue to add)."""
    if not isinstance(item, dict):
        return False
    first = item.get("coding")
    first = first[0] if isinstance(first, list) and first else item if "code" in item else None
    if not isinstance(first, dict):
        return False
    code, system = first.get("code"), first.get("system")
    if not isinstance(code, str) or not (system is None or isinstance(system, str)):
        return False
    r = ctx.term.validate_code(vs, system, code, allow_retired=ctx.allow_retired)
    return r.verdict is Verdict.VALID and not r.retired and (system is None or system == r.system)


def _check_binding(vs: str, item: Any, path: str, ctx: _Ctx) -> None:
    if _plainly_valid(vs, item, ctx):
        return
    codings, _ = _codings(item)
    if not codings:
        ctx.add("code-invalid", f"a code from {_vs_label(vs)} is required (required binding)", path)
        return
    results = [(ctx.term.validate_code(vs, s, c, allow_retired=ctx.allow_retired), s, sub) for s, c, sub in codings]
    for verdict in (Verdict.VALID, Verdict.VALID_IN_CODE_SYSTEM, Verdict.UNKNOWN_IN_CODE_SYSTEM, Verdict.NOT_CHECKED):
        for r, raw_system, sub in results:
            if r.verdict is not verdict:
                continue
            if raw_system is not None and r.system is not None and raw_system != r.system:
                ctx.add(
                    "code-invalid",
                    f"non-canonical code system URL {raw_system!r}: use {r.system!r}",
                    path + sub + ".system",
                    "warning",
                )
            if r.retired or verdict in (Verdict.VALID_IN_CODE_SYSTEM, Verdict.UNKNOWN_IN_CODE_SYSTEM):
                ctx.add("code-invalid", r.message, path + sub, "warning")
            elif verdict is Verdict.NOT_CHECKED:
                ctx.add("informational", r.message, path + sub, "information")
            return
    for r, _, sub in results:
        ctx.add("code-invalid", f"{r.message} (required binding to {_vs_label(vs)})", path + sub)


def _check_system(system: str, item: Any, path: str, ctx: _Ctx) -> None:
    """Hand-written code-system bindings (no JDV): codes of that system must exist in it."""
    term = ctx.term
    codings, _ = _codings(item)
    ours = [(s, c, sub) for s, c, sub in codings if s is not None and term.canonical_system(s) == system]
    if not ours:
        label = system[len(NOS) :].split("/", 1)[0] if system.startswith(NOS) else system
        ctx.add("code-invalid", f"expected a code from {label}", path, "warning")
        return
    if not term.has_code_system(system):
        return
    for s, code, sub in ours:
        if term.lookup(system, code) is None:
            ctx.add("code-invalid", f"code '{code}' does not exist in {system}", path + sub)
            continue
        reason = term.is_retired(system, code)
        if reason:
            ctx.add(
                "code-invalid",
                f"code '{code}' of {system} is retired ({reason})",
                path + sub,
                "warning" if ctx.allow_retired else "error",
            )
        if s != system:
            ctx.add("code-invalid", f"non-canonical code system URL {s!r}: use {system!r}", path + sub, "warning")


def _vs_label(url: str) -> str:
    return url[len(NOS) :].split("/", 1)[0] if url.startswith(NOS) else url


def _core_values(node: Any, path: tuple[str, ...], expr: str) -> Iterator[tuple[Any, str]]:
    if not path:
        yield node, expr
        return
    if not isinstance(node, dict):
        return
    key = path[0]
    value = node.get(key)
    if value is None:
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from _core_values(v, path[1:], f"{expr}.{key}[{i}]")
    else:
        yield from _core_values(value, path[1:], f"{expr}.{key}")


def _check_core(resource: Mapping[str, Any], rtype: str, ctx: _Ctx) -> None:
    for path, codes, vs in CORE_REQUIRED_CODES.get(rtype, ()):
        if path[0] not in resource:
            continue
        for value, expr in _core_values(resource, path, rtype):
            if isinstance(value, str) and value not in codes:
                ctx.add(
                    "code-invalid",
                    f"'{value}' is not in the R4 value set {vs} (required binding): expected one of "
                    + ", ".join(sorted(codes)),
                    expr,
                )


# -- public API -----------------------------------------------------------------------------------------


class RuleTable:
    """The compiled ROR rules of every profiled type, built once for a terminology."""

    def __init__(self, term: Terminology, differentials: Sequence[Mapping[str, Any]]) -> None:
        parsed = {sd["url"]: (sd, _parse_differential(sd)) for sd in differentials}
        extension_profiles = {url: rule for url, (sd, rule) in parsed.items() if sd.get("type") == "Extension"}
        compiler = _Compiler(term, extension_profiles)
        self.by_type: dict[str, Rule] = {}
        for sd, rule in parsed.values():
            compiler.compile(rule, rule.name)
            if sd.get("type") in PROFILED_TYPES:
                self.by_type[sd["type"]] = rule
        seen: set[int] = set()
        for rule in [*self.by_type.values(), *extension_profiles.values(), *compiler.hand.values()]:
            _finalize(rule, seen)


def _finalize(rule: Rule, seen: set[int]) -> None:
    """Precompute what the walker needs to know to skip work (once every rule is compiled)."""
    if id(rule) in seen:
        return
    seen.add(id(rule))
    for child in (*rule.children.values(), *rule.slices.values()):
        _finalize(child, seen)
    if rule.extension_rules is not None:
        _finalize(rule.extension_rules, seen)
    rule.per_item = bool(
        rule.pattern is not _MISSING
        or rule.binding
        or rule.system_binding
        or rule.extension_rules is not None
        or rule.child_list
    )
    rule.reads_shadow = bool(rule.child_list or rule.extension_rules is not None)
    rule.leaf = _leaf_value_rule(rule)


def _leaf_value_rule(rule: Rule) -> Rule | None:
    """The value[x] rule of a sub-extension slice that checks nothing but its value's type and binding."""
    if rule.slice_name is None or rule.name != "extension" or rule.pattern is not _MISSING:
        return None
    if rule.binding or rule.system_binding or rule.extension_rules is not None:
        return None
    value = None
    for child in rule.child_list:
        if child.name == "value[x]" and child.value_keys and not child.child_list and not child.slice_list:
            if child.pattern is not _MISSING or child.system_binding or child.extension_rules is not None:
                return None
            value = child
        elif not (child.name == "extension" and child.max == 0 and not child.min and not child.slice_list):
            return None
    return value


def _packaged_differentials() -> list[dict[str, Any]]:
    folder = resources.files("openror") / "definitions" / "profiles"
    return [
        orjson.loads(entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


_tables: dict[int, tuple[Terminology, RuleTable]] = {}


def rule_table(term: Terminology) -> RuleTable:
    """The rule table for ``term``, compiled from the packaged differentials once per terminology."""
    hit = _tables.get(id(term))
    if hit is not None and hit[0] is term:
        return hit[1]
    with _lock:
        hit = _tables.get(id(term))
        if hit is not None and hit[0] is term:
            return hit[1]
        table = RuleTable(term, _packaged_differentials())
        if len(_tables) >= 8:  # a handful of terminologies per process (tests build their own)
            _tables.clear()
        _tables[id(term)] = (term, table)
        return table


def validate_ror(
    resource: Mapping[str, Any],
    terminology: Terminology,
    *,
    server_fills_meta: bool = False,
    allow_retired: bool = False,
) -> list[Issue]:
    """Issues (error, warning, information) of ``resource`` against its ROR profile and the R4 required bindings.

    ``server_fills_meta``: do not require ``ror-meta-creation-date`` (the server adds it on create).
    ``allow_retired``: accept retired NOS codes with a warning (re-imports of existing data).
    """
    rtype = resource.get("resourceType")
    ctx = _Ctx(
        terminology,
        [],
        allow_retired,
        frozenset({CREATION_DATE_URL}) if server_fills_meta else frozenset(),
    )
    if not isinstance(rtype, str) or rtype not in PROFILED_TYPES + TERMINOLOGY_TYPES:
        ctx.add("not-supported", f"resource type {rtype!r} is not served by this server", "resourceType")
        return ctx.issues
    if rtype in TERMINOLOGY_TYPES:
        for name in _TERMINOLOGY_REQUIRED[rtype]:
            if not resource.get(name):
                ctx.add("required", f"{rtype}.{name} is required", f"{rtype}.{name}")
    else:
        table = rule_table(terminology)
        _walk(table.by_type[rtype], resource, rtype, ctx)
    _check_core(resource, rtype, ctx)
    return ctx.issues
