"""Structure-aware chunking: sections by heading, a token budget, overlap by whole units.

A table row and a code block are units the chunker cuts only when one alone is over the
budget (then at line ends); paragraphs are cut at sentence ends. Whatever a document holds
(an unterminated code fence, one huge table row, a word of a megabyte), no chunk is over
``max_tokens`` or ``max_tokens * MAX_CHARS_PER_TOKEN`` characters. A new heading always
starts a new chunk, so every chunk has one section.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.text import count_tokens, split_sentences
from ingest.document import Block, BlockKind, Chunk

MAX_CHARS_PER_TOKEN = 12  # a hard cap in characters too: one "token" may be a long word
MAX_HEADING_CHARS = 200


@dataclass(frozen=True)
class _Unit:
    text: str
    tokens: int
    page: int | None
    joiner: str  # how this unit attaches to the previous one


class Chunker:
    """Turns a document's blocks into chunks under ``max_tokens`` with ``overlap_tokens``."""

    def __init__(self, *, max_tokens: int, overlap_tokens: int) -> None:
        if max_tokens < 32 or not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError("need max_tokens >= 32 and 0 <= overlap_tokens < max_tokens / 2")
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    @property
    def max_chars(self) -> int:
        return self.max_tokens * MAX_CHARS_PER_TOKEN

    def _fits(self, text: str) -> bool:
        return len(text) <= self.max_chars and count_tokens(text) <= self.max_tokens

    def _pieces(self, text: str, separator: str) -> list[str]:
        """``text`` cut at ``separator`` ("\n" lines, then " " words, then characters)
        into pieces that each fit the budget."""
        if self._fits(text):
            return [text]
        if separator == "":
            return self._cut(text)
        finer = {"\n": " ", " ": ""}[separator]
        pieces: list[str] = []
        current: list[str] = []
        tokens = chars = 0
        for part in text.split(separator):
            for small in [part] if self._fits(part) else self._pieces(part, finer):
                small_tokens, small_chars = count_tokens(small), len(small) + len(separator)
                if current and (
                    tokens + small_tokens > self.max_tokens or chars + small_chars > self.max_chars
                ):
                    pieces.append(separator.join(current))
                    current, tokens, chars = [], 0, 0
                current.append(small)
                tokens += small_tokens
                chars += small_chars
        if current:
            pieces.append(separator.join(current))
        return [p for p in pieces if p.strip()]

    def _cut(self, text: str) -> list[str]:
        """Cut by characters: ``max_chars`` at a time, halved until each piece fits the
        token budget too (tokens need not be spread evenly: "aaaa...😀😀😀")."""
        pending = [text[i : i + self.max_chars] for i in range(0, len(text), self.max_chars)]
        pieces: list[str] = []
        while pending:
            piece = pending.pop()
            if self._fits(piece) or len(piece) <= 1:
                pieces.append(piece)
            else:
                half = len(piece) // 2
                pending += [piece[half:], piece[:half]]
        return pieces[::-1]

    def _room(self, current: list[_Unit], unit: _Unit) -> bool:
        """Whether ``unit`` still fits in the chunk being built (tokens and characters)."""
        tokens = sum(u.tokens for u in current) + unit.tokens
        chars = sum(len(u.text) + len(u.joiner) for u in current) + len(unit.text)
        return tokens <= self.max_tokens and chars <= self.max_chars

    def _units(self, block: Block) -> list[_Unit]:
        if block.kind in (BlockKind.TABLE, BlockKind.CODE):
            return [
                _Unit(piece, count_tokens(piece), block.page, "\n")
                for piece in self._pieces(block.text, "\n")
            ]
        units: list[_Unit] = []
        for i, sentence in enumerate(split_sentences(block.text)):
            joiner = "\n\n" if i == 0 else " "
            for k, piece in enumerate(self._pieces(sentence, " ")):  # a run-on "sentence"
                units.append(
                    _Unit(piece, count_tokens(piece), block.page, joiner if k == 0 else " ")
                )
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
                headings.append((block.level, block.text[:MAX_HEADING_CHARS]))
                continue
            for unit in self._units(block):
                if current and not self._room(current, unit):
                    emit(current)
                    current = overlap_tail(current)
                    if not self._room(current, unit):
                        current = []
                current.append(unit)
        emit(current)
        return chunks
