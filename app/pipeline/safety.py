"""Stage 2: PII detection (for redaction in logs and traces) and prompt-injection checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.pipeline.errors import InjectionRefused
from app.pipeline.types import RetrievedChunk
from app.settings import InjectionPolicy
from ingest.safety_scan import injection_markers, quarantine

_PII = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "card": re.compile(r"\b(?:\d[ -]?){13,19}\b"),
    "phone": re.compile(r"(?<!\w)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),
}


def _luhn_ok(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return len(nums) >= 13 and total % 10 == 0


def find_pii(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every PII-looking span."""
    found = []
    for kind, pattern in _PII.items():
        for m in pattern.finditer(text):
            if kind == "card" and not _luhn_ok(m.group(0)):
                continue
            found.append((kind, m.group(0)))
    return found


def redact(text: str) -> str:
    """Replace PII with ``[KIND]`` so logs and traces never hold it."""
    for kind, value in find_pii(text):
        text = text.replace(value, f"[{kind.upper()}]")
    return text


@dataclass(frozen=True)
class SafetyReport:
    pii_kinds: tuple[str, ...]
    injection: tuple[str, ...]
    redacted_question: str

    def as_trace(self) -> dict[str, object]:
        return {"pii": list(self.pii_kinds), "injection": list(self.injection)}


class SafetyChecker:
    """Flags PII and injection; refuses injection when the policy says so."""

    def __init__(self, policy: InjectionPolicy = InjectionPolicy.RECORD) -> None:
        self.policy = policy

    def run(self, question: str) -> SafetyReport:
        pii = tuple(sorted({kind for kind, _ in find_pii(question)}))
        markers = tuple(injection_markers(question))
        if markers and self.policy is InjectionPolicy.REFUSE:
            raise InjectionRefused(
                "The question contains instructions aimed at the assistant "
                f"({markers[0]!r}). Ask about the documents instead."
            )
        return SafetyReport(pii_kinds=pii, injection=markers, redacted_question=redact(question))


def quarantine_sources(chunks: list[RetrievedChunk]) -> tuple[list[RetrievedChunk], int]:
    """The chunks with every sentence that addresses a language model removed, and how many
    were: the prompt, the quotes, the citation check and the snippets all read these, so a
    planted instruction reaches neither the model nor the answer. Chunks indexed before the
    detector learnt a phrasing are covered too, since this runs on every question."""
    out: list[RetrievedChunk] = []
    removed = 0
    for chunk in chunks:
        text, n = quarantine(chunk.text)
        removed += n
        out.append(replace(chunk, text=text, suspicious=True) if n else chunk)
    return out, removed
