"""Settings: every knob is an ``OPENROR_*`` environment variable (DESIGN.md §2)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """openror settings, read from the environment (prefix ``OPENROR_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="OPENROR_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/openror.db"
    base_url: str | None = None  # derived from each request when unset
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)

    # Request bounds: every input is bounded (413 / 400 beyond them).
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=64, ge=8, le=200)
    max_array_length: int = Field(default=10_000, ge=10)
    max_bundle_entries: int = Field(default=10_000, ge=1)

    # Full R4 structural validation (tier b) on API writes; ROR rules (tier a) are always on.
    structural_validation: bool = True

    # Access context used until access control lands (issue 5): every caller acts as this client.
    dev_client_id: str = "dev"
    dev_role: str = Field(default="admin", pattern="^(consumer|supplier|admin)$")
    dev_profile: int = Field(default=1, ge=0, le=5)

    # -- authentication and tokens (issue 5, openror.api.auth) --

    # -- TLS and trusted proxy (issue 5, openror serve) --

    # -- audit log (issue 5, openror.api.audit) --

    # Paging
    history_default_count: int = Field(default=100, ge=1)
    max_count: int = Field(default=1000, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process settings (read once)."""
    return Settings()
