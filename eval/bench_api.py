"""API load benchmark: a real service on 127.0.0.1 and an asyncio client, bounded in time.

    python -m eval.bench_api --corpus ../shared/corpus --out F.json [--users 20 --seconds 60]

Phases, each ``--seconds`` long with ``--users`` concurrent users:
  baseline  GET /healthz (framework and network overhead)
  cached    POST /v1/ask with questions already answered (answer-cache hits)
  generate  POST /v1/ask with distinct questions (real generation on the embedded model;
            the concurrency cap answers 503 + Retry-After instead of queueing)
The baseline and cached phases run twice: once as users who pause between requests
(``--think-ms``, uniform between half and 1.5x it, as people and tools do), and once
saturated (no pause: every user fires its next request the moment an answer arrives, so
latency there is mostly queueing behind the other 19 users on this machine's 2 cores).
Errors are anything but 200, 503 from the cap, and 429: timeouts and 5xx other than 503.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.process import api_command, wait_until_up
from core.offline import enforce_offline
from eval.bench import percentile, service_env

ROOT = Path(__file__).resolve().parent.parent


async def _phase(
    url: str, keys: list[str], seconds: float, make: Any, think_ms: float = 0.0
) -> dict[str, Any]:
    latencies: list[float] = []
    codes: dict[str, int] = {}
    deadline = time.monotonic() + seconds

    async def user(i: int) -> None:
        pause = random.Random(i)
        async with httpx.AsyncClient(
            base_url=url, timeout=120, headers={"Authorization": f"Bearer {keys[i]}"}
        ) as client:
            k = 0
            while time.monotonic() < deadline:
                method, path, body = make(i, k)
                k += 1
                started = time.perf_counter()
                try:
                    resp = await client.request(method, path, json=body)
                    code = str(resp.status_code)
                    if resp.status_code == 503:
                        await asyncio.sleep(float(resp.headers.get("retry-after", "1")))
                except httpx.TimeoutException:
                    code = "timeout"
                except httpx.HTTPError:
                    code = "connection_error"
                if code == "200":
                    latencies.append((time.perf_counter() - started) * 1000)
                codes[code] = codes.get(code, 0) + 1
                if think_ms:
                    await asyncio.sleep(pause.uniform(0.5, 1.5) * think_ms / 1000)

    started = time.monotonic()
    await asyncio.gather(*(user(i) for i in range(len(keys))))
    elapsed = time.monotonic() - started
    total = sum(codes.values())
    errors = sum(v for k, v in codes.items() if k not in ("200", "503", "429"))
    return {
        "requests": total,
        "ok": codes.get("200", 0),
        "codes": codes,
        "throughput_rps": round(codes.get("200", 0) / elapsed, 2),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "error_rate": round(errors / total, 4) if total else 0.0,
        "cap_503_share": round(codes.get("503", 0) / total, 4) if total else 0.0,
        "think_ms": think_ms,
    }


def run(corpus: Path, users: int, seconds: float, think_ms: float) -> dict[str, Any]:
    from eval.dataset import load_cases

    questions = [c.question for c in load_cases(ROOT / "eval" / "datasets" / "docent.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        keys, env = service_env(data, users, "bench")
        env |= {
            # the cached phase has every user ask what one user asked: that measures answers
            # shared by users with the same groups (the default keeps them per user)
            "DOCENT_CACHE_SCOPE": "groups",
        }
        cache = Path.home() / ".cache" / "docent" / "embed-cache.sqlite"
        env["DOCENT_EMBEDDING__CACHE_PATH"] = str(cache)
        load = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest.cli",
                "load",
                str(corpus),
                "--groups",
                "everyone",
                "--json",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if load.returncode not in (0, 2):
            raise RuntimeError(load.stderr[-2000:])
        port = 18000 + os.getpid() % 1000
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        server = subprocess.Popen(
            api_command("127.0.0.1", port, "--log-level", "warning"), env=env, cwd=ROOT
        )
        try:
            if not wait_until_up(f"{url}/readyz", timeout_s=120, proc=server):
                raise RuntimeError("the service did not start")
            startup = time.monotonic() - started
            warm = questions[:5]
            with httpx.Client(
                base_url=url, timeout=120, headers={"Authorization": f"Bearer {keys[0]}"}
            ) as c:
                for q in warm:  # answer them once so the cached phase hits the cache
                    c.post("/v1/ask", json={"question": q})
            result: dict[str, Any] = {
                "startup_s": round(startup, 2),
                "users": users,
                "seconds": seconds,
            }
            healthz = lambda i, k: ("GET", "/healthz", None)  # noqa: E731
            cached = lambda i, k: (  # noqa: E731
                "POST",
                "/v1/ask",
                {"question": warm[(i + k) % len(warm)]},
            )
            for name, make in (("baseline_healthz", healthz), ("cached_ask", cached)):
                result[name] = asyncio.run(_phase(url, keys, seconds, make, think_ms))
                result[f"{name}_saturated"] = asyncio.run(_phase(url, keys, seconds, make))
            rest = questions[5:]
            result["generate_ask"] = asyncio.run(
                _phase(
                    url,
                    keys,
                    seconds,
                    lambda i, k: ("POST", "/v1/ask", {"question": rest[(i * 7 + k) % len(rest)]}),
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return result


def main() -> None:
    enforce_offline()
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think-ms", type=float, default=500, help="mean pause per user")
    args = parser.parse_args()
    result = run(args.corpus, args.users, args.seconds, args.think_ms)
    args.out.write_text(json.dumps(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
