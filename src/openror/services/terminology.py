"""Terminology service: stored NOS terminology for write validation, and $lookup / $validate-code / $expand (spec i).

FHIR R4 terminology-service.html: CodeSystem ``$lookup`` and ``$validate-code``, ValueSet
``$validate-code`` and ``$expand``. No HTTP here: ``openror.api.operations`` parses the requests.

* :class:`StoredTerminology` is what write validation uses: the packaged copies
  (``openror/definitions/terminology``) overlaid, by canonical URL, with every CodeSystem and
  ValueSet in the store (``openror import nos``, or written through the API), compiled into an
  :class:`~openror.fhir.terminology.InMemoryTerminology`. It is rebuilt when the stored ones change:
  the newest CodeSystem/ValueSet version in the store is checked at most every ``check_interval``
  seconds, so every process (API workers, importers) sees an import made elsewhere within that delay,
  and an import refreshes its own process at once (:meth:`StoredTerminology.refresh`). While nothing
  is stored, the packaged terminology object itself is used.
* :class:`TerminologyOperations` answers the operations from the same snapshot, so ``$validate-code``
  and a write agree on what a value set contains.
* :func:`fill_displays` / :func:`with_displays` set missing ``Coding.display`` values from the
  terminology; importers call them on the resources they map.
"""

from __future__ import annotations

import functools
import threading
import time
import unicodedata
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any, ClassVar

import orjson

from openror.fhir.access import AccessContext
from openror.fhir.errors import Category, FhirError
from openror.fhir.terminology import InMemoryTerminology, Terminology, canonical_url, packaged_terminology
from openror.services.directory import Directory
from openror.store.repository import Store

TERMINOLOGY_TYPES = ("CodeSystem", "ValueSet")
DEFAULT_CHECK_INTERVAL = 2.0  # seconds between two looks at the store for changed terminology
_PAGE = 500
MAX_FILTER_LENGTH = 200


@functools.cache
def packaged_resources() -> tuple[Mapping[str, Any], ...]:
    """The CodeSystem/ValueSet resources shipped in ``openror/definitions/terminology`` (read once)."""
    folder = resources.files("openror") / "definitions" / "terminology"
    out: list[Mapping[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            out.append(orjson.loads(entry.read_bytes()))
    return tuple(out)


# -- code systems and value sets as the operations need them -------------------------------------------


@dataclass(slots=True)
class Concept:
    """One concept of a code system, flattened (its place in the hierarchy kept as parent/children)."""

    code: str
    display: str | None
    designations: list[Mapping[str, Any]]
    properties: list[Mapping[str, Any]]
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    retired: str | None = None  # why (e.g. "dateFin 2018-03-30"), as the write validation sees it


class CodeSystemIndex:
    """The concepts of one CodeSystem resource, in definition order (depth first)."""

    def __init__(self, resource: Mapping[str, Any], terminology: Terminology) -> None:
        self.resource = resource
        self.url = canonical_url(str(resource.get("url", "")))
        self.name = str(resource.get("name") or resource.get("title") or resource.get("id") or self.url)
        self.version = resource.get("version") if isinstance(resource.get("version"), str) else None
        self.complete = resource.get("content", "complete") == "complete"
        self.concepts: dict[str, Concept] = {}
        stack: list[tuple[Mapping[str, Any], str | None]] = [(c, None) for c in reversed(resource.get("concept") or [])]
        while stack:
            raw, parent = stack.pop()
            code = raw.get("code")
            if not isinstance(code, str) or code in self.concepts:
                continue
            display = raw.get("display")
            concept = Concept(
                code,
                display if isinstance(display, str) else None,
                [d for d in raw.get("designation") or [] if isinstance(d, dict)],
                [p for p in raw.get("property") or [] if isinstance(p, dict)],
                retired=terminology.is_retired(self.url, code),
            )
            if parent is not None:
                concept.parents.append(parent)
            for prop in concept.properties:
                if prop.get("code") == "parent" and isinstance(prop.get("valueCode"), str):
                    concept.parents.append(prop["valueCode"])
            self.concepts[code] = concept
            stack.extend((c, code) for c in reversed(raw.get("concept") or []) if isinstance(c, dict))
        for concept in self.concepts.values():
            for parent in concept.parents:
                if parent in self.concepts and concept.code not in self.concepts[parent].children:
                    self.concepts[parent].children.append(concept.code)

    def descendants(self, code: str) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(self.concepts[code].children)) if code in self.concepts else []
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                out.append(c)
                stack.extend(reversed(self.concepts[c].children) if c in self.concepts else [])
        return out


@dataclass(slots=True)
class Member:
    system: str
    code: str
    display: str | None


@dataclass(slots=True)
class Expansion:
    """The members of a value set, in definition order, and what could not be evaluated."""

    members: dict[tuple[str, str], Member] = field(default_factory=dict)
    systems: set[str] = field(default_factory=set)  # systems the value set draws from
    whole: set[str] = field(default_factory=set)  # systems included entirely that we do not hold complete
    unknown: list[str] = field(default_factory=list)  # parts we could not evaluate (why)

    @property
    def complete(self) -> bool:
        return not self.whole and not self.unknown

    def add(self, system: str, code: str, display: str | None) -> None:
        self.systems.add(system)
        key = (system, code)
        if key not in self.members:
            self.members[key] = Member(system, code, display)
        elif display and not self.members[key].display:
            self.members[key].display = display


class Snapshot:
    """One consistent view of the terminology: the validating :class:`InMemoryTerminology` and the resources."""

    def __init__(self, fingerprint: tuple[Any, ...], stored: Sequence[Mapping[str, Any]]) -> None:
        self.fingerprint = fingerprint
        self.stored_count = len(stored)
        docs = [*packaged_resources(), *stored]
        # Nothing stored: share the packaged terminology object (its compiled rule table is cached).
        self.terminology = packaged_terminology() if not stored else InMemoryTerminology(docs)
        self.code_systems: dict[str, Mapping[str, Any]] = {}
        self.value_sets: dict[str, Mapping[str, Any]] = {}
        for res in docs:  # later (stored) resources override earlier (packaged) ones with the same URL
            url = res.get("url")
            if not isinstance(url, str):
                continue
            if res.get("resourceType") == "CodeSystem":
                self.code_systems[canonical_url(url)] = res
            elif res.get("resourceType") == "ValueSet":
                self.value_sets[canonical_url(url)] = res
        self._indexes: dict[str, CodeSystemIndex] = {}
        self._expansions: dict[str, Expansion] = {}

    def code_system(self, system: str) -> CodeSystemIndex | None:
        """The code system with this URL (any known variant), or None."""
        url = self.terminology.canonical_system(system)
        hit = self._indexes.get(url)
        if hit is None:
            res = self.code_systems.get(url) or self.code_systems.get(canonical_url(system))
            if res is None:
                return None
            hit = CodeSystemIndex(res, self.terminology)
            self._indexes[url] = hit
        return hit

    def value_set(self, url: str) -> Mapping[str, Any] | None:
        return self.value_sets.get(canonical_url(url))

    def expand(self, vs: Mapping[str, Any]) -> Expansion:
        """Members of ``vs`` (a ValueSet resource), its compose evaluated against this snapshot."""
        url = canonical_url(str(vs.get("url", "")))
        if self.value_sets.get(url) is not vs:
            return self._expand(vs, frozenset())
        hit = self._expansions.get(url)
        if hit is None:
            hit = self._expand(vs, frozenset())
            self._expansions[url] = hit
        return hit

    # Same semantics as InMemoryTerminology._expand (docs/validation.md), keeping the definition order.
    def _expand(self, vs: Mapping[str, Any], seen: frozenset[str]) -> Expansion:
        out = Expansion()
        url = canonical_url(str(vs.get("url", "")))
        if url in seen:
            out.unknown.append(f"value set {url} includes itself")
            return out
        compose = vs.get("compose") or {}
        for inc in compose.get("include") or []:
            if isinstance(inc, dict):
                self._include(inc, out, seen | {url})
        for exc in compose.get("exclude") or []:
            system, concepts = exc.get("system"), exc.get("concept")
            if isinstance(system, str) and concepts and not exc.get("filter") and not exc.get("valueSet"):
                canon = self.terminology.canonical_system(system)
                for c in concepts:
                    out.members.pop((canon, str(c.get("code"))), None)
            else:
                out.unknown.append("an exclude we cannot evaluate")
        return out

    def _include(self, inc: Mapping[str, Any], out: Expansion, seen: frozenset[str]) -> None:
        system, value_sets = inc.get("system"), inc.get("valueSet") or []
        concepts, filters = inc.get("concept"), inc.get("filter")
        if value_sets and system:
            out.unknown.append("an include of a system intersected with value sets")
            return
        if value_sets:
            for ref in value_sets:
                sub_vs = self.value_set(str(ref))
                if sub_vs is None:
                    out.unknown.append(f"value set {ref} not loaded")
                    continue
                sub = self._expand(sub_vs, seen)
                for m in sub.members.values():
                    out.add(m.system, m.code, m.display)
                out.systems |= sub.systems
                out.whole |= sub.whole
                out.unknown.extend(sub.unknown)
            return
        if not isinstance(system, str):
            out.unknown.append("an include without a system")
            return
        canon = self.terminology.canonical_system(system)
        cs = self.code_system(canon)
        out.systems.add(canon)
        if concepts:
            for c in concepts:
                code = c.get("code") if isinstance(c, dict) else None
                if isinstance(code, str):
                    display = c.get("display") if isinstance(c.get("display"), str) else None
                    if display is None and cs is not None and code in cs.concepts:
                        display = cs.concepts[code].display
                    out.add(canon, code, display)
            return
        if filters:
            selected = _filter(cs, filters) if cs is not None else None
            if selected is None:
                out.unknown.append(f"a filter on {canon} we cannot evaluate")
                return
            for code in selected:
                out.add(canon, code, cs.concepts[code].display if cs is not None else None)
            return
        if cs is not None and cs.complete:
            for concept in cs.concepts.values():
                out.add(canon, concept.code, concept.display)
        else:
            out.whole.add(canon)


def _filter(cs: CodeSystemIndex, filters: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """Codes selected by include filters (ANDed), in definition order; None when a filter is unsupported."""
    selected: set[str] | None = None
    for f in filters:
        prop, op, value = f.get("property"), f.get("op"), f.get("value")
        if not isinstance(value, str) or not isinstance(prop, str):
            return None
        if prop == "concept" and op in ("is-a", "descendent-of"):
            codes = set(cs.descendants(value))
            if op == "is-a" and value in cs.concepts:
                codes.add(value)
        elif prop == "concept" and op == "in":
            codes = {c.strip() for c in value.split(",")} & set(cs.concepts)
        elif op == "=":
            codes = {
                c.code
                for c in cs.concepts.values()
                if any(p.get("code") == prop and _property_text(p) == value for p in c.properties)
            }
        else:
            return None
        selected = codes if selected is None else selected & codes
    return [c for c in cs.concepts if c in (selected or set())]


def _property_text(prop: Mapping[str, Any]) -> str | None:
    value = next((v for k, v in prop.items() if k.startswith("value")), None)
    if isinstance(value, bool):
        return str(value).lower()
    return None if value is None else str(value)


# -- the store-backed terminology -----------------------------------------------------------------------


class StoredTerminology:
    """Packaged + stored terminology, rebuilt when the stored CodeSystem/ValueSet resources change."""

    _registry: ClassVar[weakref.WeakKeyDictionary[Store, StoredTerminology]] = weakref.WeakKeyDictionary()
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, store: Store, *, check_interval: float = DEFAULT_CHECK_INTERVAL) -> None:
        self.store = store
        self.check_interval = check_interval
        self._snapshot: Snapshot | None = None
        self._next_check = 0.0
        self._lock = threading.Lock()

    @classmethod
    def for_store(cls, store: Store) -> StoredTerminology:
        """The one instance of this process for ``store`` (validation and operations share it)."""
        with cls._registry_lock:
            hit = cls._registry.get(store)
            if hit is None:
                hit = cls(store)
                cls._registry[store] = hit
            return hit

    def current(self) -> Terminology:
        """The terminology to validate with now (cheap: the store is looked at every ``check_interval`` s)."""
        return self.snapshot().terminology

    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        if snap is not None and time.monotonic() < self._next_check:
            return snap
        # One thread checks; the others keep using the current snapshot meanwhile.
        if not self._lock.acquire(blocking=snap is None):
            assert snap is not None
            return snap
        try:
            return self._check()
        finally:
            self._lock.release()

    def refresh(self) -> Snapshot:
        """Look at the store now (after an import, or in tests)."""
        with self._lock:
            return self._check()

    def _check(self) -> Snapshot:
        fingerprint = self._fingerprint()
        snap = self._snapshot
        if snap is None or snap.fingerprint != fingerprint:
            snap = Snapshot(fingerprint, self._stored_resources() if any(fingerprint) else [])
            self._snapshot = snap
        self._next_check = time.monotonic() + self.check_interval
        return snap

    def _fingerprint(self) -> tuple[Any, ...]:
        """The newest version of each terminology type: any create, update or delete changes it."""
        out: list[Any] = []
        for rtype in TERMINOLOGY_TYPES:
            newest = self.store.history(rtype=rtype, count=1)
            out.append((newest[0].last_updated, newest[0].rid, newest[0].version_id) if newest else None)
        return tuple(out)

    def _stored_resources(self) -> list[Mapping[str, Any]]:
        return [
            orjson.loads(cur.body)
            for rtype in TERMINOLOGY_TYPES
            for cur in self.store.iter_current(rtype, batch=_PAGE)
            if cur.body is not None
        ]


# -- displays ---------------------------------------------------------------------------------------------

_CODING_KEYS = frozenset({"system", "version", "code", "display", "userSelected", "id", "extension"})


def fill_displays(resource: dict[str, Any], terminology: Terminology) -> int:
    """Set the missing ``display`` of every Coding whose code system is known; returns how many were set.

    A Coding is a JSON object with ``system`` and ``code`` and only Coding elements (so a Quantity,
    which also has system and code, is left alone). Existing displays are never changed.
    """
    filled = 0
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            system, code = node.get("system"), node.get("code")
            if (
                isinstance(system, str)
                and isinstance(code, str)
                and "display" not in node
                and node.keys() <= _CODING_KEYS
            ):
                display = terminology.lookup(system, code)
                if display:
                    node["display"] = display
                    filled += 1
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return filled


def with_displays(
    items: Iterable[tuple[str, Any]], terminology: Callable[[], Terminology]
) -> Iterator[tuple[str, Any]]:
    """Wrap an importer's (location, resource-or-error) stream for ``Loader.load_resources``, filling displays."""
    for where, item in items:
        if isinstance(item, dict):
            fill_displays(item, terminology())
        yield where, item


# -- the operations ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeInput:
    """A code to check: from ``code``+``system``, a ``coding``, or one coding of a ``codeableConcept``."""

    code: str
    system: str | None = None
    display: str | None = None
    version: str | None = None


def _param(name: str, **value: Any) -> dict[str, Any]:
    return {"name": name, **value}


def _parameters(params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": params}


def _fold(text: str) -> str:
    """Lower case without accents (filter matching)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def _displays(concept: Concept | None, member_display: str | None) -> set[str]:
    out = {d for d in (member_display, concept.display if concept else None) if d}
    if concept is not None:
        out |= {d["value"] for d in concept.designations if isinstance(d.get("value"), str)}
    return out


class TerminologyOperations:
    """$lookup, $validate-code and $expand over the current snapshot (FHIR R4 terminology-service.html)."""

    def __init__(self, stored: StoredTerminology, directory: Directory, *, max_count: int = 1000) -> None:
        self.stored = stored
        self.directory = directory
        self.max_count = max_count

    # -- helpers --------------------------------------------------------------------------------------

    def _instance(self, ctx: AccessContext, rtype: str, rid: str) -> Mapping[str, Any]:
        cur = self.directory.read(ctx, rtype, rid)
        assert cur.body is not None
        body: Mapping[str, Any] = orjson.loads(cur.body)
        return body

    def _code_system(
        self, snap: Snapshot, ctx: AccessContext, *, rid: str | None, url: str | None, version: str | None
    ) -> CodeSystemIndex:
        if rid is not None:
            cs = CodeSystemIndex(self._instance(ctx, "CodeSystem", rid), snap.terminology)
        else:
            if not url:
                raise FhirError.of(Category.INVALID, "the code system is required (url, system or coding.system)")
            found = snap.code_system(url)
            if found is None:
                raise FhirError.of(Category.NOT_FOUND, f"code system {url} is not known to this server")
            cs = found
        _check_version("code system", cs.url, cs.version, version)
        return cs

    def _value_set(
        self, snap: Snapshot, ctx: AccessContext, *, rid: str | None, url: str | None, version: str | None
    ) -> Mapping[str, Any]:
        if rid is not None:
            vs = self._instance(ctx, "ValueSet", rid)
        else:
            if not url:
                raise FhirError.of(Category.INVALID, "the value set is required: give url")
            found = snap.value_set(url)
            if found is None:
                raise FhirError.of(Category.NOT_FOUND, f"value set {url} is not known to this server")
            vs = found
        have = vs.get("version") if isinstance(vs.get("version"), str) else None
        _check_version("value set", str(vs.get("url")), have, version)
        return vs

    # -- CodeSystem/$lookup ---------------------------------------------------------------------------

    def lookup(self, item: CodeInput, *, properties: Sequence[str] = ()) -> dict[str, Any]:
        """CodeSystem/$lookup: name, version, display, designations and properties of one code."""
        snap = self.stored.snapshot()
        if not item.system:
            raise FhirError.of(Category.INVALID, "$lookup needs system and code (or a coding with both)")
        cs = snap.code_system(item.system)
        if cs is None:
            raise FhirError.of(Category.NOT_FOUND, f"code system {item.system} is not known to this server")
        _check_version("code system", cs.url, cs.version, item.version)
        concept = cs.concepts.get(item.code)
        if concept is None:
            raise FhirError.of(Category.NOT_FOUND, f"code '{item.code}' is not in {cs.name}", code="code-invalid")
        wanted = set(properties)
        params = [_param("name", valueString=cs.name)]
        if cs.version:
            params.append(_param("version", valueString=cs.version))
        params.append(_param("display", valueString=concept.display or ""))
        for d in concept.designations:
            parts = []
            if isinstance(d.get("language"), str):
                parts.append(_param("language", valueCode=d["language"]))
            if isinstance(d.get("use"), dict):
                parts.append(_param("use", valueCoding=d["use"]))
            parts.append(_param("value", valueString=str(d.get("value", ""))))
            params.append(_param("designation", part=parts))
        props: list[tuple[str, dict[str, Any]]] = []
        for p in concept.properties:
            value = next(((k, v) for k, v in p.items() if k.startswith("value")), None)
            if isinstance(p.get("code"), str) and value is not None:
                props.append((p["code"], {value[0]: value[1]}))
        props += [("parent", {"valueCode": c}) for c in concept.parents if not _has(concept.properties, "parent", c)]
        props += [("child", {"valueCode": c}) for c in concept.children]
        props.append(("inactive", {"valueBoolean": concept.retired is not None}))
        for code, typed in props:
            if not wanted or code in wanted:
                params.append(_param("property", part=[_param("code", valueCode=code), _param("value", **typed)]))
        return _parameters(params)

    # -- CodeSystem/$validate-code ---------------------------------------------------------------------

    def validate_in_code_system(
        self,
        ctx: AccessContext,
        items: Sequence[CodeInput],
        *,
        rid: str | None = None,
        url: str | None = None,
        version: str | None = None,
    ) -> dict[str, Any]:
        """CodeSystem/$validate-code. A retired code is still a code of its system: true, with a message."""
        snap = self.stored.snapshot()
        url = url or next((i.system for i in items if i.system), None)
        cs = self._code_system(snap, ctx, rid=rid, url=url, version=version)
        results = [self._check_in_code_system(snap, cs, item) for item in items]
        return _verdict(results)

    def _check_in_code_system(
        self, snap: Snapshot, cs: CodeSystemIndex, item: CodeInput
    ) -> tuple[bool, str, str | None]:
        if item.system and snap.terminology.canonical_system(item.system) != cs.url:
            return False, f"system {item.system} is not the code system {cs.url}", None
        concept = cs.concepts.get(item.code)
        if concept is None:
            partial = "" if cs.complete else f" (this server holds only part of {cs.name})"
            return False, f"code '{item.code}' is not in {cs.name}{partial}", None
        if item.display and item.display not in _displays(concept, None):
            return (
                False,
                f"display '{item.display}' is not a display of '{item.code}' ('{concept.display}')",
                concept.display,
            )
        if concept.retired:
            return True, f"code '{item.code}' of {cs.name} is retired ({concept.retired})", concept.display
        return True, "", concept.display

    # -- ValueSet/$validate-code -----------------------------------------------------------------------

    def validate_in_value_set(
        self,
        ctx: AccessContext,
        items: Sequence[CodeInput],
        *,
        rid: str | None = None,
        url: str | None = None,
        version: str | None = None,
    ) -> dict[str, Any]:
        """ValueSet/$validate-code, with the write policy: a retired member is *not* valid (refused on writes)."""
        snap = self.stored.snapshot()
        vs = self._value_set(snap, ctx, rid=rid, url=url, version=version)
        expansion = snap.expand(vs)
        label = str(vs.get("name") or vs.get("url"))
        return _verdict([self._check_in_value_set(snap, expansion, label, item) for item in items])

    def _check_in_value_set(
        self, snap: Snapshot, exp: Expansion, label: str, item: CodeInput
    ) -> tuple[bool, str, str | None]:
        term = snap.terminology
        system = term.canonical_system(item.system) if item.system else None
        if system is None:  # a bare code: the system that has it, or the value set's only system
            system = next((s for (s, c) in exp.members if c == item.code), None)
            if system is None and len(exp.systems) == 1:
                system = next(iter(exp.systems))
        member = exp.members.get((system, item.code)) if system else None
        if member is None:
            if system is not None and system in exp.whole:
                return False, f"{label} includes all of {system}, which this server does not hold: not checked", None
            if exp.unknown:
                return False, f"{label} could not be fully expanded ({'; '.join(exp.unknown)}): not checked", None
            if system is not None and system not in exp.systems:
                expected = ", ".join(sorted(exp.systems)) or "none"
                return False, f"system {system} is not a code system of {label} (expected {expected})", None
            return False, f"code '{item.code}' is not in {label}", None
        cs = snap.code_system(member.system)
        concept = cs.concepts.get(item.code) if cs else None
        display = member.display or (concept.display if concept else None)
        if item.display and item.display not in _displays(concept, member.display):
            return False, f"display '{item.display}' is not a display of '{item.code}' ('{display}')", display
        retired = term.is_retired(member.system, item.code)
        if retired:
            return False, f"code '{item.code}' is retired ({retired}): refused on writes", display
        return True, "", display

    # -- ValueSet/$expand --------------------------------------------------------------------------------

    def expand(
        self,
        ctx: AccessContext,
        *,
        rid: str | None = None,
        url: str | None = None,
        version: str | None = None,
        text_filter: str | None = None,
        count: int | None = None,
        offset: int = 0,
        active_only: bool = False,
    ) -> dict[str, Any]:
        """ValueSet/$expand: a page (``offset``, ``count`` ≤ max) of the members matching ``text_filter``."""
        if text_filter is not None and len(text_filter) > MAX_FILTER_LENGTH:
            raise FhirError.of(Category.INVALID, f"filter longer than {MAX_FILTER_LENGTH} characters")
        snap = self.stored.snapshot()
        vs = self._value_set(snap, ctx, rid=rid, url=url, version=version)
        exp = snap.expand(vs)
        if not exp.complete:
            parts = [f"{s} is included whole but not held" for s in sorted(exp.whole)] + exp.unknown
            raise FhirError.of(
                Category.PROFILE,
                f"{vs.get('name') or vs.get('url')} cannot be expanded here: {'; '.join(parts)}",
                code="not-supported",
            )
        term = snap.terminology
        members = list(exp.members.values())
        if active_only:
            members = [m for m in members if not term.is_retired(m.system, m.code)]
        if text_filter:
            words = _fold(text_filter).split()
            members = [m for m in members if _matches(words, m)]
        total = len(members)
        size = self.max_count if count is None else min(count, self.max_count)
        page = members[offset : offset + size]
        contains = []
        for m in page:
            entry: dict[str, Any] = {"system": m.system, "code": m.code}
            if m.display:
                entry["display"] = m.display
            if term.is_retired(m.system, m.code):
                entry["inactive"] = True
            contains.append(entry)
        used: list[dict[str, Any]] = []
        if text_filter:
            used.append(_param("filter", valueString=text_filter))
        if active_only:
            used.append(_param("activeOnly", valueBoolean=True))
        used += [_param("offset", valueInteger=offset), _param("count", valueInteger=size)]
        key = orjson.dumps([vs.get("url"), text_filter, offset, size, active_only, snap.fingerprint])
        expansion: dict[str, Any] = {
            "identifier": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key.decode())}",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "total": total,
            "offset": offset,
            "parameter": used,
        }
        if contains:
            expansion["contains"] = contains
        out: dict[str, Any] = {"resourceType": "ValueSet"}
        for k in ("id", "url", "identifier", "version", "name", "title", "status", "date", "publisher", "description"):
            if k in vs:
                out[k] = vs[k]
        out["expansion"] = expansion
        return out


def _has(properties: list[Mapping[str, Any]], code: str, value: str) -> bool:
    return any(p.get("code") == code and p.get("valueCode") == value for p in properties)


def _matches(words: list[str], member: Member) -> bool:
    """Every filter word starts a word of the display, or starts the code (case and accents ignored)."""
    code = _fold(member.code)
    text = _fold(member.display or "").replace("-", " ").replace("'", " ").replace("(", " ").split()
    return all(code.startswith(w) or any(t.startswith(w) for t in text) for w in words)


def _check_version(kind: str, url: str, have: str | None, wanted: str | None) -> None:
    if wanted and wanted != have:
        raise FhirError.of(
            Category.NOT_FOUND,
            f"{kind} {url} is not available in version {wanted} (this server holds {have or 'an unversioned copy'})",
        )


def _verdict(results: list[tuple[bool, str, str | None]]) -> dict[str, Any]:
    """Parameters of $validate-code: true when one of the codings (codeableConcept) is valid."""
    ok = [r for r in results if r[0]]
    chosen = ok[0] if ok else results[0]
    params = [_param("result", valueBoolean=bool(ok))]
    messages = [r[1] for r in (ok or results) if r[1]]
    if messages:
        params.append(_param("message", valueString="; ".join(messages)))
    if chosen[2]:
        params.append(_param("display", valueString=chosen[2]))
    return _parameters(params)
