"""The answer policy's decisions, one by one (pure logic)."""

from __future__ import annotations

import pytest

from app.pipeline.answerability import Answerability
from app.pipeline.policy import AnswerPolicy, Outcome

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


def test_before_generation() -> None:
    go = POLICY.before_generation
    assert (
        go(
            has_sources=False,
            out_of_scope=0,
            top_similarity=0.9,
            coverage=COVERED,
            quote_score=_never,
            anchored=True,
        ).outcome
        is Outcome.ABSTAIN
    )
    assert (
        go(
            has_sources=True,
            out_of_scope=0,
            top_similarity=0.2,
            coverage=COVERED,
            quote_score=_never,
            anchored=True,
        ).outcome
        is Outcome.ABSTAIN
    )
    assert (
        go(
            has_sources=True,
            out_of_scope=0,
            top_similarity=0.5,
            coverage=COVERED,
            quote_score=_never,
            anchored=True,
        ).outcome
        is Outcome.GENERATE
    )
    thin = Answerability(together=0.4, best=0.4)
    assert (
        go(
            has_sources=True,
            out_of_scope=0,
            top_similarity=0.5,
            coverage=thin,
            quote_score=lambda: 0.9,
            anchored=True,
        ).outcome
        is Outcome.GENERATE
    )
    decision = go(
        has_sources=True,
        out_of_scope=0,
        top_similarity=0.5,
        coverage=thin,
        quote_score=lambda: 0.5,
        anchored=True,
    )
    assert decision.outcome is Outcome.ABSTAIN and "no quote is close" in decision.reason
    elsewhere = go(
        has_sources=False,
        out_of_scope=3,
        top_similarity=0.9,
        coverage=COVERED,
        quote_score=_never,
        anchored=True,
    )
    assert elsewhere.outcome is Outcome.ABSTAIN and "another organisation" in elsewhere.reason


def test_after_generation() -> None:
    after = POLICY.after_generation
    kept = after(
        supported=True, relevance=lambda: 0.6, quote_score=0.6, has_quote=True, cites_anchored=True
    )
    assert kept.outcome is Outcome.GENERATED
    off_topic = after(
        supported=True, relevance=lambda: 0.5, quote_score=0.6, has_quote=True, cites_anchored=True
    )
    assert off_topic.outcome is Outcome.QUOTED and "on topic" in off_topic.reason
    unsupported = after(
        supported=False, relevance=_never, quote_score=0.6, has_quote=True, cites_anchored=True
    )
    assert unsupported.outcome is Outcome.QUOTED
    weak = after(
        supported=False, relevance=_never, quote_score=0.3, has_quote=True, cites_anchored=True
    )
    assert weak.outcome is Outcome.ABSTAIN
    assert (
        after(
            supported=False, relevance=_never, quote_score=0.9, has_quote=False, cites_anchored=True
        ).outcome
        is Outcome.ABSTAIN
    )


def test_no_source_naming_the_question_s_anchor_abstains_even_when_covered() -> None:
    decision = POLICY.before_generation(
        has_sources=True,
        out_of_scope=0,
        top_similarity=0.9,
        coverage=COVERED,
        quote_score=_never,
        anchored=False,
    )
    assert decision.outcome is Outcome.ABSTAIN
    assert "names what the question is most about" in decision.reason


def test_a_supported_answer_citing_no_anchored_source_is_quoted_instead() -> None:
    decide = POLICY.after_generation
    kept = decide(
        supported=True, relevance=lambda: 1.0, quote_score=0.5, has_quote=True, cites_anchored=True
    )
    assert kept.outcome is Outcome.GENERATED
    off = decide(
        supported=True,
        relevance=_never,
        quote_score=0.5,
        has_quote=True,
        cites_anchored=False,
    )
    assert off.outcome is Outcome.QUOTED
    assert "naming what the question is most about" in off.reason
