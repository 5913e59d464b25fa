"""The collectors that read shared state at scrape time: the newest golden-set run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.observability import LastEvalRun

pytestmark = pytest.mark.unit

RUNS = Path(__file__).resolve().parents[2] / "eval" / "results"


def test_the_newest_golden_run_is_exported(tmp_path: Path) -> None:
    assert list(LastEvalRun(tmp_path).collect()) == []  # no run yet: no figures
    for name, source, at in (
        ("old", "2026-12-01/issue18/before/docent-x.metrics.json", 1_000_000),
        ("new", "2026-12-01/issue18/after/docent-x.metrics.json", 2_000_000),
    ):
        (tmp_path / name).mkdir()
        shutil.copy(RUNS / source, tmp_path / name / "metrics.json")
        os.utime(tmp_path / name / "metrics.json", (at, at))
    family, when = LastEvalRun(tmp_path).collect()
    values = {s.labels["metric"]: s.value for s in family.samples}
    assert values["retrieval.recall_at_5"] == 0.9483  # the "after" run's figure
    assert values["citations.precision"] == 0.7458 and "latency_ms.p95" in values
    assert when.samples[0].value == 2_000_000
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "metrics.json").write_text("{")  # a run still being written
    assert list(LastEvalRun(tmp_path).collect()) == []
