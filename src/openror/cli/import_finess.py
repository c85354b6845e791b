"""``openror import finess PATH…``: FINESS+ JSON feeds and etalab CSV extracts → directory (issue 4, docs/ingest.md).

Mounted by the main command without a name (``import_app.add_typer(import_finess.app)``), which gives
``openror import finess``; ``app`` also runs on its own (``python -m openror.cli.import_finess``).
Heavy modules are imported inside the command so that ``openror --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from openror.config import get_settings

if TYPE_CHECKING:
    from openror.ingest.finess.source import Inspection

app = typer.Typer(help="Import FINESS open data (structures, activités).", no_args_is_help=True)
console = Console(stderr=True)


class FileFormat(StrEnum):
    auto = "auto"
    json = "json"
    csv = "csv"


@app.command("finess")
def finess(
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="FINESS+ JSON feeds (structures, activités) and/or etalab CSV extracts cs1100501/02/07 (.gz ok)",
        ),
    ],
    file_format: Annotated[
        FileFormat, typer.Option("--format", help="file format; auto = detected from the content")
    ] = FileFormat.auto,
    trusted: Annotated[
        bool, typer.Option("--trusted", help="skip full R4 structural validation (ROR rules stay on)")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="resources per transaction")] = 500,
    database_url: Annotated[str | None, typer.Option("--database-url", help="overrides OPENROR_DATABASE_URL")] = None,
) -> None:
    """Import FINESS files as ROR Organizations (EJ, EG) and Locations; re-importing a file changes nothing.

    Import the structures feed before the activités feed (authorised activities are kept on the EG
    Organizations). A truncated, malformed or unknown file is refused whole; rejected records are
    listed with their reason. Exit status 1 when anything was rejected.
    """
    from openror.app.factory import build_services
    from openror.ingest.finess import FinessImporter

    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    if trusted:
        settings = settings.model_copy(update={"structural_validation": False})
    services = build_services(settings)
    importer = FinessImporter(services.directory, batch_size=batch_size)
    reports = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for path in paths:
            task = progress.add_task(f"{path.name}: checking", total=None)

            def inspected(insp: Inspection, task: TaskID = task, name: str = path.name) -> None:
                progress.update(task, description=f"{name}: {insp.kind}", total=insp.expected)

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            r = importer.import_file(path, fmt=file_format.value, progress=advance, on_inspected=inspected)
            reports.append(r.to_json())
            progress.update(
                task,
                description=f"{path.name}: {r.created} created, {r.updated} updated, {r.unchanged} unchanged, "
                f"{r.rejected} rejected, {r.warnings_total} warnings",
            )
    services.engine.dispose()
    for rep in reports:
        for rej in rep["rejects"][:20]:
            console.print(f"[red]rejected[/red] {rep['path']} {rej['where']}: {rej['reason']}")
        if rep["rejected"] > 20:
            console.print(f"… {rep['rejected'] - 20} more rejects of {rep['path']}: see the report")
    if report:
        report.write_text(json.dumps(reports, indent=2, ensure_ascii=False))
        console.print(f"report written to {report}")
    raise typer.Exit(1 if any(rep["rejected"] for rep in reports) else 0)


if __name__ == "__main__":
    app()
