"""The admin drift routes: this process's window and reference, and keeping the current
window as the reference across a restart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.generation.extractive import ExtractiveOnlyGenerator
from core.settings import Settings
from tests.app.api.test_degraded import small_corpus_module, small_index  # noqa: F401
from tests.service_fixtures import Service, start, stop

pytestmark = pytest.mark.integration


@pytest.fixture
def drift_service(small_index: Path, tmp_path: Path, embedder: Any) -> Iterator[Service]:  # noqa: F811
    data = tmp_path / "var"
    shutil.copytree(small_index, data)
    settings = Settings(
        data_dir=data,
        users_file=data / "users.yaml",
        rate_limit_per_minute=1000,
        drift_window=10,
        drift_reference_file=tmp_path / "drift" / "reference.npy",
    )
    svc, running = start(settings, embedder=embedder, generator=ExtractiveOnlyGenerator())
    yield svc
    stop(running)


def test_the_drift_reference_is_kept_on_request_and_admins_alone_see_it(
    drift_service: Service,
) -> None:
    reference = drift_service.settings.drift_reference_file
    assert reference is not None
    with drift_service.client("bob") as bob, drift_service.client("alice") as alice:
        empty = alice.get("/v1/admin/drift").json()
        assert empty["seen"] == 0 and not empty["has_reference"] and empty["window"] == 10
        questions = [
            "What is the TTS handbook for?",
            "How do I get a PIV card?",
            "How long is parental leave?",
            "Who approves travel?",
            "How do I request leave?",
            "What is 18F?",
            "Where are badges picked up?",
            "How do I file an expense?",
            "What is the Slack etiquette?",
            "How do I join a working group?",
        ]
        for question in questions[:2]:
            assert bob.post("/v1/ask", json={"question": question}).status_code == 200
        seen = alice.get("/v1/admin/drift").json()
        assert seen["seen"] == 2 and not seen["has_reference"] and seen["distance"] == 0.0
        # a reference of two questions would be noise: a clear 409 until the window is full
        refused = alice.post("/v1/admin/drift/reference")
        assert refused.status_code == 409 and "2 of 10" in refused.json()["error"]["message"]
        assert not reference.exists()

        for question in questions[2:]:
            assert bob.post("/v1/ask", json={"question": question}).status_code == 200
        kept = alice.post("/v1/admin/drift/reference")
        assert kept.status_code == 200, kept.text
        assert kept.json()["has_reference"] and kept.json()["reference_file"] == str(reference)
        centroid = np.load(reference)
        # the mean of ten unit vectors on different topics: shorter than one, not zero
        assert centroid.shape == (384,) and 0.1 < float(np.linalg.norm(centroid)) < 1.0

        assert bob.get("/v1/admin/drift").status_code == 403
        assert bob.post("/v1/admin/drift/reference").status_code == 403


@pytest.mark.unit
def test_a_torn_or_foreign_reference_file_is_ignored_not_fatal(tmp_path: Path) -> None:
    from app.drift import QuestionDrift

    torn = tmp_path / "torn.npy"
    torn.write_bytes(b"\x93NUMPY garbage")
    foreign = tmp_path / "foreign.npy"
    np.save(foreign, np.ones((2, 3)))  # not one question vector
    for path in (torn, foreign):
        drift = QuestionDrift.from_settings(window=10, floor=0.3, reference_file=path)
        assert not drift.has_reference
    other_model = tmp_path / "other.npy"
    np.save(other_model, np.ones(768, dtype=np.float32))
    drift = QuestionDrift.from_settings(window=10, floor=0.3, reference_file=other_model)
    for _ in range(10):
        drift.observe([0.1] * 384, 0.9)
    assert drift.distance == 0.0  # another model's centroid is not compared
