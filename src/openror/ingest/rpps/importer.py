"""``openror import rpps``: the Annuaire Santé PS_LibreAcces_Personne_activite extract → Practitioner (spec a.6).

One Practitioner per professional (``rpps-<Identification nationale PP>``), written through
:class:`~openror.ingest.load.Loader` - the one write path - in batches: a re-import writes nothing,
an interrupted import leaves whole batches and a rerun completes it. The file is checked whole before
the first write (:meth:`Extract.scan`): encoding, header, truncated archive refuse it entirely; a
malformed line rejects its professional (never half of one). A professional whose lines disagree on
the identity, or whose identifier is already carried by a Practitioner this import did not create,
is rejected with the reason.

Practice situations are **not** turned into PractitionerRole: the ROR profile requires each
PractitionerRole to point at an offer (``healthcareService`` 1..1) that the RPPS does not describe
(docs/ingest-nos-rpps.md explains the decision).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from openror.fhir.access import SYSTEM
from openror.fhir.errors import Category, FhirError
from openror.fhir.search.registry import registry
from openror.ingest.load import FileReport, Loader
from openror.ingest.rpps.extract import NAT_ID, Extract, ExtractError, Line, Scan
from openror.ingest.rpps.mapping import PRACTITIONER_ID_SYSTEM, practitioner, practitioner_id
from openror.services.directory import Directory
from openror.services.search import SearchService
from openror.services.terminology import with_displays

IDENTIFIER_CHUNK = 200
MAX_SEARCH_VALUE = 1000  # below the search parser's bound on one parameter value (1,024)

Item = tuple[str, dict[str, Any] | FhirError]


@dataclass(slots=True)
class RppsReport:
    """The Loader's counts (one per professional) plus what the scan saw."""

    file: FileReport
    lines: int = 0
    persons: int = 0
    sorted_by_person: bool = True

    def to_json(self) -> dict[str, Any]:
        out = self.file.to_json()
        out.update(lines=self.lines, persons=self.persons, sorted_by_person=self.sorted_by_person)
        return out


class RppsImporter:
    """Imports Practitioners from a PS_LibreAcces_Personne_activite file (plain, .gz or the zip)."""

    def __init__(self, directory: Directory, *, batch_size: int = 500) -> None:
        self.directory = directory
        self.loader = Loader(directory, batch_size=batch_size)
        self.search = SearchService(directory.store, registry(), max_count=4 * IDENTIFIER_CHUNK)

    def run(
        self,
        path: Path,
        *,
        progress: Callable[[int], None] | None = None,
        on_scan: Callable[[Scan], None] | None = None,
    ) -> RppsReport:
        report = RppsReport(FileReport(str(path)))
        extract = Extract(path)
        try:
            scan = extract.scan()
        except (ExtractError, OSError) as exc:
            report.file.reject(path.name, str(exc))
            return report
        report.lines, report.persons, report.sorted_by_person = scan.lines, scan.persons, scan.contiguous
        if on_scan is not None:
            on_scan(scan)
        for lineno, why in scan.orphans:
            report.file.reject(f"line {lineno}", why)
        items = self._not_taken(self._items(extract, scan))
        self.loader.load_resources(
            with_displays(items, lambda: self.directory.terminology), report.file, progress=progress
        )
        return report

    def _items(self, extract: Extract, scan: Scan) -> Iterator[Item]:
        for national_id, lines in extract.persons(scan):
            where = _where(national_id, lines)
            problems = scan.tainted.get(national_id)
            if problems:
                yield where, FhirError.of(Category.STRUCTURE, "; ".join(problems) + ": professional not imported")
                continue
            try:
                yield where, practitioner(national_id, lines, scan.columns)
            except FhirError as err:
                yield where, err

    def _not_taken(self, items: Iterable[Item]) -> Iterator[Item]:
        """Reject a professional whose identifier another Practitioner (not ``rpps-…``) already carries."""
        it = iter(items)
        while chunk := list(islice(it, IDENTIFIER_CHUNK)):
            values = [r["identifier"][0]["value"] for _, r in chunk if isinstance(r, dict)]
            holders: dict[str, list[str]] = {}
            for group in _fitting(values):
                # Values without system keep the query short (search values are bounded); the system is
                # checked on the results.
                params = [("identifier", ",".join(group)), ("_count", str(4 * len(group)))]
                found = self.search.search(SYSTEM, "Practitioner", params, "urn:openror:import-rpps")
                bundle = orjson.loads(orjson.dumps(found))  # entries hold the stored bytes (orjson.Fragment)
                for entry in bundle.get("entry") or []:
                    body = entry.get("resource") or {}
                    for ident in body.get("identifier") or []:
                        if isinstance(ident, dict) and ident.get("system") == PRACTITIONER_ID_SYSTEM:
                            holders.setdefault(str(ident.get("value")), []).append(str(body.get("id")))
            for where, res in chunk:
                if isinstance(res, dict):
                    value = res["identifier"][0]["value"]
                    others = [h for h in holders.get(value, []) if h != practitioner_id(value)]
                    if others:
                        res = FhirError.of(
                            Category.INVALID,
                            f"identifier {PRACTITIONER_ID_SYSTEM}|{value} is already carried by "
                            f"{', '.join('Practitioner/' + o for o in others)} (not created by this import): "
                            "not imported",
                        )
                yield where, res


def _fitting(values: list[str], limit: int = MAX_SEARCH_VALUE) -> Iterator[list[str]]:
    """``values`` in groups whose comma-joined length fits a search parameter value."""
    group: list[str] = []
    size = 0
    for v in values:
        if group and size + len(v) + 1 > limit:
            yield group
            group, size = [], 0
        group.append(v)
        size += len(v) + 1
    if group:
        yield group


def _where(national_id: str, lines: list[Line]) -> str:
    numbers = sorted(n for n, _ in lines)
    shown = ", ".join(str(n) for n in numbers[:5]) + (", …" if len(numbers) > 5 else "")
    return f"{NAT_ID} {national_id} (line{'s' if len(numbers) > 1 else ''} {shown})"
