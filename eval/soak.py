"""Soak: a bounded mixed load on a real service on 127.0.0.1, stopping by itself.

    python -m eval.soak --index DIR --out F.json [--seconds 600 --users 8 --think-ms 1000]

``--index`` is a loaded data dir (copied first; the original is not touched). Each user
loops until the time is up, with a pause between requests (uniform 0.5x-1.5x
``--think-ms``), over: a new question (40%), a question already asked (20%),
/v1/retrieve (20%), a follow-up in its conversation (10%), the conversation list (5%) and
feedback on its last answer (5%). Reports, per route and overall: requests, error rate
(anything but 2xx, 429 and the cap's 503), p50 and p99; and the service's RSS (API and its
model server) at the start, the end and its peak, sampled every 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.process import api_command, wait_until_up
from core.offline import enforce_offline
from eval.bench import percentile, service_env

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"new": 40, "repeat": 20, "retrieve": 20, "follow_up": 10, "list": 5, "feedback": 5}


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux /proc)."""
    total_kib, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total_kib += int(
                next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS"))
            )
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return round(total_kib / 1024, 1)


def _questions() -> list[str]:
    from eval.dataset import load_cases

    qs: dict[str, None] = {}
    for name in ("docent.jsonl", "fresh.jsonl", "holdout.jsonl"):
        for case in load_cases(ROOT / "eval" / "datasets" / name):
            if not case.history:
                qs.setdefault(case.question, None)
    return list(qs)


async def _user(
    i: int,
    url: str,
    key: str,
    questions: list[str],
    deadline: float,
    think_ms: float,
    log: list[tuple[str, str, float]],
) -> None:
    rng = random.Random(i)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    conversation: str | None = None
    trace: str | None = None
    asked: list[str] = []
    async with httpx.AsyncClient(
        base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if (kind in ("repeat", "follow_up") and not asked) or (
                kind == "feedback" and not trace
            ):
                kind = "new"
            if kind == "new":
                q = rng.choice(questions)
                asked.append(q)
                method, path, body = "POST", "/v1/ask", {"question": q}
            elif kind == "repeat":
                method, path, body = "POST", "/v1/ask", {"question": rng.choice(asked)}
            elif kind == "follow_up":
                body = {"question": "and how long does that take?"}
                if conversation:
                    body["conversation_id"] = conversation
                method, path = "POST", "/v1/ask"
            elif kind == "retrieve":
                method, path, body = "POST", "/v1/retrieve", {"query": rng.choice(questions)}
            elif kind == "list":
                method, path, body = "GET", "/v1/conversations", None
            else:
                method, path = "POST", "/v1/feedback"
                body = {"trace_id": trace or "", "rating": rng.choice(["up", "down"])}
            started = time.perf_counter()
            try:
                resp = await client.request(method, path, json=body)
                code = str(resp.status_code)
                if resp.status_code == 200 and path == "/v1/ask":
                    answer = resp.json()
                    trace, conversation = answer.get("trace_id"), answer.get("conversation_id")
                if resp.status_code in (429, 503):
                    await asyncio.sleep(float(resp.headers.get("retry-after", "1")))
            except httpx.TimeoutException:
                code = "timeout"
            except httpx.HTTPError:
                code = "connection_error"
            log.append((kind, code, (time.perf_counter() - started) * 1000))
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)


def _summary(rows: list[tuple[str, str, float]]) -> dict[str, Any]:
    errors = [r for r in rows if not (r[1].startswith("2") or r[1] in ("429", "503"))]
    ok = [r[2] for r in rows if r[1].startswith("2")]
    return {
        "requests": len(rows),
        "errors": len(errors),
        "error_rate": round(len(errors) / len(rows), 4) if rows else 0.0,
        "codes": {c: sum(1 for r in rows if r[1] == c) for c in sorted({r[1] for r in rows})},
        "p50_ms": percentile(ok, 0.5) if ok else None,
        "p99_ms": percentile(ok, 0.99) if ok else None,
    }


async def _load(
    url: str, keys: list[str], seconds: float, think_ms: float, pid: int
) -> dict[str, Any]:
    questions = _questions()
    log: list[tuple[str, str, float]] = []
    samples: list[tuple[float, float]] = []
    start = time.monotonic()
    deadline = start + seconds

    async def sample() -> None:
        while time.monotonic() < deadline:
            samples.append((round(time.monotonic() - start), rss_mib(pid)))
            await asyncio.sleep(5)

    await asyncio.gather(
        sample(),
        *(_user(i, url, k, questions, deadline, think_ms, log) for i, k in enumerate(keys)),
    )
    samples.append((round(time.monotonic() - start), rss_mib(pid)))
    return {
        "overall": _summary(log),
        "by_kind": {k: _summary([r for r in log if r[0] == k]) for k in WEIGHTS},
        "rss_mib": {
            "start": samples[0][1],
            "end": samples[-1][1],
            "peak": max(s[1] for s in samples),
            "samples": samples,
        },
    }


def run(index: Path, seconds: float, users: int, think_ms: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "var"
        shutil.copytree(index, data)
        keys, env = service_env(data, users, "soak")
        port = 19000 + os.getpid() % 1000
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            api_command("127.0.0.1", port, "--log-level", "warning"), env=env, cwd=ROOT
        )
        try:
            if not wait_until_up(f"{url}/readyz", timeout_s=180, proc=server):
                raise RuntimeError("the service did not start")
            result = asyncio.run(_load(url, keys, seconds, think_ms, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=60)
    return {"seconds": seconds, "users": users, "think_ms": think_ms, **result}


def main() -> None:
    enforce_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a loaded data dir")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--think-ms", type=float, default=1000)
    args = parser.parse_args()
    result = run(args.index, args.seconds, args.users, args.think_ms)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(
        json.dumps(
            {k: v for k, v in result.items() if k != "rss_mib"}
            | {"rss_mib": {k: v for k, v in result["rss_mib"].items() if k != "samples"}}
        )
    )


if __name__ == "__main__":
    main()
