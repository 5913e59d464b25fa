"""The database schema's version and the explicit step that creates or upgrades it.

    python -m app.storage upgrade    create the tables, or bring them to the current version
    python -m app.storage check      exit 0 when current, 3 when `upgrade` is needed

The version lives in a one-row ``schema_version`` table. ``MIGRATIONS[v]`` holds the SQL that
takes a database from version v-1 to v; a database made before versioning holds version 1.
The service upgrades a development database on start; in production
(``DOCENT_ENVIRONMENT=production``) it refuses to start until `upgrade` has been run.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from app.storage.models import SCHEMA_VERSION, Base
from core.errors import ConfigError

# version -> statements that reach it from the version before; applied in order, in one
# transaction per version. Add the next version here together with the model change.
MIGRATIONS: dict[int, list[str]] = {
    2: [],  # api_keys, batch_jobs, batch_items: new tables, created whole by create_all
}

_TABLE = "schema_version"


def current_version(engine: Engine) -> int | None:
    """The database's version; None for an empty database."""
    tables = set(inspect(engine).get_table_names())
    if _TABLE in tables:
        with engine.connect() as conn:
            row = conn.execute(text(f"SELECT version FROM {_TABLE}")).first()
        return int(row[0]) if row else None
    return 1 if "traces" in tables else None


def upgrade(engine: Engine) -> tuple[int | None, int]:
    """Creates or upgrades the schema; returns (version before, version now)."""
    before = current_version(engine)
    if before is not None and before > SCHEMA_VERSION:
        raise ConfigError(
            f"The database is at schema version {before}, newer than this Docent "
            f"({SCHEMA_VERSION}): upgrade Docent, or point DOCENT_DATABASE_URL elsewhere."
        )
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {_TABLE} (version INTEGER NOT NULL)"))
    if before is not None:
        for version in range(before + 1, SCHEMA_VERSION + 1):
            with engine.begin() as conn:
                for statement in MIGRATIONS.get(version, []):
                    conn.execute(text(statement))
    # a new database gets every table; an upgraded one, the tables a version added, whole
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {_TABLE}"))
        conn.execute(text(f"INSERT INTO {_TABLE} (version) VALUES (:v)"), {"v": SCHEMA_VERSION})
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
