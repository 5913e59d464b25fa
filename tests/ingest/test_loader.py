"""Incremental, idempotent loads against the real embedded Qdrant engine and real models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.encoders import SentenceEmbedder
from core.settings import Settings
from indexes.factory import open_catalogue, open_store
from indexes.schema import F_DOC_ID, PointFilter
from ingest.acl import AclResolver
from ingest.entities import EntityExtractor
from ingest.service import IngestService

pytestmark = pytest.mark.integration


class CountingEmbedder:
    """Wraps the real embedder to count how many texts were embedded."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def service(settings: Settings, embedder: SentenceEmbedder, extractor: EntityExtractor):  # type: ignore[no-untyped-def]
    store = open_store(settings)
    svc = IngestService(
        settings, store, open_catalogue(settings), CountingEmbedder(embedder), extractor
    )
    yield svc
    store.close()


def assert_consistent(svc: IngestService) -> None:
    """0 duplicates, 0 stale, 0 missing: every document's stored chunks match its chunk 0."""
    index = svc.store.active()
    docs = index.documents()
    counts = index.chunk_counts()
    assert set(counts) == set(docs), "points without a committed chunk 0"
    for doc in docs.values():
        assert doc.complete, doc.path
        hashes = {h.payload["doc_hash"] for h in index.scroll(_doc(doc.doc_id), ["doc_hash"])}
        assert hashes == {doc.doc_hash}, doc.path
    assert index.count() == sum(d.chunk_count for d in docs.values())


def _doc(doc_id: str) -> PointFilter:
    from indexes.schema import Match

    return PointFilter(must=(Match(F_DOC_ID, (doc_id,)),))


def test_second_load_skips_everything_without_embedding(
    service: IngestService, small_corpus: Path
) -> None:
    acl = AclResolver(groups=("everyone",))
    first = service.load([small_corpus], acl)
    assert first.added > 10 and not first.failed and first.chunks > 0
    embedded = service.embedder.inner.texts  # type: ignore[attr-defined]
    second = service.load([small_corpus], acl)
    assert second.unchanged == first.added and second.added == second.updated == 0
    assert service.embedder.inner.texts == embedded  # type: ignore[attr-defined]
    paths = {d.path for d in service.store.active().documents().values()}
    assert "18f-handbook/pages/getting-started/piv.md" in paths  # relative to the loaded root
    assert_consistent(service)


def test_edit_delete_rename_are_reflected_exactly_with_prune(
    service: IngestService, small_corpus: Path
) -> None:
    acl = AclResolver(groups=("everyone",))
    service.load([small_corpus], acl)
    base = small_corpus / "18f-handbook/pages/getting-started"
    (base / "piv.md").write_text(
        "---\ntitle: PIV card\n---\n\n# Badges\n\nBadges are processed on Fridays now.\n"
    )
    (base / "equipment.md").unlink()
    (base / "index.md").rename(base / "start-here.md")
    report = service.load([small_corpus], acl, prune=True)
    assert (report.updated, report.deleted, report.added) == (1, 2, 1)
    docs = {d.path: d for d in service.store.active().documents().values()}
    assert "18f-handbook/pages/getting-started/equipment.md" not in docs
    assert "18f-handbook/pages/getting-started/index.md" not in docs
    assert "18f-handbook/pages/getting-started/start-here.md" in docs
    assert docs["18f-handbook/pages/getting-started/piv.md"].chunk_count == 1
    assert_consistent(service)


def test_acl_only_change_updates_payload_without_embedding(
    service: IngestService, small_corpus: Path
) -> None:
    service.load([small_corpus], AclResolver(groups=("everyone",)))
    before = service.embedder.inner.texts  # type: ignore[attr-defined]
    report = service.load([small_corpus], AclResolver(groups=("hr",)))
    assert report.acl_updated > 10 and report.updated == 0
    assert service.embedder.inner.texts == before  # type: ignore[attr-defined]
    groups = {
        tuple(h.payload["groups"]) for h in service.store.active().scroll(PointFilter(), ["groups"])
    }
    assert groups == {("hr",)}


def test_bad_files_fail_alone_and_the_rest_loads(service: IngestService, tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nThe cafeteria opens at 8am.\n")
    (root / "empty.md").write_text("")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7 garbage")
    (root / "binary.xyz").write_bytes(b"\x00\x01")
    (root / "latin.txt").write_bytes("cr\u00e8me br\u00fbl\u00e9e".encode("latin-1"))
    report = service.load([root], AclResolver(groups=("everyone",)))
    reasons = {f.path: f.reason for f in report.failed}
    assert report.added == 1
    assert set(reasons) == {"empty.md", "corrupt.pdf", "binary.xyz", "latin.txt"}
    assert "empty" in reasons["empty.md"] and "PDF" in reasons["corrupt.pdf"]


def test_huge_file_is_rejected(
    settings: Settings, embedder: SentenceEmbedder, extractor: EntityExtractor, tmp_path: Path
) -> None:
    small = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_file_bytes": 1000})}
    )
    store = open_store(small)
    svc = IngestService(small, store, open_catalogue(small), embedder, extractor)
    root = tmp_path / "big"
    root.mkdir()
    (root / "big.md").write_text("# Big\n\n" + "word " * 1000)
    report = svc.load([root], AclResolver(groups=("everyone",)))
    store.close()
    assert report.failed and "limit" in report.failed[0].reason


def test_reindex_switches_to_a_complete_new_version(
    service: IngestService, small_corpus: Path
) -> None:
    service.load([small_corpus], AclResolver(groups=("everyone",)))
    old = service.store.active()
    n = old.count()
    name, points = service.reindex()
    assert name != old.name and points == n
    assert service.store.active().name == name and service.store.active().count() == n
    assert service.store.versions() == [name]
