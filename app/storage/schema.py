"""The database schema's version and the explicit step that creates or upgrades it.

    python -m app.storage upgrade    create the tables, or bring them to the current version
    python -m app.storage check      exit 0 when current, 3 when `upgrade` is needed

Migrations are Alembic revisions in app/storage/migrations/versions, named by the schema
version they reach (revision ``"0002"`` is version 2). A database from before Alembic keeps
its version in a one-row ``schema_version`` table (or, older still, has none and is version
1): `upgrade` adopts it at that revision and goes on from there. The service upgrades a
development database on start; in production (``DOCENT_ENVIRONMENT=production``) it refuses
to start until `upgrade` has been run, so one step migrates for every replica.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from app.storage.models import SCHEMA_VERSION
from core.errors import ConfigError

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LEGACY_TABLE = "schema_version"  # before Alembic


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_version() -> int:
    """The version the newest migration reaches."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    return int(head) if head else 0


def current_version(engine: Engine) -> int | None:
    """The database's version; None for an empty database."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        if "alembic_version" in tables:
            revision = MigrationContext.configure(conn).get_current_revision()
            return int(revision) if revision else None
        if _LEGACY_TABLE in tables:
            row = conn.execute(text(f"SELECT version FROM {_LEGACY_TABLE}")).first()
            if row:
                return int(row[0])
    return 1 if "traces" in tables else None


def upgrade(engine: Engine) -> tuple[int | None, int]:
    """Creates or upgrades the schema; returns (version before, version now)."""
    before = current_version(engine)
    if before is not None and before > SCHEMA_VERSION:
        raise ConfigError(
            f"The database is at schema version {before}, newer than this Docent "
            f"({SCHEMA_VERSION}): upgrade Docent, or point DOCENT_DATABASE_URL elsewhere."
        )
    adopted = before is not None and "alembic_version" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        config = _config(conn)
        if adopted:  # made before Alembic: its tables are those of version `before`
            command.stamp(config, f"{before:04d}")
        command.upgrade(config, "head")
        if adopted:
            conn.execute(text(f"DROP TABLE IF EXISTS {_LEGACY_TABLE}"))
    return before, SCHEMA_VERSION


def ensure(engine: Engine, *, auto_upgrade: bool) -> None:
    """Makes sure the schema is current, upgrading it only where allowed."""
    version = current_version(engine)
    if version == SCHEMA_VERSION:
        return
    if auto_upgrade:
        upgrade(engine)
        return
    found = "empty" if version is None else f"at schema version {version}"
    raise ConfigError(
        f"The database is {found}; this Docent needs version {SCHEMA_VERSION}. "
        "Run `python -m app.storage upgrade` (with the same DOCENT_DATABASE_URL) first."
    )
