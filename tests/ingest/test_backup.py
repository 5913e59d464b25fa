"""Backup and restore: snapshot a loaded index with conversations, wipe the data dir,
restore, and compare counts, payload checksums and conversations; a damaged snapshot or
an occupied data dir is refused with a reason and changes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.pipeline.types import AnswerSource, QueryResult
from app.storage.repository import Repository
from core.database import make_engine
from core.settings import Settings
from indexes.factory import open_catalogue, open_store
from ingest.acl import AclResolver
from ingest.backup import index_fingerprint
from ingest.cli import main
from ingest.service import IngestService

pytestmark = pytest.mark.integration


def _conversations(settings: Settings) -> list[tuple[str, list[str]]]:
    repo = Repository(make_engine(settings.sqlalchemy_url))
    try:
        out = []
        for conv in repo.list_conversations("bob"):
            found = repo.conversation("bob", conv.id)
            assert found is not None
            out.append((conv.id, [m.answer for m in found[1]]))
        return sorted(out)
    finally:
        repo.close()


def _fingerprint(settings: Settings) -> dict[str, Any]:
    store = open_store(settings)
    try:
        return index_fingerprint(store.active())
    finally:
        store.close()


def test_snapshot_wipe_restore_gives_back_the_same_state(
    small_corpus: Path, tmp_path: Path, embedder: Any, extractor: Any
) -> None:
    data = tmp_path / "var"
    settings = Settings(data_dir=data)
    store = open_store(settings)
    service = IngestService(settings, store, open_catalogue(settings), embedder, extractor)
    service.load([small_corpus], AclResolver.from_options("everyone", None))
    service.catalogue.close()
    store.close()
    repo = Repository(make_engine(settings.sqlalchemy_url))
    repo.ensure_schema(auto_upgrade=True)
    for n in range(3):
        cid, _ = repo.open_conversation("bob", None, f"question {n}")
        result = QueryResult(
            f"answer {n}",
            [],
            False,
            f"question {n}",
            f"question {n}",
            [],
            "answer-v2",
            "g",
            AnswerSource.GENERATED,
            trace_id=f"t{n}",
        )
        repo.record_answer("bob", cid, result, {"answer": f"answer {n}"})
    repo.close()
    before, conversations = _fingerprint(settings), _conversations(settings)
    assert before["points"] > 50 and len(conversations) == 3

    env = {"DOCENT_DATA_DIR": str(data)}
    runner = CliRunner()
    taken = runner.invoke(main, ["snapshot", str(tmp_path / "snap")], env=env)
    assert taken.exit_code == 0, taken.output
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert manifest["index"] == before and manifest["database"]["conversations"]["rows"] == 3

    shutil.rmtree(data)
    restored = runner.invoke(main, ["restore", str(tmp_path / "snap")], env=env)
    assert restored.exit_code == 0, restored.output
    assert _fingerprint(settings) == before
    assert _conversations(settings) == conversations
    catalogue = sqlite3.connect(data / "catalogue.sqlite")
    assert catalogue.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    catalogue.close()

    occupied = runner.invoke(main, ["restore", str(tmp_path / "snap")], env=env)
    assert occupied.exit_code == 1 and "--force" in occupied.output

    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "snap", damaged)
    db = sqlite3.connect(damaged / "docent.sqlite")
    db.execute("DELETE FROM messages WHERE rowid = (SELECT max(rowid) FROM messages)")
    db.commit()
    db.close()
    refused = runner.invoke(main, ["restore", str(damaged), "--force"], env=env)
    assert refused.exit_code == 1 and "damaged" in refused.output
    assert _fingerprint(settings) == before and _conversations(settings) == conversations

    forged = tmp_path / "forged"
    shutil.copytree(tmp_path / "snap", forged)
    (forged / "index" / "alias.json").write_text('{"active": "/tmp", "generation": 1}')
    taken_over = runner.invoke(main, ["restore", str(forged), "--force"], env=env)
    assert taken_over.exit_code == 0, taken_over.output  # the alias is written, not copied
    assert json.loads((data / "index" / "alias.json").read_text())["active"] == "docent_v1"
    assert _fingerprint(settings) == before

    again = runner.invoke(main, ["snapshot", str(tmp_path / "snap")], env=env)
    assert again.exit_code == 1 and "not empty" in again.output
