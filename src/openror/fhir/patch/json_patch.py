"""JSON Patch: apply an RFC 6902 operation list to a resource (R4 http.html#patch, RFC 6902, RFC 6901 pointers).

Operations ``add``, ``remove``, ``replace``, ``move``, ``copy`` and ``test`` apply in order to a
private copy: any failure raises and leaves the caller's resource untouched (RFC 6902 §5). A
malformed document is a 400 with issue code ``invalid``; a well-formed operation that cannot be
applied (missing target, failed ``test``) is a 400 with issue code ``processing`` — a failed test
is the client's precondition, not a server conflict, so no 409/412.

Written here rather than taken from the ``jsonpatch`` package: the code is short, and owning it
gives bounded work (operation count, pointer length) and FHIR OperationOutcome errors.
"""

from __future__ import annotations

from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch.invariants import check_identity, deep_copy

MAX_OPERATIONS = 10_000
MAX_POINTER_TOKENS = 128
_MAX_EQUAL_DEPTH = 256
_OPS = ("add", "remove", "replace", "move", "copy", "test")


# ``where`` names the operation ("JSON Patch operation 3"): OperationOutcome.issue.expression is
# FHIRPath, which cannot address a JSON Patch array, so the location goes in the diagnostics.
def _invalid(message: str, where: str) -> FhirError:
    return FhirError.of(Category.INVALID, f"{where}: {message}")


def _failed(message: str, where: str) -> FhirError:
    return FhirError.of(Category.INVALID, f"{where}: {message}", code="processing")


def parse_pointer(pointer: Any, where: str) -> list[str]:
    """RFC 6901 reference tokens of ``pointer`` ("" is the whole document)."""
    if not isinstance(pointer, str):
        raise _invalid("a JSON Pointer must be a string", where)
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _invalid(f"JSON Pointer {pointer!r} must start with '/'", where)
    tokens = pointer[1:].split("/")
    if len(tokens) > MAX_POINTER_TOKENS:
        raise _invalid(f"JSON Pointer deeper than {MAX_POINTER_TOKENS} levels", where)
    out: list[str] = []
    for token in tokens:
        # RFC 6901 §4: '~' is only valid as '~0' or '~1'; decode ~1 before ~0.
        if "~" in token.replace("~0", "").replace("~1", ""):
            raise _invalid(f"JSON Pointer {pointer!r} has an invalid '~' escape", where)
        out.append(token.replace("~1", "/").replace("~0", "~"))
    return out


def _array_index(token: str, size: int, *, allow_end: bool, where: str) -> int:
    if token == "-" and allow_end:  # noqa: S105 - RFC 6901 "past the end" token, not a secret
        return size
    if not token.isdigit() or (len(token) > 1 and token[0] == "0") or not token.isascii():
        raise _failed(f"{token!r} is not an array index", where)
    index = int(token)
    if index > size or (index == size and not allow_end):
        raise _failed(f"array index {index} is out of range (size {size})", where)
    return index


def _parent(doc: Any, tokens: list[str], where: str) -> Any:
    """The container addressed by all tokens but the last."""
    cur = doc
    for token in tokens[:-1]:
        if isinstance(cur, dict):
            if token not in cur:
                raise _failed(f"path segment {token!r} does not exist", where)
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_array_index(token, len(cur), allow_end=False, where=where)]
        else:
            raise _failed(f"path segment {token!r} goes through a primitive value", where)
    return cur


def _get(doc: Any, tokens: list[str], where: str) -> Any:
    if not tokens:
        return doc
    holder = _parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(holder, dict):
        if last not in holder:
            raise _failed(f"{last!r} does not exist", where)
        return holder[last]
    if isinstance(holder, list):
        return holder[_array_index(last, len(holder), allow_end=False, where=where)]
    raise _failed(f"{last!r} is below a primitive value", where)


def _add(doc: Any, tokens: list[str], value: Any, where: str) -> Any:
    if not tokens:
        return value
    holder = _parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(holder, dict):
        holder[last] = value
    elif isinstance(holder, list):
        holder.insert(_array_index(last, len(holder), allow_end=True, where=where), value)
    else:
        raise _failed(f"cannot add {last!r} below a primitive value", where)
    return doc


def _remove(doc: Any, tokens: list[str], where: str) -> Any:
    if not tokens:
        raise _failed("cannot remove the whole resource", where)
    holder = _parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(holder, dict):
        if last not in holder:
            raise _failed(f"{last!r} does not exist", where)
        return holder.pop(last)
    if isinstance(holder, list):
        return holder.pop(_array_index(last, len(holder), allow_end=False, where=where))
    raise _failed(f"{last!r} is below a primitive value", where)


def _json_equal(a: Any, b: Any, depth: int = 0) -> bool:
    """RFC 6902 §4.6 equality: numbers by value, objects unordered, arrays ordered, no bool/number mix."""
    if depth > _MAX_EQUAL_DEPTH:
        raise _invalid("test value nested too deeply", "JSON Patch")
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _apply_one(doc: Any, op: Any, where: str) -> Any:
    if not isinstance(op, dict):
        raise _invalid("each JSON Patch operation is an object", where)
    name = op.get("op")
    if name not in _OPS:
        raise _invalid(f"JSON Patch op {name!r} is unknown (allowed: {', '.join(_OPS)})", where)
    tokens = parse_pointer(op.get("path"), f"{where} (path)")
    if name in ("add", "replace", "test") and "value" not in op:
        raise _invalid(f"JSON Patch {name} needs a 'value'", where)
    if name == "add":
        return _add(doc, tokens, deep_copy(op["value"]), where)
    if name == "remove":
        _remove(doc, tokens, where)
        return doc
    if name == "replace":
        _get(doc, tokens, where)  # RFC 6902 §4.3: the target must exist
        if not tokens:
            return deep_copy(op["value"])
        _remove(doc, tokens, where)
        return _add(doc, tokens, deep_copy(op["value"]), where)
    if name == "test":
        if not _json_equal(_get(doc, tokens, where), op["value"]):
            raise _failed(f"test failed: the value at {op.get('path')!r} differs", where)
        return doc
    source = parse_pointer(op.get("from"), f"{where} (from)")
    if name == "move":
        if tokens[: len(source)] == source and len(tokens) > len(source):
            raise _failed("move: cannot move a value into one of its own children", where)
        if tokens == source:
            _get(doc, source, where)
            return doc
        return _add(doc, tokens, _remove(doc, source, where), where)
    return _add(doc, tokens, deep_copy(_get(doc, source, where)), where)  # copy


def apply_json_patch(resource: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    """The patched copy of ``resource``; ``resource`` itself is never modified (400 on failure)."""
    if not isinstance(operations, list):
        raise _invalid("the document must be a JSON array of operations", "JSON Patch")
    if len(operations) > MAX_OPERATIONS:
        raise FhirError.of(
            Category.INVALID,
            f"too many JSON Patch operations ({len(operations)} > {MAX_OPERATIONS})",
            code="too-costly",
        )
    doc: Any = deep_copy(resource)
    for i, op in enumerate(operations):
        doc = _apply_one(doc, op, f"JSON Patch operation {i}")
    return check_identity(resource, doc)
