"""Agreement of the citation checker with labelled (sentence, source passage) pairs.

    python -m eval citations [--pairs eval/datasets/citation_pairs.jsonl] [--corpus DIR]

Each pair names a corpus file and an anchor string; the passage is the chunk of that file
(as Docent chunks it) that contains the anchor. Reports agreement for the shipped thresholds
and a small grid, so a threshold change is a measured decision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.pipeline.citations import CitationChecker, SupportThresholds
from app.pipeline.types import RetrievedChunk
from core.encoders import SentenceEmbedder
from core.settings import Settings
from ingest.chunker import Chunker
from ingest.readers import reader_for


def _passage(corpus: Path, rel: str, anchor: str, chunker: Chunker) -> RetrievedChunk:
    path = corpus / rel
    doc = reader_for(path).read(path.read_bytes(), rel)
    for c in chunker.run(doc.blocks, doc_id="d", path=rel, title=doc.title):
        if anchor in c.text:
            return RetrievedChunk("x", "d", rel, doc.title, c.section, c.text, 1.0)
    raise ValueError(f"anchor {anchor!r} not found in {rel}")


def agreement(pairs_file: Path, corpus: Path) -> dict[str, Any]:
    settings = Settings()
    chunker = Chunker(
        max_tokens=settings.ingest.chunk_tokens,
        overlap_tokens=settings.ingest.chunk_overlap_tokens,
    )
    embedder = SentenceEmbedder(batch_size=settings.embedding.batch_size)
    rows = [json.loads(line) for line in pairs_file.read_text().splitlines() if line.strip()]
    passages = [_passage(corpus, r["path"], r["anchor"], chunker) for r in rows]
    grid: dict[str, float] = {}
    for overlap in (0.5, 0.6, 0.7):
        for similarity in (0.55, 0.62, 0.7):
            checker = CitationChecker(
                embedder, SupportThresholds(overlap=overlap, similarity=similarity)
            )
            hits = sum(
                checker.supports(r["sentence"], p) == r["supported"]
                for r, p in zip(rows, passages, strict=True)
            )
            grid[f"overlap={overlap} similarity={similarity}"] = round(hits / len(rows), 3)
    shipped = SupportThresholds(
        overlap=settings.answer.citation_overlap, similarity=settings.answer.citation_similarity
    )
    checker = CitationChecker(embedder, shipped)
    wrong = [
        r["id"]
        for r, p in zip(rows, passages, strict=True)
        if checker.supports(r["sentence"], p) != r["supported"]
    ]
    return {
        "pairs": len(rows),
        "shipped": f"overlap={shipped.overlap} similarity={shipped.similarity}",
        "agreement": round(1 - len(wrong) / len(rows), 3),
        "disagreements": wrong,
        "grid": grid,
    }
