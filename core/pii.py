"""PII detection, for redaction in traces, logs, stored titles, feedback and exports.

Two detectors behind one protocol:

- ``PresidioPii`` (the default): Microsoft Presidio's analyzer on the spaCy model Docent
  already ships (PERSON from its named entities; payment cards with the Luhn check, US
  SSNs, phone numbers through ``phonenumbers``, IBANs with their checksum, IP addresses),
  plus the checks it lacks offline: e-mail addresses by pattern (Presidio's own recogniser
  looks the domain up in a public-suffix list it would download) and SSNs written without
  Presidio's context words.
- ``RegexPii``: the four patterns Docent started with (e-mail, SSN, card, US phone). No
  names. Kept as the measured baseline and as the light choice (``DOCENT_PII_DETECTOR=regex``).

``python -m eval pii`` measures both on ``eval/datasets/pii.jsonl``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from core.glossary import Glossary

# Presidio's entity names, as the labels Docent redacts to ([EMAIL], [PERSON], ...)
_KINDS = {
    "EMAIL_ADDRESS": "email",
    "US_SSN": "ssn",
    "CREDIT_CARD": "card",
    "PHONE_NUMBER": "phone",
    "PERSON": "person",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
}

_PRESIDIO_KINDS = [k for k in _KINDS if k != "EMAIL_ADDRESS"]  # e-mail: by pattern below
# bounded (RFC 5321's 64-character local part, 63-character labels): an unbounded local
# part is quadratic on a long run of "a.a.a." and would hold the interpreter for seconds
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
)
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_PATTERNS = {
    "email": _EMAIL,
    "ssn": _SSN,
    "card": _CARD,
    "phone": re.compile(r"(?<!\w)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),
}
# a name holds a capitalised word and no digit: spaCy's small model also tags ticket ids
# ("JIRA-4821"), quarters ("Q3") and lower-case team words as PERSON now and then
_NAME_WORD = re.compile(r"\b[A-ZÀ-Ý][\w'’-]+")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class PiiSpan:
    kind: str  # email, ssn, card, phone, person, iban, ip_address
    start: int
    end: int
    text: str


class PiiDetector(Protocol):
    """Finds the PII in a text."""

    name: str

    def find(self, text: str) -> list[PiiSpan]:
        """Every PII span, in order, none overlapping."""
        ...


def _luhn_ok(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return len(nums) >= 13 and total % 10 == 0


def _ssn_ok(value: str) -> bool:
    """The SSA never issues area 000, 666 or 9xx, group 00 or serial 0000."""
    area, group, serial = value.split("-")
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


# when two kinds claim the same span, the one with the stricter check names it (an SSN's
# digits also parse as a phone number)
_SPECIFIC = ("email", "ssn", "card", "iban", "ip_address", "phone", "person")


def _merged(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    """Overlapping spans joined into one covering both (nothing of either stays in clear),
    named by the longer (then the more specific) of them, in text order."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, s.start - s.end, _SPECIFIC.index(s.kind))):
        if kept and span.start < kept[-1].end:
            last = kept[-1]
            kind = span.kind if span.end - span.start > last.end - last.start else last.kind
            end = max(last.end, span.end)
            kept[-1] = PiiSpan(kind, last.start, end, text[last.start : end])
            continue
        kept.append(span)
    return kept


class RegexPii:
    """E-mail, SSN, Luhn-valid card and US phone patterns."""

    name = "regex"

    def find(self, text: str) -> list[PiiSpan]:
        found = []
        for kind, pattern in _PATTERNS.items():
            for m in pattern.finditer(text):
                if kind == "card" and not _luhn_ok(m.group(0)):
                    continue
                found.append(PiiSpan(kind, m.start(), m.end(), m.group(0)))
        return _merged(found, text)


class PresidioPii:
    """Presidio's recognisers on the shipped spaCy model, loaded on first use and shared by
    threads (one analysis at a time: a spaCy pipeline is not documented as re-entrant)."""

    name = "presidio"

    def __init__(
        self, spacy_model: str, *, not_names: tuple[str, ...] = (), min_score: float = 0.4
    ) -> None:
        self.spacy_model = spacy_model
        self.min_score = min_score
        # product and tool names (the glossary's) that NER takes for people
        self.not_names = frozenset(n.casefold() for n in not_names)
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
            UsSsnRecognizer,
        )

        nlp = SpacyNlpEngine(
            models=[{"lang_code": "en", "model_name": self.spacy_model}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={"PERSON": "PERSON", "PER": "PERSON"},
                labels_to_ignore=["ORG", "GPE", "LOC", "NORP", "DATE", "TIME", "CARDINAL"],
            ),
        )
        nlp.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in (
            CreditCardRecognizer(),
            UsSsnRecognizer(),
            PhoneRecognizer(supported_regions=("US", "GB", "DE", "FR", "IN", "CA", "AU")),
            IbanRecognizer(),
            IpRecognizer(),
            SpacyRecognizer(supported_entities=["PERSON"]),
        ):
            registry.add_recognizer(recognizer)
        return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])

    def find(self, text: str) -> list[PiiSpan]:
        if not text.strip():
            return []
        with self._lock:
            if self._engine is None:
                self._engine = self._load()
            results = self._engine.analyze(
                text=text, language="en", entities=_PRESIDIO_KINDS, score_threshold=self.min_score
            )
        found = [
            PiiSpan(_KINDS[r.entity_type], r.start, r.end, text[r.start : r.end])
            for r in results
            if r.entity_type != "PERSON" or self._is_name(text[r.start : r.end])
        ]
        # what Presidio lacks offline: e-mail by pattern, SSNs with no context words, and
        # Luhn-valid cards its pattern misses (2-series Mastercard, 18-19 digits)
        for kind, pattern in (("email", _EMAIL), ("ssn", _SSN), ("card", _CARD)):
            for m in pattern.finditer(text):
                if (kind == "ssn" and not _ssn_ok(m.group(0))) or (
                    kind == "card" and not _luhn_ok(m.group(0))
                ):
                    continue
                found.append(PiiSpan(kind, m.start(), m.end(), m.group(0)))
        return _merged(found, text)

    def _is_name(self, span: str) -> bool:
        return (
            bool(_NAME_WORD.search(span))
            and not _DIGIT.search(span)
            and span.casefold() not in self.not_names
        )


def detector_for(kind: str, spacy_model: str, glossary: Glossary | None = None) -> PiiDetector:
    """The detector ``DOCENT_PII_DETECTOR`` names; the glossary's tools are never names."""
    if kind == "regex":
        return RegexPii()
    return PresidioPii(spacy_model, not_names=(glossary or Glossary()).tools)


_detector: PiiDetector | None = None


def use(detector: PiiDetector) -> None:
    """Make ``detector`` the process's detector. The API calls this at start; a process that
    does not gets the one its settings name on first use."""
    global _detector
    _detector = detector


def current() -> PiiDetector:
    global _detector
    if _detector is None:
        from core.settings import Settings

        settings = Settings()
        _detector = detector_for(
            settings.pii_detector, settings.spacy_model, Glossary.load(settings.glossary_file)
        )
    return _detector


def redact(text: str, detector: PiiDetector | None = None) -> str:
    """``text`` with each PII span replaced by ``[KIND]``, so logs and traces never hold it."""
    return redacted(text, (detector or current()).find(text))


def redacted(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with the given spans (one detector's, in order) replaced by ``[KIND]``."""
    for span in reversed(spans):
        text = f"{text[: span.start]}[{span.kind.upper()}]{text[span.end :]}"
    return text
