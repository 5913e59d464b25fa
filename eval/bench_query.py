"""Query benchmark on a warm process with the whole corpus indexed.

    python -m eval.bench_query --corpus ../shared/corpus --out F.json [--n 40] [--index DIR]

Reports everything-but-generation latency (the pipeline's total minus its generate stage)
with each stage's share,
the end-to-end latency with the embedded model beside it, and as the baseline from the same
run a bare dense search (embed the question + one Qdrant query).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from core.offline import enforce_offline
from eval.bench import percentile


def _pcts(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "mean": round(statistics.fmean(values), 1),
    }


def run(corpus: Path, n: int, index: Path | None = None) -> dict[str, Any]:
    from app.pipeline.types import User
    from core.settings import RetrievalMode, Settings
    from eval.dataset import load_cases
    from eval.runner import open_local
    from indexes.schema import SearchRequest

    run = open_local(corpus, Settings(), data_dir=index)
    try:
        c = run.components
        user = User("bench", ("everyone",))
        root = Path(__file__).resolve().parent
        questions = [x.question for x in load_cases(root / "datasets" / "docent.jsonl")][:n]
        c.pipeline.run("warm up the models", user)
        pre_gen: list[float] = []
        e2e: list[float] = []
        stages: dict[str, list[float]] = {}
        for q in questions:
            c.pipeline.cache.clear()
            r = c.pipeline.run(q, user)
            e2e.append(r.timings_ms["total"])
            pre_gen.append(r.timings_ms["total"] - r.timings_ms.get("generate", 0.0))
            for stage, ms in r.timings_ms.items():
                if stage not in ("total", "generate"):
                    stages.setdefault(stage, []).append(ms)
        dense: list[float] = []
        for q in questions:
            started = time.perf_counter()
            vec = c.embedder.embed([q + " (uncached)"])[0]
            run.store.active().search(SearchRequest(groups=user.groups, limit=40, dense=vec))
            dense.append((time.perf_counter() - started) * 1000)
        hybrid: list[float] = []
        for q in questions:
            started = time.perf_counter()
            c.retriever.search(q + " (again)", user.groups, mode=RetrievalMode.HYBRID)
            hybrid.append((time.perf_counter() - started) * 1000)
    finally:
        run.close()
    return {
        "n": len(questions),
        "pipeline_without_generation_ms": _pcts(pre_gen),
        "end_to_end_ms": _pcts(e2e),
        # an abstention skips prompt and generation: those stages have fewer samples
        "stages_ms": {k: {**_pcts(v), "n": len(v)} for k, v in sorted(stages.items())},
        "hybrid_search_ms": _pcts(hybrid),
        "baseline_dense_search_ms": _pcts(dense),
    }


def main() -> None:
    enforce_offline()
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument(
        "--index",
        type=Path,
        help="reuse this data dir instead of a fresh temporary index (faster reruns)",
    )
    args = parser.parse_args()
    result = run(args.corpus, args.n, args.index)
    args.out.write_text(json.dumps(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
