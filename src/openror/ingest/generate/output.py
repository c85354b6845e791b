"""Streaming writers of ``openror generate``: one NDJSON file per ROR resource type (issue 4.5; spec d).

Resources are serialised (orjson, compact, one per line) and written as soon as each legal entity
is built, so memory stays flat whatever the size. ``gzip=True`` writes ``<Type>.ndjson.gz`` with a
zero mtime and no file name in the header: the same seed and size give the same bytes. A
``MANIFEST.json`` records the size, seed and counts (loaded by nothing: ``openror load
DIR/*.ndjson`` ignores it).
"""

from __future__ import annotations

import gzip as gzip_module
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from openror.ingest.generate.cards import Numbering, describe
from openror.ingest.generate.ror import TYPES, RorBuilder
from openror.ingest.generate.universe import Size, Universe

Progress = Callable[[int], None]
"""Called with the number of legal entities processed since the previous call."""


@dataclass(slots=True)
class Written:
    """What a run wrote: files and resources (or records) per type."""

    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


class Sink:
    """An output file that owns the raw file object under a gzip layer."""

    def __init__(self, path: Path, gz: bool) -> None:
        self.path = path
        self.raw = path.open("wb")
        self.fh: IO[bytes] = (
            gzip_module.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=6)  # type: ignore[assignment]
            if gz
            else self.raw
        )
        self.buffer: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buffer.append(data)
        self.size += len(data)
        if len(self.buffer) >= 512:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.fh.write(b"".join(self.buffer))
            self.buffer.clear()

    def close(self) -> None:
        self.flush()
        if self.fh is not self.raw:
            self.fh.close()
        self.raw.close()


def prepare_output(size: Size, seed: int, out: Path, universe: Universe | None) -> Universe:
    """Create ``out`` and return the universe of ``size``/``seed`` (checking one passed in)."""
    out.mkdir(parents=True, exist_ok=True)
    universe = universe or Universe(size, seed)
    if (universe.size, universe.seed) != (size, seed):
        raise ValueError("the universe passed was planned for another size or seed")
    return universe


def write_ndjson(
    size: Size,
    seed: int,
    out: Path,
    *,
    gz: bool = False,
    progress: Progress | None = None,
    universe: Universe | None = None,
) -> Written:
    """Write the ROR data set of ``size`` and ``seed`` into ``out`` (created if needed)."""
    universe = prepare_output(size, seed, out, universe)
    builder = RorBuilder(seed, universe.tables)
    numbering = Numbering()
    suffix = ".ndjson.gz" if gz else ".ndjson"
    sinks = {rtype: Sink(out / f"{rtype}{suffix}", gz) for rtype in TYPES}
    counts = dict.fromkeys(TYPES, 0)
    dumps = orjson.dumps
    done = 0
    try:
        for entity in universe:
            described = describe(entity, universe.tables, numbering, seed)
            for rtype, resource in builder.resources(described):
                sinks[rtype].write(dumps(resource) + b"\n")
                counts[rtype] += 1
            done += 1
            if progress and done % 200 == 0:
                progress(200)
        if progress and done % 200:
            progress(done % 200)
    finally:
        for sink in sinks.values():
            sink.close()
    written = Written([sinks[t].path for t in TYPES], counts, sum(s.size for s in sinks.values()))
    manifest = {"format": "ndjson", "size": size.value, "seed": seed, "counts": counts, "gzip": gz}
    (out / "MANIFEST.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return written
