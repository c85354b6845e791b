"""``openror generate``: deterministic synthetic ROR data sets and FINESS+ feeds, S/M/L (issue 4.5, docs/generate.md).

Mounted by the main command without a name (``app.add_typer(generate.app)``), which gives
``openror generate``; ``app`` also runs on its own (``python -m openror.cli.generate``). The
generation modules are imported inside the command so that ``openror --help`` stays fast.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(help="Generate synthetic data sets.", no_args_is_help=True)
console = Console(stderr=True)


class SizeOption(StrEnum):
    S = "S"
    M = "M"
    L = "L"


class OutputFormat(StrEnum):
    ndjson = "ndjson"
    finess_json = "finess-json"


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="output directory (created if needed)")],
    size: Annotated[
        SizeOption, typer.Option("--size", case_sensitive=False, help="S ≈ 15k, M ≈ 150k, L ≈ 1.5M resources")
    ] = SizeOption.S,
    seed: Annotated[int, typer.Option("--seed", min=0, help="same seed and size: byte-identical output")] = 0,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="ndjson: ROR resources, one file per type; finess-json: FINESS+ structures feed"),
    ] = OutputFormat.ndjson,
    gz: Annotated[bool, typer.Option("--gzip", help="gzip the output files (deterministic header)")] = False,
) -> None:
    """Write a deterministic synthetic data set whose distributions follow the real FINESS files.

    ndjson: one file per ROR resource type, valid against the profiles; load: openror load DIR/*.ndjson --trusted

    finess-json: the FINESS+ structures feed of the same establishments (L = national size), for openror import finess
    """
    from openror.ingest.generate import Size, Universe, write_finess, write_ndjson

    started = time.perf_counter()
    universe = Universe(Size(size.value), seed)
    writer = write_ndjson if output_format is OutputFormat.ndjson else write_finess
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(
            f"{output_format.value} {size.value} seed {seed}: legal entities", total=universe.entities
        )
        written = writer(
            universe.size,
            seed,
            out,
            gz=gz,
            progress=lambda n: progress.advance(task, n),
            universe=universe,
        )
    elapsed = time.perf_counter() - started
    table = Table(title=f"openror generate --size {size.value} --seed {seed} --format {output_format.value}")
    table.add_column("type" if output_format is OutputFormat.ndjson else "records")
    table.add_column("count", justify="right")
    for name, n in written.counts.items():
        table.add_row(name, f"{n:,}")
    table.add_row("total", f"{sum(written.counts.values()):,}", style="bold")
    console.print(table)
    megabytes = written.bytes / 1_000_000
    console.print(f"{len(written.files)} file(s) in {out} ({megabytes:,.1f} MB before compression) in {elapsed:,.1f} s")
    if output_format is OutputFormat.ndjson:
        suffix = ".ndjson.gz" if gz else ".ndjson"
        console.print(f"load with: openror load {out}/*{suffix} --trusted")


if __name__ == "__main__":
    app()
