"""Generation benchmark: the portable llama.cpp build against a -march=native one, and the
model in its own process (what Docent runs) against the model inside the API process.

    python -m eval.bench_generation --corpus ../shared/corpus --out F.json \
        [--native-site DIR] [--rounds 3] [--prompts 4]

``--native-site`` is a folder holding a -march=native build of llama-cpp-python (``pip
install --no-deps --target DIR <wheel>``); it is put first on PYTHONPATH of the runs that
measure it. Builds and paths alternate within each round, so machine noise hits both
alike; each figure is the median over rounds, and ratios compare figures of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from app.generation.base import Delta, GenerationParams, Generator
from core.offline import enforce_offline

SYSTEM = (
    "Answer the question using only the sources. Cite sources as [n]. If the sources do "
    "not answer it, say so."
)
QUESTIONS = (
    "How many days a week can employees work remotely?",
    "Who approves travel requests?",
    "What should I do on my first day?",
    "How do I request time off?",
)


def prompts(corpus: Path, n: int, source_chars: int = 3600) -> list[list[dict[str, str]]]:
    """``n`` chat prompts the size of a real one (~900 tokens of sources)."""
    files = sorted(corpus.rglob("*.md"))[:200:7]
    out = []
    for i in range(n):
        text = "\n\n".join(f.read_text(errors="replace")[:1200] for f in files[i * 3 : i * 3 + 3])
        user = f"Sources:\n{text[:source_chars]}\n\nQuestion: {QUESTIONS[i % len(QUESTIONS)]}"
        out.append([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}])
    return out


def measure(generator: Generator, batch: list[list[dict[str, str]]]) -> dict[str, float]:
    """Median time to first token, total latency, and decode tokens/s over the prompts."""
    params = GenerationParams(temperature=0.0, max_tokens=96, stop=())
    ttft, total, decode, prefill = [], [], [], []
    for messages in batch:
        started = time.perf_counter()
        first: float | None = None
        last = Delta()
        for delta in generator.stream(messages, params):
            if delta.text and first is None:
                first = time.perf_counter() - started
            last = delta
        elapsed = time.perf_counter() - started
        first = first or elapsed
        ttft.append(first * 1000)
        total.append(elapsed * 1000)
        if last.tokens_out and elapsed > first:
            decode.append((last.tokens_out - 1) / (elapsed - first))
        if last.tokens_in:
            prefill.append(last.tokens_in / first)
    return {
        "ttft_ms": round(statistics.median(ttft), 1),
        "total_ms": round(statistics.median(total), 1),
        "decode_tok_s": round(statistics.median(decode), 1) if decode else 0.0,
        "prefill_tok_s": round(statistics.median(prefill), 1) if prefill else 0.0,
    }


def child(path: str, corpus: Path, n: int) -> dict[str, Any]:
    """One measurement in this process: ``inprocess`` or ``server`` generation."""
    import tempfile

    from app.generation.embedded import EmbeddedGenerator
    from app.generation.llama_cpp import LlamaCppGenerator
    from app.generation.model_process import ModelProcess
    from app.generation.native_check import compiled_features
    from core.settings import Settings

    settings = Settings()
    gen: Any
    if path == "inprocess":
        gen = LlamaCppGenerator(
            settings.generation.model_path,
            n_ctx=settings.generation.context,
            n_threads=settings.generation.threads,
        )
        gen.warm_up()
    else:
        log = Path(tempfile.mkdtemp()) / "model.log"
        process = ModelProcess(
            settings.generation.model_path,
            n_ctx=settings.generation.context,
            n_threads=settings.generation.threads,
            log_path=log,
            start_timeout_s=settings.generation.start_timeout_s,
        )
        gen = EmbeddedGenerator(process, timeout_s=120)
        gen.warm_up()
    batch = prompts(corpus, n)
    measure(gen, batch[:1])  # warm caches and pages
    result = measure(gen, batch)
    if path == "server":
        gen.close()
    features = compiled_features()
    result["avx512"] = bool(features.get("AVX512"))
    return result


def _run_child(path: str, corpus: Path, n: int, site: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [
            *(sys.executable, "-m", "eval.bench_generation", "--child", path),
            *("--corpus", str(corpus), "--prompts", str(n)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(corpus: Path, rounds: int, n: int, native_site: Path | None) -> dict[str, Any]:
    configs: dict[str, tuple[str, Path | None]] = {
        "portable_inprocess": ("inprocess", None),
        "portable_server": ("server", None),
    }
    if native_site is not None:
        configs["native_inprocess"] = ("inprocess", native_site)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for _ in range(rounds):
        for name, (path, site) in configs.items():
            runs[name].append(_run_child(path, corpus, n, site))
    report: dict[str, Any] = {"rounds": rounds, "prompts_per_round": n}
    for name, results in runs.items():
        report[name] = {
            key: round(statistics.median(r[key] for r in results), 1)
            for key in ("ttft_ms", "total_ms", "decode_tok_s", "prefill_tok_s")
        }
        report[name]["avx512"] = results[0]["avx512"]
    inproc, server = report["portable_inprocess"], report["portable_server"]
    report["server_vs_inprocess"] = {
        "ttft_ratio": round(server["ttft_ms"] / inproc["ttft_ms"], 3),
        "total_ratio": round(server["total_ms"] / inproc["total_ms"], 3),
    }
    if "native_inprocess" in report:
        native = report["native_inprocess"]
        report["portable_vs_native"] = {
            "decode_ratio": round(inproc["decode_tok_s"] / native["decode_tok_s"], 3),
            "prefill_ratio": round(inproc["prefill_tok_s"] / native["prefill_tok_s"], 3),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    enforce_offline()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench-generation.json"))
    parser.add_argument("--native-site", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--child", choices=["inprocess", "server"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.prompts)))
        return 0
    report = run(args.corpus, args.rounds, args.prompts, args.native_site)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
