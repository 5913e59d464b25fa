"""Reads made once per question (the index generation, two HTTP calls on a Qdrant server)."""

from __future__ import annotations

import pytest

from app.pipeline.request_scope import once_per_request, one_request

pytestmark = pytest.mark.unit


def test_one_read_per_request_and_a_fresh_one_for_the_next() -> None:
    reads: list[int] = []

    def generation() -> str:
        reads.append(1)
        return f"v{len(reads)}"

    read = once_per_request(generation)
    with one_request():
        assert {read(), read(), read()} == {"v1"}
    with one_request():
        assert read() == "v2"  # a change made meanwhile is seen by the next question
    assert read() == "v3" and read() == "v4"  # outside a request: every call reads
