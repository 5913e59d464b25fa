"""The 10-minute soak (heavy: `make test-heavy`): a mixed load on a real service, bounded in
time, on 127.0.0.1. Figures go to artifacts/soak.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval.soak import run
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.heavy]


def test_ten_minutes_of_mixed_load(full_index: Path) -> None:
    seconds = float(os.environ.get("DOCENT_SOAK_SECONDS", "600"))
    result = run(full_index, seconds, users=8, think_ms=1000)
    (ARTIFACTS / "soak.json").write_text(json.dumps(result, indent=2))
    overall, rss = result["overall"], result["rss_mib"]
    assert overall["requests"] > seconds  # the load really ran
    assert overall["error_rate"] < 0.01, overall
    # the first minute loads models and fills caches; after that, growth must flatten out
    # (every cache is bounded): the second half grows by less than 150 MiB
    samples = rss["samples"]
    half = next(mib for t, mib in samples if t >= seconds / 2)
    assert rss["end"] - half < 150, rss
