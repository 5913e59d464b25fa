"""Wire the ingest components from settings (used by the CLI, the API's admin route and eval)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from core.encoders import Embedder, SentenceEmbedder, SparseEncoder
from core.glossary import Glossary
from core.settings import Settings
from indexes.catalogue import EntityCatalogue
from indexes.protocol import VectorIndex
from indexes.schema import ChunkPoint, PointFilter
from indexes.store import IndexStore
from ingest.acl import AclResolver
from ingest.chunker import Chunker
from ingest.document import embed_text
from ingest.embed_cache import PersistentEmbeddingCache
from ingest.entities import EntityExtractor, ner_workers
from ingest.isolation import DocumentParser, InlineParser, IsolatedParser, ParseLimits
from ingest.loader import Loader, LoadReport


class IngestService:
    """Owns the heavy ingest parts (models) and runs loads, deletes and reindexes."""

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        catalogue: EntityCatalogue,
        embedder: Embedder | None = None,
        extractor: EntityExtractor | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.catalogue = catalogue
        base: Embedder = embedder or SentenceEmbedder(
            settings.embedding.model_path,
            settings.embedding.device,
            batch_size=settings.embedding.batch_size,
            dtype=settings.embedding.dtype,
        )
        self.embedder: Embedder = (
            PersistentEmbeddingCache(base, settings.embedding_cache_file)
            if settings.embedding.cache
            else base
        )
        self.extractor = extractor or EntityExtractor(
            model=settings.spacy_model,
            workers=ner_workers(settings.ingest.ner_workers),
            glossary=Glossary.load(settings.glossary_file),
        )
        self.sparse = SparseEncoder()
        self.chunker = Chunker(
            max_tokens=settings.ingest.chunk_tokens,
            overlap_tokens=settings.ingest.chunk_overlap_tokens,
        )

    def close(self) -> None:
        """Stops the NER worker processes; the store and catalogue belong to the caller."""
        self.extractor.close()

    def loader(
        self, index: VectorIndex | None = None, parser: DocumentParser | None = None
    ) -> Loader:
        return Loader(
            index or self.store.active(),
            self.catalogue,
            self.embedder,
            self.sparse,
            self.extractor,
            self.chunker,
            max_file_bytes=self.settings.ingest.max_file_bytes,
            parser=parser,
        )

    def load(
        self,
        roots: Sequence[Path],
        acl: AclResolver,
        *,
        prune: bool = False,
        progress: Callable[[int, int], None] | None = None,
        extensionless: bool = True,
        isolated: bool = False,
    ) -> LoadReport:
        """``isolated``: parse each file in a worker process under DOCENT_INGEST__PARSE_TIMEOUT_S
        and DOCENT_INGEST__PARSE_MEMORY_MB (loads inside the API process), so that a hostile file
        fails alone instead of stalling or killing the service."""
        parser: DocumentParser = (
            IsolatedParser(
                ParseLimits(
                    self.settings.ingest.parse_timeout_s,
                    self.settings.ingest.parse_memory_mb * 2**20,
                )
            )
            if isolated
            else InlineParser()
        )
        report: LoadReport | None = None
        try:
            report = self.loader(parser=parser).load(
                roots, acl, prune=prune, progress=progress, extensionless=extensionless
            )
        finally:
            parser.close()
            # a load that failed midway may have changed groups already: bump anyway, so
            # no cached answer outlives a partial change
            if report is None or report.changed:
                self.store.bump_generation()
        counts = {k: getattr(report, k) for k in ("added", "updated", "deleted", "unchanged")}
        self.catalogue.record_load(
            {**counts, "acl_updated": report.acl_updated, "failed": len(report.failed)}
        )
        return report

    def delete(self, doc_ids: Sequence[str]) -> int:
        count = self.loader().delete(doc_ids)
        self.store.bump_generation()
        return count

    def reindex(self, batch: int = 256) -> tuple[str, int]:
        """Copy every chunk into a new collection version with fresh vectors, then switch."""
        old = self.store.active()
        new = self.store.new_version()
        hits = old.scroll(PointFilter())
        for start in range(0, len(hits), batch):
            part = hits[start : start + batch]
            texts = [
                embed_text(
                    str(h.payload.get("title", "")),
                    str(h.payload.get("section", "")),
                    str(h.payload.get("text", "")),
                )
                for h in part
            ]
            dense = self.embedder.embed(texts)
            new.upsert(
                [
                    ChunkPoint(h.id, d, self.sparse.document(t), h.payload)
                    for h, d, t in zip(part, dense, texts, strict=True)
                ]
            )
        self.store.switch(new)
        self.store.drop(old.name)
        return new.name, len(hits)
