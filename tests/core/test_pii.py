"""PII detection: both detectors on hand-made cases, and Presidio (on the real spaCy model)
against the labelled set, so a regression in recall or precision fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.glossary import Glossary
from core.pii import PresidioPii, RegexPii, redact
from core.settings import Settings
from eval.pii import score

LABELLED = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "pii.jsonl"


@pytest.fixture(scope="module")
def presidio() -> PresidioPii:
    return PresidioPii(Settings().spacy_model, not_names=Glossary().tools)


@pytest.mark.unit
def test_the_patterns_find_emails_ssns_cards_and_phones_and_skip_look_alikes() -> None:
    spans = RegexPii().find(
        "Mail jane.doe@example.org, SSN 078-05-1120, card 4111 1111 1111 1111, call (202) 555-0143"
    )
    assert [s.kind for s in spans] == ["email", "ssn", "card", "phone"]
    # a long number that fails the Luhn check is an order number, not a card
    assert RegexPii().find("order 1234567890123456 shipped") == []
    assert redact("no pii here", RegexPii()) == "no pii here"


@pytest.mark.integration
def test_presidio_redacts_names_cards_ibans_and_ips_and_keeps_form_numbers(
    presidio: PresidioPii,
) -> None:
    text = (
        "Can Maria Gonzalez approve my SF-182? Refund to DE89 3704 0044 0532 0130 00, "
        "my laptop is 10.24.3.17, email k.osei@agency.gov, SSN 078-05-1120."
    )
    redacted = redact(text, presidio)
    assert redacted == (
        "Can [PERSON] approve my SF-182? Refund to [IBAN], my laptop is [IP_ADDRESS], "
        "email [EMAIL], SSN [SSN]."
    )
    # the SSA never issues area 000: not an SSN
    assert redact("code 000-12-3456 in the form", presidio) == "code 000-12-3456 in the form"
    assert presidio.find("   ") == []
    # product names and ticket ids that NER takes for people are not names
    assert [s.kind for s in presidio.find("Zoom keeps dropping; see JIRA-4821 from Q3")] == []


@pytest.mark.integration
def test_presidio_beats_the_patterns_on_the_labelled_set(presidio: PresidioPii) -> None:
    before, after = score(LABELLED, RegexPii()), score(LABELLED, presidio)
    assert after["snippets"] >= 100
    # measured 2026-12-02 (python -m eval pii, eval/results/2026-12-02/issue21/pii.json):
    # patterns P 1.0 R 0.483; Presidio P 0.954 R 0.933, and P 1.0 with the two name checks
    # added after reading its false alarms on this set (digits, the glossary's tools); the
    # floors leave room for a newer
    # spaCy model's names, not for a lost recogniser (IBAN, IP and names were all missed)
    assert after["spans"]["recall"] >= 0.88 and before["spans"]["recall"] < 0.6
    assert after["spans"]["precision"] >= 0.9
    assert after["recall_per_kind"]["person"] >= 0.7
    assert all(after["recall_per_kind"][k] == 1.0 for k in ("card", "email", "iban", "ssn"))


@pytest.mark.unit
def test_overlapping_spans_are_redacted_whole_and_long_runs_stay_fast() -> None:
    import time

    from core.pii import PiiSpan, _merged, redacted

    text = "Ana Lopez-Smith.ana@example.org wrote"
    person, email = PiiSpan("person", 0, 15, text[0:15]), PiiSpan("email", 10, 31, text[10:31])
    [joined] = _merged([person, email], text)
    assert (joined.start, joined.end, joined.kind) == (0, 31, "email")
    assert redacted(text, [joined]) == "[EMAIL] wrote"  # nothing of the name left in clear
    # a question of 20,000 characters built to make a naive e-mail pattern backtrack
    started = time.perf_counter()
    RegexPii().find("a." * 10_000 + "@")
    assert time.perf_counter() - started < 0.5


@pytest.mark.integration
def test_cards_presidio_misses_are_caught_by_the_luhn_pattern(presidio: PresidioPii) -> None:
    # a 2-series Mastercard number (Luhn-valid), outside Presidio's own card pattern
    assert [s.kind for s in presidio.find("my card 2223 0031 2200 3222 was charged")] == ["card"]
