"""``openror load``: FHIR JSON, Bundle and NDJSON files (gzip too), streamed through the write path.

Each resource goes through the same preparation and validation as an API write (tier b skipped with
``--trusted``) and is committed in batches. A resource with an id is written as an update (identical
content → no new version, so re-loading the same data is a no-op); a resource without an id is
matched on its first identifier (conditional update) or created. Every file gets a report of
accepted, unchanged and rejected resources with the reason of each reject. A resource with neither
id nor identifier gets an id derived from its content (UUID v5), so re-loading it is a no-op too.
"""

from __future__ import annotations

import gzip
import io
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import orjson

from openror.fhir.errors import FhirError
from openror.fhir.jsonbody import check_bounds
from openror.services.directory import Directory, Prepared, check_id, check_type
from openror.services.terminology import with_displays
from openror.store.repository import Current

MAX_LINE_BYTES = 50 * 1024 * 1024
_CONTENT_NS = uuid.UUID("5d1c6f0e-8b0a-4c53-9d61-6f70656e726f")
MAX_REJECTS_KEPT = 1000


@dataclass(slots=True)
class FileReport:
    path: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, where: str, reason: str) -> None:
        self.rejected += 1
        if len(self.rejects) < MAX_REJECTS_KEPT:
            self.rejects.append({"where": where, "reason": reason})

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rejects": self.rejects,
        }


def _open(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    return raw


def iter_resources(path: Path, *, max_depth: int, max_array: int) -> Iterator[tuple[str, Any]]:
    """Yield (location, resource-or-error) from a JSON resource, a Bundle or NDJSON, streaming NDJSON.

    A FHIR JSON document (resource or Bundle) is parsed whole (bounded by the body limits of a
    single resource); NDJSON is read line by line so files of any size stream.
    """
    with _open(path) as fh:
        head = fh.read(1)
        while head in (b" ", b"\n", b"\r", b"\t"):
            head = fh.read(1)
        if not head:
            return
        rest = fh.read(MAX_LINE_BYTES) if _is_single_document(path) else None
        if rest is not None:
            try:
                doc = orjson.loads(head + rest)
            except orjson.JSONDecodeError as exc:
                yield path.name, FhirError.of_structure(f"not valid JSON: {exc}")
                return
            yield from _expand(path.name, doc, max_depth, max_array)
            return
        stream = io.BufferedReader(_Prefixed(head, fh))
        for lineno, line in enumerate(stream, start=1):
            if len(line) > MAX_LINE_BYTES:
                yield f"line {lineno}", FhirError.of_structure("line too long")
                continue
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield f"line {lineno}", FhirError.of_structure(f"not valid JSON: {exc}")
                continue
            yield from _expand(f"line {lineno}", value, max_depth, max_array)


def check_readable(path: Path) -> str | None:
    """Why ``path`` cannot be loaded at all, or None.

    A gzip file is decompressed once to its end before anything is written, so a truncated or
    corrupt archive is refused whole instead of being half-loaded.
    """
    try:
        with path.open("rb") as raw:
            if raw.read(2) != b"\x1f\x8b":
                return None
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as gz:
                while gz.read(1 << 20):
                    pass
    except (EOFError, OSError, zlib.error) as exc:
        return f"truncated or corrupt gzip file, nothing loaded: {exc}"
    return None


def _is_single_document(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return not (name.endswith(".ndjson") or name.endswith(".jsonl"))


class _Prefixed(io.RawIOBase):
    """A raw stream that yields ``prefix`` then the rest of ``inner``."""

    def __init__(self, prefix: bytes, inner: IO[bytes]) -> None:
        self.prefix = prefix
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _expand(where: str, value: Any, max_depth: int, max_array: int) -> Iterator[tuple[str, Any]]:
    if not isinstance(value, dict):
        yield where, FhirError.of_structure("not a FHIR resource (a JSON object was expected)")
        return
    if value.get("resourceType") == "Bundle":
        for i, entry in enumerate(value.get("entry") or []):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict):
                yield from _expand(f"{where} entry {i}", res, max_depth, max_array)
            else:
                yield f"{where} entry {i}", FhirError.of_structure("Bundle entry without a resource")
        return
    try:
        check_bounds(value, max_depth=max_depth, max_array=max_array)
    except FhirError as err:
        yield where, err
        return
    yield where, value


class Loader:
    """Loads resources through :class:`Directory` in batches."""

    def __init__(self, directory: Directory, *, batch_size: int = 500) -> None:
        self.directory = directory
        self.batch_size = batch_size

    def load_file(
        self,
        path: Path,
        *,
        max_depth: int = 64,
        max_array: int = 10_000,
        progress: Callable[[int], None] | None = None,
    ) -> FileReport:
        report = FileReport(str(path))
        problem = check_readable(path)
        if problem is not None:
            report.reject(path.name, problem)
            return report
        items = iter_resources(path, max_depth=max_depth, max_array=max_array)
        # Missing Coding.display values are filled from the stored terminology (NOS), deterministically,
        # so re-loading the same file still writes nothing.
        return self.load_resources(with_displays(items, lambda: self.directory.terminology), report, progress=progress)

    def load_resources(
        self,
        items: Iterable[tuple[str, dict[str, Any] | FhirError]],
        report: FileReport,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> FileReport:
        """Write (location, resource-or-error) items in batches, counting into ``report``.

        Each batch is one transaction: a crash leaves whole batches, and a rerun skips what is
        already there (identical content writes nothing). Importers feed their mapped resources here.
        """
        batch: list[tuple[str, dict[str, Any]]] = []
        for where, item in items:
            if isinstance(item, FhirError):
                report.reject(where, str(item))
                continue
            batch.append((where, item))
            if len(batch) >= self.batch_size:
                self._flush(batch, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._flush(batch, report)
            if progress:
                progress(len(batch))
        return report

    def _flush(self, batch: list[tuple[str, dict[str, Any]]], report: FileReport) -> None:
        """Commit a batch; resources that fail preparation are rejected, the rest committed together."""
        d = self.directory
        outcome: dict[int, str] = {}

        def prepare() -> list[Prepared]:
            outcome.clear()
            prepared: list[Prepared] = []
            seen: set[tuple[str, str]] = set()
            current = d.store.read_many(
                (r["resourceType"], r["id"])
                for _, r in batch
                if isinstance(r.get("resourceType"), str) and isinstance(r.get("id"), str)
            )
            for i, (where, res) in enumerate(batch):
                try:
                    p = self._prepare(res, current)
                except FhirError as err:
                    outcome[i] = f"reject:{where}: {err}"
                    continue
                key = (p.write.type, p.write.id) if p.write else None
                if key is not None and key in seen:
                    outcome[i] = f"reject:{where}: duplicate of an earlier resource in the same batch"
                    continue
                if key is not None:
                    seen.add(key)
                outcome[i] = "created" if p.created else "unchanged" if p.write is None else "updated"
                prepared.append(p)
            return prepared

        d.commit(prepare)
        for _i, status in sorted(outcome.items()):
            if status.startswith("reject:"):
                where, _, reason = status[len("reject:") :].partition(": ")
                report.reject(where, reason)
            elif status == "created":
                report.created += 1
            elif status == "updated":
                report.updated += 1
            else:
                report.unchanged += 1

    def _prepare(self, res: dict[str, Any], current: dict[tuple[str, str], Current]) -> Prepared:
        d = self.directory
        rtype = res.get("resourceType")
        if not isinstance(rtype, str):
            raise FhirError.of_structure("resourceType is missing")
        check_type(rtype)
        rid = res.get("id")
        if isinstance(rid, str):
            check_id(rid)
            return d.prepare_update(rtype, rid, res, method="PUT", current=current)
        for ident in res.get("identifier") or []:
            if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                system = ident.get("system") if isinstance(ident.get("system"), str) else ""
                matches = d.store.match_ids(rtype, [("identifier", system, ident["value"])])
                if len(matches) == 1:
                    body = dict(res, id=matches[0])
                    return d.prepare_update(rtype, matches[0], body, method="PUT")
                if len(matches) > 1:
                    raise FhirError.of_structure(f"identifier {system}|{ident['value']} matches several {rtype}")
                break
        # Neither id nor identifier: the id is derived from the content, so re-loading the same
        # resource finds it (unchanged) instead of creating a duplicate.
        content_id = str(uuid.uuid5(_CONTENT_NS, orjson.dumps(res, option=orjson.OPT_SORT_KEYS).decode()))
        return d.prepare_update(rtype, content_id, dict(res, id=content_id), method="PUT")
