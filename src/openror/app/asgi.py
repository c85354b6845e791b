"""ASGI entry point for uvicorn workers: ``openror.app.asgi:app`` built from the environment."""

from __future__ import annotations

from openror.app.factory import build_app
from openror.config import Settings

# Read the environment now (not the cached settings): `openror serve --database-url` passes its
# overrides to the worker processes through the environment.
app = build_app(Settings())
