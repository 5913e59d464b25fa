"""Load documents into the index: incremental, idempotent and safe to kill at any moment.

Per document the write order makes chunk 0 the commit marker:

    1. upsert chunks 1..n-1 (deterministic ids, new doc_hash)
    2. delete this document's points whose doc_hash differs (chunk 0 excepted)
    3. replace the document's rows in the entity catalogue
    4. upsert chunk 0 (carrying doc_hash and chunk_count)

A document is complete when chunk 0 carries the file's hash and the index holds exactly
``chunk_count`` points for it. A load killed at any step leaves the document incomplete,
so the next run redoes it: 0 duplicate (same ids), 0 stale (step 2), 0 missing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.encoders import Embedder, SparseEncoder
from core.entity_rules import Mention
from core.injection import looks_like_instructions
from indexes.catalogue import EntityCatalogue
from indexes.protocol import VectorIndex
from indexes.schema import (
    F_CHUNK_INDEX,
    F_DOC_HASH,
    F_DOC_ID,
    F_GROUPS,
    ChunkPoint,
    DocRecord,
    Match,
    PointFilter,
    point_id,
)
from ingest.acl import AclResolver
from ingest.chunker import Chunker
from ingest.discover import SourceFile, discover, read_source
from ingest.document import Chunk, ParsedDocument
from ingest.entities import EntityExtractor, MentionsJob
from ingest.errors import FileRejected, NoPermissions
from ingest.isolation import DocumentParser, InlineParser
from ingest.normalize import clean_text, keywords_of, split_front_matter
from ingest.readers import reader_for
from ingest.readers.base import decode_text

log = logging.getLogger(__name__)

# bump when parsing or chunking changes: every document is then re-chunked on the next load
# 7: template tags keep the words they show ("#channel"); 8: a table's rule row is kept
PIPELINE_VERSION = "8"
# chunks per embedding call: sentence-transformers sorts a call's texts by length, so large
# calls pad less (256 ran 8% slower than one call for everything)
_EMBED_BATCH_CHUNKS = 1024


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class LoadReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    acl_updated: int = 0
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    failed: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "acl_updated": self.acl_updated,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.acl_updated)


@dataclass
class _Pending:
    source: SourceFile
    doc_hash: str
    groups: tuple[str, ...]
    parsed: ParsedDocument
    chunks: list[Chunk]
    is_new: bool


@dataclass
class _Embedded:
    """A batch of documents, embedded, whose entities are being extracted."""

    pending: list[_Pending]
    dense: list[list[float]]
    mentions: MentionsJob


def _doc_filter(doc_id: str) -> PointFilter:
    return PointFilter(must=(Match(F_DOC_ID, (doc_id,)),))


class Loader:
    """Syncs files on disk into one collection version."""

    def __init__(
        self,
        index: VectorIndex,
        catalogue: EntityCatalogue,
        embedder: Embedder,
        sparse: SparseEncoder,
        extractor: EntityExtractor,
        chunker: Chunker,
        *,
        max_file_bytes: int,
        parser: DocumentParser | None = None,
    ) -> None:
        self.index = index
        self.catalogue = catalogue
        self.embedder = embedder
        self.sparse = sparse
        self.extractor = extractor
        self.chunker = chunker
        self.max_file_bytes = max_file_bytes
        self.parser: DocumentParser = parser or InlineParser()
        self._config_stamp = (
            f"{PIPELINE_VERSION}:{chunker.max_tokens}:{chunker.overlap_tokens}:{embedder.model_id}"
        )

    # -- public -----------------------------------------------------------------
    def load(
        self,
        roots: Sequence[Path],
        acl: AclResolver,
        *,
        prune: bool = False,
        progress: Callable[[int, int], None] | None = None,
        extensionless: bool = True,
    ) -> LoadReport:
        """Sync ``roots`` into the index. ``extensionless=False`` (loads through the API)
        refuses files without an extension, which are read as plain text otherwise."""
        started = time.perf_counter()
        report = LoadReport()
        sources = [s for root in roots for s in discover(root)]
        if not extensionless:
            report.failed += [
                Failure(s.rel, "files without an extension are not loaded through the API")
                for s in sources
                if not s.path.suffix
            ]
            sources = [s for s in sources if s.path.suffix]
        known = self.index.documents()
        pending: list[_Pending] = []
        batch_chunks = 0
        embedded: _Embedded | None = None
        new_by_hash: dict[str, SourceFile] = {}
        for done, source in enumerate(sources, start=1):
            try:
                item = self._prepare(source, known.get(source.doc_id), acl, report)
            except NoPermissions as exc:  # fail closed: no copy keeps groups it may not have
                report.failed.append(Failure(source.rel, exc.message))
                if source.doc_id in known:
                    self.delete([source.doc_id])
                    report.deleted += 1
                item = None
            except FileRejected as exc:
                report.failed.append(Failure(source.rel, exc.message))
                item = None
            if item is not None:
                if item.is_new:
                    new_by_hash[item.doc_hash] = source
                pending.append(item)
                batch_chunks += len(item.chunks)
                if batch_chunks >= _EMBED_BATCH_CHUNKS:
                    embedded = self._embed(pending, embedded, report)
                    pending, batch_chunks = [], 0
            if progress:
                progress(done, len(sources))
        self._write(self._embed(pending, embedded, report), report)
        self._drop_moved(new_by_hash, known, {s.doc_id for s in sources}, report)
        if prune:
            self._prune(
                {
                    str(Path(r).resolve()) if Path(r).is_dir() else str(Path(r).resolve().parent)
                    for r in roots
                },
                {s.doc_id for s in sources},
                known,
                report,
            )
        self.index.flush()
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, doc_ids: Iterable[str]) -> int:
        ids = list(doc_ids)
        for doc_id in ids:
            self.index.delete(_doc_filter(doc_id))
        self.catalogue.delete_documents(ids)
        self.index.flush()
        return len(ids)

    # -- steps -------------------------------------------------------------------
    def _hash(self, data: bytes) -> str:
        return hashlib.sha256(data + self._config_stamp.encode()).hexdigest()

    def _prepare(
        self, source: SourceFile, known: DocRecord | None, acl: AclResolver, report: LoadReport
    ) -> _Pending | None:
        reader_for(source.path)  # an unsupported type fails before the file is read
        data = read_source(source, self.max_file_bytes)
        doc_hash = self._hash(data)
        if known is not None and known.doc_hash == doc_hash and known.complete:
            meta = self._front_matter(source, data)
            groups = acl.resolve(source.rel, meta, source.path)
            if tuple(sorted(known.groups)) == groups:
                report.unchanged += 1
            else:
                self._update_acl(source.doc_id, groups)
                report.acl_updated += 1
            return None
        parsed = self.parser.parse(data, source.rel)
        groups = acl.resolve(source.rel, parsed.metadata, source.path)
        title = parsed.title or Path(source.rel).stem.replace("-", " ").replace("_", " ").strip()
        chunks = self.chunker.run(parsed.blocks, doc_id=source.doc_id, path=source.rel, title=title)
        if not chunks:
            target = parsed.metadata.get("redirect_to")
            if target:
                raise FileRejected(
                    f"redirect-only page (redirect_to: {target}): no content to index"
                )
            raise FileRejected("no text found (a scanned PDF, an image or an empty template?)")
        parsed.title = title
        return _Pending(source, doc_hash, groups, parsed, chunks, is_new=known is None)

    @staticmethod
    def _front_matter(source: SourceFile, data: bytes) -> dict[str, object]:
        if source.path.suffix.lower() not in (".md", ".markdown", ".mdx"):
            return {}
        return split_front_matter(clean_text(decode_text(data)))[0]

    def _update_acl(self, doc_id: str, groups: tuple[str, ...]) -> None:
        rest = PointFilter(
            must=(Match(F_DOC_ID, (doc_id,)),), must_not=(Match(F_CHUNK_INDEX, (0,)),)
        )
        self.index.set_payload(rest, {F_GROUPS: list(groups)})
        self.index.set_payload(
            _doc_filter(doc_id).and_(Match(F_CHUNK_INDEX, (0,))), {F_GROUPS: list(groups)}
        )

    def _embed(
        self, pending: list[_Pending], previous: _Embedded | None, report: LoadReport
    ) -> _Embedded | None:
        """Embed a batch and start its entity extraction, then write the previous batch.

        The previous batch's NER ran in worker processes while this batch was parsed and
        embedded, so its wait here is short. Embedding and NER side by side on the same cores
        slows torch down (1.38x the embedding time measured with NER on a thread), so the
        workers run at idle priority, on the cycles torch leaves.
        """
        if not pending:
            return previous
        chunks = [c for item in pending for c in item.chunks]
        started = time.perf_counter()
        dense = self.embedder.embed([c.embed_text for c in chunks])
        report.embed_seconds += time.perf_counter() - started
        mentions = self.extractor.start([c.text for c in chunks])
        self._write(previous, report)
        return _Embedded(pending, dense, mentions)

    def _write(self, batch: _Embedded | None, report: LoadReport) -> None:
        if batch is None:
            return
        pending, dense, mentions = batch.pending, batch.dense, batch.mentions.result()
        offset = 0
        for item in pending:
            n = len(item.chunks)
            points = [
                self._point(item, chunk, dense[offset + k], mentions[offset + k])
                for k, chunk in enumerate(item.chunks)
            ]
            doc_mentions = [
                replace(m, chunk_index=k) for k in range(n) for m in mentions[offset + k]
            ]
            offset += n
            doc_id = item.source.doc_id
            self.index.upsert(points[1:])
            self.index.delete(
                PointFilter(
                    must=(Match(F_DOC_ID, (doc_id,)),),
                    must_not=(Match(F_DOC_HASH, (item.doc_hash,)), Match(F_CHUNK_INDEX, (0,))),
                )
            )
            self.catalogue.replace_document(doc_id, doc_mentions, item.source.rel)
            self.index.upsert(points[:1])  # the commit marker goes last
            report.chunks += n
            if item.is_new:
                report.added += 1
            else:
                report.updated += 1

    def _point(
        self, item: _Pending, chunk: Chunk, dense: list[float], mentions: list[Mention]
    ) -> ChunkPoint:
        meta = item.parsed.metadata
        payload = {
            F_DOC_ID: chunk.doc_id,
            "path": chunk.path,
            "root": item.source.root,
            "title": chunk.title,
            "section": chunk.section,
            "text": chunk.text,
            F_CHUNK_INDEX: chunk.index,
            "chunk_count": len(item.chunks),
            F_DOC_HASH: item.doc_hash,
            "chunk_hash": hashlib.sha256(chunk.text.encode()).hexdigest()[:16],
            F_GROUPS: list(item.groups),
            "entities": sorted({m.canonical for m in mentions}),
            "keywords": keywords_of(meta),
            "pages": list(chunk.pages),
            "source_type": item.source.path.suffix.lower().lstrip("."),
            "suspicious": looks_like_instructions(chunk.text),
        }
        return ChunkPoint(
            id=point_id(chunk.doc_id, chunk.index),
            dense=dense,
            sparse=self.sparse.document(chunk.embed_text),
            payload=payload,
        )

    def _drop_moved(
        self,
        new_by_hash: dict[str, SourceFile],
        known: dict[str, DocRecord],
        seen: set[str],
        report: LoadReport,
    ) -> None:
        """A file moved (into a restricted folder, say) is a new document with an old one's
        content: the old one goes when its own file is gone, with or without --prune, so no
        open copy outlives the move."""
        candidates = [
            d.doc_id for d in known.values() if d.doc_hash in new_by_hash and d.doc_id not in seen
        ]
        if not candidates:
            return
        where = PointFilter(must=(Match(F_DOC_ID, tuple(candidates)), Match(F_CHUNK_INDEX, (0,))))
        moved = [
            str(hit.payload.get(F_DOC_ID))
            for hit in self.index.scroll(where, [F_DOC_ID, "root", "path"])
            if hit.payload.get("root")
            and not (Path(str(hit.payload["root"])) / str(hit.payload.get("path"))).exists()
        ]
        for doc_id in moved:
            self.index.delete(_doc_filter(doc_id))
        self.catalogue.delete_documents(moved)
        report.deleted += len(moved)

    def _prune(
        self, roots: set[str], seen: set[str], known: dict[str, DocRecord], report: LoadReport
    ) -> None:
        """Delete documents of these roots that are gone, and chunks orphaned by a killed load."""
        owners: dict[str, str] = {}
        for hit in self.index.scroll(PointFilter(), [F_DOC_ID, "root"]):
            owners.setdefault(str(hit.payload.get(F_DOC_ID)), str(hit.payload.get("root", "")))
        gone = [d for d, root in owners.items() if d not in seen and root in roots]
        for doc_id in gone:
            self.index.delete(_doc_filter(doc_id))
        self.catalogue.delete_documents(gone)
        report.deleted += sum(1 for d in gone if d in known)
