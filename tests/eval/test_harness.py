"""The eval harness on real parts: a smoke subset with regression thresholds, the leak
check as every user, and the `python -m eval` command end to end on a small corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.pipeline.types import User
from eval.dataset import load_cases
from eval.leak import run_leaks
from eval.metrics import compute
from eval.runner import LocalAsker
from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DATASET = ROOT / "eval" / "datasets" / "docent.jsonl"


def test_smoke_subset_meets_regression_thresholds(corpus_parts: dict[str, Any]) -> None:
    """Every third question of our dataset, quoted answers (no LLM) to keep it fast."""
    cases = load_cases(DATASET)[::3]
    asker = LocalAsker(corpus_parts["extractive"])
    metrics = compute([asker.ask(c) for c in cases])
    (ROOT / "artifacts" / "smoke-metrics.json").write_text(json.dumps(metrics, indent=2))
    assert metrics["n"] >= 20
    assert metrics["retrieval"]["recall_at_5"] >= 0.85
    assert metrics["retrieval"]["mrr"] >= 0.7
    assert metrics["answer"]["must_include_accuracy"] >= 0.5
    assert metrics["citations"]["precision"] >= 0.55
    assert metrics["abstention"]["accuracy"] >= 0.75
    assert metrics["abstention"]["false_rate"] <= 0.2


def test_no_user_ever_sees_a_chunk_outside_their_groups(corpus_parts: dict[str, Any]) -> None:
    cases = (
        load_cases(DATASET)[::4]
        + [c for c in load_cases(DATASET) if "Sourcegraph" in c.question][:3]
    )
    extra = [
        ("legal contract review at Sourcegraph", "legal"),
        ("how supervisors approve telework", "supervisors"),
    ]
    from eval.dataset import Case

    cases += [Case(f"x{i}", q, "", (), (), True) for i, (q, _) in enumerate(extra)]
    users = [
        User("bob", ("everyone",)),
        User("carol", ("everyone", "legal")),
        User("sam", ("supervisors",)),
        User("guest", ()),
    ]
    report = run_leaks(corpus_parts["extractive"], corpus_parts["store"], cases, users)
    assert report.chunks_checked > 500
    assert report.leaked_chunks == 0 and report.leaked_citations == 0, report.examples


def test_eval_command_end_to_end(tmp_path: Path, small_corpus: Path) -> None:
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {
                    "id": "t1",
                    "question": "On which weekday does GSA process new badges?",
                    "answer": "Wednesday",
                    "must_include": ["wednesday"],
                    "sources": ["18f-handbook/pages/getting-started/piv.md"],
                    "answerable": True,
                },
                {
                    "id": "t2",
                    "question": "What is the TTS policy on bringing dogs to the office?",
                    "answer": "",
                    "must_include": [],
                    "sources": [],
                    "answerable": False,
                },
            ]
        )
        + "\n"
    )
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "eval",
            "run",
            "--dataset",
            str(dataset),
            "--corpus",
            str(small_corpus),
            "--out",
            str(out),
            "--config",
            "generator=extractive",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**__import__("os").environ, "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 2 and metrics["retrieval"]["recall_at_5"] == 1.0
    assert metrics["abstention"]["accuracy"] == 1.0
    report = (out / "report.md").read_text()
    assert "![quality.png](quality.png)" in report and (out / "quality.png").stat().st_size > 1000
    judged = {
        r["id"]: r for r in map(json.loads, (out / "outcomes.jsonl").read_text().splitlines())
    }
    assert judged["t2"]["abstained"] and not judged["t1"]["abstained"]
    assert any(c["correct"] for c in judged["t1"]["citations"])
    cmp_ = subprocess.run(
        [
            sys.executable,
            "-m",
            "eval",
            "compare",
            str(out / "metrics.json"),
            str(out / "metrics.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert "| Retrieval recall@5 | 1.0 | 1.0 | +0 |" in cmp_.stdout
