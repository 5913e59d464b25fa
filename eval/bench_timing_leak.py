"""Can a user tell, from how fast Docent answers, what a colleague asked?

    python -m eval.bench_timing_leak --index DIR --out F.json [--n 30]

A victim asks ``n`` questions; an attacker with the same groups then asks those and ``n``
questions nobody asked, once each, in random order, and is timed. If cached work (the
query-embedding cache, the answer cache) is shared, the asked ones come back faster. The
figure is the AUC of "slower means nobody asked it": 0.5 is no signal, 1.0 a perfect one.
The attacker also sees whether an answer says it came from the cache. Both channels run
with ``cache_scope`` shared (`groups`) and per user (`user`), on the same index, in one run:
retrieval (what /v1/retrieve does) and a whole answer (extractive generator).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from core.offline import enforce_offline

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = [
    ROOT.parent / "shared" / "eval" / "dev.jsonl",
    ROOT / "eval" / "datasets" / "docent.jsonl",
    ROOT / "eval" / "datasets" / "fresh.jsonl",
    ROOT / "eval" / "datasets" / "holdout.jsonl",
]


def auc(slow: list[float], fast: list[float]) -> float:
    """P(a never-asked question is slower than an asked one), ties counted half."""
    wins = sum((s > f) + 0.5 * (s == f) for s in slow for f in fast)
    return round(wins / (len(slow) * len(fast)), 3)


def _questions(n: int) -> list[str]:
    from eval.dataset import load_cases

    seen: dict[str, None] = {}
    for path in QUESTION_SETS:
        if path.exists():
            for case in load_cases(path):
                if not case.history:
                    seen.setdefault(case.question, None)
    questions = list(seen)
    if len(questions) < 2 * n:
        raise SystemExit(f"need {2 * n} distinct questions, found {len(questions)}")
    random.Random(7).shuffle(questions)
    return questions[: 2 * n]


def _probe(pipeline: Any, scope: str, channel: str, questions: list[str], n: int) -> dict[str, Any]:
    from app.pipeline.types import AnswerSource, User
    from core.settings import CacheScope

    pipeline.cache_scope = CacheScope(scope)
    pipeline.cache.clear()
    pipeline.retriever.embedder._cache.clear()
    victim = User("victim", ("everyone",))
    attacker = User("attacker", ("everyone",))
    asked, fresh = questions[:n], questions[n:]

    def ask(user: User, q: str) -> tuple[float, bool]:
        start = time.perf_counter()
        if channel == "retrieve":
            pipeline.rank(q, user, 8)
            from_cache = False
        else:
            from_cache = pipeline.run(q, user).answer_source is AnswerSource.CACHE
        return (time.perf_counter() - start) * 1000, from_cache

    for q in asked:
        ask(victim, q)
    order = [(q, True) for q in asked] + [(q, False) for q in fresh]
    random.Random(11).shuffle(order)
    timed = {True: [], False: []}  # type: dict[bool, list[float]]
    labelled = 0
    for q, was_asked in order:
        ms, from_cache = ask(attacker, q)
        timed[was_asked].append(ms)
        labelled += from_cache and was_asked
    return {
        "scope": scope,
        "channel": channel,
        "auc": auc(timed[False], timed[True]),
        "asked_median_ms": round(sorted(timed[True])[n // 2], 2),
        "never_asked_median_ms": round(sorted(timed[False])[n // 2], 2),
        "answers_marked_cache": labelled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a loaded data dir")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    enforce_offline()
    from app.generation.extractive import ExtractiveOnlyGenerator
    from app.pipeline.factory import build_pipeline
    from core.settings import Settings
    from indexes.factory import open_catalogue, open_store

    settings = Settings(data_dir=args.index)
    store, catalogue = open_store(settings), open_catalogue(settings)
    parts = build_pipeline(settings, store, catalogue, generator=ExtractiveOnlyGenerator())
    questions = _questions(args.n)
    for q in questions[:5]:  # warm the models up, then forget what they cached
        parts.pipeline.run(q, _warm_user())
    rows = [
        _probe(parts.pipeline, scope, channel, questions, args.n)
        for channel in ("retrieve", "answer")
        for scope in ("groups", "user")
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"n": args.n, "rows": rows}, indent=2))
    for row in rows:
        print(json.dumps(row))
    catalogue.close()
    store.close()


def _warm_user() -> Any:
    from app.pipeline.types import User

    return User("warm-up", ("everyone",))


if __name__ == "__main__":
    main()
