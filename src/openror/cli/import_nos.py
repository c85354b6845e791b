"""``openror import nos``: NOS terminology (FHIR JSON, ``.tabs``, CSV) and the IG's own into the store (spec i).

Mounted by ``openror.cli.main`` as ``openror import nos``; see docs/ingest-nos-rpps.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from openror.config import Settings, get_settings

app = typer.Typer(help="Import NOS terminology.", no_args_is_help=False)
console = Console(stderr=True)


def settings_for(database_url: str | None, *, trusted: bool) -> Settings:
    """The process settings with the command-line overrides."""
    settings = get_settings()
    update: dict[str, object] = {}
    if database_url:
        update["database_url"] = database_url
    if trusted:
        update["structural_validation"] = False
    return settings.model_copy(update=update) if update else settings


@app.command("nos")
def nos(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            exists=True,
            help="NOS files or folders: CodeSystem/ValueSet JSON (Bundle, NDJSON), .tabs, code;display CSV; .gz ok",
        ),
    ] = None,
    packaged: Annotated[
        bool,
        typer.Option("--packaged", help="also store the terminology shipped with openror (NOS copies + the IG's own)"),
    ] = False,
    trusted: Annotated[
        bool, typer.Option("--trusted", help="skip full R4 structural validation (ROR rules stay on)")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    encoding: Annotated[str, typer.Option(help="encoding of .tabs and .csv files")] = "utf-8",
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    database_url: Annotated[str | None, typer.Option("--database-url", help="overrides OPENROR_DATABASE_URL")] = None,
) -> None:
    """Store NOS code systems (TRE) and value sets (JDV); write validation uses them at once."""
    from openror.app.factory import build_services
    from openror.ingest.nos import NosImporter

    if not paths and not packaged:
        console.print("[red]error:[/red] give NOS files or folders, or --packaged")
        raise typer.Exit(2)
    services = build_services(settings_for(database_url, trusted=trusted))
    importer = NosImporter(services.directory, batch_size=batch_size, encoding=encoding)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task("importing NOS terminology: 0 resources", total=None)
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            progress.update(task, description=f"importing NOS terminology: {done[0]} resources")

        reports = importer.run(paths or [], packaged=packaged, progress=advance)
    services.engine.dispose()
    rejected = 0
    for r in reports:
        f = r.file
        rejected += f.rejected
        console.print(
            f"{f.path}: {f.created} created, {f.updated} updated, {f.unchanged} unchanged, "
            f"{f.rejected} rejected, {len(r.skipped)} skipped"
        )
        for rej in f.rejects[:20]:
            console.print(f"  [red]rejected[/red] {rej['where']}: {rej['reason']}")
        for skip in r.skipped[:20]:
            console.print(f"  [yellow]skipped[/yellow] {skip['where']}: {skip['reason']}")
        for warn in r.warnings[:20]:
            console.print(f"  [yellow]warning[/yellow] {warn['where']}: {warn['warning']}")
    if report:
        report.write_text(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
        console.print(f"report written to {report}")
    raise typer.Exit(1 if rejected else 0)
