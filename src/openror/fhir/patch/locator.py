"""Bounded FHIRPath locator: where a FHIRPath Patch path points in a resource (R4 fhirpatch.html, fhirpath.html).

FHIRPath Patch needs *locations* (the JSON object or array holding an element, and its key or
index) so that elements can be replaced, deleted or added to; evaluators such as fhirpathpy only
return values. This module implements the subset of FHIRPath that patch paths use, in particular
the ROR supplier paths of spec b.10, e.g.::

    Location.extension.where(url='…/ror-location-supported-capacity'
        and extension.where(url='capacityType').value.coding.code='01')
        .extension.where(url='nbCapacity').value

Supported: member navigation (with or without the leading resource type), ``value`` resolving a
choice element (``valueInteger``, ``valueCodeableConcept``...), ``[n]``, ``$this``, parentheses,
``where()``, ``extension('url')``, ``first()``, ``last()``, ``exists()``, ``empty()``, ``not()``,
``as(T)``/``ofType(T)``, ``=``/``!=`` between paths and string, integer, decimal or boolean
literals, and ``and``/``or``. Anything else is a 400 naming the construct.

Everything is bounded: expression length, nesting depth (the parser and the evaluator recurse only
over the expression, never over the resource), and the number of nodes visited per evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch.datatypes import choice_suffix

MAX_EXPRESSION_LENGTH = 2_000
MAX_DEPTH = 32  # nested parentheses / function arguments / where() levels
MAX_NODES = 100_000  # nodes produced while evaluating one expression
_MAX_EQUAL_DEPTH = 64  # structural equality of complex values recurses over data: bound it too

SUPPORTED_FUNCTIONS = ("where", "extension", "first", "last", "exists", "empty", "not", "as", "ofType")


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int | bool | Decimal


@dataclass(frozen=True, slots=True)
class Member:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    index: int


@dataclass(frozen=True, slots=True)
class This:
    pass


@dataclass(frozen=True, slots=True)
class TypeName:
    name: str  # last segment of a type specifier: FHIR.Quantity → Quantity


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr | TypeName, ...]


@dataclass(frozen=True, slots=True)
class Group:
    expr: Expr


Step = Member | Index | This | Call | Group


@dataclass(frozen=True, slots=True)
class Path:
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # "=" or "!="
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logic:
    """``a and b and c``: flat, so a long chain costs no recursion depth."""

    op: str  # "and" or "or"
    operands: tuple[Expr, ...]


Expr = Literal | Path | Compare | Logic


# --- nodes -----------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)  # not frozen: a frozen __init__ costs 3x, and nodes are made by the thousand
class Node:
    """One item of a FHIRPath collection, with where it lives so that it can be changed.

    ``up`` is the node of the JSON object holding this element, ``key`` its JSON property (the
    real key: ``valueInteger`` even when the path said ``value``) and ``index`` its position when
    the property is an array. The resource root has no ``up``; ``computed`` values (literals,
    booleans from ``exists()``...) live nowhere and cannot be patched. Treat nodes as read-only.
    """

    value: Any
    up: Node | None = None
    key: str | None = None
    index: int | None = None
    choice_base: str | None = None  # "value" when ``key`` was resolved from a choice name
    computed: bool = False

    @property
    def is_element(self) -> bool:
        return self.up is not None and self.key is not None


# --- tokenizer -------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<quoted>`[^`]*`)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<var>[$%][A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>!=|<=|>=|!~|=|~|<|>|\||\+|-|\*|/|&)
  | (?P<punct>[.()\[\],])
    """,
    re.VERBOSE,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "n": "\n", "r": "\r", "t": "\t", "f": "\f"}
_UNSUPPORTED_WORDS = frozenset({"xor", "implies", "is", "as", "in", "contains", "div", "mod"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # string | quoted | number | ident | var | op | punct | end
    text: str
    pos: int


def _invalid(message: str, expression: str | None = None) -> FhirError:
    return FhirError.of(Category.INVALID, message, expression=expression)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if m is None:
            raise _invalid(f"FHIRPath: unexpected character {source[pos]!r} at position {pos} in {source!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _unquote(text: str) -> str:
    out: list[str] = []
    i = 1
    while i < len(text) - 1:
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise _invalid(f"FHIRPath: invalid escape \\{nxt} in string literal {text}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the supported grammar; recursion is bounded by ``MAX_DEPTH``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind not in ("punct", "op"):
            raise self.error(f"expected {text!r}", tok)

    def error(self, message: str, tok: _Token) -> FhirError:
        found = repr(tok.text) if tok.kind != "end" else "end of expression"
        return _invalid(f"FHIRPath: {message} at position {tok.pos} (found {found}) in {self.source!r}")

    def parse(self) -> Expr:
        expr = self.expr(0)
        tok = self.peek()
        if tok.kind != "end":
            raise self.error("unexpected token", tok)
        return expr

    def expr(self, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise _invalid(f"FHIRPath expression nested deeper than {MAX_DEPTH} levels")
        operands = [self.conjunction(depth)]
        while self.peek().kind == "ident" and self.peek().text == "or":
            self.take()
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Logic("or", tuple(operands))

    def conjunction(self, depth: int) -> Expr:
        operands = [self.equality(depth)]
        while self.peek().kind == "ident" and self.peek().text == "and":
            self.take()
            operands.append(self.equality(depth))
        return operands[0] if len(operands) == 1 else Logic("and", tuple(operands))

    def equality(self, depth: int) -> Expr:
        left = self.term(depth)
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("=", "!="):
            self.take()
            left = Compare(tok.text, left, self.term(depth))
            tok = self.peek()
        if tok.kind == "op" or (tok.kind == "ident" and tok.text in _UNSUPPORTED_WORDS):
            # Name the operator rather than report a confusing "expected ')'" further on.
            raise _invalid(
                f"FHIRPath operator {tok.text!r} is not supported in patch paths (supported: '=', '!=', 'and', 'or')"
            )
        return left

    def term(self, depth: int) -> Expr:
        tok = self.peek()
        if tok.kind == "string":
            self.take()
            return Literal(_unquote(tok.text))
        if tok.kind == "number":
            self.take()
            return Literal(Decimal(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "ident" and tok.text in ("true", "false"):
            self.take()
            return Literal(tok.text == "true")
        if tok.kind == "op" and tok.text == "-":
            raise _invalid("FHIRPath: negative numbers and '-' are not supported in patch paths")
        return self.path(depth)

    def path(self, depth: int) -> Path:
        steps: list[Step] = [self.first_step(depth)]
        while True:
            tok = self.peek()
            if tok.kind == "punct" and tok.text == ".":
                self.take()
                steps.append(self.invocation(depth, first=False))
            elif tok.kind == "punct" and tok.text == "[":
                self.take()
                num = self.take()
                if num.kind != "number" or "." in num.text:
                    raise self.error("only integer literals are supported as indexers", num)
                self.expect("]")
                steps.append(Index(int(num.text)))
            else:
                return Path(tuple(steps))

    def first_step(self, depth: int) -> Step:
        tok = self.peek()
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            inner = self.expr(depth + 1)
            self.expect(")")
            return Group(inner)
        return self.invocation(depth, first=True)

    def invocation(self, depth: int, *, first: bool) -> Step:
        tok = self.take()
        if tok.kind == "var":
            if first and tok.text == "$this":
                return This()
            raise _invalid(f"FHIRPath variable {tok.text!r} is not supported in patch paths (only $this)")
        if tok.kind == "quoted":
            return Member(tok.text[1:-1])
        if tok.kind != "ident" or tok.text in ("and", "or", "true", "false"):
            raise self.error("expected an element name or a function", tok)
        nxt = self.peek()
        if not (nxt.kind == "punct" and nxt.text == "("):
            return Member(tok.text)
        self.take()
        if tok.text not in SUPPORTED_FUNCTIONS:
            raise _invalid(
                f"FHIRPath function {tok.text}() is not supported in patch paths "
                f"(supported: {', '.join(f + '()' for f in SUPPORTED_FUNCTIONS)})"
            )
        args: list[Expr | TypeName] = []
        if not (self.peek().kind == "punct" and self.peek().text == ")"):
            if tok.text in ("as", "ofType"):
                args.append(self.type_name())
            else:
                args.append(self.expr(depth + 1))
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.take()
                args.append(self.expr(depth + 1))
        self.expect(")")
        call = Call(tok.text, tuple(args))
        _check_arity(call)
        return call

    def type_name(self) -> TypeName:
        tok = self.take()
        if tok.kind != "ident":
            raise self.error("expected a type name", tok)
        name = tok.text
        while self.peek().kind == "punct" and self.peek().text == ".":
            self.take()
            part = self.take()
            if part.kind != "ident":
                raise self.error("expected a type name", part)
            name = part.text  # FHIR.Quantity / System.String: the namespace does not matter here
        return TypeName(name)


_ARITY: dict[str, tuple[int, ...]] = {
    "where": (1,),
    "extension": (1,),
    "first": (0,),
    "last": (0,),
    "exists": (0, 1),
    "empty": (0,),
    "not": (0,),
    "as": (1,),
    "ofType": (1,),
}


def _check_arity(call: Call) -> None:
    if len(call.args) not in _ARITY[call.name]:
        raise _invalid(f"FHIRPath function {call.name}() takes {_ARITY[call.name]} argument(s)")
    if call.name == "extension" and not (isinstance(call.args[0], Literal) and isinstance(call.args[0].value, str)):
        raise _invalid("FHIRPath extension() takes a string literal URL")


@lru_cache(maxsize=512)
def _parse_cached(expression: str) -> Expr:
    return _Parser(expression).parse()


def parse_expression(expression: str) -> Expr:
    """Parse a FHIRPath expression of the supported subset (raises a 400 FhirError)."""
    if not isinstance(expression, str) or not expression.strip():
        raise _invalid("FHIRPath expression is empty")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise _invalid(f"FHIRPath expression longer than {MAX_EXPRESSION_LENGTH} characters")
    return _parse_cached(expression)


def parse_path(expression: str) -> Path:
    """Parse a patch path: a navigation expression, not a boolean or a literal."""
    expr = parse_expression(expression)
    if not isinstance(expr, Path):
        raise _invalid(f"FHIRPath patch path must select elements, not compute a value: {expression!r}")
    return expr


# --- evaluation ------------------------------------------------------------------------------


class _Budget:
    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise FhirError.of(Category.INVALID, "FHIRPath evaluation visits too many nodes", code="too-costly")


def _children(node: Node, name: str, budget: _Budget) -> list[Node]:
    value = node.value
    if not isinstance(value, dict):
        return []
    key, base = name, None
    if name not in value:
        # Choice element: ``value`` stands for whichever ``value[x]`` is present.
        key = next((k for k in value if choice_suffix(k, name) is not None), "")
        base = name
        if not key:
            return []
    child = value[key]
    if isinstance(child, list):
        out = [Node(v, node, key, i, base) for i, v in enumerate(child) if v is not None]
    elif child is None:
        out = []
    else:
        out = [Node(child, node, key, None, base)]
    budget.spend(len(out) + 1)
    return out


def _type_matches(node: Node, type_name: str) -> bool:
    """as()/ofType(): choice elements (``valueInteger``) and resources know their type; other
    elements are statically typed, which this schema-less locator cannot check: they pass."""
    if node.key is not None:
        suffix = choice_suffix(node.key, node.choice_base or "value")
        if suffix is not None:
            return suffix == type_name[:1].upper() + type_name[1:]
    if isinstance(node.value, dict) and "resourceType" in node.value:
        return bool(node.value["resourceType"] == type_name)
    return True


_TRUE = Node(True, computed=True)
_FALSE = Node(False, computed=True)


def _computed(value: Any, budget: _Budget) -> list[Node]:
    budget.spend()
    if isinstance(value, bool):
        return [_TRUE if value else _FALSE]
    return [Node(value, computed=True)]


def _singleton_bool(nodes: list[Node], context: str) -> bool | None:
    """FHIRPath singleton evaluation: empty → empty; one boolean → it; one other item → true."""
    if not nodes:
        return None
    if len(nodes) > 1:
        raise _invalid(
            f"FHIRPath: {context} returned {len(nodes)} items where one boolean is expected "
            "(wrap the sub-path in .exists() or compare it with '=')"
        )
    value = nodes[0].value
    return value if isinstance(value, bool) else True


def _equal_values(a: Any, b: Any, depth: int = 0) -> bool:
    if depth > _MAX_EQUAL_DEPTH:
        raise _invalid("FHIRPath: values compared with '=' are nested too deeply")
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except InvalidOperation:
            return False
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal_values(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal_values(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    return False


def _equal(left: list[Any], right: list[Any]) -> bool | None:
    """FHIRPath ``=`` on two collections of values: empty if either is empty, else item-wise."""
    if not left or not right:
        return None
    if len(left) != len(right):
        return False
    return all(_equal_values(x, y) for x, y in zip(left, right, strict=True))


class _Evaluator:
    def __init__(self, root: Node, budget: _Budget) -> None:
        self.root = root
        self.budget = budget

    def eval(self, expr: Expr, ctx: list[Node]) -> list[Node]:
        if isinstance(expr, Literal):
            return _computed(expr.value, self.budget)
        if isinstance(expr, Path):
            cur = ctx
            for pos, step in enumerate(expr.steps):
                cur = self.step(step, cur, ctx, first=pos == 0)
            return cur
        if isinstance(expr, Compare):
            eq = _equal(self.values(expr.left, ctx), self.values(expr.right, ctx))
            if eq is None:
                return []
            return _computed(eq if expr.op == "=" else not eq, self.budget)
        # Three-valued logic: ``and`` is false as soon as one operand is false, ``or`` true as soon
        # as one is true (short-circuit); otherwise an empty operand makes the result empty.
        decisive = expr.op == "or"
        result: bool | None = not decisive
        for operand in expr.operands:
            value = _singleton_bool(self.eval(operand, ctx), f"operand of '{expr.op}'")
            if value is decisive:
                return _computed(decisive, self.budget)
            if value is None:
                result = None
        return [] if result is None else _computed(result, self.budget)

    def values(self, expr: Expr, ctx: list[Node]) -> list[Any]:
        # Literals are compared directly: no node for the hot ``code='01'`` comparisons.
        if isinstance(expr, Literal):
            return [expr.value]
        # Fast path for ``url='…'``-like operands: one plain primitive member of one object.
        if isinstance(expr, Path) and len(expr.steps) == 1 and len(ctx) == 1 and isinstance(ctx[0].value, dict):
            step = expr.steps[0]
            if isinstance(step, Member) and not step.name[:1].isupper():
                child = ctx[0].value.get(step.name)
                if child is not None and not isinstance(child, list | dict):
                    self.budget.spend()
                    return [child]
        return [n.value for n in self.eval(expr, ctx)]

    def step(self, step: Step, cur: list[Node], ctx: list[Node], *, first: bool) -> list[Node]:
        if isinstance(step, This):
            return ctx
        if isinstance(step, Group):
            return self.eval(step.expr, ctx)
        if isinstance(step, Index):
            return cur[step.index : step.index + 1]
        if isinstance(step, Member):
            if first and step.name[:1].isupper():
                # A leading type name filters the context (``Location.extension`` on a Location).
                return [n for n in cur if isinstance(n.value, dict) and n.value.get("resourceType") == step.name]
            out: list[Node] = []
            for node in cur:
                out.extend(_children(node, step.name, self.budget))
            return out
        return self.call(step, cur)

    def call(self, call: Call, cur: list[Node]) -> list[Node]:
        name = call.name
        if name == "where":
            crit = call.args[0]
            assert not isinstance(crit, TypeName)
            return [n for n in cur if _singleton_bool(self.eval(crit, [n]), "where() criteria") is True]
        if name == "extension":
            url = call.args[0]
            assert isinstance(url, Literal)
            out: list[Node] = []
            for node in cur:
                out.extend(
                    n
                    for n in _children(node, "extension", self.budget)
                    if isinstance(n.value, dict) and n.value.get("url") == url.value
                )
            return out
        if name == "first":
            return cur[:1]
        if name == "last":
            return cur[-1:]
        if name in ("as", "ofType"):
            type_arg = call.args[0]
            assert isinstance(type_arg, TypeName)
            return [n for n in cur if _type_matches(n, type_arg.name)]
        if name == "exists":
            if call.args:
                crit = call.args[0]
                assert not isinstance(crit, TypeName)
                cur = [n for n in cur if _singleton_bool(self.eval(crit, [n]), "exists() criteria") is True]
            return _computed(bool(cur), self.budget)
        if name == "empty":
            return _computed(not cur, self.budget)
        # not()
        value = _singleton_bool(cur, "not() input")
        return [] if value is None else _computed(not value, self.budget)


def _root(resource: dict[str, Any]) -> Node:
    return Node(resource)


def _check_type_prefix(resource: dict[str, Any], path: Path) -> None:
    first = path.steps[0]
    if isinstance(first, Member) and first.name[:1].isupper() and first.name != resource.get("resourceType"):
        raise _invalid(f"FHIRPath path starts with {first.name!r} but the resource is a {resource.get('resourceType')}")


def locate(resource: dict[str, Any], expression: str | Path, *, max_nodes: int = MAX_NODES) -> list[Node]:
    """The nodes ``expression`` selects in ``resource`` (raises a 400 FhirError if unsupported)."""
    path = parse_path(expression) if isinstance(expression, str) else expression
    _check_type_prefix(resource, path)
    root = _root(resource)
    return _Evaluator(root, _Budget(max_nodes)).eval(path, [root])


def evaluate(resource: dict[str, Any], expression: str, *, max_nodes: int = MAX_NODES) -> list[Any]:
    """The values of ``expression`` (any supported expression, including booleans)."""
    root = _root(resource)
    return [n.value for n in _Evaluator(root, _Budget(max_nodes)).eval(parse_expression(expression), [root])]


def missing_prefix(resource: dict[str, Any], expression: str | Path, *, max_nodes: int = MAX_NODES) -> str:
    """The shortest prefix of ``expression`` that selects nothing, rendered as in the ROR IG.

    The prefix runs up to the first step whose result is empty, plus the filters that directly
    follow it (a missing ``extension`` is reported with its ``where(url=…)``), so the ROR
    supplier can tell "no such capacity record" (``Location.extension.where(url='…/ror-location-
    supported-capacity')``) from a deeper missing element. ``where()`` criteria are shown as
    their ``url='…'`` clause only: the IG's form, the same whatever the record's codes.
    """
    path = parse_path(expression) if isinstance(expression, str) else expression
    _check_type_prefix(resource, path)
    root = _root(resource)
    evaluator = _Evaluator(root, _Budget(max_nodes))
    cur = [root]
    steps = path.steps
    end = len(steps)
    for pos, step in enumerate(steps):
        cur = evaluator.step(step, cur, [root], first=pos == 0)
        if not cur:
            end = pos + 1
            while end < len(steps) and not isinstance(steps[end], Member):
                end += 1
            break
    prefix = steps[:end]
    first = prefix[0] if prefix else None
    if not (isinstance(first, Member) and first.name[:1].isupper()):
        prefix = (Member(str(resource.get("resourceType", ""))), *prefix)
    return render(Path(prefix), ig_form=True)


# --- rendering -------------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _render_literal(value: str | int | bool | Decimal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def _url_clause(expr: Expr | TypeName) -> Literal | None:
    """The ``url = 'literal'`` clause of a where() criteria (alone or in an and-chain), if any."""
    clauses = expr.operands if isinstance(expr, Logic) and expr.op == "and" else (expr,)
    for clause in clauses:
        if (
            isinstance(clause, Compare)
            and clause.op == "="
            and clause.left == Path((Member("url"),))
            and isinstance(clause.right, Literal)
            and isinstance(clause.right.value, str)
        ):
            return clause.right
    return None


def _render_step(step: Step, ig_form: bool) -> str:
    if isinstance(step, Member):
        return step.name if _PLAIN_NAME.fullmatch(step.name) else f"`{step.name}`"
    if isinstance(step, Index):
        return f"[{step.index}]"
    if isinstance(step, This):
        return "$this"
    if isinstance(step, Group):
        return f"({render(step.expr, ig_form=ig_form)})"
    if ig_form and step.name == "where":
        url = _url_clause(step.args[0])
        if url is not None:
            return f"where(url={_render_literal(url.value)})"
    if ig_form and step.name == "extension":
        arg = step.args[0]
        assert isinstance(arg, Literal)
        return f"extension.where(url={_render_literal(arg.value)})"
    args = ", ".join(a.name if isinstance(a, TypeName) else render(a, ig_form=ig_form) for a in step.args)
    return f"{step.name}({args})"


def render(expr: Expr, *, ig_form: bool = False) -> str:
    """Canonical text of ``expr`` (``ig_form``: ``where()`` shown by its ``url`` clause)."""
    if isinstance(expr, Literal):
        return _render_literal(expr.value)
    if isinstance(expr, Path):
        out = ""
        for step in expr.steps:
            text = _render_step(step, ig_form)
            out += text if (not out or isinstance(step, Index)) else "." + text
        return out
    if isinstance(expr, Compare):
        return f"{render(expr.left, ig_form=ig_form)}{expr.op}{render(expr.right, ig_form=ig_form)}"
    # No parentheses needed: a parenthesized operand is a Path starting with a Group.
    return f" {expr.op} ".join(render(e, ig_form=ig_form) for e in expr.operands)
