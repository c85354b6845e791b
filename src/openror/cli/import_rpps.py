"""``openror import rpps``: Practitioners from the Annuaire Santé PS_LibreAcces_Personne_activite extract (spec a.6).

Mounted by ``openror.cli.main`` as ``openror import rpps``; see docs/ingest-nos-rpps.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openror.cli.import_nos import settings_for

app = typer.Typer(help="Import RPPS professionals.")
console = Console(stderr=True)


@app.command("rpps")
def rpps(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="PS_LibreAcces_Personne_activite_*.txt (or .gz, or PS_LibreAcces.zip)"
        ),
    ],
    trusted: Annotated[
        bool, typer.Option("--trusted", help="skip full R4 structural validation (ROR rules stay on)")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    database_url: Annotated[str | None, typer.Option("--database-url", help="overrides OPENROR_DATABASE_URL")] = None,
) -> None:
    """One Practitioner per professional (id rpps-<national id>); re-importing the same file is a no-op."""
    from openror.app.factory import build_services
    from openror.ingest.rpps import RppsImporter

    services = build_services(settings_for(database_url, trusted=trusted))
    importer = RppsImporter(services.directory, batch_size=batch_size)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"{path.name}: checking", total=None)
        result = importer.run(
            path,
            on_scan=lambda scan: progress.update(
                task, description=f"{path.name}: professionals", total=scan.persons, completed=0
            ),
            progress=lambda n: progress.advance(task, n),
        )
    services.engine.dispose()
    f = result.file
    console.print(
        f"{path.name}: {result.lines} lines, {result.persons} professionals"
        f"{'' if result.sorted_by_person else ' (not sorted by professional: grouped through temporary files)'}; "
        f"{f.created} created, {f.updated} updated, {f.unchanged} unchanged, {f.rejected} rejected"
    )
    for rej in f.rejects[:20]:
        console.print(f"  [red]rejected[/red] {rej['where']}: {rej['reason']}")
    if report:
        report.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        console.print(f"report written to {report}")
    raise typer.Exit(1 if f.rejected else 0)
