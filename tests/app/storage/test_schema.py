"""The explicit schema step (Alembic) on a real SQLite file and a real PostgreSQL database:
create, version, adopt a database from before Alembic, refuse, and match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from app.storage import schema
from app.storage.__main__ import main as storage_cli
from app.storage.models import SCHEMA_VERSION, Base
from core.database import make_engine
from core.errors import ConfigError

pytestmark = pytest.mark.integration

VERSION_1 = {"conversations", "messages", "traces", "audit", "feedback", "ingest_runs"}


@pytest.fixture
def engine(database_url: str) -> Engine:
    return make_engine(database_url)


def test_the_newest_migration_reaches_the_models_version() -> None:
    assert schema.head_version() == SCHEMA_VERSION


def test_upgrade_creates_exactly_the_models_schema(engine: Engine) -> None:
    assert schema.current_version(engine) is None
    assert schema.upgrade(engine) == (None, SCHEMA_VERSION)
    assert schema.current_version(engine) == SCHEMA_VERSION
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []  # the migrations and the models describe the same tables


def _made_before_alembic(engine: Engine, version: int) -> None:
    """The tables an earlier release made, without Alembic's version table."""
    with engine.begin() as conn:
        command.upgrade(schema._config(conn), f"{version:04d}")
        conn.execute(text("DROP TABLE alembic_version"))


def test_a_database_from_before_alembic_is_adopted_and_keeps_its_rows(engine: Engine) -> None:
    _made_before_alembic(engine, 1)
    assert set(inspect(engine).get_table_names()) == VERSION_1
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
                "VALUES ('c1', 'bob', 't', '2026-01-01', '2026-01-01')"
            )
        )
    assert schema.current_version(engine) == 1
    assert schema.upgrade(engine) == (1, SCHEMA_VERSION)
    tables = set(inspect(engine).get_table_names())
    assert {"api_keys", "batch_jobs", "batch_items", "alembic_version"} <= tables
    assert "groups" in {c["name"] for c in inspect(engine).get_columns("traces")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM conversations")).all() == [("c1",)]


def test_a_version_table_from_before_alembic_is_read_then_replaced(engine: Engine) -> None:
    _made_before_alembic(engine, 2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (2)"))
    assert schema.current_version(engine) == 2
    assert schema.upgrade(engine) == (2, SCHEMA_VERSION)
    assert "schema_version" not in inspect(engine).get_table_names()
    assert schema.current_version(engine) == SCHEMA_VERSION


def test_an_empty_version_table_from_before_alembic_counts_as_version_1(engine: Engine) -> None:
    """The old code's window between creating the table and writing its row."""
    _made_before_alembic(engine, 1)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
    assert schema.current_version(engine) == 1
    assert schema.upgrade(engine) == (1, SCHEMA_VERSION)


def test_production_refuses_to_start_on_an_unmigrated_database(engine: Engine) -> None:
    with pytest.raises(ConfigError, match=r"python -m app\.storage upgrade"):
        schema.ensure(engine, auto_upgrade=False)
    schema.ensure(engine, auto_upgrade=True)
    schema.ensure(engine, auto_upgrade=False)  # current now: no error


def test_a_newer_database_is_refused(engine: Engine) -> None:
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": "0099"})
    with pytest.raises(ConfigError, match="newer than this Docent"):
        schema.upgrade(engine)


def test_cli_check_then_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DOCENT_DATABASE_URL", database_url)
    assert storage_cli(["check"]) == 3
    assert storage_cli(["upgrade"]) == 0
    assert storage_cli(["check"]) == 0
    assert storage_cli(["nonsense"]) == 1
