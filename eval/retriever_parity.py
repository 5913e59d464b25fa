"""Retrieval quality through the llama-index retriever against ``/v1/retrieve`` itself.

    python -m eval.retriever_parity --api http://127.0.0.1:8000 --key KEY \\
        --dataset ../shared/eval/dev.jsonl --out F.json

Both ask a running service, as the same key, for the top 10 chunks of each answerable
question; recall@5 and @10 (a source document among the first k chunks' documents) are
computed the same way as ``python -m eval run``. They must be equal, and the rankings
identical (same chunk ids, same scores).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx

from eval.dataset import load_cases

K = 10


def _recall(paths: list[str], sources: tuple[str, ...], k: int) -> float:
    return float(any(p in sources for p in paths[:k]))


def run(api: str, key: str, dataset: Path) -> dict[str, Any]:
    from integrations.llama_index import DocentRetriever

    cases = [c for c in load_cases(dataset) if c.answerable and c.sources]
    retriever = DocentRetriever(api, key, top_k=K)
    direct_rows, via_rows, identical = [], [], 0
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=120) as c:
        for case in cases:
            r = c.post("/v1/retrieve", json={"query": case.question, "top_k": K})
            r.raise_for_status()
            direct = r.json()["chunks"]
            via = retriever.retrieve(case.question)
            identical += [(d["id"], d["score"]) for d in direct] == [
                (h.node.node_id, h.score) for h in via
            ]
            direct_rows.append([d["path"] for d in direct])
            via_rows.append([h.node.metadata["path"] for h in via])

    def recalls(rows: list[list[str]]) -> dict[str, float]:
        return {
            f"recall_at_{k}": round(
                sum(_recall(p, c.sources, k) for p, c in zip(rows, cases, strict=True))
                / len(cases),
                4,
            )
            for k in (5, 10)
        }

    return {
        "dataset": str(dataset),
        "questions": len(cases),
        "v1_retrieve": recalls(direct_rows),
        "llama_index_retriever": recalls(via_rows),
        "identical_rankings": identical,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run(args.api, args.key, args.dataset)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
