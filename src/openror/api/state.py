"""What the HTTP layer needs from the composition root, gathered in one object on ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from openror.config import Settings
from openror.fhir.access import AccessContext
from openror.services.bundle import Bundles
from openror.services.directory import Directory


@dataclass(slots=True)
class AppState:
    settings: Settings
    directory: Directory
    bundles: Bundles
    # Where the caller's access context comes from (settings today, tokens with issue 5).
    context: Callable[[Request], AccessContext]
    capability_statement: Callable[[str], dict[str, Any]]
    # (context, type, parameters, base URL, strict) → searchset Bundle
    search: Callable[[AccessContext, str, list[tuple[str, str]], str, bool], dict[str, Any]]
