"""The explicit schema step on a real SQLite file: create, version, upgrade, refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from app.storage import schema
from app.storage.__main__ import main as storage_cli
from app.storage.models import SCHEMA_VERSION, Base
from app.storage.repository import make_engine
from core.errors import ConfigError

pytestmark = pytest.mark.unit


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_engine(f"sqlite:///{tmp_path / 'docent.sqlite'}")


def test_upgrade_creates_an_empty_database_at_the_current_version(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert schema.current_version(engine) is None
    assert schema.upgrade(engine) == (None, SCHEMA_VERSION)
    assert schema.current_version(engine) == SCHEMA_VERSION
    assert {"traces", "audit", "conversations", "messages", "feedback"} <= set(
        inspect(engine).get_table_names()
    )


def test_a_database_made_before_versioning_counts_as_version_1(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    Base.metadata.create_all(engine)  # what the first release did
    assert schema.current_version(engine) == 1


def test_production_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with pytest.raises(ConfigError, match=r"python -m app\.storage upgrade"):
        schema.ensure(engine, auto_upgrade=False)
    schema.ensure(engine, auto_upgrade=True)
    schema.ensure(engine, auto_upgrade=False)  # current now: no error


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(ConfigError, match="newer than this Docent"):
        schema.upgrade(engine)


def test_migrations_run_in_order_and_keep_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _engine(tmp_path)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
                "VALUES ('c1', 'bob', 't', '2026-01-01', '2026-01-01')"
            )
        )
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(
        schema,
        "MIGRATIONS",
        {SCHEMA_VERSION + 1: ["ALTER TABLE conversations ADD COLUMN pinned INTEGER DEFAULT 0"]},
    )
    assert schema.upgrade(engine) == (SCHEMA_VERSION, SCHEMA_VERSION + 1)
    columns = {c["name"] for c in inspect(engine).get_columns("conversations")}
    assert "pinned" in columns
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, pinned FROM conversations")).all() == [("c1", 0)]


def test_cli_check_then_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DOCENT_DATABASE_URL", raising=False)
    assert storage_cli(["check"]) == 3
    assert storage_cli(["upgrade"]) == 0
    assert storage_cli(["check"]) == 0
    assert storage_cli(["nonsense"]) == 1
