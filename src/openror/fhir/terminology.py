"""Terminology: NOS code systems (TRE) and value sets (JDV) held in memory, and the binding policy (spec i).

A *TRE* is a NOS code system, a *JDV* a NOS value set selecting codes from one or more TREs. The
profiles bind coded elements to JDVs (``required``); instances carry the TRE URL in ``coding.system``.

Binding policy, applied by :meth:`InMemoryTerminology.validate_code` and turned into issues by the
validators (``docs/validation.md`` is the long version):

1. **JDV loaded**: the code must be in the JDV (its ``compose`` is evaluated: include of a system with
   a concept list, include of a whole system, ``is-a``/``descendent-of``/``=``/``in`` filters, include
   of other value sets, excludes with concept lists). Anything else makes the answer "cannot check".
2. **JDV absent, its TRE loaded**: the code is checked against the TRE and the result is a *warning*:
   either the code exists but we could not prove it belongs to the JDV, or it is absent from our copy
   of the TRE, which may predate it - we only refuse what we can prove (a retired code, or a system
   that is not one of the JDV's). Which TREs a JDV draws from comes from the loaded ValueSet or, for
   JDVs we do not ship, from :data:`KNOWN_VALUE_SET_SYSTEMS`.
3. **Neither loaded**: accepted with an *information* issue ("not checked") - we cannot ship all of NOS.
4. **Retired codes**: a concept with a ``dateFin`` property in the past (NOS), or a ``status`` of
   ``retired``/``deprecated``, ``deprecated`` or ``inactive`` (FHIR concept properties) is *refused*
   with a clear message, unless the caller passes ``allow_retired=True`` (reading or re-importing
   existing data), in which case it is accepted with a warning.

System URLs are normalised before any check (spec i caveat): ``http``→``https`` on the NOS host,
trailing slashes, ``.tabs`` suffixes, the ``TRE_R345…/FHIR/TRE_R345…`` underscore variant, a JDV URL
used as ``coding.system`` (mapped to its single TRE) and known aliases (``TRE_R13-Commune`` →
``TRE_R13-CommuneOM``). :meth:`InMemoryTerminology.canonical_system` gives the canonical TRE URL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Protocol

import orjson

NOS = "https://mos.esante.gouv.fr/NOS/"

_NOS_URL = re.compile(
    r"^https?://mos\.esante\.gouv\.fr/NOS/(?:(?P<folder>[^/|]+)/FHIR/)?(?P<last>(?:TRE|JDV)[-_][^/|]+?)/*(?:\|.*)?$"
)
_CACHE_LIMIT = 50_000


def nos_url(kind: str, name: str) -> str:
    """Canonical NOS URL: ``nos_url("TRE", "R30-RegionOM")`` → ``…/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM``."""
    return f"{NOS}{kind}_{name}/FHIR/{kind}-{name}"


def canonical_url(url: str) -> str:
    """Canonical form of a code system / value set URL, fixing the known NOS variants (spec i caveat).

    The name is taken from the last path segment (the folder part is sometimes wrong in NOS itself,
    e.g. ``JDV_J20-ESPIC-ROR/FHIR/JDV-J202-ESPIC-ROR``); a ``|version`` suffix is dropped.
    """
    m = _NOS_URL.match(url)
    if m is None:
        return url.split("|", 1)[0].rstrip("/") or url
    last = m.group("last")
    if last.endswith(".tabs"):
        last = last[: -len(".tabs")]
    return nos_url(last[:3], last[4:])


# Aliases seen in IG examples and pages (spec i caveat), after canonical_url().
_SYSTEM_ALIASES: dict[str, str] = {
    nos_url("TRE", "R13-Commune"): nos_url("TRE", "R13-CommuneOM"),
}


@dataclass(frozen=True, slots=True)
class KnownSystems:
    """The TREs a JDV we do not ship draws from, and how sure we are of it."""

    systems: tuple[str, ...]
    verified: bool  # True: read in the NOS JSON or in the IG's FSH; False: from the spec's summary table
    source: str


def _known(names: Iterable[str], *, verified: bool, source: str) -> KnownSystems:
    return KnownSystems(tuple(nos_url("TRE", n) for n in names), verified, source)


_NOS_JSON = "ansforge/IG-NOS ig/allNos2 @b8b0cc32"
_IG_FSH = "IG FSH ror-healthcareservice (coding.system fixed per characteristic slice)"
_SPEC_I = "spec i, terminology table"

KNOWN_VALUE_SET_SYSTEMS: dict[str, KnownSystems] = {
    # Hand-written: JDVs bound by the profiles but not shipped in src/openror/definitions/terminology.
    # Used to discriminate slices sliced on coding.system and for the "TRE fallback" of the policy.
    nos_url("JDV", "J16-ActeSpecifique-ROR"): _known(["R210-ActeSpecifique"], verified=True, source=_IG_FSH),
    nos_url("JDV", "J26-ModeGestion-ROR"): _known(["R236-ModeGestion"], verified=True, source=_IG_FSH),
    nos_url("JDV", "J28-OuvertureAnnuelle-ROR"): _known(["R238-OuvertureAnnuelle"], verified=True, source=_IG_FSH),
    nos_url("JDV", "J30-TemporaliteAccueil-ROR"): _known(["R240-TemporaliteAccueil"], verified=True, source=_NOS_JSON),
    nos_url("JDV", "J33-CompetenceSpecifique-ROR"): _known(
        ["R243-CompetenceSpecifique"], verified=True, source=_IG_FSH
    ),
    nos_url("JDV", "J35-SpecialisationDePriseEnCharge-ROR"): _known(
        ["R245-SpecialisationDePriseEnCharge"], verified=True, source=_IG_FSH
    ),
    nos_url("JDV", "J51-FamilleActiviteOperationnelle-ROR"): _known(
        ["R266-FamilleActiviteOperationnelleHorsSerafin", "R265-PrestationPilotageSerafin"],
        verified=True,
        source=_NOS_JSON,
    ),
    nos_url("JDV", "J185-TypeFermeture-ROR"): _known(["R286-TypeFermeture"], verified=True, source=_NOS_JSON),
    nos_url("JDV", "J202-ESPIC-ROR"): _known(["R73-ESPIC"], verified=True, source=_NOS_JSON),
    nos_url("JDV", "J203-TypeOrganisationInterne-ROR"): _known(
        ["R207-TypeOrganisationInterne"], verified=True, source=_NOS_JSON
    ),
    nos_url("JDV", "J209-TypeSavoirFaire-ROR"): _known(["R04-TypeSavoirFaire"], verified=True, source=_NOS_JSON),
    nos_url("JDV", "J227-NiveauExpertise-ROR"): _known(
        ["R253-TypeMaternite", "R344-NiveauExpertise"], verified=True, source=_NOS_JSON
    ),
    nos_url("JDV", "J124-Commune"): _known(["R13-CommuneOM"], verified=False, source=_SPEC_I),
    nos_url("JDV", "J199-StatutJuridique-ROR"): _known(["R72-FinessStatutJuridique"], verified=False, source=_SPEC_I),
    nos_url("JDV", "J200-SousEnsembleAgregatStatutJuridique-ROR"): _known(
        ["R69-FinessAgregatStatutJuridiqueNiv2"], verified=False, source=_SPEC_I
    ),
    nos_url("JDV", "J221-NatureContact-ROR"): _known(["R287-NatureContact"], verified=False, source=_SPEC_I),
    nos_url("JDV", "J238-TypeOffre-ROR"): _known(["R244-CategorieOrganisation"], verified=False, source=_SPEC_I),
    # The NOS JSON of J241 and J242 has an include without a system (NOS defect); the TRE is the one
    # used by the IG's Task example.
    nos_url("JDV", "J241-ThematiqueAnomalie-ROR"): _known(["R350-ThematiqueAnomalie"], verified=False, source=_SPEC_I),
    nos_url("JDV", "J242-ActionAnomalie-ROR"): _known(["R349-ActionAnomalie"], verified=False, source=_SPEC_I),
    nos_url("JDV", "J244-StatutMetierAnomalie-ROR"): _known(
        ["R352-StatutMetierAnomalie"], verified=False, source=_SPEC_I
    ),
}


class Verdict(StrEnum):
    """Outcome of one code check."""

    VALID = "valid"  # in the bound value set
    VALID_IN_CODE_SYSTEM = "valid-in-code-system"  # value set not loaded; the code exists in its TRE (warning)
    UNKNOWN_IN_CODE_SYSTEM = "unknown-in-code-system"  # value set not loaded; code absent from our TRE copy (warning)
    NOT_CHECKED = "not-checked"  # neither value set nor code system loaded (information)
    INVALID = "invalid"
    RETIRED = "retired"  # refused: retired code and allow_retired not given


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Result of :meth:`Terminology.validate_code`."""

    verdict: Verdict
    message: str  # why (empty when plainly valid)
    system: str | None = None  # canonical system the code was checked in
    display: str | None = None
    retired: bool = False  # the code is retired (accepted only because allow_retired was given)

    @property
    def ok(self) -> bool:
        """Acceptable (possibly with a warning or an information issue)."""
        return self.verdict not in (Verdict.INVALID, Verdict.RETIRED)


class Terminology(Protocol):
    """What the validators need from a terminology service."""

    def canonical_system(self, system: str) -> str:
        """The canonical code-system URL for ``system`` (variants and JDV-as-system normalised)."""
        ...

    def lookup(self, system: str, code: str) -> str | None:
        """Display of ``code`` in ``system``, or None when unknown."""
        ...

    def has_code_system(self, system: str) -> bool: ...

    def has_value_set(self, url: str) -> bool: ...

    def value_set_systems(self, url: str) -> frozenset[str]:
        """Canonical systems a value set draws from (loaded ValueSet, else the known table); may be empty."""
        ...

    def is_retired(self, system: str, code: str) -> str | None:
        """Why ``code`` is retired in ``system`` (e.g. ``"dateFin 2016-01-01"``); None when active or unknown."""
        ...

    def validate_code(
        self, value_set_url: str, system: str | None, code: str, *, allow_retired: bool = False
    ) -> CodeCheck:
        """Check ``code`` (of ``system``; None for a bare ``code`` element) against a bound value set."""
        ...


# -- in-memory implementation -----------------------------------------------------------------------


@dataclass(slots=True)
class _CodeSystem:
    url: str
    name: str
    complete: bool
    date: str
    display: dict[str, str | None] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)  # code -> why (e.g. "dateFin 2016-01-01")
    children: dict[str, list[str]] = field(default_factory=dict)  # hierarchy: code -> direct children
    properties: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # code -> property -> values


@dataclass(slots=True)
class _Members:
    """Expanded value set: codes per system, whole systems, and whether some part could not be expanded."""

    codes: dict[str, set[str]] = field(default_factory=dict)
    whole: set[str] = field(default_factory=set)  # systems included entirely (their CS is not loaded)
    unknown: list[str] = field(default_factory=list)  # parts we could not evaluate (why)
    display: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def systems(self) -> set[str]:
        return set(self.codes) | self.whole


class InMemoryTerminology:
    """A :class:`Terminology` built from CodeSystem and ValueSet resources (dicts)."""

    def __init__(self, resources_: Iterable[Mapping[str, Any]], *, now: datetime | None = None) -> None:
        self._now = (now or datetime.now(UTC)).isoformat()
        self._cs: dict[str, _CodeSystem] = {}
        self._vs: dict[str, Mapping[str, Any]] = {}
        for res in resources_:
            rtype = res.get("resourceType")
            url = res.get("url")
            if not isinstance(url, str):
                continue
            if rtype == "CodeSystem":
                cs = self._load_code_system(res)
                self._cs[cs.url] = cs
            elif rtype == "ValueSet":
                self._vs[canonical_url(url)] = res
        self._members: dict[str, _Members] = {}
        self._system_cache: dict[str, str] = {}
        self._check_cache: dict[tuple[str, str | None, str, bool], CodeCheck] = {}
        self._vs_displays: dict[tuple[str, str], str] = {}

    # -- loading --------------------------------------------------------------------------------

    def _load_code_system(self, res: Mapping[str, Any]) -> _CodeSystem:
        cs = _CodeSystem(
            url=canonical_url(str(res["url"])),
            name=str(res.get("name") or res.get("id") or res["url"]),
            complete=res.get("content", "complete") == "complete",
            date=str(res.get("date") or "")[:10],
        )
        stack: list[tuple[Mapping[str, Any], str | None]] = [(c, None) for c in res.get("concept", []) or []]
        while stack:
            concept, parent = stack.pop()
            code = concept.get("code")
            if not isinstance(code, str):
                continue
            display = concept.get("display")
            cs.display[code] = display if isinstance(display, str) else None
            if parent is not None:
                cs.children.setdefault(parent, []).append(code)
            props: dict[str, set[str]] = {}
            for prop in concept.get("property", []) or []:
                pcode = prop.get("code")
                value = next((v for k, v in prop.items() if k.startswith("value")), None)
                if not isinstance(pcode, str):
                    continue
                props.setdefault(pcode, set()).add(str(value).lower() if isinstance(value, bool) else str(value))
                why = self._retirement(pcode, value)
                if why:
                    cs.retired[code] = why
                if pcode == "parent" and isinstance(value, str):
                    cs.children.setdefault(value, []).append(code)
            if props:
                cs.properties[code] = props
            stack.extend((c, code) for c in concept.get("concept", []) or [])
        return cs

    def _retirement(self, prop: str, value: Any) -> str | None:
        """Why a concept property marks the concept retired (NOS ``dateFin``; FHIR status properties)."""
        if prop == "dateFin" and isinstance(value, str) and value[:10] <= self._now[:10]:
            return f"dateFin {value[:10]}"
        if prop == "status" and value in ("retired", "deprecated"):
            return f"status {value}"
        if prop in ("deprecated", "inactive") and value is True:
            return f"{prop} true"
        if prop == "deprecated" and isinstance(value, str) and value[:10] <= self._now[:10]:
            return f"deprecated since {value[:10]}"
        return None

    # -- protocol -------------------------------------------------------------------------------

    def canonical_system(self, system: str) -> str:
        hit = self._system_cache.get(system)
        if hit is not None:
            return hit
        url = canonical_url(system)
        url = _SYSTEM_ALIASES.get(url, url)
        if url.startswith(NOS + "JDV_"):  # a JDV URL used as coding.system: its TRE, when there is one
            systems = self.value_set_systems(url)
            if len(systems) == 1:
                url = next(iter(systems))
        if len(self._system_cache) > _CACHE_LIMIT:
            self._system_cache.clear()
        self._system_cache[system] = url
        return url

    def lookup(self, system: str, code: str) -> str | None:
        canon = self.canonical_system(system)
        cs = self._cs.get(canon)
        if cs is not None and code in cs.display:
            return cs.display[code]
        if not self._vs_displays and self._vs:
            for url in self._vs:
                self._vs_displays.update(self._expand(url).display)
        return self._vs_displays.get((canon, code))

    def has_code_system(self, system: str) -> bool:
        return self.canonical_system(system) in self._cs

    def has_value_set(self, url: str) -> bool:
        return canonical_url(url) in self._vs

    def value_set_systems(self, url: str) -> frozenset[str]:
        canon = canonical_url(url)
        if canon in self._vs:
            return frozenset(self._expand(canon).systems)
        known = KNOWN_VALUE_SET_SYSTEMS.get(canon)
        return frozenset(known.systems) if known else frozenset()

    def is_retired(self, system: str, code: str) -> str | None:
        """Why ``code`` is retired in ``system`` (None when active or unknown)."""
        cs = self._cs.get(self.canonical_system(system))
        return cs.retired.get(code) if cs else None

    def validate_code(
        self, value_set_url: str, system: str | None, code: str, *, allow_retired: bool = False
    ) -> CodeCheck:
        key = (value_set_url, system, code, allow_retired)
        hit = self._check_cache.get(key)
        if hit is None:
            hit = self._validate_code(value_set_url, system, code, allow_retired)
            if len(self._check_cache) > _CACHE_LIMIT:
                self._check_cache.clear()
            self._check_cache[key] = hit
        return hit

    # -- the policy -----------------------------------------------------------------------------

    def _validate_code(self, vs_url: str, system: str | None, code: str, allow_retired: bool) -> CodeCheck:
        vs = canonical_url(vs_url)
        vs_label = _label(vs)
        sys_ = self.canonical_system(system) if system else None
        if vs in self._vs:
            members = self._expand(vs)
            if sys_ is None:  # a bare code: find the system that has it
                sys_ = next((s for s, codes in members.codes.items() if code in codes), None)
                if sys_ is None and len(members.systems) == 1:
                    sys_ = next(iter(members.systems))
            if sys_ is not None and code in members.codes.get(sys_, ()):
                display = members.display.get((sys_, code))
                return self._retired_or(Verdict.VALID, "", sys_, code, display, allow_retired, vs_label)
            if sys_ is not None and sys_ in members.whole:
                return CodeCheck(
                    Verdict.NOT_CHECKED,
                    f"{vs_label} includes all of {_label(sys_)}, which is not loaded: code '{code}' not checked",
                    sys_,
                )
            if members.unknown:
                return CodeCheck(
                    Verdict.NOT_CHECKED,
                    f"{vs_label} could not be fully expanded ({'; '.join(members.unknown)}): code '{code}' not checked",
                    sys_,
                )
            if sys_ is not None and sys_ not in members.systems:
                expected = ", ".join(sorted(_label(s) for s in members.systems)) or "none"
                return CodeCheck(
                    Verdict.INVALID,
                    f"system {sys_} is not a code system of {vs_label} (expected {expected})",
                    sys_,
                )
            return CodeCheck(Verdict.INVALID, f"code '{code}' is not in {vs_label}", sys_)
        # The JDV is not loaded: fall back to its TRE when we know which one it is.
        known = KNOWN_VALUE_SET_SYSTEMS.get(vs)
        if known is not None:
            if sys_ is None and len(known.systems) == 1:
                sys_ = known.systems[0]
            if sys_ is not None and sys_ not in known.systems:
                expected = ", ".join(_label(s) for s in known.systems)
                msg = f"system {sys_} is not a code system of {vs_label} (expected {expected})"
                if known.verified:
                    return CodeCheck(Verdict.INVALID, msg, sys_)
                return CodeCheck(Verdict.NOT_CHECKED, msg + "; not enforced: the expected system is unverified", sys_)
        if sys_ is not None and sys_ in self._cs:
            cs = self._cs[sys_]
            if code in cs.display:
                return self._retired_or(
                    Verdict.VALID_IN_CODE_SYSTEM,
                    f"{vs_label} is not loaded: code '{code}' checked against {cs.name} only",
                    sys_,
                    code,
                    cs.display[code],
                    allow_retired,
                    vs_label,
                )
            # Not refused: without the JDV we cannot prove the code is outside the binding, and our TRE
            # copy may predate the code (NOS publishes new codes all the time).
            return CodeCheck(
                Verdict.UNKNOWN_IN_CODE_SYSTEM,
                f"code '{code}' is not in {cs.name} (copy of {cs.date or 'unknown date'}) and {vs_label} is not "
                "loaded: accepted, it may be newer than the shipped code system",
                sys_,
            )
        cs_label = _label(sys_) if sys_ else "its code system"
        return CodeCheck(
            Verdict.NOT_CHECKED, f"neither {vs_label} nor {cs_label} is loaded: code '{code}' not checked", sys_
        )

    def _retired_or(
        self,
        verdict: Verdict,
        message: str,
        system: str,
        code: str,
        display: str | None,
        allow_retired: bool,
        vs_label: str,
    ) -> CodeCheck:
        cs = self._cs.get(system)
        why = cs.retired.get(code) if cs else None
        if cs is not None and display is None:
            display = cs.display.get(code)
        if why is None:
            return CodeCheck(verdict, message, system, display)
        shown = f"'{code}'" + (f" ({display})" if display else "")
        if allow_retired:
            msg = f"code {shown} of {cs.name if cs else system} is retired ({why}); accepted for existing data"
            return CodeCheck(verdict, msg, system, display, retired=True)
        return CodeCheck(
            Verdict.RETIRED,
            f"code {shown} of {cs.name if cs else system} is retired ({why}) and cannot be used in a new write "
            f"(bound to {vs_label})",
            system,
            display,
            retired=True,
        )

    # -- value set expansion ----------------------------------------------------------------------

    def _expand(self, url: str, seen: frozenset[str] = frozenset()) -> _Members:
        hit = self._members.get(url)
        if hit is not None:
            return hit
        out = _Members()
        vs = self._vs.get(url)
        if vs is None:
            out.unknown.append(f"value set {_label(url)} not loaded")
            return out
        if url in seen:
            out.unknown.append(f"value set {_label(url)} includes itself")
            return out
        compose = vs.get("compose") or {}
        for inc in compose.get("include", []) or []:
            self._include(inc, out, seen | {url})
        for exc in compose.get("exclude", []) or []:
            system = exc.get("system")
            concepts = exc.get("concept")
            if isinstance(system, str) and concepts and not exc.get("filter") and not exc.get("valueSet"):
                out.codes.get(canonical_url(system), set()).difference_update(c.get("code") for c in concepts)
            else:
                out.unknown.append("an exclude we cannot evaluate")
        if not seen:
            self._members[url] = out
        return out

    def _include(self, inc: Mapping[str, Any], out: _Members, seen: frozenset[str]) -> None:
        system = inc.get("system")
        value_sets = inc.get("valueSet") or []
        concepts = inc.get("concept")
        filters = inc.get("filter")
        if value_sets and system:
            out.unknown.append("an include of a system intersected with value sets")
            return
        if value_sets:
            for ref in value_sets:
                sub = self._expand(canonical_url(ref), seen)
                for s, codes in sub.codes.items():
                    out.codes.setdefault(s, set()).update(codes)
                out.whole |= sub.whole
                out.unknown.extend(sub.unknown)
                out.display.update(sub.display)
            return
        if not isinstance(system, str):
            out.unknown.append("an include without a system")
            return
        canon = canonical_url(system)
        canon = _SYSTEM_ALIASES.get(canon, canon)
        cs = self._cs.get(canon)
        if concepts:
            codes = out.codes.setdefault(canon, set())
            for c in concepts:
                code = c.get("code")
                if isinstance(code, str):
                    codes.add(code)
                    if isinstance(c.get("display"), str):
                        out.display[(canon, code)] = c["display"]
            return
        if filters:
            selected = self._filter(cs, filters) if cs is not None else None
            if selected is None:
                out.unknown.append(f"a filter on {_label(canon)} we cannot evaluate")
            else:
                out.codes.setdefault(canon, set()).update(selected)
            return
        if cs is not None and cs.complete:
            out.codes.setdefault(canon, set()).update(cs.display)
        else:
            out.whole.add(canon)

    def _filter(self, cs: _CodeSystem, filters: list[Mapping[str, Any]]) -> set[str] | None:
        selected: set[str] | None = None
        for f in filters:
            prop, op, value = f.get("property"), f.get("op"), f.get("value")
            if not isinstance(value, str):
                return None
            if prop == "concept" and op in ("is-a", "descendent-of"):
                codes = self._descendants(cs, value)
                if op == "is-a" and value in cs.display:
                    codes.add(value)
            elif prop == "concept" and op == "in":
                codes = {c.strip() for c in value.split(",")} & set(cs.display)
            elif op == "=" and isinstance(prop, str):
                codes = {c for c, props in cs.properties.items() if value in props.get(prop, ())}
            else:
                return None
            selected = codes if selected is None else selected & codes
        return selected

    @staticmethod
    def _descendants(cs: _CodeSystem, code: str) -> set[str]:
        out: set[str] = set()
        stack = list(cs.children.get(code, ()))
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack.extend(cs.children.get(c, ()))
        return out


def _label(url: str) -> str:
    """Short name of a NOS URL (``JDV_J17-ActiviteOperationnelle-ROR``), else the URL."""
    if url.startswith(NOS):
        return url[len(NOS) :].split("/", 1)[0]
    return url


@functools.cache
def packaged_terminology() -> InMemoryTerminology:
    """The terminology shipped in ``openror/definitions/terminology`` (NOS TRE/JDV + IG), loaded once."""
    folder = resources.files("openror") / "definitions" / "terminology"
    docs: list[dict[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            docs.append(orjson.loads(entry.read_bytes()))
    return InMemoryTerminology(docs)
