"""FHIRPath subset compiled once to Python getters, for search-index extraction (spec c.2; issue 3 point 1).

The SearchParameter expressions of the ROR IG and of the R4 core (for the resource types openror
serves) use a small part of FHIRPath. This module parses exactly that part and compiles each
expression once into a closure over plain JSON (``dict``/``list``), so that indexing a resource costs
a few dictionary lookups per parameter, not an interpreter run. fhirpathpy is only the test oracle.

Supported: paths whose first segment is a resource type (``Location.x``; ``Resource``/``DomainResource``
match any resource; in ``A.x | B.y`` only the alternatives of the resource's own type apply), ``|``
union, parentheses, ``X as T``, ``X is T``, ``.as(T)`` / ``.ofType(T)`` (choice elements: ``value``
matches ``valueString``, ``valueCodeableConcept``...; ``as(string)`` keeps ``valueString``, first letter
case-insensitive; ``code``/``id``/``markdown`` count as ``string``, ``Age``... as ``Quantity``),
``.where(cond)`` with ``=``, ``!=``, ``and``, ``or``, nested paths, ``exists()``, ``empty()``, ``not()``,
``first()``, ``resolve() is T`` (the target type read from ``Reference.reference``, no store access),
string/number/boolean literals, ``$this``. Anything else (indexers, arithmetic, comparisons, other
functions, environment variables) is refused when compiling, so a registry that builds has compiled
every expression it keeps.

Deliberate differences from strict FHIRPath (all on the lenient side, as search servers do):
``as(T)`` on a collection filters each item (strict FHIRPath and fhirpathpy require a singleton);
a multi-item operand of ``and``/``or`` counts as true; ``is`` on several items gives empty; ``as``,
``is`` and ``ofType`` only know the types that choice suffixes (``valueDateTime``) and resources tell.

Every returned ``Node`` carries its value, the FHIR type when a choice suffix told it (``valueDateTime``
-> ``dateTime``), and the visibility class of spec f (``openror.fhir.access.classify.child_class``:
highest TRE_R283 level on the path, element category; the store adds the resource's médico-social
bit). Limits: expression length, nesting depth, and nodes produced per evaluation.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from openror.fhir.access.classify import child_class
from openror.fhir.patch.datatypes import SUFFIX_TO_TYPE
from openror.fhir.search.rows import PUBLIC

MAX_EXPRESSION_LENGTH = 4096
MAX_DEPTH = 32  # nesting of parentheses, function arguments and operators
MAX_NODES = 100_000  # nodes produced by one evaluation of one expression on one resource

# FHIR R4 type hierarchy, as far as as()/is/ofType() need it (R4 datatypes.html), first letter lowered.
_PARENT_TYPE = {
    "code": "string",
    "id": "string",
    "markdown": "string",
    "url": "uri",
    "canonical": "uri",
    "oid": "uri",
    "uuid": "uri",
    "positiveInt": "integer",
    "unsignedInt": "integer",
    "age": "quantity",
    "count": "quantity",
    "distance": "quantity",
    "duration": "quantity",
    "moneyQuantity": "quantity",
    "simpleQuantity": "quantity",
}
_RESOURCE_SUPERTYPES = ("Resource", "DomainResource")

# Relative "Type/id", "Type/id/_history/v", or an absolute URL ending so.
REFERENCE_PATTERN = re.compile(
    r"(?:^|/)(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)


class FhirPathError(ValueError):
    """An expression outside the supported subset (at compile time) or over a limit (at run time)."""


class Node(NamedTuple):
    """One matched element: JSON value, FHIR type when known from a choice suffix, visibility class."""

    value: Any
    type: str | None
    vis: int


def reference_target(reference: str) -> tuple[str, str] | None:
    """(type, id) of a relative or absolute literal reference; None for ``urn:``, ``#contained``..."""
    m = REFERENCE_PATTERN.search(reference)
    return (m.group("type"), m.group("id")) if m else None


# ---------------------------------------------------------------------------------------------------
# Tokens and syntax tree

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)
    | (?P<this>\$this)
    | (?P<op>!=|[.()|=,])
    """,
    re.VERBOSE,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_UNSUPPORTED_OPERATORS = ("contains", "in", "implies", "xor", "div", "mod")
_KEYWORDS = frozenset({"and", "or", "as", "is", *_UNSUPPORTED_OPERATORS})


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # string | number | ident | this | op | end
    text: str
    pos: int


def _tokenize(expression: str) -> list[_Tok]:
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise FhirPathError(f"FHIRPath expression longer than {MAX_EXPRESSION_LENGTH} characters")
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(expression):
        m = _TOKEN.match(expression, pos)
        if m is None:
            raise FhirPathError(f"unsupported FHIRPath syntax at offset {pos}: {expression[pos : pos + 20]!r}")
        kind = m.lastgroup or "space"
        if kind != "space":
            tokens.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Tok("end", "", pos))
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]  # the token pattern guarantees a character after a backslash
        if nxt == "u" and _HEX4.fullmatch(body, i + 2, i + 6):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise FhirPathError(f"unsupported escape \\{nxt} in a FHIRPath string literal")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Lit:
    value: str | int | float | bool


@dataclass(frozen=True, slots=True)
class _This:
    pass


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    start: bool  # first segment of a path (then a capitalised name is a type), not after a dot


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[_Expr, ...]


@dataclass(frozen=True, slots=True)
class _Dot:
    left: _Expr
    right: _Member | _Call


@dataclass(frozen=True, slots=True)
class _Union:
    items: tuple[_Expr, ...]


@dataclass(frozen=True, slots=True)
class _TypeOp:
    op: str  # as | is
    expr: _Expr
    type_name: str


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str  # = | != | and | or
    left: _Expr
    right: _Expr


_Expr = _Lit | _This | _Member | _Call | _Dot | _Union | _TypeOp | _Binary


class _Parser:
    """Recursive descent with FHIRPath precedence: ``.`` > ``is``/``as`` > ``|`` > ``=``/``!=`` > ``and`` > ``or``."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.i = 0
        self.depth = 0

    def parse(self) -> _Expr:
        expr = self._or()
        if self._peek().kind != "end":
            raise self._error("unexpected")
        return expr

    def _peek(self) -> _Tok:
        return self.tokens[self.i]

    def _take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _at_op(self, *ops: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "op" and tok.text in ops

    def _at_keyword(self, *words: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "ident" and tok.text in words

    def _error(self, what: str) -> FhirPathError:
        tok = self._peek()
        shown = tok.text or "end of expression"
        return FhirPathError(f"{what} {shown!r} at offset {tok.pos} in FHIRPath {self.expression!r}")

    def _expect(self, op: str) -> None:
        if not self._at_op(op):
            raise self._error(f"expected {op!r}, found")
        self.i += 1

    def _nested(self, parse: Callable[[], _Expr]) -> _Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FhirPathError(f"FHIRPath nested deeper than {MAX_DEPTH} levels: {self.expression[:80]!r}")
        try:
            return parse()
        finally:
            self.depth -= 1

    def _or(self) -> _Expr:
        left = self._and()
        while self._at_keyword("or"):
            self.i += 1
            left = _Binary("or", left, self._and())
        return left

    def _and(self) -> _Expr:
        left = self._equality()
        while self._at_keyword("and"):
            self.i += 1
            left = _Binary("and", left, self._equality())
        return left

    def _equality(self) -> _Expr:
        left = self._union()
        if self._at_op("=", "!="):
            op = self._take().text
            left = _Binary(op, left, self._union())
            if self._at_op("=", "!="):
                raise self._error("chained equality")
        return left

    def _union(self) -> _Expr:
        items = [self._type_expr()]
        while self._at_op("|"):
            self.i += 1
            items.append(self._type_expr())
        return items[0] if len(items) == 1 else _Union(tuple(items))

    def _type_expr(self) -> _Expr:
        expr = self._postfix()
        if self._at_keyword("as", "is"):
            op = self._take().text
            expr = _TypeOp(op, expr, self._type_specifier())
        if self._at_keyword(*_UNSUPPORTED_OPERATORS):
            raise self._error("unsupported FHIRPath operator")
        return expr

    def _type_specifier(self) -> str:
        if self._peek().kind != "ident":
            raise self._error("expected a type name, found")
        name = self._take().text.strip("`")
        if name == "FHIR" and self._at_op("."):
            self.i += 1
            return self._type_specifier()
        return name

    def _postfix(self) -> _Expr:
        expr = self._term()
        while self._at_op("."):
            self.i += 1
            if self._peek().kind != "ident":
                raise self._error("expected a name after '.', found")
            expr = _Dot(expr, self._invocation(self._take().text.strip("`"), start=False))
        return expr

    def _invocation(self, name: str, *, start: bool) -> _Member | _Call:
        if not self._at_op("("):
            return _Member(name, start)
        self.i += 1
        args: list[_Expr] = []
        if not self._at_op(")"):
            args.append(self._nested(self._or))
            while self._at_op(","):
                self.i += 1
                args.append(self._nested(self._or))
        self._expect(")")
        return _Call(name, tuple(args))

    def _term(self) -> _Expr:
        tok = self._peek()
        if tok.kind == "string":
            self.i += 1
            return _Lit(_unquote(tok.text))
        if tok.kind == "number":
            self.i += 1
            return _Lit(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "this":
            self.i += 1
            return _This()
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            inner = self._nested(self._or)
            self._expect(")")
            return inner
        if tok.kind == "ident" and tok.text not in _KEYWORDS:
            self.i += 1
            if tok.text in ("true", "false"):
                return _Lit(tok.text == "true")
            return self._invocation(tok.text.strip("`"), start=True)
        raise self._error("unexpected")


# ---------------------------------------------------------------------------------------------------
# Alternatives of a union, by resource type (for the registry)


def split_union(expression: str) -> list[str]:
    """The top-level ``|`` alternatives of ``expression``, as written (parentheses kept)."""
    parts: list[str] = []
    depth = 0
    start = 0
    for tok in _tokenize(expression):
        if tok.kind == "op" and tok.text == "(":
            depth += 1
        elif tok.kind == "op" and tok.text == ")":
            depth -= 1
        elif (tok.kind == "op" and tok.text == "|" and depth == 0) or tok.kind == "end":
            parts.append(expression[start : tok.pos].strip())
            start = tok.pos + 1
    return parts


def first_segment(expression: str) -> str | None:
    """The first path segment of ``expression`` (``Location`` for ``(Location.x as T)``), if a name."""
    node = _Parser(expression).parse()
    while True:
        if isinstance(node, _Dot):
            node = node.left
        elif isinstance(node, _TypeOp):
            node = node.expr
        elif isinstance(node, _Member):
            return node.name
        else:
            return None


def applies_to(alternative: str, resource_type: str) -> bool:
    """Whether one alternative of a (multi-base) expression applies to ``resource_type``."""
    first = first_segment(alternative)
    if first is None or not first[:1].isupper():
        return True
    return first == resource_type or first in _RESOURCE_SUPERTYPES


def expression_for(expression: str, resource_type: str) -> str | None:
    """The alternatives of ``expression`` that apply to ``resource_type``, joined; None when none does."""
    kept = [alt for alt in split_union(expression) if applies_to(alt, resource_type)]
    return " | ".join(kept) if kept else None


# ---------------------------------------------------------------------------------------------------
# Compilation: every syntax node becomes a step, (focus collection, budget) -> result collection


class _Budget:
    """One evaluation: the node budget, and the results of top-level path prefixes already computed
    on this resource (``memo``, shared by the getters of one ``index_rows`` call)."""

    __slots__ = ("left", "memo")

    def __init__(self, memo: dict[int, list[Node]]) -> None:
        self.left = MAX_NODES
        self.memo = memo

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise FhirPathError(f"FHIRPath evaluation produced more than {MAX_NODES} nodes")


_PREFIX_KEYS: dict[_Expr, int] = {}
_NEXT_KEY = itertools.count()
MAX_PREFIX_KEYS = 100_000  # beyond (arbitrary expressions compiled at run time), prefixes are not shared


def _prefix_key(node: _Expr) -> int | None:
    """A small integer per distinct top-level path prefix (equal syntax trees share it).

    Keys come from a counter, so concurrent compilations can at worst give one prefix two keys
    (no sharing), never two prefixes one key.
    """
    key = _PREFIX_KEYS.get(node)
    if key is None:
        if len(_PREFIX_KEYS) >= MAX_PREFIX_KEYS:
            return None
        key = _PREFIX_KEYS.setdefault(node, next(_NEXT_KEY))
    return key


def _memoized(key: int, inner: Step) -> Step:
    """A top-level step is a function of the resource alone: compute it once per resource."""

    def memoized(focus: list[Node], budget: _Budget) -> list[Node]:
        found = budget.memo.get(key)
        if found is None:
            found = budget.memo[key] = inner(focus, budget)
        return found

    return memoized


Step = Callable[[list[Node], _Budget], list[Node]]

_TRUE = [Node(True, "boolean", PUBLIC)]
_FALSE = [Node(False, "boolean", PUBLIC)]
_EMPTY: list[Node] = []
_ARITY = {"where": 1, "as": 1, "ofType": 1, "first": 0, "exists": 0, "empty": 0, "not": 0, "resolve": 0}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def type_matches(node_type: str | None, wanted: str) -> bool:
    """FHIR type test: ``node_type`` is ``wanted`` or derives from it (first letter case-insensitive).

    Resource types also match ``Resource``/``DomainResource``. An unknown type (None) matches nothing.
    """
    if node_type is None:
        return False
    have, want = _lower_first(node_type), _lower_first(wanted)
    if want in ("resource", "domainResource"):
        return node_type[:1].isupper() and node_type not in SUFFIX_TO_TYPE
    while have != want:
        parent = _PARENT_TYPE.get(have)
        if parent is None:
            return False
        have = parent
    return True


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    return bool(a == b)


def _bool3(coll: list[Node]) -> bool | None:
    """FHIRPath singleton evaluation as a boolean: empty -> None, one boolean -> it, anything else -> True."""
    if not coll:
        return None
    if len(coll) == 1 and isinstance(coll[0].value, bool):
        return bool(coll[0].value)
    return True


def _of(value: bool | None) -> list[Node]:
    if value is None:
        return _EMPTY
    return _TRUE if value else _FALSE


def _identity(focus: list[Node], budget: _Budget) -> list[Node]:
    return focus


def _never(focus: list[Node], budget: _Budget) -> list[Node]:
    return _EMPTY


def _first(focus: list[Node], budget: _Budget) -> list[Node]:
    return focus[:1]


def _member(name: str) -> Step:
    prefix_len = len(name)

    def member(focus: list[Node], budget: _Budget) -> list[Node]:
        out: list[Node] = []
        for node in focus:
            obj = node.value
            if type(obj) is not dict:
                continue
            child = obj.get(name)
            typ: str | None = None
            if child is None:
                # A choice element: ``value`` is written ``valueString``, ``valueCodeableConcept``...
                for key, candidate in obj.items():
                    if key.startswith(name) and (found := SUFFIX_TO_TYPE.get(key[prefix_len:])) is not None:
                        child, typ = candidate, found
                        break
                else:
                    continue
            vis = node.vis
            if type(child) is list:
                for item in child:
                    if item is not None:
                        out.append(Node(item, typ, child_class(vis, name, item)))
            else:
                out.append(Node(child, typ, child_class(vis, name, child)))
        if out:
            budget.spend(len(out))
        return out

    return member


def _type_filter(name: str, resource_type: str | None) -> Step:
    """A path's capitalised first segment: keep the focus items that are resources of that type."""
    if resource_type is not None:
        return _identity if name == resource_type or name in _RESOURCE_SUPERTYPES else _never

    def type_filter(focus: list[Node], budget: _Budget) -> list[Node]:
        return [
            n
            for n in focus
            if type(n.value) is dict
            and isinstance(n.value.get("resourceType"), str)
            and (n.value["resourceType"] == name or name in _RESOURCE_SUPERTYPES)
        ]

    return type_filter


def _chain(first: Step, second: Step) -> Step:
    if first is _never or second is _never:
        return _never
    if first is _identity:
        return second
    if second is _identity:
        return first

    def chain(focus: list[Node], budget: _Budget) -> list[Node]:
        mid = first(focus, budget)
        return second(mid, budget) if mid else _EMPTY

    return chain


def _as_type(type_name: str) -> Step:
    def as_type(focus: list[Node], budget: _Budget) -> list[Node]:
        return [n for n in focus if type_matches(n.type, type_name)]

    return as_type


def _is_type(type_name: str) -> Step:
    def is_type(focus: list[Node], budget: _Budget) -> list[Node]:
        if len(focus) != 1:
            return _EMPTY
        return _of(type_matches(focus[0].type, type_name))

    return is_type


def _resolve(focus: list[Node], budget: _Budget) -> list[Node]:
    """``resolve()`` without a store: a stub ``{resourceType, id}`` typed from ``Reference.reference``."""
    out: list[Node] = []
    for n in focus:
        ref = n.value.get("reference") if type(n.value) is dict else None
        target = reference_target(ref) if isinstance(ref, str) else None
        if target is not None:
            out.append(Node({"resourceType": target[0], "id": target[1]}, target[0], n.vis))
    return out


def _literal(value: str | int | float | bool) -> Step:
    typ = "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "decimal"
    const = [Node(value, typ, PUBLIC)]

    def literal(focus: list[Node], budget: _Budget) -> list[Node]:
        return const

    return literal


def _union(parts: list[Step]) -> Step:
    live = [p for p in parts if p is not _never]
    if not live:
        return _never
    if len(live) == 1:
        return live[0]

    def union(focus: list[Node], budget: _Budget) -> list[Node]:
        out: list[Node] = []
        seen: set[object] = set()
        for part in live:
            for n in part(focus, budget):
                # Union drops duplicates: the same element reached twice, or equal primitives.
                key: object = id(n.value) if isinstance(n.value, dict | list) else (n.value, n.type)
                if key not in seen:
                    seen.add(key)
                    out.append(n)
        return out

    return union


def _equality(left: Step, right: Step, *, negate: bool) -> Step:
    def equality(focus: list[Node], budget: _Budget) -> list[Node]:
        a = left(focus, budget)
        if not a:
            return _EMPTY
        b = right(focus, budget)
        if not b:
            return _EMPTY
        same = len(a) == len(b) and all(_eq(x.value, y.value) for x, y in zip(a, b, strict=True))
        return _of(same != negate)

    return equality


def _and(left: Step, right: Step) -> Step:
    def conjunction(focus: list[Node], budget: _Budget) -> list[Node]:
        a = _bool3(left(focus, budget))
        if a is False:
            return _FALSE
        b = _bool3(right(focus, budget))
        if b is False:
            return _FALSE
        return _TRUE if a and b else _EMPTY

    return conjunction


def _or(left: Step, right: Step) -> Step:
    def disjunction(focus: list[Node], budget: _Budget) -> list[Node]:
        a = _bool3(left(focus, budget))
        if a is True:
            return _TRUE
        b = _bool3(right(focus, budget))
        if b is True:
            return _TRUE
        return _FALSE if a is False and b is False else _EMPTY

    return disjunction


def _where(test: Step, fast: tuple[str, str] | None) -> Step:
    def holds(node: Node, budget: _Budget) -> bool:
        result = test([node], budget)
        return len(result) == 1 and result[0].value is True

    if fast is None:

        def where(focus: list[Node], budget: _Budget) -> list[Node]:
            return [n for n in focus if holds(n, budget)]

        return where

    key, literal = fast

    def where_equals(focus: list[Node], budget: _Budget) -> list[Node]:
        # where(url = 'literal'), the dominant pattern: one lookup when the key holds a string.
        out: list[Node] = []
        for n in focus:
            obj = n.value
            if type(obj) is dict:
                direct = obj.get(key)
                if type(direct) is str:
                    if direct == literal:
                        out.append(n)
                    continue
            if holds(n, budget):
                out.append(n)
        return out

    return where_equals


def _boolean_function(name: str, base: Step) -> Step:
    def boolean(focus: list[Node], budget: _Budget) -> list[Node]:
        coll = base(focus, budget)
        if name == "exists":
            return _TRUE if coll else _FALSE
        if name == "empty":
            return _FALSE if coll else _TRUE
        value = _bool3(coll)  # not()
        return _EMPTY if value is None else _of(not value)

    return boolean


class _Compiler:
    def __init__(self, expression: str, resource_type: str | None) -> None:
        self.expression = expression
        self.resource_type = resource_type

    def compile(self, node: _Expr, *, top: bool) -> Step:
        """``top``: evaluated on the resource itself (so a type name can be decided now)."""
        if isinstance(node, _Lit):
            return _literal(node.value)
        if isinstance(node, _This):
            return _identity
        if isinstance(node, _Member):
            if node.start and node.name[:1].isupper():
                return _type_filter(node.name, self.resource_type if top else None)
            return _member(node.name)
        if isinstance(node, _Call):
            return self._call(node, _identity)
        if isinstance(node, _Dot):
            left = self.compile(node.left, top=top)
            if isinstance(node.right, _Member):
                step = _chain(left, _member(node.right.name))
            else:
                step = self._call(node.right, left)
            # Many parameters share prefixes (Location.extension.where(url='…supported-capacity')...).
            key = _prefix_key(node) if top and step is not _never else None
            return step if key is None else _memoized(key, step)
        if isinstance(node, _Union):
            return _union([self.compile(item, top=top) for item in node.items])
        if isinstance(node, _TypeOp):
            typed = _as_type(node.type_name) if node.op == "as" else _is_type(node.type_name)
            return _chain(self.compile(node.expr, top=top), typed)
        left, right = self.compile(node.left, top=top), self.compile(node.right, top=top)
        if node.op in ("=", "!="):
            return _equality(left, right, negate=node.op == "!=")
        return _and(left, right) if node.op == "and" else _or(left, right)

    def _call(self, call: _Call, base: Step) -> Step:
        name, args = call.name, call.args
        if name not in _ARITY:
            raise FhirPathError(f"unsupported FHIRPath function {name}() in {self.expression!r}")
        if len(args) != _ARITY[name]:
            raise FhirPathError(f"{name}() takes {_ARITY[name]} argument(s) in {self.expression!r}")
        if name == "where":
            criterion = args[0]
            return _chain(base, _where(self.compile(criterion, top=False), _fast_where(criterion)))
        if name in ("as", "ofType"):
            return _chain(base, _as_type(self._type_argument(args[0])))
        if name == "first":
            return _chain(base, _first)
        if name == "resolve":
            return _chain(base, _resolve)
        return _boolean_function(name, base)

    def _type_argument(self, arg: _Expr) -> str:
        if isinstance(arg, _Member):
            return arg.name
        if isinstance(arg, _Dot) and arg.left == _Member("FHIR", True) and isinstance(arg.right, _Member):
            return arg.right.name
        raise FhirPathError(f"expected a type name in as()/ofType() in {self.expression!r}")


def _fast_where(criterion: _Expr) -> tuple[str, str] | None:
    if (
        isinstance(criterion, _Binary)
        and criterion.op == "="
        and isinstance(criterion.left, _Member)
        and not criterion.left.name[:1].isupper()
        and isinstance(criterion.right, _Lit)
        and isinstance(criterion.right.value, str)
    ):
        return criterion.left.name, criterion.right.value
    return None


@dataclass(frozen=True, slots=True)
class CompiledPath:
    """A compiled expression: call it on a resource to get the matched nodes."""

    expression: str
    resource_type: str | None
    step: Step

    def __call__(
        self, resource: dict[str, Any], root_vis: int | None = None, memo: dict[int, list[Node]] | None = None
    ) -> list[Node]:
        """Matched nodes of ``resource``.

        ``root_vis`` is the class of the root (0: public); ``memo``, a dict shared by
        the getters evaluated on the same unmodified resource, computes shared path prefixes once.
        Raises FhirPathError when the evaluation produces more than MAX_NODES nodes.
        """
        vis = 0 if root_vis is None else root_vis
        root = Node(resource, resource.get("resourceType"), vis)
        return list(self.step([root], _Budget({} if memo is None else memo)))


@lru_cache(maxsize=1024)
def compile_path(expression: str, resource_type: str | None = None) -> CompiledPath:
    """Compile ``expression`` once. With ``resource_type``, the union alternatives whose first segment
    names another type compile to nothing. Raises FhirPathError outside the supported subset."""
    tree = _Parser(expression).parse()
    return CompiledPath(expression, resource_type, _Compiler(expression, resource_type).compile(tree, top=True))
