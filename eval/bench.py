"""`python -m eval bench`: the three benchmarks, each in its own process, one table, bench.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUICK_SUBSET = "18f-handbook"  # --quick: one handbook, for a smoke run


def _run(module: str, *args: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    proc = subprocess.run(
        [sys.executable, "-m", module, *args, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{proc.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return data


def service_env(data: Path, count: int, prefix: str) -> tuple[list[str], dict[str, str]]:
    """``count`` users of the group everyone (ids ``{prefix}0``...), written to the data dir,
    and the environment of a service on ``data`` for them, without rate limits."""
    import yaml

    from app.auth import hash_key

    keys = [f"{prefix}-key-{i}" for i in range(count)]
    users = data / f"{prefix}-users.yaml"
    users.write_text(
        yaml.safe_dump(
            {
                "users": [
                    {"id": f"{prefix}{i}", "groups": ["everyone"], "key_sha256": hash_key(k)}
                    for i, k in enumerate(keys)
                ]
            }
        )
    )
    env = {
        **os.environ,
        "DOCENT_DATA_DIR": str(data),
        "DOCENT_USERS_FILE": str(users),
        "DOCENT_RATE_LIMIT_PER_MINUTE": "100000",
        "DOCENT_LOG_LEVEL": "WARNING",
    }
    return keys, env


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile, rounded to 0.1 (0 for no values); the benchmarks'
    one definition of p50/p95/p99."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def table(results: dict[str, Any]) -> str:
    ing, base = results["ingest"]["docent"], results["ingest"]["baseline"]
    q, api = results["query"], results["api"]

    def versus_baseline(label: str, key: str, target: str = "") -> tuple[Any, ...]:
        return (label, ing[key], base[key], round(ing[key] / base[key], 2), target)

    rows = [
        versus_baseline("ingest chunks/s", "chunks_per_s", ">= 1.5x baseline"),
        versus_baseline("ingest docs/s", "docs_per_s"),
        versus_baseline("ingest peak RSS MB", "peak_rss_mb"),
        ("ingest embed share of wall", ing["embed_share"], base["embed_share"], "", ""),
        (
            "ingest wall / embed alone",
            ing["wall_over_embed_alone"],
            1.0,
            ing["wall_over_embed_alone"],
            "<= 1.25",
        ),
        (
            "query p50 ms (no generation)",
            q["pipeline_without_generation_ms"]["p50"],
            q["baseline_dense_search_ms"]["p50"],
            "",
            "<= 50",
        ),
        (
            "query p95 ms (no generation)",
            q["pipeline_without_generation_ms"]["p95"],
            q["baseline_dense_search_ms"]["p95"],
            "",
            "<= 150",
        ),
        ("query p50 ms end to end", q["end_to_end_ms"]["p50"], "", "", ""),
        (
            f"api cached ask p95 ms ({api['cached_ask']['think_ms']:.0f} ms mean pause)",
            api["cached_ask"]["p95_ms"],
            api["baseline_healthz"]["p95_ms"],
            "",
            "<= 20",
        ),
        (
            "api cached ask p95 ms, saturated (no pause)",
            api["cached_ask_saturated"]["p95_ms"],
            api["baseline_healthz_saturated"]["p95_ms"],
            "",
            "",
        ),
        (
            "api cached ask rps, saturated",
            api["cached_ask_saturated"]["throughput_rps"],
            api["baseline_healthz_saturated"]["throughput_rps"],
            "",
            "",
        ),
        (
            "api generate p50/p95/p99 ms",
            f"{api['generate_ask']['p50_ms']}/{api['generate_ask']['p95_ms']}/{api['generate_ask']['p99_ms']}",
            "",
            "",
            "",
        ),
        ("api generate error rate", api["generate_ask"]["error_rate"], "", "", "0"),
        ("api generate 503 share", api["generate_ask"]["cap_503_share"], "", "", ""),
        ("api startup s", api["startup_s"], "", "", "< 15"),
    ]
    lines = [
        f"cores: {os.cpu_count()}",
        "",
        "| figure | docent | baseline (same run) | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return "\n".join(lines)


def run_all(corpus: Path, out: Path, quick: bool = False) -> int:
    corpus = corpus.resolve()
    target = corpus / QUICK_SUBSET if quick else corpus
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"cores": os.cpu_count(), "corpus": str(target), "quick": quick}
    results["ingest"] = {
        "docent": _run("eval.bench_ingest", "--corpus", str(target), "--which", "docent"),
        "baseline": _run("eval.bench_ingest", "--corpus", str(target), "--which", "baseline"),
    }
    results["query"] = _run(
        "eval.bench_query", "--corpus", str(corpus), "--n", "15" if quick else "40"
    )
    results["api"] = _run(
        "eval.bench_api",
        "--corpus",
        str(corpus),
        "--users",
        "20",
        "--seconds",
        "20" if quick else "60",
    )
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    text = table(results)
    (out / "bench.md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {out / 'bench.json'}")
    return 0
