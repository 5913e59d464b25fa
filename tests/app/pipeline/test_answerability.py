"""Answerability: term coverage reads the question's topic and the sources' synonyms."""

from __future__ import annotations

import pytest

from app.pipeline.answer_type import topic_words
from app.pipeline.answerability import AnswerabilityCheck, SynonymMatcher, TermScorer
from app.pipeline.types import RetrievedChunk
from app.pipeline.word_roles import SpacyWordRoles
from core.encoders import SparseEncoder
from core.settings import Settings


class _FlatIdf:
    """Every term equally rare: coverage is the plain share of the question's terms."""

    def idf(self, term: int) -> float:
        return 1.0


def _chunk(text: str) -> RetrievedChunk:
    return RetrievedChunk("1", "d", "d.md", "", "", text, 0.9)


@pytest.mark.parametrize(
    ("question", "kept", "dropped"),
    [
        ("How many weeks of parental leave do I get?", "parental leave", "many"),
        ("How far in advance should I tell my manager about PTO?", "manager about PTO", "advance"),
        ("What does EAP stand for?", "EAP", "stand"),
        ("What percentage of salary is paid during leave?", "salary", "percentage"),
    ],
)
def test_topic_words_leave_out_the_asking(question: str, kept: str, dropped: str) -> None:
    topic = topic_words(question)
    assert kept in topic and dropped not in topic


def test_a_scenario_before_the_question_is_context_not_topic() -> None:
    scenario = "I'm having surgery next month and will be out a while. "
    topic = topic_words(scenario + "How many weeks of paid medical leave are there?")
    assert "medical leave" in topic and "surgery" not in topic
    # unless the question refers back into it
    topic = topic_words("I'm training for a marathon. How many days of leave are there for one?")
    assert "marathon" in topic
    # an abbreviation's full stop inside the question does not cut it
    topic = topic_words("I'm moving abroad. How do I get a U.S. Passport for work travel?")
    assert "U.S." in topic and "abroad" not in topic
    # an asking part too bare to name a topic keeps the scenario
    for bare in (
        "My laptop was stolen on a trip. What do I do?",
        "My badge expired. Who do I contact?",
    ):
        assert topic_words(bare).startswith("My ")


def test_the_asking_words_do_not_lower_coverage() -> None:
    sparse = SparseEncoder()
    scorer = TermScorer(_FlatIdf(), sparse)  # type: ignore[arg-type]
    weights = scorer.weights("How many weeks of parental leave do teammates get?")
    assert scorer.coverage(weights, "Teammates receive 16 weeks of parental leave.") == 1.0


class _Roles:
    """Tags by a fixed list: the seam's fake, for the weighting logic alone."""

    def __init__(self, *light: str) -> None:
        self.light = frozenset(light)

    def light_words(self, text: str) -> frozenset[str]:
        return self.light


def test_a_missing_light_word_costs_less_than_a_missing_noun() -> None:
    sparse = SparseEncoder()
    question = "How do I get my preferred name displayed?"
    source = "Add your preferred name in the HR portal's self service."
    plain = TermScorer(_FlatIdf(), sparse)  # type: ignore[arg-type]
    weighted = TermScorer(_FlatIdf(), sparse, roles=_Roles("displayed"), light_weight=0.3)  # type: ignore[arg-type]
    assert plain.coverage(plain.weights(question), source) == pytest.approx(2 / 3)
    # "preferred" and "name" weigh 1, the verb 0.3: 2 / 2.3 of the topic is covered
    assert weighted.coverage(weighted.weights(question), source) == pytest.approx(2 / 2.3)
    # the missing thing itself still costs in full
    other = "How do I get my preferred badge displayed?"
    assert weighted.coverage(weighted.weights(other), source) < 0.5


def test_the_tagger_marks_verbs_and_adverbs_light_and_nouns_not() -> None:
    roles = SpacyWordRoles(Settings().spacy_model)
    light = roles.light_words(
        "If I transfer to a different team, can I keep wrapping up my old projects?"
    )
    assert {"transfer", "keep", "wrapping"} <= light
    assert not {"team", "projects"} & light
    # a word used as a noun anywhere in the question names the topic
    assert "report" not in roles.light_words("Where do I report a bug in the report viewer?")


def test_synonyms_cover_a_missing_word_and_unrelated_words_do_not(embedder) -> None:  # type: ignore[no-untyped-def]
    sparse = SparseEncoder()
    scorer = TermScorer(_FlatIdf(), sparse)  # type: ignore[arg-type]
    question = "Within how many days should I add a warranty to a laptop I bought myself?"
    answer = "If you purchased the laptop yourself, add a warranty within 30 days."
    plain = AnswerabilityCheck(scorer, top=3, anchor_words=0)
    synonyms = SynonymMatcher(embedder, sparse, min_similarity=0.7)
    with_synonyms = AnswerabilityCheck(scorer, top=3, synonyms=synonyms, anchor_words=0)
    before = plain.score(question, [_chunk(answer)])
    after = with_synonyms.score(question, [_chunk(answer)])
    assert before.best < 1.0
    assert after.best == 1.0  # "bought" is covered by "purchased"
    # and "purchased" names the anchor "bought"
    rare = TermScorer(_Idf(sparse, {"bought": 9.0}), sparse)  # type: ignore[arg-type]
    lexical = AnswerabilityCheck(rare, top=3, anchor_words=1)
    close = AnswerabilityCheck(rare, top=3, synonyms=synonyms, anchor_words=1)
    assert lexical.anchored(question, [_chunk(answer)]) == [False]
    assert close.anchored(question, [_chunk(answer), _chunk("Laptops are issued by IT.")]) == [
        True,
        False,
    ]
    # a word merely related ("piano" for "instrument") is not a synonym
    other = "The learning stipend covers piano lessons up to $500 a year."
    unrelated = with_synonyms.score(
        "What is the stipend for learning an instrument?", [_chunk(other)]
    )
    assert (
        unrelated.best
        == plain.score("What is the stipend for learning an instrument?", [_chunk(other)]).best
    )
    assert unrelated.best < 1.0


def test_each_chunk_is_credited_only_with_its_own_synonyms(embedder) -> None:  # type: ignore[no-untyped-def]
    sparse = SparseEncoder()
    matcher = SynonymMatcher(embedder, sparse, min_similarity=0.7)
    question = "Which laptop did staff buy?"
    missing = sparse.terms("staff")
    found = matcher.matched(question, missing, ["Employees pick a laptop.", "The laptop is grey."])
    assert found == [missing, set()]
    # above 1, nothing is ever close enough: the match is off
    off = SynonymMatcher(embedder, sparse, min_similarity=1.01)
    assert off.matched(question, missing, ["Employees pick a laptop."]) == [set()]


class _Idf:
    """Rarer words by a fixed table; every other term is common. Words in ``unseen`` are in
    no chunk."""

    def __init__(self, sparse: SparseEncoder, rare: dict[str, float], unseen: str = "") -> None:
        self.sparse = sparse
        self.weights = {t: w for word, w in rare.items() for t in sparse.terms(word)}
        self.unseen = sparse.terms(unseen)

    def idf(self, term: int) -> float:
        return self.weights.get(term, 1.0)

    def chunks_with(self, text: str) -> int:
        return 0 if self.sparse.terms(text) & self.unseen else 10


def _anchoring(
    rare: dict[str, float], anchor_words: int = 2, unseen: str = ""
) -> AnswerabilityCheck:
    sparse = SparseEncoder()
    scorer = TermScorer(_Idf(sparse, rare, unseen), sparse)  # type: ignore[arg-type]
    return AnswerabilityCheck(scorer, top=3, anchor_words=anchor_words)


def test_a_chunk_naming_none_of_the_two_heaviest_words_is_not_anchored() -> None:
    check = _anchoring({"repayment": 10.0, "loan": 7.0, "maximum": 5.0})
    question = "What is the yearly maximum the agency pays toward student loan repayment?"
    salary = _chunk("Your total pay cannot exceed the maximum salary, which is $191,900.")
    loans = _chunk("The agency repays up to $10,000 of a student loan each year.")
    assert check.anchored(question, [salary, loans]) == [False, True]
    # the heading counts: a section about the program names it
    headed = RetrievedChunk("1", "d", "d.md", "Student loan repayment", "", "Up to $10,000.", 0.9)
    assert check.anchored(question, [headed]) == [True]


def test_a_hyphenated_anchor_is_named_with_or_without_its_hyphen() -> None:
    check = _anchoring({"wi": 8.0, "fi": 8.0, "wifi": 8.0, "password": 4.0}, anchor_words=1)
    question = "What is the Wi-Fi password?"
    assert check.anchored(question, [_chunk("Guests use the WiFi network.")]) == [True]
    assert check.anchored(question, [_chunk("The wi-fi network is open.")]) == [True]
    assert check.anchored(question, [_chunk("The password is on the wall.")]) == [False]
    # and the other way round
    assert check.anchored("What is the WiFi password?", [_chunk("Wi-Fi: GSA-Guest.")]) == [True]


def test_words_no_chunk_holds_and_figures_anchor_nothing() -> None:
    # a typo and the asker's own figure are rarer than any real word, and no chunk has them
    check = _anchoring({"reimbursment": 12.0, "400": 11.0, "mileage": 6.0}, unseen="reimbursment")
    question = "Is my $2,400 mileage reimbursment taxable?"
    assert check.anchored(question, [_chunk("Mileage is paid at the IRS rate.")]) == [True]


def test_a_compound_weighs_as_its_rarest_part_not_their_sum() -> None:
    check = _anchoring({"year": 3.0, "end": 3.0, "bonus": 5.0}, anchor_words=1)
    question = "When is the year-end bonus paid?"
    assert check.anchored(question, [_chunk("The bonus is paid in March.")]) == [True]
    assert check.anchored(question, [_chunk("Year-end reviews happen in March.")]) == [False]


def test_without_anchor_words_every_chunk_is_anchored() -> None:
    check = _anchoring({"repayment": 10.0}, anchor_words=0)
    assert check.anchored("Student loan repayment?", [_chunk("Nothing related.")]) == [True]
