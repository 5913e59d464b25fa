"""Chain-of-thought answers: the model reasons first, then writes ``Answer:`` and the answer.
The reasoning is cut off here, before the leak guard, the stream and the citation check:
it is never shown, never streamed, never checked, and never stored."""

from __future__ import annotations

import re

# "Answer:" (or "Final answer:") at the start of a line ends the reasoning
_MARKER = re.compile(r"(?im)^[ \t*#]*(?:final\s+)?answer\s*:[ \t*]*")


class ReasoningFilter:
    """Fed the model's text as it streams; gives back only what follows the marker. A model
    that never writes the marker has given no answer (its text is all reasoning)."""

    def __init__(self) -> None:
        self._held = ""
        self.answering = False

    def feed(self, text: str) -> str:
        if self.answering:
            return text
        self._held += text
        found = _MARKER.search(self._held)
        if found is None:
            return ""
        self.answering = True
        answer, self._held = self._held[found.end() :], ""
        return answer
