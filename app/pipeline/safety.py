"""Stage 2: PII detection (for redaction in logs and traces) and prompt-injection checks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.pipeline.errors import InjectionRefused
from app.pipeline.types import RetrievedChunk
from core import pii
from core.injection import injection_markers, quarantine
from core.settings import InjectionPolicy


@dataclass(frozen=True)
class SafetyReport:
    pii_kinds: tuple[str, ...]
    injection: tuple[str, ...]
    redacted_question: str

    def merged(self, other: SafetyReport) -> SafetyReport:
        """This question's report with what ``other`` (its follow-up rewrite) adds."""
        return SafetyReport(
            pii_kinds=tuple(sorted({*self.pii_kinds, *other.pii_kinds})),
            injection=tuple(dict.fromkeys([*self.injection, *other.injection])),
            redacted_question=self.redacted_question,
        )

    def as_trace(self) -> dict[str, object]:
        return {"pii": list(self.pii_kinds), "injection": list(self.injection)}


class SafetyChecker:
    """Flags PII and injection; refuses injection when the policy says so."""

    def __init__(self, policy: InjectionPolicy) -> None:
        self.policy = policy

    def run(self, question: str) -> SafetyReport:
        spans = pii.current().find(question)  # one pass of the detector (NER is not free)
        kinds = tuple(sorted({s.kind for s in spans}))
        markers = tuple(injection_markers(question))
        if markers and self.policy is InjectionPolicy.REFUSE:
            raise InjectionRefused(
                "The question contains instructions aimed at the assistant "
                f"({markers[0]!r}). Ask about the documents instead."
            )
        return SafetyReport(
            pii_kinds=kinds, injection=markers, redacted_question=pii.redacted(question, spans)
        )


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
