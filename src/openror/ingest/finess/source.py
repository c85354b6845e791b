"""Opening and first-pass inspection of FINESS files, before anything is written (issue 4 point 7).

The first pass reads the whole file once: a truncated or corrupt gzip, a JSON document that is not
well-formed or not UTF-8, a CSV without its etalab manifest, or a file that is neither format is
refused whole, so nothing of it is written. The pass also tells the feed kind, counts records for
the progress bar, picks the CSV encoding and collects the cs1100507 geolocation lines (which
follow every establishment line) so that the second, writing, pass streams.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, cast

import ijson  # type: ignore[import-untyped]

from openror.ingest.finess.csv_feed import MANIFEST_RE, SECTION_EJ, SECTION_ET, Geolocations, split_line

Kind = Literal["structures", "activities", "csv"]
Format = Literal["auto", "json", "csv"]
_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 20


class FileRefused(Exception):
    """The file cannot be imported at all; nothing was written."""


@dataclass(slots=True)
class Inspection:
    path: Path
    kind: Kind
    encoding: str = "utf-8"
    manifest: str = ""
    expected: int = 0  # resources the import should write (progress total)
    geo: Geolocations = field(default_factory=Geolocations)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    raw.seek(0)
    return raw


def open_json(path: Path) -> IO[bytes]:
    """Like :func:`open_binary`, positioned after a UTF-8 byte order mark if there is one."""
    fh = open_binary(path)
    if fh.read(3) != _BOM:
        fh.close()
        fh = open_binary(path)
    return fh


def open_text(path: Path, encoding: str) -> IO[str]:
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline="\n")


def inspect(path: Path, fmt: Format = "auto") -> Inspection:
    """Check ``path`` whole and describe it; raise :class:`FileRefused` with a clear reason."""
    try:
        with open_binary(path) as fh:
            head = fh.read(64).lstrip(_BOM).lstrip()
    except (EOFError, OSError, zlib.error) as exc:
        raise FileRefused(f"unreadable or corrupt gzip file, nothing imported: {exc}") from None
    if not head:
        raise FileRefused("empty file, nothing imported")
    if b"\x00" in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused("NUL bytes: a binary or UTF-16 file, not a FINESS file (UTF-8 or latin-1); nothing imported")
    csv_starts = (b"finess;", b"structureej;", b"structureet;", b"geolocalisation;")
    detected = "json" if head[:1] in (b"{", b"[") else "csv" if head.startswith(csv_starts) else None
    if fmt == "auto":
        if detected is None:
            raise FileRefused(
                "neither a FINESS+ JSON feed (a JSON object) nor an etalab CSV extract "
                "(first line 'finess;etalab;…'): nothing imported"
            )
        fmt = cast(Format, detected)
    try:
        return _inspect_json(path) if fmt == "json" else _inspect_csv(path)
    except (EOFError, zlib.error) as exc:
        raise FileRefused(f"truncated or corrupt gzip file, nothing imported: {exc}") from None
    except OSError as exc:
        raise FileRefused(f"unreadable file, nothing imported: {exc}") from None


def _inspect_json(path: Path) -> Inspection:
    kind: Kind | None = None
    pmej = ege = 0
    try:
        with open_json(path) as fh:
            for pm in ijson.items(fh, "pmej.item"):
                pmej += 1
                if isinstance(pm, dict):
                    if kind is None:
                        if "informationsGeneralesPMEJ" in pm:
                            kind = "structures"
                        elif "activitesAutorisees" in pm or "numFiness" in pm or "numeroFiness" in pm:
                            kind = "activities"
                    egs = pm.get("ege")
                    ege += len(egs) if isinstance(egs, list) else 0
    except ijson.JSONError as exc:
        message = str(exc)
        if "UTF8" in message.upper() or "UTF-8" in message.upper():
            raise FileRefused(f"not UTF-8 (JSON must be UTF-8), nothing imported: {message}") from None
        raise FileRefused(f"malformed or truncated JSON, nothing imported: {message}") from None
    if pmej == 0:
        raise FileRefused("no pmej record: not a FINESS+ structures or activités feed, nothing imported")
    if kind is None:
        raise FileRefused(
            "pmej records have neither informationsGeneralesPMEJ (structures feed) nor "
            "activitesAutorisees (activités feed): nothing imported"
        )
    expected = pmej + 2 * ege if kind == "structures" else pmej + ege
    return Inspection(path, kind, expected=expected)


def _inspect_csv(path: Path) -> Inspection:
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    non_ascii = False
    first = b""
    counts = {SECTION_EJ: 0, SECTION_ET: 0}
    geo_lines: list[tuple[int, bytes]] = []
    lineno = 0
    tail = b""
    with open_binary(path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if b"\x00" in chunk:
                raise FileRefused("NUL bytes: a binary or UTF-16 file, not an etalab CSV extract; nothing imported")
            if not non_ascii and not chunk.isascii():
                non_ascii = True
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            data = tail + chunk
            lines = data.split(b"\n")
            tail = lines.pop()
            for line in lines:
                lineno += 1
                if lineno == 1:
                    first = line
                elif line.startswith(b"structureet;"):
                    counts[SECTION_ET] += 1
                elif line.startswith(b"structureej;"):
                    counts[SECTION_EJ] += 1
                elif line.startswith(b"geolocalisation;"):
                    geo_lines.append((lineno, line))
        if tail:
            lineno += 1
            if lineno == 1:
                first = tail
            elif tail.startswith(b"structureet;"):
                counts[SECTION_ET] += 1
            elif tail.startswith(b"structureej;"):
                counts[SECTION_EJ] += 1
            elif tail.startswith(b"geolocalisation;"):
                geo_lines.append((lineno, tail))
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = "utf-8" if utf8 and non_ascii else "latin-1"
    manifest = first.rstrip(b"\r").decode(encoding, "replace")
    if not MANIFEST_RE.match(manifest):
        raise FileRefused(
            f"first line {manifest[:60]!r} is not the etalab manifest 'finess;etalab;<n>;<YYYY-MM-DD>': "
            "not an etalab FINESS extract, nothing imported"
        )
    insp = Inspection(path, "csv", encoding=encoding, manifest=manifest)
    if encoding == "utf-8":
        insp.warnings.append(
            (path.name, "the file is UTF-8, not latin-1 as etalab publishes: read as UTF-8 (accents kept)")
        )
    for n, raw in geo_lines:
        try:
            insp.geo.add(n, split_line(raw.rstrip(b"\r").decode(encoding, "replace")))
        except ValueError as exc:
            insp.geo.rejects.append((f"line {n}", str(exc)))
    insp.geo.project()
    insp.expected = counts[SECTION_EJ] + 2 * counts[SECTION_ET]
    return insp
