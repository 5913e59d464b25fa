"""The part-of-speech tagger's view of a question: light words and noun phrases."""

from __future__ import annotations

import pytest

from app.pipeline.word_roles import SpacyWordRoles
from core.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def roles() -> SpacyWordRoles:
    return SpacyWordRoles(Settings().spacy_model)


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("Will my annual leave be paid out when I leave TTS?", ["annual leave", "TTS"]),
        (
            "How long does Legal take to review an NDA on our own template?",
            ["Legal", "NDA", "own template"],
        ),
        # a hyphenated word is one word, and a participle inside a phrase belongs to it
        (
            "When is the FY25 end-of-year self-assessment due?",
            ["FY25 end-of-year self-assessment"],
        ),
        (
            "What's the branch naming convention for pull requests?",
            ["branch naming convention", "pull requests"],
        ),
        ("Is paid parental leave available to new hires?", ["paid parental leave", "new hires"]),
    ],
)
def test_noun_phrases_are_found_without_determiners_or_punctuation(
    roles: SpacyWordRoles, question: str, phrases: list[str]
) -> None:
    assert [question[a:b] for a, b in roles.noun_phrases(question)] == phrases


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        # punctuation ends a phrase, and is never part of one
        ("Is parental leave (TTS) paid?", ["parental leave", "TTS"]),
        ("PTO / sick leave, and comp time?", ["PTO", "sick leave", "comp time"]),
        # a curly apostrophe keeps the offsets of the text as written
        ("What\u2019s TTS\u2019s Slack retention policy?", ["TTS\u2019s Slack retention policy"]),
        ("", []),
        ("???", []),
    ],
)
def test_noun_phrase_offsets_are_offsets_into_the_text_as_written(
    roles: SpacyWordRoles, question: str, phrases: list[str]
) -> None:
    assert [question[a:b] for a, b in roles.noun_phrases(question)] == phrases
