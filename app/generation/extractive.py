"""No model at all: the post-processor's extractive answer is the answer."""

from __future__ import annotations

from collections.abc import Iterator

from app.generation.base import Delta, GenerationParams


class ExtractiveOnlyGenerator:
    """Generates nothing, so every answer is quoted from the sources (fast, deterministic)."""

    name = "extractive"

    def ready(self) -> bool:
        return True

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        yield Delta(tokens_in=0, tokens_out=0, done=True)
