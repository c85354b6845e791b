"""``openror import finess``: FINESS files → ROR resources through the one write path (issue 4, spec a.2, a.4).

Each file is inspected whole first (:func:`openror.ingest.finess.source.inspect`: refused whole, with
nothing written, when it is truncated, malformed or of the wrong encoding), then streamed: records
are parsed, mapped (:class:`openror.ingest.finess.mapping.Mapper`) and written by
:class:`openror.ingest.load.Loader` in batches, each one transaction, as updates of deterministic
ids. Identical content writes no version, so importing the same file again changes nothing and a
rerun after a crash completes what the crashed run left (whole batches). Authorised activities
update only the activity extensions of Organizations imported from the structures feed, and the
structures import keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from openror.fhir.errors import Category, FhirError
from openror.fhir.resources import CREATION_DATE_URL
from openror.ingest.finess.clean import RecordError
from openror.ingest.finess.csv_feed import iter_records
from openror.ingest.finess.geo import geography
from openror.ingest.finess.json_feed import iter_activities, iter_structures
from openror.ingest.finess.mapping import ACTIVITY_URL, Mapper, eg_id, ej_id, is_activity_extension
from openror.ingest.finess.model import ActivitySet, Establishment, LegalEntity
from openror.ingest.finess.source import FileRefused, Format, Inspection, inspect, open_json, open_text
from openror.ingest.load import MAX_REJECTS_KEPT, FileReport, Loader
from openror.services.directory import Directory, Prepared, check_id, check_type
from openror.services.terminology import with_displays
from openror.store.repository import Current

_ACTIVITY_MARK = ACTIVITY_URL.encode()


@dataclass(slots=True)
class FinessReport(FileReport):
    """A :class:`FileReport` plus what the import kept or dropped with a warning (aggregated by message)."""

    kind: str = ""
    encoding: str = ""
    manifest: str = ""
    expected: int = 0
    warnings_total: int = 0
    _warnings: dict[str, list[Any]] = field(default_factory=dict)

    def warn(self, where: str, message: str) -> None:
        self.warnings_total += 1
        hit = self._warnings.get(message)
        if hit is not None:
            hit[0] += 1
        elif len(self._warnings) < MAX_REJECTS_KEPT:
            self._warnings[message] = [1, where]

    def to_json(self) -> dict[str, Any]:
        out = FileReport.to_json(self)
        out.update(
            kind=self.kind,
            encoding=self.encoding,
            manifest=self.manifest,
            expected=self.expected,
            warnings_total=self.warnings_total,
            warnings=[{"message": m, "count": c, "first": w} for m, (c, w) in self._warnings.items()],
        )
        return out


class ActivityUpdate(dict[str, Any]):
    """Replace the activity extensions of an existing Organization (written by the structures import)."""

    def __init__(self, rtype: str, rid: str, extensions: list[dict[str, Any]]) -> None:
        super().__init__(resourceType=rtype, id=rid)
        self.extensions = extensions


def with_activities(resource: dict[str, Any], activities: list[dict[str, Any]]) -> dict[str, Any]:
    """``resource`` with exactly ``activities`` as activity extensions, in a stable place.

    Order: the other extensions, then the activities, then ``ror-meta-creation-date`` (which the
    write path appends last on creation), so both importers produce the same body.
    """
    exts = [e for e in resource.get("extension") or [] if isinstance(e, dict)]
    others = [e for e in exts if not is_activity_extension(e) and e.get("url") != CREATION_DATE_URL]
    creation = [e for e in exts if e.get("url") == CREATION_DATE_URL]
    merged = others + activities + creation
    out = dict(resource)
    if merged:
        out["extension"] = merged
    else:
        out.pop("extension", None)
    return out


class FinessLoader(Loader):
    """The :class:`Loader`, merging the activity extensions with the current version of each Organization.

    The merge happens inside the batch's preparation, on the current row the loader prefetched (and
    re-read if a concurrent writer interferes), so it is the same single write path.
    """

    def _prepare(self, res: dict[str, Any], current: dict[tuple[str, str], Current]) -> Prepared:
        rtype, rid = res["resourceType"], res["id"]
        check_type(rtype)
        check_id(rid)
        cur = current.get((rtype, rid))
        if isinstance(res, ActivityUpdate):
            if cur is None or cur.deleted or cur.body is None:
                raise FhirError.of(
                    Category.NOT_FOUND,
                    f"{rtype}/{rid} not found: import the FINESS structures feed before the activités feed",
                )
            body = with_activities(orjson.loads(cur.body), res.extensions)
            return self.directory.prepare_update(rtype, rid, body, method="PUT", current=current)
        if cur is not None and cur.body is not None and _ACTIVITY_MARK in cur.body:
            kept = [e for e in orjson.loads(cur.body).get("extension") or [] if is_activity_extension(e)]
            res = with_activities(res, kept)
        return self.directory.prepare_update(rtype, rid, res, method="PUT", current=current)


Item = tuple[str, dict[str, Any] | FhirError]


class FinessImporter:
    """Imports FINESS files (both formats, both JSON feeds) into one directory."""

    def __init__(self, directory: Directory, *, batch_size: int = 500) -> None:
        self.directory = directory
        self.loader = FinessLoader(directory, batch_size=batch_size)

    def import_file(
        self,
        path: Path,
        *,
        fmt: Format = "auto",
        progress: Callable[[int], None] | None = None,
        on_inspected: Callable[[Inspection], None] | None = None,
    ) -> FinessReport:
        report = FinessReport(str(path))
        try:
            insp = inspect(path, fmt)
        except FileRefused as exc:
            report.reject(path.name, str(exc))
            return report
        report.kind, report.encoding, report.manifest, report.expected = (
            insp.kind,
            insp.encoding,
            insp.manifest,
            insp.expected,
        )
        for where, message in insp.warnings + insp.geo.warnings:
            report.warn(where, message)
        for where, reason in insp.geo.rejects:
            report.reject(where, reason)
        if on_inspected:
            on_inspected(insp)
        mapper = Mapper(self.directory.terminology, geography(), report.warn)
        if insp.kind == "csv":
            with open_text(path, insp.encoding) as text:
                items = self._items(iter_records(text, insp.geo), mapper, report, insp)
                self.loader.load_resources(self._displayed(items), report, progress=progress)
        else:
            with open_json(path) as fh:
                records = iter_structures(fh) if insp.kind == "structures" else iter_activities(fh)
                items = self._items(records, mapper, report, insp)
                self.loader.load_resources(self._displayed(items), report, progress=progress)
        return report

    def _displayed(self, items: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
        """Missing Coding.display values filled from the stored terminology (issue 4 point 3)."""
        return with_displays(items, lambda: self.directory.terminology)

    def _items(
        self,
        records: Iterator[LegalEntity | Establishment | ActivitySet | RecordError],
        mapper: Mapper,
        report: FinessReport,
        insp: Inspection,
    ) -> Iterator[Item]:
        seen: dict[str, str] = {}  # resource id -> where it was first seen (duplicate identifiers)
        for rec in records:
            if isinstance(rec, RecordError):
                yield rec.where, FhirError.of(Category.INVALID, rec.reason)
                continue
            if isinstance(rec, ActivitySet):
                rid = eg_id(rec.finess) if rec.level == "eg" else ej_id(rec.finess)
            else:
                rid = ej_id(rec.finess) if isinstance(rec, LegalEntity) else eg_id(rec.finess)
            first = seen.get(rid)
            if first is not None:
                yield (
                    rec.where,
                    FhirError.of(
                        Category.INVALID, f"duplicate FINESS number {rec.finess}: already in this file at {first}"
                    ),
                )
                continue
            seen[rid] = rec.where
            if isinstance(rec, LegalEntity):
                yield rec.where, mapper.legal_entity(rec)
            elif isinstance(rec, Establishment):
                org, loc = mapper.establishment(rec)
                yield rec.where, org
                if loc is not None:
                    yield f"{rec.where} Location", loc
            else:
                yield rec.where, ActivityUpdate("Organization", rid, mapper.activity_extensions(rec))
        if insp.kind == "csv":
            for finess, lineno in insp.geo.lines.items():
                if eg_id(finess) not in seen:
                    report.warn(f"line {lineno}", "geolocalisation of an establishment absent from the file: ignored")
