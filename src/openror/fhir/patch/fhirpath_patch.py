"""FHIRPath Patch: apply a ``Parameters`` patch document to a resource (R4 fhirpatch.html; ROR spec b.6, b.10, e).

Operations (``add``, ``insert``, ``delete``, ``replace``, ``move``) apply in order to a private
copy; any failure raises and leaves the caller's resource untouched. Paths are evaluated by
``openror.fhir.patch.locator``; values are read by ``openror.fhir.patch.values``.

Match rules:

* ``replace``, ``delete``, ``add`` (its container) and ``insert``/``move`` (the list's holder)
  need exactly one match. More than one → 400 ``multiple-matches``: the ROR cannot guess which
  capacity record was meant.
* No match → 404 (Category.NOT_FOUND) whose ``expression`` is the shortest path prefix that
  matched nothing, in the IG's form, e.g.
  ``Location.extension.where(url='https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-location-supported-capacity')``.
  The ROR supplier algorithm (spec b.10) tries ``replace`` and sends ``add`` on that 404.
* ``delete`` of nothing is also a 404, although the R4 table says "Path of the element to
  delete (if found)", which allows a silent no-op. In the ROR a delete names one capacity
  record by its codes: a no-op success would hide that the supplier's view and the directory
  disagree, and would still create a new version that every poller re-downloads. Callers that
  want the lenient reading pass ``strict_delete=False``.

Unsupported FHIRPath and malformed operations are 400 (Category.INVALID); the invalid forms
printed in the IG pages are reported with their fix by ``openror.fhir.patch.ig_defects``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.patch.datatypes import choice_suffix
from openror.fhir.patch.ig_defects import OPERATION_PARTS, check_ig_defects
from openror.fhir.patch.invariants import check_identity, deep_copy
from openror.fhir.patch.locator import Member, Node, Path, locate, missing_prefix, parse_path, render
from openror.fhir.patch.model import DEFAULT_MODEL, ElementModel
from openror.fhir.patch.values import check_value, read_value, value_type

MAX_OPERATIONS = 1_000

_REQUIRED: dict[str, frozenset[str]] = {
    "add": frozenset({"type", "path", "name", "value"}),
    "insert": frozenset({"type", "path", "value", "index"}),
    "delete": frozenset({"type", "path"}),
    "replace": frozenset({"type", "path", "value"}),
    "move": frozenset({"type", "path", "source", "destination"}),
}
_ALWAYS_REPEATING = frozenset({"extension", "modifierExtension"})


@dataclass(frozen=True, slots=True)
class Operation:
    """One ``operation`` parameter, checked."""

    type: str
    path: str
    where: str  # location in the Parameters body, for OperationOutcome.issue.expression
    name: str | None = None
    value: dict[str, Any] | None = None  # the raw ``value`` part: value[x] or nested parts
    index: int | None = None
    source: int | None = None
    destination: int | None = None


def _invalid(message: str, where: str | None = None, *, code: str | None = None) -> FhirError:
    return FhirError.of(Category.INVALID, message, code=code, expression=where)


# --- reading the Parameters body -------------------------------------------------------------


def _string_part(part: dict[str, Any], where: str, *keys: str) -> str:
    for key in keys:
        if isinstance(part.get(key), str) and part[key]:
            return str(part[key])
    raise _invalid(f"part {part.get('name')!r} needs a non-empty {' or '.join(keys)}", where)


def _int_part(part: dict[str, Any], where: str) -> int:
    value = part.get("valueInteger")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid(f"part {part.get('name')!r} needs a valueInteger >= 0", where)
    return value


def _operation(param: Any, where: str) -> Operation:
    if not isinstance(param, dict) or param.get("name") != "operation":
        raise _invalid("every parameter of a FHIRPath Patch is named 'operation'", where)
    parts = param.get("part")
    if not isinstance(parts, list):
        raise _invalid("an operation needs its parts ('type', 'path'...)", where)
    by_name: dict[str, tuple[dict[str, Any], str]] = {}
    for j, part in enumerate(parts):
        part_where = f"{where}.part[{j}]"
        name = part.get("name") if isinstance(part, dict) else None
        if not isinstance(name, str) or name not in OPERATION_PARTS:
            raise _invalid(f"operation part {name!r} is unknown (allowed: {', '.join(OPERATION_PARTS)})", part_where)
        if name in by_name:
            raise _invalid(f"operation part {name!r} is given more than once", part_where)
        by_name[name] = (part, part_where)
    if "type" not in by_name:
        raise _invalid("an operation needs a 'type' part (add, insert, delete, replace, move)", where)
    # valueCode per the spec; valueString is what the IG pages send, and means the same here.
    op_type = _string_part(*by_name["type"], "valueCode", "valueString")
    if op_type not in _REQUIRED:
        raise _invalid(f"operation type {op_type!r} is unknown (add, insert, delete, replace, move)", where)
    missing = _REQUIRED[op_type] - by_name.keys()
    if missing:
        raise _invalid(f"{op_type} needs the part(s) {', '.join(sorted(missing))}", where)
    extra = by_name.keys() - _REQUIRED[op_type]
    if extra:
        raise _invalid(f"{op_type} does not take the part(s) {', '.join(sorted(extra))}", where)
    # Check the path syntax and the value shape of every operation before applying any: a
    # malformed body is a 400 even when an earlier operation would have been a 404.
    path = _string_part(*by_name["path"], "valueString")
    parse_path(path)
    value_part = by_name["value"][0] if "value" in by_name else None
    if value_part is not None:
        check_value(value_part, by_name["value"][1])
    return Operation(
        type=op_type,
        path=path,
        where=where,
        name=_string_part(*by_name["name"], "valueString") if "name" in by_name else None,
        value=value_part,
        index=_int_part(*by_name["index"]) if "index" in by_name else None,
        source=_int_part(*by_name["source"]) if "source" in by_name else None,
        destination=_int_part(*by_name["destination"]) if "destination" in by_name else None,
    )


def parse_operations(parameters: Any) -> list[Operation]:
    """The operations of a FHIRPath Patch ``Parameters`` body (400 when malformed)."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise _invalid("a FHIRPath Patch body is a Parameters resource")
    params = parameters.get("parameter", [])
    if not isinstance(params, list):
        raise _invalid("Parameters.parameter must be an array", "Parameters.parameter")
    if len(params) > MAX_OPERATIONS:
        raise _invalid(f"too many patch operations ({len(params)} > {MAX_OPERATIONS})", code="too-costly")
    return [_operation(p, f"Parameters.parameter[{i}]") for i, p in enumerate(params)]


# --- applying --------------------------------------------------------------------------------


def _detach(node: Node) -> None:
    """Remove ``node`` from its holder, with the ``_name`` sibling carrying primitive extensions."""
    assert node.up is not None and node.key is not None
    holder: dict[str, Any] = node.up.value
    key, sibling = node.key, "_" + node.key
    if node.index is None:
        del holder[key]
        holder.pop(sibling, None)
        return
    del holder[key][node.index]
    ext = holder.get(sibling)
    if isinstance(ext, list) and node.index < len(ext):
        del ext[node.index]
        if all(e is None for e in ext):
            del holder[sibling]
    if not holder[key]:
        del holder[key]


def _remove(node: Node) -> None:
    """Delete ``node``, then its holders that became empty: FHIR JSON has no empty objects."""
    _detach(node)
    cur = node.up
    while cur is not None and cur.is_element and isinstance(cur.value, dict) and not cur.value:
        _detach(cur)
        cur = cur.up


class _Patcher:
    def __init__(self, doc: dict[str, Any], model: ElementModel, strict_delete: bool) -> None:
        self.doc = doc
        self.model = model
        self.strict_delete = strict_delete

    # Type of a located node, walking down from the resource (contained resources reset it).
    def type_of(self, node: Node) -> str | None:
        chain: list[Node] = []
        cur: Node | None = node
        while cur is not None:
            chain.append(cur)
            cur = cur.up
        type_name: str | None = None
        for n in reversed(chain):
            if isinstance(n.value, dict) and isinstance(n.value.get("resourceType"), str):
                type_name = n.value["resourceType"]
            elif type_name is not None and n.key is not None:
                info = self.model.element(type_name, n.key)
                type_name = info.type_name if info else None
            else:
                type_name = None
        return type_name

    def one(self, op: Operation, path: Path, *, allow_root: bool = False) -> Node:
        nodes = locate(self.doc, path)
        if not nodes:
            expression = missing_prefix(self.doc, path)
            within = "" if expression == render(path) else f" (in {op.path!r})"
            hint = "; send 'add' to create it" if op.type == "replace" else ""
            raise FhirError.of(
                Category.NOT_FOUND, f"{op.type}: nothing matches {expression}{within}{hint}", expression=expression
            )
        if len(nodes) > 1:
            raise _invalid(
                f"{op.type}: {op.path!r} matches {len(nodes)} elements; exactly one is required "
                "(narrow the where() criteria)",
                op.where,
                code="multiple-matches",
            )
        node = nodes[0]
        if node.computed or (not allow_root and not node.is_element):
            what = "a computed value" if node.computed else "the whole resource"
            raise _invalid(f"{op.type}: {op.path!r} selects {what}, not an element of the resource", op.where)
        return node

    def read(self, op: Operation, type_name: str | None) -> Any:
        assert op.value is not None
        return read_value(op.value, type_name=type_name, model=self.model, where=f"{op.where}.value")

    def add(self, op: Operation) -> None:
        assert op.name is not None and op.value is not None
        node = self.one(op, parse_path(op.path), allow_root=True)
        if not isinstance(node.value, dict):
            raise _invalid(f"add: {op.path!r} selects a primitive value; it must select an element", op.where)
        holder: dict[str, Any] = node.value
        holder_type = self.type_of(node)
        typed = value_type(op.value)
        info = self.model.element(holder_type, op.name, typed[1] if typed else None) if holder_type else None
        if info is None and holder_type is not None and self.model.knows(holder_type):
            raise _invalid(f"add: {holder_type} has no element {op.name!r}", op.where)
        key = info.key if info else op.name
        value = self.read(op, info.type_name if info else None)
        repeating = info.repeating if info else (isinstance(holder.get(key), list) or op.name in _ALWAYS_REPEATING)
        if repeating:
            existing = holder.setdefault(key, [])
            if not isinstance(existing, list):
                raise _invalid(f"add: {key!r} exists and is not a list", op.where)
            existing.append(value)
            return
        present = [k for k in holder if k == key or choice_suffix(k, op.name) is not None]
        if present:
            raise _invalid(f"add: {present[0]!r} already exists and does not repeat; use replace", op.where)
        holder[key] = value

    def replace(self, op: Operation) -> None:
        node = self.one(op, parse_path(op.path))
        assert node.up is not None and node.key is not None and op.value is not None
        value = self.read(op, self.type_of(node))
        holder: dict[str, Any] = node.up.value
        if node.index is not None:
            holder[node.key][node.index] = value
            return
        key = node.key
        typed = value_type(op.value)
        if node.choice_base is not None and typed is not None:
            # ``…value`` located ``valueString``: a valueInteger replacement renames the key.
            new_key = node.choice_base + typed[0][len("value") :]
            if new_key != key:
                holder.pop(key)
                holder.pop("_" + key, None)
                key = new_key
        holder[key] = value

    def delete(self, op: Operation) -> None:
        path = parse_path(op.path)
        if not self.strict_delete and not locate(self.doc, path):
            return
        _remove(self.one(op, path))

    def list_holder(self, op: Operation) -> tuple[dict[str, Any], str, str | None]:
        """(holder object, list key, element type) for insert/move: the path names the list."""
        path = parse_path(op.path)
        last = path.steps[-1]
        if not isinstance(last, Member) or (len(path.steps) == 1 and last.name[:1].isupper()):
            raise _invalid(f"{op.type}: the path must end with the name of a list element: {op.path!r}", op.where)
        parent_steps = path.steps[:-1] or (Member(str(self.doc.get("resourceType"))),)
        parent = self.one(op, Path(parent_steps), allow_root=True)
        if not isinstance(parent.value, dict):
            raise _invalid(f"{op.type}: {render(Path(parent_steps))} is not an element", op.where)
        holder_type = self.type_of(parent)
        info = self.model.element(holder_type, last.name) if holder_type else None
        if info is not None and not info.repeating:
            raise _invalid(f"{op.type}: {holder_type}.{last.name} is not a list", op.where)
        if info is None and holder_type is not None and self.model.knows(holder_type):
            raise _invalid(f"{op.type}: {holder_type} has no element {last.name!r}", op.where)
        current = parent.value.get(last.name)
        if current is not None and not isinstance(current, list):
            raise _invalid(f"{op.type}: {op.path!r} is not a list", op.where)
        return parent.value, last.name, info.type_name if info else None

    def insert(self, op: Operation) -> None:
        assert op.index is not None
        holder, key, type_name = self.list_holder(op)
        items = holder.get(key, [])
        if op.index > len(items):
            raise _invalid(f"insert: index {op.index} is beyond the end of {op.path!r} ({len(items)} items)", op.where)
        items.insert(op.index, self.read(op, type_name))
        holder[key] = items
        ext = holder.get("_" + key)
        if isinstance(ext, list):
            ext.insert(op.index, None)  # keep primitive extensions aligned with their values

    def move(self, op: Operation) -> None:
        assert op.source is not None and op.destination is not None
        holder, key, _ = self.list_holder(op)
        items = holder.get(key, [])
        for label, idx in (("source", op.source), ("destination", op.destination)):
            if idx >= len(items):
                raise _invalid(f"move: {label} {idx} is beyond the end of {op.path!r} ({len(items)} items)", op.where)
        items.insert(op.destination, items.pop(op.source))
        ext = holder.get("_" + key)
        if isinstance(ext, list) and len(ext) == len(items):
            ext.insert(op.destination, ext.pop(op.source))

    def apply(self, op: Operation) -> None:
        match op.type:
            case "add":
                self.add(op)
            case "insert":
                self.insert(op)
            case "delete":
                self.delete(op)
            case "replace":
                self.replace(op)
            case _:
                self.move(op)


def apply_fhirpath_patch(
    resource: dict[str, Any],
    parameters: dict[str, Any],
    *,
    model: ElementModel = DEFAULT_MODEL,
    strict_delete: bool = True,
) -> dict[str, Any]:
    """The patched copy of ``resource``; ``resource`` itself is never modified.

    Raises FhirError: INVALID (400) for a malformed or unsupported patch, NOT_FOUND (404) when a
    path matches nothing (``expression`` = the missing prefix, see module docstring).
    """
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise _invalid("the patched resource has no resourceType")
    check_ig_defects(parameters)
    operations = parse_operations(parameters)
    doc: dict[str, Any] = deep_copy(resource)
    patcher = _Patcher(doc, model, strict_delete)
    for op in operations:
        patcher.apply(op)
    return check_identity(resource, doc)
