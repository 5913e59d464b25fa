"""Question drift on a shifted stream: the real embedding model, questions written for the
18F half of the sample corpus as the reference, then either more 18F questions (no shift)
or Sourcegraph questions (the shift). The statistic must move on the shift and stay low
without it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from app.drift import QuestionDrift
from eval.bench_drift import questions

pytestmark = pytest.mark.integration

WINDOW = 20


def _distance(embedder: Any, reference: list[str], current: list[str]) -> float:
    drift = QuestionDrift(window=WINDOW, floor=0.3)
    for vector in embedder.embed(reference + current):
        drift.observe(vector, top_similarity=0.9)
    return drift.distance


def test_the_centroid_distance_moves_on_a_shifted_stream_and_not_without(
    embedder: Any, tmp_path: Path
) -> None:
    tts, sourcegraph = questions("18f-handbook"), questions("sourcegraph-handbook")
    assert len(tts) >= 2 * WINDOW and len(sourcegraph) >= WINDOW
    # the sets are written topic by topic: a fixed shuffle, so that the reference and the
    # unshifted window are two samples of one stream (over 200 shuffles, eval.bench_drift:
    # unshifted 0.107 +- 0.023, at most 0.203; shifted 0.383 +- 0.044, at least 0.284)
    random.Random(7).shuffle(tts)
    random.Random(7).shuffle(sourcegraph)
    same = _distance(embedder, tts[:WINDOW], tts[WINDOW : 2 * WINDOW])
    shifted = _distance(embedder, tts[:WINDOW], sourcegraph[:WINDOW])
    print(f"centroid distance: unshifted {same:.4f}, shifted {shifted:.4f}")
    assert shifted > 2 * same
    # deploy/prometheus/alerts.yml fires DocentQuestionDrift above 0.25, set between these
    assert same < 0.25 < shifted

    # a saved reference survives a restart
    drift = QuestionDrift(window=WINDOW, floor=0.3)
    for vector in embedder.embed(tts[:WINDOW]):
        drift.observe(vector, 0.9)
    drift.save_reference(tmp_path / "reference.npy")
    restarted = QuestionDrift.from_settings(
        window=WINDOW, floor=0.3, reference_file=tmp_path / "reference.npy"
    )
    for vector in embedder.embed(sourcegraph[:WINDOW]):
        restarted.observe(vector, 0.9)
    assert restarted.distance == pytest.approx(shifted, abs=1e-4)


@pytest.mark.unit
def test_the_uncovered_share_counts_questions_under_the_floor() -> None:
    drift = QuestionDrift(window=4, floor=0.5)
    for similarity in (0.9, 0.2, 0.1, 0.8, 0.3):  # the first falls out of the window
        drift.observe([1.0, 0.0], similarity)
    assert drift.uncovered_share == 0.75
    drift.observe((), 0.0)  # a refused question: no retrieval, not counted
    assert drift.uncovered_share == 0.75
    assert drift.distance == 0.0  # the first window is the reference: the same one
