"""Ingest benchmark: Docent vs a plain llama-index pipeline, on the same files, same run.

    python -m eval.bench_ingest --corpus ../shared/corpus --which docent|baseline --out F.json

Each side runs in its own process (``python -m eval bench`` starts both) so peak memory is
its own. Docent: documents/s, chunks/s, peak RSS, share of wall time in embedding, and the
time to embed the same chunk texts alone. Baseline: ``IngestionPipeline([SentenceSplitter,
HuggingFaceEmbedding(same model)])`` into ``QdrantVectorStore`` on qdrant-client local mode.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from core.offline import enforce_offline


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_docent(corpus: Path) -> dict[str, Any]:
    from core.encoders import SentenceEmbedder
    from core.settings import Settings
    from indexes.factory import open_catalogue, open_store
    from indexes.schema import PointFilter
    from ingest.acl import AclResolver
    from ingest.document import embed_text
    from ingest.service import IngestService

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), embedding={"cache": False})
        embedder = SentenceEmbedder(batch_size=settings.embedding.batch_size)
        embedder.warm_up()
        store = open_store(settings)
        service = IngestService(settings, store, open_catalogue(settings), embedder)
        service.extractor.warm_up()
        started = time.perf_counter()
        report = service.load([corpus], AclResolver(groups=("everyone",)))
        wall = time.perf_counter() - started
        service.close()
        texts = [
            embed_text(str(h.payload["title"]), str(h.payload["section"]), str(h.payload["text"]))
            for h in store.active().scroll(PointFilter(), ["title", "section", "text"])
        ]
        started = time.perf_counter()
        embedder.embed(texts)
        embed_alone = time.perf_counter() - started
        store.close()
    docs = report.added + report.updated
    return {
        "documents": docs,
        "chunks": report.chunks,
        "failed": len(report.failed),
        "wall_s": round(wall, 2),
        "docs_per_s": round(docs / wall, 2),
        "chunks_per_s": round(report.chunks / wall, 2),
        "embed_share": round(report.embed_seconds / wall, 3),
        "embed_alone_s": round(embed_alone, 2),
        "wall_over_embed_alone": round(wall / embed_alone, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def run_baseline(corpus: Path) -> dict[str, Any]:
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    from core.encoders import default_model_path

    class TimedEmbedding(HuggingFaceEmbedding):
        """Counts the seconds spent embedding, to report the same share as Docent's."""

        def _get_text_embeddings(self, texts: list[str]) -> Any:
            started = time.perf_counter()
            try:
                return super()._get_text_embeddings(texts)
            finally:
                _spent[0] += time.perf_counter() - started

    _spent = [0.0]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        documents = SimpleDirectoryReader(
            str(corpus), recursive=True, required_exts=[".md", ".txt", ".html", ".pdf", ".docx"]
        ).load_data(show_progress=False)
        client = QdrantClient(path=tmp)
        store = QdrantVectorStore(client=client, collection_name="baseline")
        pipeline = IngestionPipeline(
            transformations=[
                SentenceSplitter(),
                TimedEmbedding(model_name=str(default_model_path()), device="cpu"),
            ],
            vector_store=store,
        )
        nodes = pipeline.run(documents=documents)
        wall = time.perf_counter() - started
        client.close()
    files = len({d.metadata.get("file_path") for d in documents})
    return {
        "documents": files,
        "chunks": len(nodes),
        "wall_s": round(wall, 2),
        "docs_per_s": round(files / wall, 2),
        "chunks_per_s": round(len(nodes) / wall, 2),
        "embed_share": round(_spent[0] / wall, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def main() -> None:
    enforce_offline()
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--which", choices=["docent", "baseline"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run_docent(args.corpus) if args.which == "docent" else run_baseline(args.corpus)
    args.out.write_text(json.dumps(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
