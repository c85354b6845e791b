"""Reader of the Annuaire Santé extract ``PS_LibreAcces_Personne_activite`` (RPPS/ADELI; spec a.6).

The file (UTF-8, ``|``-separated, unquoted, header row, every line ending with ``|``) has one line per
(professional × practice situation); a professional without activity has empty structure columns.
This module checks the file and hands the lines back **grouped by professional** (the
``Identification nationale PP``), in two passes:

1. **Scan** (before anything is written): strict UTF-8, the exact 52-column header, the field count
   of every line, the national identifier (= identifier type digit + ``Identifiant PP``) and the name.
   A file-level problem (encoding, header, truncated gzip/zip, too many malformed lines) refuses the
   whole file; a malformed line taints its professional, who is then rejected as a whole. The scan
   also finds out whether the lines of each professional are contiguous (the published files are
   sorted by identifier): it keeps one 64-bit hash per run of lines, sorted at the end (8 bytes per
   professional, about 15 MB for the national file).
2. **Group**: a sorted file streams, one professional at a time. Otherwise the lines are spilled to
   temporary bucket files by hash of the identifier (about 50,000 lines per bucket) and each bucket is
   grouped in memory, so memory stays bounded whatever the order.
"""

from __future__ import annotations

import gzip
import itertools
import math
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from openror.ingest.load import check_readable

COLUMNS: tuple[str, ...] = (
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
)
"""The 52 columns of PS_LibreAcces_Personne_activite (ANS, "Extractions en libre accès" V1.2)."""

TYPE, ID_PP, NAT_ID, FAMILY = "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Nom d'exercice"
NATIONAL_ID = re.compile(r"^[0-9A-Za-z]{2,40}$")
LINES_PER_BUCKET = 50_000
MAX_BUCKETS = 512
MIN_BAD_LINES = 100  # a file with more malformed lines than this and 10 % of its lines is refused whole
MAX_LINE_BYTES = 64 * 1024


class ExtractError(Exception):
    """The whole file is refused before anything is written."""


Line = tuple[int, list[str]]  # (line number, fields)


@dataclass(slots=True)
class Scan:
    """What the first pass learnt."""

    columns: dict[str, int]
    lines: int = 0  # data lines
    runs: int = 0  # groups of consecutive lines of one professional
    persons: int = 0  # distinct professionals (equals runs when sorted)
    contiguous: bool = True  # every professional's lines are consecutive: streamed in pass 2
    tainted: dict[str, list[str]] = field(default_factory=dict)  # national id → why its lines are refused
    orphans: list[tuple[int, str]] = field(default_factory=list)  # malformed lines without a usable id


def open_extract(path: Path) -> IO[bytes]:
    """The extract as bytes: plain, gzip, or the Personne_activite member of the PS_LibreAcces zip."""
    raw = path.open("rb")
    magic = raw.read(4)
    raw.seek(0)
    if magic[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if magic == b"PK\x03\x04":
        raw.close()
        archive = zipfile.ZipFile(path)
        members = [n for n in archive.namelist() if "Personne_activite" in n and not n.endswith("/")]
        if len(members) != 1:
            archive.close()
            raise ExtractError(
                f"{path.name}: the zip must hold one PS_LibreAcces_Personne_activite file "
                f"(found {', '.join(archive.namelist()) or 'nothing'})"
            )
        member = archive.open(members[0])
        archive.close()  # the member keeps the file open until it is closed itself (zipfile refcount)
        return member
    return raw


def check_archive(path: Path) -> None:
    """Refuse a truncated or corrupt gzip/zip before anything is written (read to the end once)."""
    problem = check_readable(path)
    if problem is not None:
        raise ExtractError(f"{path.name}: {problem}")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ExtractError(f"{path.name}: corrupt zip file, nothing loaded: {exc}") from None
        if bad is not None:
            raise ExtractError(f"{path.name}: corrupt zip member {bad}, nothing loaded")


def _decode(raw: bytes, lineno: int, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractError(
            f"{name} line {lineno}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "the PS_LibreAcces extracts are UTF-8 - was the file re-encoded (latin-1)?"
        ) from None
    if lineno == 1:
        text = text.removeprefix("\ufeff")
    return text.rstrip("\r\n")


def _split(text: str) -> list[str]:
    return (text[:-1] if text.endswith("|") else text).split("|")


class Extract:
    """One PS_LibreAcces_Personne_activite file: :meth:`scan`, then :meth:`persons`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def _lines(self) -> Iterator[tuple[int, str]]:
        with open_extract(self.path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                if len(raw) > MAX_LINE_BYTES:
                    raise ExtractError(f"{self.name} line {lineno}: longer than {MAX_LINE_BYTES} bytes")
                yield lineno, _decode(raw, lineno, self.name)

    def _header(self, lines: Iterator[tuple[int, str]]) -> dict[str, int]:
        first = next(lines, None)
        if first is None:
            raise ExtractError(f"{self.name}: empty file (the header row is missing)")
        names = [n.strip() for n in _split(first[1])]
        missing = [c for c in COLUMNS if c not in names]
        extra = [n for n in names if n not in COLUMNS]
        if missing or extra or len(names) != len(COLUMNS):
            parts = []
            if missing:
                parts.append(f"missing column(s): {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected column(s): {', '.join(extra)}")
            if not parts:
                parts.append("a column is repeated")
            if len(names) == 1:
                parts.append("is the separator '|'?")
            raise ExtractError(
                f"{self.name} line 1: not the {len(COLUMNS)}-column PS_LibreAcces_Personne_activite header "
                f"({'; '.join(parts)})"
            )
        return {n: i for i, n in enumerate(names)}

    def scan(self) -> Scan:
        """Pass 1: check everything that can refuse the file, and whether it is sorted by professional."""
        check_archive(self.path)
        lines = self._lines()
        scan = Scan(self._header(lines))
        at = scan.columns
        width = len(at)
        runs = array("q")
        previous: str | None = None
        bad_lines = 0
        for lineno, text in lines:
            if not text.strip():
                continue
            scan.lines += 1
            fields = _split(text)
            nat = fields[at[NAT_ID]].strip() if len(fields) > at[NAT_ID] else ""
            problem = _problem(fields, width, at)
            if problem is not None:
                bad_lines += 1
                if nat and NATIONAL_ID.match(nat):
                    scan.tainted.setdefault(nat, []).append(f"line {lineno}: {problem}")
                else:
                    scan.orphans.append((lineno, problem))
            if nat != previous:
                scan.runs += 1
                runs.append(hash(nat))
                previous = nat
        if bad_lines > max(MIN_BAD_LINES, scan.lines // 10):
            raise ExtractError(
                f"{self.name}: {bad_lines} malformed lines out of {scan.lines}: refused whole (is it the right file?)"
            )
        ordered = sorted(runs)
        repeats = sum(1 for a, b in itertools.pairwise(ordered) if a == b)
        scan.contiguous = repeats == 0
        scan.persons = scan.runs - repeats
        return scan

    def persons(self, scan: Scan) -> Iterator[tuple[str, list[Line]]]:
        """Pass 2: (national id, its lines), streamed when contiguous, else through bucket files."""
        if scan.contiguous:
            yield from self._stream(scan)
        else:
            yield from self._bucketed(scan)

    def _data(self, scan: Scan) -> Iterator[tuple[str, Line]]:
        lines = self._lines()
        next(lines, None)  # header, checked by scan()
        nat_at = scan.columns[NAT_ID]
        for lineno, text in lines:
            if not text.strip():
                continue
            fields = _split(text)
            nat = fields[nat_at].strip() if len(fields) > nat_at else ""
            if nat and NATIONAL_ID.match(nat):
                yield nat, (lineno, fields)

    def _stream(self, scan: Scan) -> Iterator[tuple[str, list[Line]]]:
        current: str | None = None
        group: list[Line] = []
        for nat, line in self._data(scan):
            if nat != current:
                if current is not None:
                    yield current, group
                current, group = nat, []
            group.append(line)
        if current is not None:
            yield current, group

    def _bucketed(self, scan: Scan) -> Iterator[tuple[str, list[Line]]]:
        count = min(MAX_BUCKETS, max(1, math.ceil(scan.lines / LINES_PER_BUCKET)))
        with tempfile.TemporaryDirectory(prefix="openror-rpps-") as tmp:
            paths = [Path(tmp) / f"bucket-{i:03d}.txt" for i in range(count)]
            handles = [p.open("w", encoding="utf-8") for p in paths]
            try:
                for nat, (lineno, fields) in self._data(scan):
                    handles[hash(nat) % count].write(f"{lineno}\t{'|'.join(fields)}\n")
            finally:
                for h in handles:
                    h.close()
            nat_at = scan.columns[NAT_ID]
            for p in paths:
                groups: dict[str, list[Line]] = {}
                with p.open(encoding="utf-8") as fh:
                    for row in fh:
                        num, _, text = row.rstrip("\n").partition("\t")
                        fields = text.split("|")
                        groups.setdefault(fields[nat_at].strip(), []).append((int(num), fields))
                p.unlink()
                yield from groups.items()


def _problem(fields: list[str], width: int, at: dict[str, int]) -> str | None:
    """Why a data line is malformed, or None."""
    if len(fields) != width:
        return f"{len(fields)} fields, {width} expected"
    nat = fields[at[NAT_ID]].strip()
    if not nat:
        return "empty Identification nationale PP"
    if not NATIONAL_ID.match(nat):
        return f"Identification nationale PP '{nat}' is not 2-40 letters or digits"
    type_, id_pp = fields[at[TYPE]].strip(), fields[at[ID_PP]].strip()
    if nat != type_ + id_pp:
        return f"Identification nationale PP '{nat}' is not the identifier type '{type_}' followed by '{id_pp}'"
    if not fields[at[FAMILY]].strip():
        return "empty Nom d'exercice"
    return None
