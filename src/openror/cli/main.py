"""The ``openror`` command (DESIGN.md §2): serve, db upgrade, load, demo."""

from __future__ import annotations

import json
import logging
import os
import sys
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from openror.cli import generate, import_finess, import_nos, import_rpps
from openror.config import Settings, get_settings

app = typer.Typer(help="openror: the ROR directory served as FHIR R4.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
import_app = typer.Typer(help="Import national reference data (NOS, RPPS, FINESS).", no_args_is_help=True)
app.add_typer(import_app, name="import")
import_app.command("nos")(import_nos.nos)
import_app.command("rpps")(import_rpps.rpps)
import_app.command("finess")(import_finess.finess)
app.command("generate")(generate.generate)
console = Console(stderr=True)


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


DbOption = Annotated[str | None, typer.Option("--database-url", help="overrides OPENROR_DATABASE_URL")]


@db_app.command("upgrade")
def db_upgrade(database_url: DbOption = None) -> None:
    """Apply pending schema migrations."""
    from openror.store.engine import make_engine
    from openror.store.migrate import current_revision, head_revision, upgrade

    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    console.print(f"database at revision {head_revision()} (was {before or 'empty'})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (OPENROR_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (OPENROR_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
    database_url: DbOption = None,
) -> None:
    """Serve the FHIR API (migrates an empty database first)."""
    _serve(_settings(database_url), host, port, workers)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    import uvicorn

    from openror.app.factory import build_services

    build_services(settings)  # create the schema on an empty database, refuse an outdated one
    # uvicorn workers build the app from the environment: pass command-line overrides along.
    os.environ["OPENROR_DATABASE_URL"] = settings.database_url
    host = host or settings.host
    port = port or settings.port
    console.print(f"openror serving http://{host}:{port}/fhir (database {_safe_url(settings.database_url)})")
    uvicorn.run(
        "openror.app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
    )


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def load(
    paths: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="FHIR JSON, Bundle or NDJSON (.gz ok)")
    ],
    trusted: Annotated[
        bool, typer.Option("--trusted", help="skip full R4 structural validation (ROR rules stay on)")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    database_url: DbOption = None,
) -> None:
    """Load FHIR resources through the normal write path; re-loading the same data is a no-op."""
    from openror.app.factory import build_services
    from openror.ingest.load import Loader

    settings = _settings(database_url)
    if trusted:
        settings = settings.model_copy(update={"structural_validation": False})
    services = build_services(settings)
    loader = Loader(services.directory, batch_size=batch_size)
    reports = []
    failed = False
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)
            r = loader.load_file(
                path,
                max_depth=settings.max_json_depth,
                max_array=settings.max_array_length,
                progress=partial(_advance, progress, task),
            )
            reports.append(r.to_json())
            failed = failed or r.rejected > 0
            progress.update(
                task,
                description=f"{path.name}: {r.created} created, {r.updated} updated, "
                f"{r.unchanged} unchanged, {r.rejected} rejected",
            )
    for rep in reports:
        for rej in rep["rejects"][:20]:
            console.print(f"[red]rejected[/red] {rep['path']} {rej['where']}: {rej['reason']}")
    if report:
        report.write_text(json.dumps(reports, indent=2, ensure_ascii=False))
        console.print(f"report written to {report}")
    raise typer.Exit(1 if failed else 0)


def _advance(progress: Progress, task: TaskID, n: int) -> None:
    progress.advance(task, n)


@app.command()
def reindex(
    resource_type: Annotated[str | None, typer.Option("--type", help="only this resource type")] = None,
    database_url: DbOption = None,
) -> None:
    """Recompute the search index of every current resource (after a search-definition change)."""
    from openror.app.factory import build_services
    from openror.fhir.search.extract import index_rows

    services = build_services(_settings(database_url))
    total = services.store.count(resource_type)
    with Progress(
        TextColumn("reindex"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("reindex", total=total)
        n = services.store.reindex(index_rows, rtype=resource_type, progress=partial(_advance, progress, task))
    console.print(f"{n} resources reindexed")


DEMO_BUNDLE = "demo-bundle.json"


def load_demo(settings: Settings) -> dict[str, int]:
    """Load the bundled demo transaction (idempotent: conditional creates)."""
    import orjson

    from openror.app.factory import build_services
    from openror.fhir.access import SYSTEM

    services = build_services(settings)
    # Real FINESS establishments first: the bundle's conditional creates then reuse the EJ/EG that
    # FINESS already holds and attach the hand-made offers, places and roles to them.
    if services.store.read("Organization", DEMO_FINESS_MARKER) is None:
        _import_demo_finess(settings)
    raw = (resources.files("openror.definitions") / "demo" / DEMO_BUNDLE).read_bytes()
    result = services.bundles.process(SYSTEM, orjson.loads(raw), "urn:openror:demo")
    counts: dict[str, int] = {}
    for entry in result["entry"]:
        status = entry["response"]["status"].split()[0]
        counts[status] = counts.get(status, 0) + 1
    return counts


DEMO_FINESS = (
    "finess-structures-mensuel-202607-echantillon_json.gz",
    "finess-activites-mensuel-202607-echantillon_json.gz",
)
DEMO_FINESS_MARKER = "finess-ej-750721334"  # AP-HP, in the structures sample: present once the import ran


def _import_demo_finess(settings: Settings) -> None:
    """Import the packaged real FINESS samples (1,783 establishments) on the first demo start.

    The samples are validated by the test suite, so the R4 structural tier is skipped here (as with
    ``--trusted``); the ROR rules still run.
    """
    from openror.app.factory import build_services
    from openror.ingest.finess import FinessImporter

    services = build_services(settings.model_copy(update={"structural_validation": False}))
    importer = FinessImporter(services.directory, batch_size=500)
    folder = resources.files("openror.definitions") / "demo" / "finess"
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        for name in DEMO_FINESS:
            task = progress.add_task(f"real FINESS sample: {name}", total=None)
            with resources.as_file(folder / name) as path:
                report = importer.import_file(path, fmt="auto", progress=partial(_advance, progress, task))
            progress.update(task, description=f"{name}: {report.created} created, {report.rejected} rejected")
    services.engine.dispose()


@app.command()
def demo(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    load_only: Annotated[bool, typer.Option("--load-only", help="load the demo data and exit")] = False,
    database_url: DbOption = None,
) -> None:
    """Load the demo data set into the database (if not there yet) and serve it."""
    settings = _settings(database_url)
    counts = load_demo(settings)
    console.print(f"demo data: {', '.join(f'{n} × {s}' for s, n in sorted(counts.items()))}")
    if not load_only:
        _serve(settings, host, port, 1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app()
    except RuntimeError as exc:  # configuration problems: one clear line, no traceback
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
