"""``openror import nos``: NOS tables and the IG's terminology stored as CodeSystem / ValueSet (spec i; issue 4.3).

Inputs (files or folders, gzip accepted): NOS FHIR JSON (a CodeSystem, a ValueSet, a Bundle or NDJSON
of them), historic ``.tabs`` tables, ``code;display`` CSV lists, and with ``packaged=True`` the copies
shipped in ``openror/definitions/terminology`` (NOS + the IG's own CodeSystems/ValueSets). Formats and
mapping: :mod:`openror.ingest.nos.formats`.

Two passes. The first reads every input to learn the code-system OIDs (CodeSystem identifiers, TRE
``.tabs`` headers, OID designations of NOS ValueSets, plus the packaged and already stored resources)
and to choose, for each table, the copy to keep: the newest ``date``, then the richest format (FHIR
JSON > ``.tabs`` > derived CSV); a copy that is older or poorer than the stored one (or, when nothing
is stored, than the packaged one) is skipped with its reason. The second pass converts the chosen
copies (JDV OIDs → TRE URLs) and writes them through :class:`~openror.ingest.load.Loader` - the one
write path: a re-import writes nothing. A file that cannot be read (encoding, truncated gzip, a
malformed line) is refused whole. At the end the process's :class:`StoredTerminology` is refreshed, so
write validation uses the new tables at once (other processes within its check interval).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any, cast

import orjson

from openror.fhir.errors import FhirError
from openror.ingest.load import FileReport, Loader, check_readable, iter_resources
from openror.ingest.nos.formats import (
    FORMAT_NAMES,
    RANK_JSON,
    NosFormatError,
    OidTable,
    Table,
    date_key,
    json_table,
    read_csv,
    read_tabs,
    resource_id,
    source_rank,
)
from openror.services.directory import Directory
from openror.services.terminology import StoredTerminology, packaged_resources

JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")
SUFFIXES = (*JSON_SUFFIXES, ".tabs", ".csv")
PACKAGED = "packaged"
MAX_TABLE_BYTES = 200 * 1024 * 1024


def _kind(path: Path) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    return next((s for s in SUFFIXES if name.endswith(s)), None)


@dataclass(slots=True)
class NosFileReport:
    """The report of one input: the Loader's counts and rejects, plus skipped copies and warnings."""

    file: FileReport
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = self.file.to_json()
        out["skipped"] = self.skipped
        out["warnings"] = self.warnings
        return out


@dataclass(slots=True)
class _Source:
    label: str
    path: Path | None  # None: the packaged terminology
    report: NosFileReport
    refused: bool = False


def collect(paths: Sequence[Path], *, packaged: bool = False) -> list[tuple[str, Path | None]]:
    """The inputs: files as given, folders walked (sorted) for the supported suffixes, then the packaged set."""
    out: list[tuple[str, Path | None]] = []
    for p in paths:
        if p.is_dir():
            out += [(str(f), f) for f in sorted(p.rglob("*")) if f.is_file() and _kind(f) is not None]
        else:
            out.append((str(p), p))
    if packaged:
        out.append((PACKAGED, None))
    return out


class NosImporter:
    """Imports NOS terminology through the normal write path (see the module docstring)."""

    def __init__(
        self, directory: Directory, *, batch_size: int = 100, encoding: str = "utf-8", max_array: int = 1_000_000
    ) -> None:
        self.directory = directory
        self.loader = Loader(directory, batch_size=batch_size)
        self.encoding = encoding
        self.max_array = max_array

    def run(
        self,
        paths: Sequence[Path],
        *,
        packaged: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[NosFileReport]:
        sources = [
            _Source(label, path, NosFileReport(FileReport(label))) for label, path in collect(paths, packaged=packaged)
        ]
        oids = self._seed_oids()
        candidates: dict[tuple[str, str], list[tuple[tuple[str, int], int, int, Table]]] = {}
        # Pass 1: learn OIDs, list the copies of each table.
        for si, src in enumerate(sources):
            try:
                tables = [t for t in self._read(src, None) if isinstance(t, Table)]
            except NosFormatError as exc:
                src.refused = True
                src.report.file.reject(src.path.name if src.path else src.label, str(exc))
                continue
            for ti, table in enumerate(tables):
                oids.learn(table.resource)
                candidates.setdefault((table.type, table.id), []).append((table.key, si, ti, table))
        winners = self._choose(candidates, sources)
        # Pass 2: convert with the OID table, write the chosen copies.
        for si, src in enumerate(sources):
            if src.refused:
                continue
            items: list[tuple[str, dict[str, Any] | FhirError]] = []
            ti = -1
            for item in self._read(src, oids):
                if not isinstance(item, Table):
                    src.report.file.reject(*item)
                    continue
                ti += 1
                reason = winners.get((si, ti))
                if reason:
                    src.report.skipped.append({"where": item.where, "reason": reason})
                    continue
                src.report.warnings += [{"where": item.where, "warning": w} for w in item.warnings]
                items.append((item.where, item.resource))
            self.loader.load_resources(items, src.report.file, progress=progress)
        StoredTerminology.for_store(self.directory.store).refresh()
        return [s.report for s in sources]

    # -- choosing the copy of each table ------------------------------------------------------------------

    def _seed_oids(self) -> OidTable:
        oids = OidTable()
        snap = StoredTerminology.for_store(self.directory.store).refresh()
        for res in [*snap.code_systems.values(), *snap.value_sets.values()]:
            oids.learn(res)
        return oids

    def _choose(
        self,
        candidates: dict[tuple[str, str], list[tuple[tuple[str, int], int, int, Table]]],
        sources: list[_Source],
    ) -> dict[tuple[int, int], str]:
        """For every copy that is not written, why (keyed by (source, table) position)."""
        stored = self.directory.store.read_many(candidates)
        packaged: dict[tuple[str, str], tuple[str, int]] = {}
        for res in packaged_resources():
            if isinstance(res.get("url"), str) and isinstance(res.get("resourceType"), str):
                rid = resource_id(str(res["url"]), res.get("id") if isinstance(res.get("id"), str) else None)
                packaged[(str(res["resourceType"]), rid)] = (date_key(res), RANK_JSON)
        skipped: dict[tuple[int, int], str] = {}
        for key, copies in candidates.items():
            best = max(copies, key=lambda c: (c[0], -c[1], -c[2]))  # newest, richest, then first given
            cur = stored.get(key)
            existing: tuple[str, int] | None = None
            what = ""
            if cur is not None and cur.body is not None and not cur.deleted:
                body = orjson.loads(cur.body)
                existing, what = (date_key(body), source_rank(body)), "stored"
            elif key in packaged:
                existing, what = packaged[key], "packaged"
            for copy in copies:
                k, si, ti, _table = copy
                if existing is not None and best[0] < existing:
                    skipped[(si, ti)] = (
                        f"kept the {what} {key[0]}/{key[1]} ({_describe(existing)}), newer or richer than "
                        f"this copy ({_describe(k)})"
                    )
                elif copy is not best:
                    skipped[(si, ti)] = (
                        f"superseded by {sources[best[1]].label} ({_describe(best[0])}) for {key[0]}/{key[1]}"
                    )
        return skipped

    # -- reading ----------------------------------------------------------------------------------------

    def _read(self, src: _Source, oids: OidTable | None) -> Iterator[Table | tuple[str, str]]:
        """The tables of one input, or (where, reason) for entries refused one by one."""
        if src.path is None:
            folder = resources.files("openror") / "definitions" / "terminology"
            for res in packaged_resources():
                yield json_table(f"{folder.name}/{res.get('resourceType')}-{res.get('id')}", dict(res))
            return
        path = src.path
        kind = _kind(path)
        if kind is None:
            raise NosFormatError(f"{path.name}: not a NOS file (expected {', '.join(SUFFIXES)}, optionally .gz)")
        problem = check_readable(path)
        if problem is not None:
            raise NosFormatError(f"{path.name}: {problem}")
        if kind == ".tabs":
            yield read_tabs(path.name, self._text(path), oids)
        elif kind == ".csv":
            yield read_csv(path.name, path.name, self._text(path))
        else:
            for where, item in iter_resources(path, max_depth=64, max_array=self.max_array):
                loc = path.name if where == path.name else f"{path.name} {where}"
                if isinstance(item, FhirError):
                    yield loc, str(item)
                    continue
                try:
                    yield json_table(loc, item)
                except NosFormatError as exc:
                    yield loc, str(exc)

    def _text(self, path: Path) -> str:
        with _open(path) as fh:
            raw = fh.read(MAX_TABLE_BYTES + 1)
        if len(raw) > MAX_TABLE_BYTES:
            raise NosFormatError(f"{path.name}: larger than {MAX_TABLE_BYTES} bytes")
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise NosFormatError(
                f"{path.name}: not {self.encoding} (byte 0x{raw[exc.start]:02x} at line {line}); "
                "give the file's encoding with --encoding (e.g. latin-1)"
            ) from None
        except LookupError:
            raise NosFormatError(f"unknown encoding '{self.encoding}'") from None


def _describe(key: tuple[str, int]) -> str:
    date, rank = key
    shown = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if date else "no date"
    return f"{shown}, {FORMAT_NAMES.get(rank, '?')}"


def _open(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    raw.seek(0)
    return raw
