"""Batch throughput and OpenAI time to first token, each beside the interactive figure of
the same run, on a real service (a subprocess on 127.0.0.1) over an existing index.

    python -m eval.bench_interfaces --index DIR --out F.json [--batch-n 200 --ttft-n 10]

1. Extractive generator: ``--batch-n`` distinct questions (from eval/datasets) go in one
   ``POST /v1/batches``; throughput is questions per second until the job completes.
   Beside it, the interactive figure: ``--interactive-n`` other distinct questions asked one
   after another through ``POST /v1/ask`` (questions per second, and latency).
2. The embedded model: ``--ttft-n`` distinct questions, each streamed through
   ``/v1/chat/completions`` (at temperature 0.01, so neither served from nor kept in the
   answer cache); time to first content is when the first non-empty content delta arrives.
   Beside it, the same question through ``POST /v1/ask`` (the whole answer's latency, what a
   client without streaming waits), and how the answer was made (model, quotes, abstained).
No answer comes from the cache. With ``--parity DATASET``,
eval/retriever_parity.py runs against the first service too.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from app.process import api_command, wait_until_up
from core.offline import enforce_offline
from eval.bench import percentile, service_env

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "eval" / "datasets"


def questions() -> list[str]:
    """Distinct questions of the bundled datasets, in a fixed order."""
    seen: dict[str, None] = {}
    for name in (
        "answer_types.jsonl",
        "answer_types_holdout.jsonl",
        "docent.jsonl",
        "untuned.jsonl",
    ):
        for line in (DATASETS / name).read_text().splitlines():
            if line.strip():
                seen.setdefault(json.loads(line)["question"].strip(), None)
    return list(seen)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Service:
    def __init__(self, index: Path, generator: str) -> None:
        self.keys, env = service_env(index, 1, "bench")
        env["DOCENT_GENERATION__KIND"] = generator
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            api_command("127.0.0.1", self.port, "--log-level", "warning"), env=env, cwd=ROOT
        )
        if not wait_until_up(f"{self.url}/readyz", 300, self.proc):
            self.proc.kill()
            raise RuntimeError("the service did not start")
        self.http = httpx.Client(
            base_url=self.url, timeout=300, headers={"Authorization": f"Bearer {self.keys[0]}"}
        )

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _interactive(svc: _Service, qs: list[str]) -> dict[str, Any]:
    latencies = []
    started = time.perf_counter()
    for q in qs:
        t = time.perf_counter()
        svc.http.post("/v1/ask", json={"question": q}).raise_for_status()
        latencies.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    return {
        "questions": len(qs),
        "questions_per_s": round(len(qs) / wall, 2),
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95)},
    }


def _batch(svc: _Service, qs: list[str]) -> dict[str, Any]:
    body = "\n".join(json.dumps({"custom_id": str(i), "question": q}) for i, q in enumerate(qs))
    started = time.perf_counter()
    made = svc.http.post("/v1/batches", content=body)
    made.raise_for_status()
    job = made.json()
    while job["status"] == "in_progress":
        time.sleep(0.2)
        job = svc.http.get(f"/v1/batches/{job['id']}").json()
    wall = time.perf_counter() - started
    return {
        "questions": len(qs),
        "status": job["status"],
        "completed": job["request_counts"]["completed"],
        "failed": job["request_counts"]["failed"],
        "seconds": round(wall, 1),
        "questions_per_s": round(len(qs) / wall, 2),
    }


def _ttft(svc: _Service, qs: list[str]) -> dict[str, Any]:
    firsts, totals, asks, sources = [], [], [], []
    for q in qs:
        started = time.perf_counter()
        first = None
        body = {
            "model": "docent",
            "stream": True,
            "temperature": 0.01,
            "messages": [{"role": "user", "content": q}],
        }
        with svc.http.stream("POST", "/v1/chat/completions", json=body) as r:
            for line in r.iter_lines():
                if first is None and line.startswith("data: {"):
                    choices = json.loads(line[6:]).get("choices") or [{}]
                    if (choices[0].get("delta") or {}).get("content"):
                        first = (time.perf_counter() - started) * 1000
        totals.append((time.perf_counter() - started) * 1000)
        firsts.append(first if first is not None else totals[-1])
        t = time.perf_counter()
        asked = svc.http.post("/v1/ask", json={"question": q})
        asked.raise_for_status()
        asks.append((time.perf_counter() - t) * 1000)
        sources.append(asked.json()["answer_source"])
    return {
        "questions": len(qs),
        "openai_first_content_ms": {
            "p50": percentile(firsts, 0.5),
            "p95": percentile(firsts, 0.95),
        },
        "openai_stream_complete_ms": {
            "p50": percentile(totals, 0.5),
            "p95": percentile(totals, 0.95),
        },
        "interactive_ask_ms": {"p50": percentile(asks, 0.5), "p95": percentile(asks, 0.95)},
        "ask_answer_sources": {s: sources.count(s) for s in sorted(set(sources))},
    }


def run(
    index: Path, batch_n: int, interactive_n: int, ttft_n: int, parity: Path | None = None
) -> dict[str, Any]:
    qs = questions()
    need = batch_n + interactive_n + ttft_n
    if len(qs) < need:
        raise SystemExit(f"{len(qs)} distinct questions; {need} are needed")
    batch_qs, rest = qs[:batch_n], qs[batch_n:]
    inter_qs, rest = rest[:interactive_n], rest[interactive_n:]
    ttft_qs = rest[:ttft_n]
    out: dict[str, Any] = {"index": str(index)}
    svc = _Service(index, "extractive")
    try:
        out["extractive"] = {
            "interactive_ask": _interactive(svc, inter_qs),
            "batch": _batch(svc, batch_qs),
        }
        if parity is not None:  # retrieval through llama-index against /v1/retrieve
            from eval.retriever_parity import run as parity_run

            out["llama_index_parity"] = parity_run(svc.url, svc.keys[0], parity)
    finally:
        svc.close()
    svc = _Service(index, "embedded")
    try:
        _interactive(svc, ["What is Docent?"])  # the model's first answer loads it
        out["embedded_model"] = _ttft(svc, ttft_qs)
    finally:
        svc.close()
    return out


def main() -> None:
    enforce_offline()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a data dir with an index")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-n", type=int, default=200)
    parser.add_argument("--interactive-n", type=int, default=50)
    parser.add_argument("--ttft-n", type=int, default=10)
    parser.add_argument("--parity", type=Path, help="a dataset for eval/retriever_parity.py")
    args = parser.parse_args()
    result = run(args.index, args.batch_n, args.interactive_n, args.ttft_n, args.parity)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
