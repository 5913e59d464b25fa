"""System-prompt leakage (OWASP LLM07): no answer sentence repeats the system prompt.

A jailbreak can talk a model into reciting its instructions. The citation check does not
catch that by itself: an unsupported sentence stays in the answer, marked unverified. This
guard drops, before the check and before any token is streamed, every sentence that holds

- a secret-shaped token of the system prompt (letters and digits mixed, or capitals joined
  by dashes: keys, codes, canaries) that neither the sources nor the question contain, or
- a run of ``RUN_WORDS`` words of the system prompt that no source contains (a recited
  rule, or the few-shot example's made-up fact).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.pipeline.citations import split_sentences

RUN_WORDS = 6
_WORD = re.compile(r"[^\W_]+")  # letters and digits: hyphens and quotes split words
_SECRET = re.compile(
    r"(?<![\w-])(?:(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{5,}|[A-Z]{2,}(?:[-_][A-Za-z0-9]+)+)(?![\w-])"
)


_MARKER = re.compile(r"\[\d{1,3}\]")


def _words(text: str) -> list[str]:
    """Lower-cased words, citation markers left out."""
    return [w.lower() for w in _WORD.findall(_MARKER.sub(" ", text))]


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class PromptLeakGuard:
    """Built for one prompt: what of the system prompt the sources do not justify."""

    def __init__(self, system: str, sources: Iterable[str], question: str) -> None:
        known = " ".join([*sources, question])
        known_lower = known.lower()
        self._secrets = {s.lower() for s in _SECRET.findall(system) if s.lower() not in known_lower}
        self._runs = _runs(_words(system), RUN_WORDS) - _runs(_words(known), RUN_WORDS)

    def allows(self, sentence: str, before: list[str] | None = None) -> bool:
        """``before``: the words of the sentences already let through, so that a recited
        run split into short sentences is caught too."""
        lower = sentence.lower()
        if any(secret in lower for secret in self._secrets):
            return False
        window = (before or [])[-(RUN_WORDS - 1) :] + _words(sentence)
        return not (_runs(window, RUN_WORDS) & self._runs)


# where a streamed sentence is known to be over: its end mark and any citation markers after
# it, then space and the start of the next sentence (or a blank line)
# (the same boundary as split_sentences, so the stream and the final text agree)
_END = re.compile(r"[.!?](?:\s*\[\d{1,3}\])*\s+(?=[A-Z0-9\"'(*_-])|\n[ \t]*\n(?=\S)")


def finished_part(buffer: str) -> tuple[str, str]:
    """``buffer`` split into its finished sentences and the unfinished rest."""
    ends = [m.end() for m in _END.finditer(buffer)]
    if not ends:
        return "", buffer
    return buffer[: ends[-1]], buffer[ends[-1] :]


def allowed(text: str, guard: PromptLeakGuard, before: list[str], sep: str = " ") -> str:
    """The sentences of ``text`` the guard lets through, joined by ``sep``; ``before``
    holds the words let through so far (in this answer) and grows with them."""
    kept = []
    for sentence in split_sentences(text):
        if guard.allows(sentence, before):
            kept.append(sentence)
            before.extend(_words(sentence))
    return sep.join(kept)
