"""Follow-ups become standalone questions: contrasts replace their slot, pronouns resolve."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.pipeline.rewrite import FollowUpRewriter
from app.pipeline.types import LinkedEntity, Turn

pytestmark = pytest.mark.unit

PARENTAL = Turn(
    "How many weeks of parental leave do employees get?", "12 weeks [1].", ("Paid Parental Leave",)
)
CARRY_OVER = Turn(
    "How many days of annual leave can I carry over into the next year at TTS?",
    "",
    ("Technology Transformation Services",),
)
TTS = LinkedEntity("TTS", "Technology Transformation Services", "ORG")
ACME = LinkedEntity("Acme", "Acme", "ORG")


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("and for contractors?", "How many weeks of parental leave do contractors get?"),
        ("What about interns?", "How many weeks of parental leave do interns get?"),
        ("what about sick leave?", "How many weeks of sick leave do employees get?"),
        (
            "And what about in the first year?",
            "How many weeks of parental leave do employees get in the first year?",
        ),
        ("how do I apply for it?", "How do I apply for parental leave?"),
        (
            "And is there a minimum tenure for it?",
            "Is there a minimum tenure for parental leave?",
        ),
        ("Who approves that?", "Who approves parental leave?"),
        ("And what about them?", "What about parental leave?"),
    ],
)
def test_follow_ups_become_standalone(follow_up: str, expected: str) -> None:
    out = FollowUpRewriter().run(follow_up, [PARENTAL], [])
    assert out.is_follow_up and out.standalone == expected


def test_a_contrast_replaces_the_slot_and_stops_carrying_its_entity() -> None:
    out = FollowUpRewriter().run("And what about sick leave?", [CARRY_OVER], [])
    assert out.standalone == (
        "How many days of sick leave can I carry over into the next year at TTS?"
    )
    parental = FollowUpRewriter().run("what about sick leave?", [PARENTAL], [])
    assert parental.carried_entities == ()  # "Paid Parental Leave" was the replaced slot


def test_another_organisation_replaces_the_one_asked_about() -> None:
    out = FollowUpRewriter().run("And at Acme?", [CARRY_OVER], [ACME], [TTS])
    assert out.standalone == (
        "How many days of annual leave can I carry over into the next year at Acme?"
    )
    assert "Technology Transformation Services" not in out.carried_entities
    added = FollowUpRewriter().run("what about Acme?", [PARENTAL], [ACME], [])
    assert added.standalone == "How many weeks of parental leave do employees get at Acme?"


def test_existential_there_and_determiners_are_not_pronouns() -> None:
    out = FollowUpRewriter().run("Is there a form for that?", [PARENTAL], [])
    assert out.standalone == "Is there a form for parental leave?"
    same = FollowUpRewriter().run("Does that policy cover interns?", [PARENTAL], [])
    assert not same.is_follow_up  # "that policy" names its own subject


def test_a_new_question_led_by_and_keeps_the_topic() -> None:
    out = FollowUpRewriter().run("And do I need to sign an agreement?", [PARENTAL], [])
    assert out.is_follow_up
    assert out.standalone == "Do I need to sign an agreement (parental leave)?"


def _rare(*words: str) -> Callable[[str], float]:
    """A phrase weight in which ``words`` are rare (heavy) and every other word common."""
    return lambda phrase: sum(10.0 if w.lower() in words else 1.0 for w in phrase.split())


def test_the_topic_is_not_the_audience_the_unit_or_a_rate() -> None:
    # "birth", "weeks" and "TTS" are rarer than any word of the subject, and NER tags the
    # leave an organisation: written in lower case, it is still the subject
    leave = LinkedEntity("paid parental leave", "Paid Parental Leave", "ORG")
    sourcegraph = LinkedEntity("Sourcegraph", "Sourcegraph", "ORG")
    per_birth = Turn(
        "How many weeks of paid parental leave does Sourcegraph offer per birth?",
        "",
        ("Paid Parental Leave", "Sourcegraph"),
    )
    rewriter = FollowUpRewriter(weight=_rare("birth", "tts", "weeks"))
    out = rewriter.run(
        "and is there a minimum tenure for it?", [per_birth], [], [leave, sourcegraph]
    )
    assert out.standalone == "Is there a minimum tenure for paid parental leave?"
    tts = Turn(
        "How many weeks of paid parental leave do TTS employees get?",
        "",
        ("Paid Parental Leave", "Technology Transformation Services"),
    )
    out = rewriter.run(
        "and do I need to sign an agreement to return to work?", [tts], [], [leave, TTS]
    )
    assert out.standalone == (
        "Do I need to sign an agreement to return to work (paid parental leave)?"
    )


def test_a_year_replaces_a_year_and_a_modifier_its_modifier() -> None:
    pay = Turn("What was the maximum pay at GSA in 2024?", "", ())
    assert FollowUpRewriter().run("And for 2025?", [pay], []).standalone == (
        "What was the maximum pay at GSA in 2025?"
    )
    review = Turn("When is the end-of-year self-assessment due?", "", ())
    assert FollowUpRewriter().run("And the mid-year one?", [review], []).standalone == (
        "When is the mid-year self-assessment due?"
    )


def test_standalone_questions_are_left_alone() -> None:
    q = "Which email address handles PIV badges?"
    linked = [LinkedEntity("PIV", "PIV", "ACRONYM")]
    assert FollowUpRewriter().run(q, [PARENTAL], linked).standalone == q
    assert not FollowUpRewriter().run(q, [], []).is_follow_up


def test_a_what_if_clause_becomes_a_condition_on_the_previous_question() -> None:
    on_call = Turn("What are the on-call engineer's responsibilities at Acme?", "", ())
    out = FollowUpRewriter().run("What if I can't cover my week?", [on_call], [])
    assert out.is_follow_up
    assert out.standalone == (
        "What are the on-call engineer's responsibilities at Acme if I can't cover my week?"
    )
    # "what if" and a noun is a slot to fill, not a condition
    slot = FollowUpRewriter().run("What if the intern?", [PARENTAL], [])
    assert slot.standalone == "How many weeks of parental leave do the intern get?"


def test_a_piece_of_a_contraction_is_no_organisation_to_swap_in() -> None:
    junk = LinkedEntity("n't", "n't", "ORG")  # the linker's piece of "can't"
    out = FollowUpRewriter().run("How does it work when I can't?", [CARRY_OVER], [junk], [TTS])
    assert out.is_follow_up and "at n't" not in out.standalone


def _noun_phrases(*phrases: str) -> Callable[[str], list[tuple[int, int]]]:
    """A tagger's noun phrases: the spans of ``phrases`` in the text, in order."""

    def find(text: str) -> list[tuple[int, int]]:
        spans = [(i, i + len(p)) for p in phrases if (i := text.find(p)) >= 0]
        return sorted(spans)

    return find


COMP_TIME = Turn("When does comp time expire at TTS?", "", ("Technology Transformation Services",))
INTERNET = Turn("Do interns get reimbursed for their home internet?", "", ())
DMS = Turn("How long are Slack DMs retained?", "", ("Slack",))
FILES = Turn("How do I share files in Slack channels?", "", ("Slack",))
NDA = Turn("How long does Legal take to review an NDA on our own template?", "", ())
TAGGED = FollowUpRewriter(
    weight=_rare("nda"),  # the topic is the heaviest phrase: "NDA", not "own template"
    phrases=_noun_phrases(
        # the previous questions'
        "comp time",
        "TTS",
        "interns",
        "home internet",
        "Slack DMs",
        "Legal",
        "NDA",
        "own template",
        "annual leave",
        "days",
        "next year",
        # the follow-ups'
        "credit hours",
        "phone bill",
        "vendor contract",
        "support channels",
        "deadline",
        "filing deadline",
        "eligibility",
        "contractors",
        "email",
        "Slack channels",
        "files",
    ),
)


@pytest.mark.parametrize(
    ("turn", "follow_up", "expected"),
    [
        # no word in common: the new thing takes the place of the topic, not the end
        (COMP_TIME, "What about credit hours?", "When does credit hours expire at TTS?"),
        (INTERNET, "And their phone bill?", "Do interns get reimbursed for their phone bill?"),
        # the new phrase's determiner replaces the old one's
        (
            NDA,
            "What about a vendor contract?",
            "How long does Legal take to review a vendor contract on our own template?",
        ),
        # a name the old phrase starts with stays
        (DMS, "What about support channels?", "How long are Slack support channels retained?"),
        # an aspect of the topic ("the deadline", "eligibility") is asked about it, not for it
        (COMP_TIME, "And the deadline?", "When does comp time expire at TTS the deadline?"),
        (
            INTERNET,
            "What about eligibility?",
            "Do interns get reimbursed for their home internet eligibility?",
        ),
        (
            COMP_TIME,
            "And the filing deadline?",
            "When does comp time expire at TTS the filing deadline?",
        ),
        # a time, a restriction, a group of people, or no noun at all is added, as before
        (COMP_TIME, "And next year?", "When does comp time expire at TTS next year?"),
        (COMP_TIME, "Just contractors?", "When does comp time expire at TTS for contractors only?"),
        (COMP_TIME, "What about remotely?", "When does comp time expire at TTS remotely?"),
        # the same preposition replaces its phrase, with no name kept from it
        (FILES, "And in email?", "How do I share files in email?"),
    ],
)
def test_a_contrast_sharing_no_word_replaces_the_topic(
    turn: Turn, follow_up: str, expected: str
) -> None:
    names = [TTS, LinkedEntity("Slack", "Slack", "TOOL"), LinkedEntity("Legal", "Legal", "ORG")]
    out = TAGGED.run(follow_up, [turn], [], names)
    assert out.is_follow_up and out.standalone == expected


def test_a_term_ner_calls_a_person_does_not_replace_an_organisation() -> None:
    paid_out = Turn("Will my annual leave be paid out when I leave TTS?", "", ())
    award = LinkedEntity("award leave", "Award Leave", "PERSON")  # NER's mistake
    out = FollowUpRewriter().run("What about my award leave?", [paid_out], [award], [TTS])
    assert out.standalone == "Will my award leave be paid out when I leave TTS?"


def test_a_pronoun_stands_for_the_thing_an_attribute_belongs_to() -> None:
    term = Turn("What's the maximum length of a term appointment at TTS?", "", ())
    rewriter = FollowUpRewriter(
        weight=_rare("maximum", "length"),
        phrases=_noun_phrases("maximum length", "term appointment", "TTS"),
    )
    out = rewriter.run("How often does it need to be renewed?", [term], [], [TTS])
    assert out.standalone == "How often does term appointment need to be renewed?"
