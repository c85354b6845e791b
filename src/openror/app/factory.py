"""Composition root: settings → engine → store → services → ASGI app (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from openror.api.http import error_response
from openror.api.operations import operation_routes
from openror.api.routes import routes
from openror.api.state import AppState
from openror.config import Settings
from openror.fhir.access import AccessContext, Role
from openror.fhir.capability import capability_statement
from openror.fhir.errors import Category, FhirError
from openror.fhir.geo import commune_centroid
from openror.fhir.search.registry import registry
from openror.fhir.terminology import packaged_terminology
from openror.services.bundle import Bundles
from openror.services.directory import Directory
from openror.services.search import SearchService
from openror.services.terminology import StoredTerminology
from openror.store.engine import make_engine
from openror.store.migrate import ensure_schema
from openror.store.repository import Store


@dataclass(slots=True)
class Services:
    engine: Engine
    store: Store
    directory: Directory
    bundles: Bundles


def build_services(settings: Settings, *, engine: Engine | None = None, auto_migrate: bool = True) -> Services:
    engine = engine or make_engine(settings.database_url)
    if auto_migrate:
        ensure_schema(engine)
    store = Store(engine)
    directory = Directory(
        store,
        packaged_terminology(),
        structural_validation=settings.structural_validation,
        terminology_source=StoredTerminology.for_store(store).current,  # packaged + `openror import nos`
    )
    return Services(engine, store, directory, Bundles(directory, max_entries=settings.max_bundle_entries))


def settings_context(settings: Settings) -> Callable[[Request], AccessContext]:
    ctx = AccessContext(settings.dev_client_id, Role(settings.dev_role), settings.dev_profile)
    return lambda _request: ctx


def build_app(
    settings: Settings,
    services: Services | None = None,
    *,
    context: Callable[[Request], AccessContext] | None = None,
) -> Starlette:
    services = services or build_services(settings)
    started = datetime.now(UTC).isoformat(timespec="seconds")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        category = {404: Category.NOT_FOUND, 405: Category.NOT_ALLOWED}.get(status, Category.INTERNAL)
        text = f"{request.method} {request.url.path} is not a FHIR endpoint of this server"
        if status == 405:
            text = f"{request.method} is not allowed on {request.url.path}"
        return error_response(FhirError.of(category, text))

    # Operation routes first: /fhir/ValueSet/$expand must not be read as the id '$expand'.
    app = Starlette(routes=[*operation_routes(), *routes()], exception_handlers={404: not_found, 405: not_found})

    searcher = SearchService(
        services.store, registry(), max_count=settings.max_count, commune_centroid=commune_centroid
    )

    def search(
        ctx: AccessContext, rtype: str, params: list[tuple[str, str]], base: str, strict: bool
    ) -> dict[str, Any]:
        return searcher.search(ctx, rtype, params, base, strict=strict)

    app.state.openror = AppState(
        settings=settings,
        directory=services.directory,
        bundles=services.bundles,
        context=context or settings_context(settings),
        capability_statement=partial(capability_statement, date=started),
        search=search,
    )
    return app
