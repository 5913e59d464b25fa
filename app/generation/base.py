"""The ``Generator`` protocol and its value types."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class GenerationParams:
    temperature: float = 0.0
    max_tokens: int = 200
    stop: tuple[str, ...] = ("\nQuestion:", "**Question", "\nSources:", "</source>")


@dataclass
class Delta:
    """A piece of streamed text; the last one carries the token counts."""

    text: str = ""
    tokens_in: int | None = None
    tokens_out: int | None = None
    done: bool = False


@dataclass
class Generation:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    deltas: list[str] = field(default_factory=list)


class Generator(Protocol):
    """Produces an answer from chat messages, streaming or not."""

    @property
    def name(self) -> str:
        """The model, as traces and the answer cache's key name it."""
        ...

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        """Yield text deltas; the final delta has ``done=True`` and the token counts."""
        ...

    def ready(self) -> bool:
        """Whether the backend can generate right now (for /readyz)."""
        ...


def collect(
    generator: Generator, messages: list[dict[str, str]], params: GenerationParams
) -> Generation:
    """Run a stream to completion."""
    parts: list[str] = []
    tokens_in = tokens_out = 0
    for delta in generator.stream(messages, params):
        if delta.text:
            parts.append(delta.text)
        if delta.done:
            tokens_in, tokens_out = delta.tokens_in or 0, delta.tokens_out or 0
    return Generation("".join(parts), tokens_in, tokens_out, parts)
