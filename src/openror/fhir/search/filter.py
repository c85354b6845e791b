"""``_filter`` (FHIR R4 search_filter.html) compiled into the search filter tree (spec b.2, b.3).

Supported: ``and``, ``or``, ``not``, parentheses, comparisons ``eq ne gt lt ge le sa eb ap`` on
dates, numbers and quantities; ``eq ne co sw ew`` on strings; ``eq ne`` on tokens, references and
uris; ``pr`` (present); parameter paths with chains and ``:above``/``:below``
(``organization:above._lastUpdated ge 2022-11-06T15:00``). ``and`` binds tighter than ``or``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from openror.fhir.errors import Category, FhirError
from openror.fhir.search.query import And, Chain, Filter, Match, Not, Or

if TYPE_CHECKING:
    from openror.fhir.search.query import Parser

MAX_FILTER_LENGTH = 2000
MAX_TOKENS = 400
_TOKEN_RE = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)')
_ORDER_OPS = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}
_STRING_OPS = {"eq": "exact", "co": "contains", "sw": None, "ew": "endswith"}


def _bad(message: str) -> FhirError:
    return FhirError.of(Category.INVALID, f"_filter: {message}")


def tokenize(text: str) -> list[str]:
    if len(text) > MAX_FILTER_LENGTH:
        raise _bad(f"longer than {MAX_FILTER_LENGTH} characters")
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise _bad(f"cannot read at position {pos}")
        out.append(m.group(1))
        pos = m.end()
        if len(out) > MAX_TOKENS:
            raise _bad(f"more than {MAX_TOKENS} tokens")
    return out


class _FilterParser:
    def __init__(self, parser: Parser, rtype: str, tokens: list[str], depth: int) -> None:
        self.parser = parser
        self.rtype = rtype
        self.tokens = tokens
        self.pos = 0
        self.depth = depth

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise _bad("unexpected end of expression")
        self.pos += 1
        return tok

    def parse(self) -> Filter:
        f = self.or_expr()
        if self.peek() is not None:
            raise _bad(f"unexpected '{self.peek()}'")
        return f

    def or_expr(self) -> Filter:
        items = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Filter:
        items = [self.unary()]
        while self.peek() == "and":
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Filter:
        tok = self.peek()
        if tok == "not":
            self.take()
            if self.peek() != "(":
                raise _bad("'not' must be followed by '('")
            return Not(self.unary())
        if tok == "(":
            self.take()
            inner = self.or_expr()
            if self.take() != ")":
                raise _bad("missing ')'")
            return inner
        return self.comparison()

    def comparison(self) -> Filter:
        path = self.take()
        op = self.take()
        if op == "pr":
            value = self.take()
            if value not in ("true", "false"):
                raise _bad("pr takes true or false")
            f = self.parser.criterion(self.rtype, f"{path}:missing", "false" if value == "true" else "true", None,
                                      depth=self.depth)  # fmt: skip
            return f
        raw = self.take()
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        leaf = _leaf_name(path)
        ptype = self._type_of(path)
        if ptype == "string":
            if op == "ne":
                return Not(self.parser.criterion(self.rtype, f"{path}:exact", value, None, depth=self.depth))
            if op not in _STRING_OPS:
                raise _bad(f"operator '{op}' is not allowed on string parameter '{leaf}'")
            modifier = _STRING_OPS[op]
            name = f"{path}:{modifier}" if modifier and modifier != "endswith" else path
            f = self.parser.criterion(self.rtype, name, value, None, depth=self.depth)
            return _endswith(f) if modifier == "endswith" else f
        if ptype in ("date", "number", "quantity"):
            if op not in _ORDER_OPS:
                raise _bad(f"operator '{op}' is not allowed on {ptype} parameter '{leaf}'")
            return self.parser.criterion(self.rtype, path, f"{op}{value}", None, depth=self.depth)
        if ptype == "content":
            if op not in ("eq", "co"):
                raise _bad(f"operator '{op}' is not allowed on _content")
            return self.parser.criterion(self.rtype, path, value, None, depth=self.depth)
        if op == "eq":
            return self.parser.criterion(self.rtype, path, value, None, depth=self.depth)
        if op == "ne":
            return Not(self.parser.criterion(self.rtype, path, value, None, depth=self.depth))
        raise _bad(f"operator '{op}' is not allowed on {ptype} parameter '{leaf}'")

    def _type_of(self, path: str) -> str:
        """The type of the last parameter of a (possibly chained) path."""
        rtype = self.rtype
        steps = path.split(".")
        for i, step in enumerate(steps):
            name, _, modifier = step.partition(":")
            if name in ("_lastUpdated",):
                return "date"
            if name == "_content":
                return "content"
            if name == "_id":
                return "token"
            p = self.parser.registry.get(rtype, name)
            if p is None:
                raise _bad(f"unknown parameter '{name}' on {rtype}")
            if i < len(steps) - 1:
                if modifier and modifier not in ("above", "below"):
                    rtype = modifier
                elif len(p.targets) == 1:
                    rtype = p.targets[0]
                else:
                    raise _bad(f"'{name}' points to several types: give one ({name}:Type.…)")
            else:
                return p.type
        return "token"


def _leaf_name(path: str) -> str:
    return path.split(".")[-1].partition(":")[0]


def _endswith(f: Filter) -> Filter:
    """A string prefix match turned into an ends-with match (the `ew` operator)."""
    if isinstance(f, Match):
        return Match(f.param, f.ptype, "endswith", f.values)
    if isinstance(f, Chain):
        return Chain(f.param, f.target_type, _endswith(f.inner), f.hierarchy)
    if isinstance(f, Or):
        return Or(tuple(_endswith(i) for i in f.items))
    raise _bad("'ew' applies to string parameters")


def parse_filter(parser: Parser, rtype: str, text: str, depth: int) -> Filter:
    tokens = tokenize(text)
    if not tokens:
        raise _bad("empty expression")
    return _FilterParser(parser, rtype, tokens, depth).parse()
