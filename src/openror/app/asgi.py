"""ASGI entry point for uvicorn workers: ``openror.app.asgi:app`` built from the environment."""

from __future__ import annotations

from openror.app.factory import build_app
from openror.config import get_settings

app = build_app(get_settings())
