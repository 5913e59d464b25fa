"""Joining a section's chunks for a source preview."""

from __future__ import annotations

import pytest

from app.pipeline.documents import joined

pytestmark = pytest.mark.unit


def test_the_chunk_overlap_is_kept_once() -> None:
    before = "Leave is accrued every pay period. Unused leave carries over up to 240 hours."
    after = "Unused leave carries over up to 240 hours. Sick leave has no cap."
    assert joined(before, after) == (
        "Leave is accrued every pay period. Unused leave carries over up to 240 hours. "
        "Sick leave has no cap."
    )


def test_chunks_without_a_common_run_are_separate_paragraphs() -> None:
    assert joined("First part ends here.", "Second starts.") == (
        "First part ends here.\n\nSecond starts."
    )
    assert (
        joined("ends with a.", "a. short") == "ends with a.\n\na. short"
    )  # too short to be overlap
