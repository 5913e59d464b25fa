"""Structure-aware chunking: sections by heading, a token budget, overlap by whole units.

A table row and a code block are units the chunker never cuts; paragraphs are cut only
at sentence ends. A new heading always starts a new chunk, so every chunk has one section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.document import Block, BlockKind, Chunk

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")


def count_tokens(text: str) -> int:
    """A cheap stand-in for the embedding tokenizer (within ~15% on English prose)."""
    return len(_TOKEN.findall(text))


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass(frozen=True)
class _Unit:
    text: str
    tokens: int
    page: int | None
    joiner: str  # how this unit attaches to the previous one


class Chunker:
    """Turns a document's blocks into chunks under ``max_tokens`` with ``overlap_tokens``."""

    def __init__(self, max_tokens: int = 220, overlap_tokens: int = 40) -> None:
        if max_tokens < 32 or not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError("need max_tokens >= 32 and 0 <= overlap_tokens < max_tokens / 2")
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def _units(self, block: Block) -> list[_Unit]:
        if block.kind in (BlockKind.TABLE, BlockKind.CODE):
            return [_Unit(block.text, count_tokens(block.text), block.page, "\n")]
        units: list[_Unit] = []
        for i, sentence in enumerate(split_sentences(block.text)):
            tokens = count_tokens(sentence)
            if tokens > self.max_tokens:  # a run-on "sentence": cut at word boundaries
                words = sentence.split()
                step = max(1, int(len(words) * self.max_tokens / tokens) - 1)
                for j in range(0, len(words), step):
                    piece = " ".join(words[j : j + step])
                    units.append(_Unit(piece, count_tokens(piece), block.page, " "))
            else:
                units.append(_Unit(sentence, tokens, block.page, "\n\n" if i == 0 else " "))
        return units

    def run(self, blocks: list[Block], *, doc_id: str, path: str, title: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        headings: list[tuple[int, str]] = []
        current: list[_Unit] = []

        def section() -> str:
            return " > ".join(text for _, text in headings)

        def emit(units: list[_Unit]) -> None:
            text = "".join((u.joiner if k else "") + u.text for k, u in enumerate(units)).strip()
            if not text:
                return
            pages = tuple(sorted({u.page for u in units if u.page is not None}))
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    path=path,
                    title=title,
                    section=section(),
                    text=text,
                    index=len(chunks),
                    pages=pages,
                )
            )

        def overlap_tail(units: list[_Unit]) -> list[_Unit]:
            tail: list[_Unit] = []
            total = 0
            for unit in reversed(units):
                if total + unit.tokens > self.overlap_tokens:
                    break
                tail.insert(0, unit)
                total += unit.tokens
            return tail

        for block in blocks:
            if block.kind is BlockKind.HEADING:
                emit(current)
                current = []
                while headings and headings[-1][0] >= block.level:
                    headings.pop()
                headings.append((block.level, block.text))
                continue
            for unit in self._units(block):
                size = sum(u.tokens for u in current)
                if current and size + unit.tokens > self.max_tokens:
                    emit(current)
                    current = overlap_tail(current)
                    if sum(u.tokens for u in current) + unit.tokens > self.max_tokens:
                        current = []
                current.append(unit)
        emit(current)
        return chunks
