"""Cutting a chain-of-thought answer's reasoning off as it streams (pure logic)."""

from __future__ import annotations

import pytest

from app.pipeline.reasoning import ReasoningFilter

pytestmark = pytest.mark.unit


def _feed(*parts: str) -> tuple[str, bool]:
    f = ReasoningFilter()
    out = "".join(f.feed(p) for p in parts)
    return out, f.answering


def test_only_what_follows_the_marker_passes_even_when_split_across_deltas() -> None:
    out, answering = _feed("Source 1 says Wed", "nesdays.\nAns", "wer: Badges are ", "made [1].")
    assert (out, answering) == ("Badges are made [1].", True)


def test_a_final_answer_heading_counts_and_a_mid_sentence_answer_does_not() -> None:
    assert _feed("The answer: maybe source 2.\n**Final answer:** Yes [2].")[0] == "Yes [2]."
    assert _feed("I think the answer: is in source 1.")[0] == ""


def test_a_model_that_never_answers_shows_nothing() -> None:
    assert _feed("Source 1 is about travel. ", "Nothing on dress codes.") == ("", False)
