"""The types that flow through ingestion: parsed blocks, documents and chunks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class BlockKind(enum.StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"
    CODE = "code"


@dataclass(frozen=True)
class Block:
    """A unit of structure the chunker never cuts through (a table row or code block whole)."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level
    page: int | None = None  # 1-based PDF page


@dataclass
class ParsedDocument:
    """What a reader returns: blocks in reading order plus metadata."""

    blocks: list[Block]
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document."""

    doc_id: str
    path: str
    title: str
    section: str
    text: str
    index: int
    pages: tuple[int, ...] = ()

    @property
    def embed_text(self) -> str:
        """What the dense and sparse encoders see: title and section give the chunk context."""
        return embed_text(self.title, self.section, self.text)


def embed_text(title: str, section: str, text: str) -> str:
    head = " — ".join(p for p in (title, section) if p)
    return f"{head}\n{text}" if head else text
