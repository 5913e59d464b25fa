"""The answer policy's decisions, one by one (pure logic)."""

from __future__ import annotations

from typing import Any

import pytest

from app.pipeline.answerability import Answerability
from app.pipeline.policy import AnswerPolicy, Decision, Outcome

pytestmark = pytest.mark.unit

POLICY = AnswerPolicy(
    min_similarity=0.3,
    min_coverage=0.6,
    min_chunk_coverage=0.55,
    min_quote_score=0.35,
    strong_quote=0.85,
    relevance_ratio=0.9,
)
COVERED = Answerability(together=0.8, best=0.7)


def _never() -> float:
    raise AssertionError("not needed for this decision")


def _before(**changes: Any) -> Decision:
    """``before_generation`` on covered, anchored, close sources, with ``changes``."""
    inputs: dict[str, Any] = {
        "has_sources": True,
        "out_of_scope": 0,
        "top_similarity": 0.9,
        "coverage": COVERED,
        "quote_score": _never,
        "anchored": True,
    }
    return POLICY.before_generation(**(inputs | changes))


def _after(**changes: Any) -> Decision:
    """``after_generation`` on an anchored answer with a good quote, with ``changes``."""
    inputs: dict[str, Any] = {"has_quote": True, "cites_anchored": True}
    return POLICY.after_generation(**(inputs | changes))


def test_before_generation() -> None:
    assert _before(has_sources=False).outcome is Outcome.ABSTAIN
    assert _before(top_similarity=0.2).outcome is Outcome.ABSTAIN
    assert _before(top_similarity=0.5).outcome is Outcome.GENERATE
    thin = Answerability(together=0.4, best=0.4)
    assert (
        _before(top_similarity=0.5, coverage=thin, quote_score=lambda: 0.9).outcome
        is Outcome.GENERATE
    )
    decision = _before(top_similarity=0.5, coverage=thin, quote_score=lambda: 0.5)
    assert decision.outcome is Outcome.ABSTAIN and "no quote is close" in decision.reason
    elsewhere = _before(has_sources=False, out_of_scope=3)
    assert elsewhere.outcome is Outcome.ABSTAIN and "another organisation" in elsewhere.reason


def test_after_generation() -> None:
    kept = _after(supported=True, relevance=lambda: 0.6, quote_score=0.6)
    assert kept.outcome is Outcome.GENERATED
    off_topic = _after(supported=True, relevance=lambda: 0.5, quote_score=0.6)
    assert off_topic.outcome is Outcome.QUOTED and "on topic" in off_topic.reason
    unsupported = _after(supported=False, relevance=_never, quote_score=0.6)
    assert unsupported.outcome is Outcome.QUOTED
    weak = _after(supported=False, relevance=_never, quote_score=0.3)
    assert weak.outcome is Outcome.ABSTAIN
    assert (
        _after(supported=False, relevance=_never, quote_score=0.9, has_quote=False).outcome
        is Outcome.ABSTAIN
    )


def test_no_source_naming_the_question_s_anchor_abstains_even_when_covered() -> None:
    decision = _before(anchored=False)
    assert decision.outcome is Outcome.ABSTAIN
    assert "names what the question is most about" in decision.reason


def test_a_supported_answer_citing_no_anchored_source_is_quoted_instead() -> None:
    kept = _after(supported=True, relevance=lambda: 1.0, quote_score=0.5)
    assert kept.outcome is Outcome.GENERATED
    off = _after(supported=True, relevance=_never, quote_score=0.5, cites_anchored=False)
    assert off.outcome is Outcome.QUOTED
    assert "naming what the question is most about" in off.reason
