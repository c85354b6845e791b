"""Alembic migrations run from the package (``openror db upgrade``; automatic on an empty database)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("openror.store") / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def ensure_schema(engine: Engine) -> None:
    """Create the schema on an empty database; refuse to run on an outdated one.

    An existing database with pending migrations is not upgraded behind the operator's back: the
    operator runs ``openror db upgrade`` (after a backup) so schema changes are deliberate.
    """
    if is_empty(engine):
        upgrade(engine)
        return
    current = current_revision(engine)
    if current != head_revision():
        raise RuntimeError(
            f"database schema is at revision {current!r}, this openror needs {head_revision()!r}: "
            "run 'openror db upgrade'"
        )
