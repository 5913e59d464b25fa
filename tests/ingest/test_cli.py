"""The `ingest` CLI through click's runner, and as a real process for the kill -9 test."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"DOCENT_DATA_DIR": str(tmp_path / "var")}


@pytest.mark.unit
def test_load_without_groups_exits_1_and_names_groups(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    result = CliRunner().invoke(main, ["load", str(tmp_path / "a.md")], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "--groups" in result.output


@pytest.mark.unit
@pytest.mark.parametrize(
    "args", [["load"], ["delete"], ["load", "/nonexistent/path", "--groups", "x"]]
)
def test_usage_errors_exit_nonzero(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, args, env=_env(tmp_path))
    assert result.exit_code == 2  # click's usage error
    assert "Usage" in result.output or "Error" in result.output


@pytest.mark.unit
def test_help_shows_examples() -> None:
    result = CliRunner().invoke(main, ["load", "--help"])
    assert (
        result.exit_code == 0 and "ingest load ../shared/corpus --groups everyone" in result.output
    )


@pytest.mark.integration
def test_json_summary_and_exit_2_when_some_files_fail(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "ok.md").write_text("# Holidays\n\nThe office closes on New Year's Day.\n")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 nope")
    runner = CliRunner()
    result = runner.invoke(
        main, ["load", str(root), "--groups", "everyone", "--json"], env=_env(tmp_path)
    )
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["added"] == 1 and summary["failed"][0]["path"] == "broken.pdf"
    assert set(summary) >= {
        "added",
        "updated",
        "unchanged",
        "deleted",
        "failed",
        "chunks",
        "seconds",
    }
    status = runner.invoke(main, ["status", "--json"], env=_env(tmp_path))
    assert json.loads(status.stdout)["documents"] == 1


@pytest.mark.integration
@pytest.mark.slow
def test_kill_9_at_any_moment_then_rerun_is_consistent(tmp_path: Path, small_corpus: Path) -> None:
    """Kill a real `ingest load` process at random moments; the next run repairs everything."""
    env = {**os.environ, **_env(tmp_path)}
    cmd = [
        sys.executable,
        "-m",
        "ingest.cli",
        "load",
        str(small_corpus),
        "--groups",
        "everyone",
        "--json",
    ]
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(4.0, 14.0))  # model loading takes ~4 s, then writes begin
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # edit a file between crashes, so a changed document is also caught mid-write
        piv = small_corpus / "18f-handbook/pages/getting-started/piv.md"
        piv.write_text(
            piv.read_text() + f"\n\nUpdate {rng.random()}: badges are also processed on Fridays.\n"
        )
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    check = subprocess.run(
        [sys.executable, "-c", _CHECK],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    result = json.loads(check.stdout)
    assert result == {
        "duplicates": 0,
        "missing": 0,
        "stale": 0,
        "orphans": 0,
        "files": result["files"],
    }
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert not summary["failed"]
    assert summary["added"] + summary["updated"] + summary["unchanged"] == result["files"] > 10


_CHECK = """
import json, collections
from core.settings import Settings
from indexes.factory import open_store
from indexes.schema import PointFilter, point_id
s = Settings(); store = open_store(s); index = store.active()
docs = index.documents(); points = index.scroll(PointFilter(), ["doc_id", "chunk_index", "doc_hash"])
seen = collections.Counter((p.payload["doc_id"], p.payload["chunk_index"]) for p in points)
dup = sum(1 for p in points if p.id != point_id(p.payload["doc_id"], p.payload["chunk_index"]))
dup += sum(c - 1 for c in seen.values() if c > 1)
missing = sum(1 for d in docs.values() for i in range(d.chunk_count) if (d.doc_id, i) not in seen)
stale = sum(1 for p in points if p.payload["doc_id"] in docs and p.payload["doc_hash"] != docs[p.payload["doc_id"]].doc_hash)
stale += sum(1 for p in points if p.payload["doc_id"] in docs and p.payload["chunk_index"] >= docs[p.payload["doc_id"]].chunk_count)
orphans = sum(1 for p in points if p.payload["doc_id"] not in docs)
print(json.dumps({"duplicates": dup, "missing": missing, "stale": stale, "orphans": orphans, "files": len(docs)}))
store.close()
"""
