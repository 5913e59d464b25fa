"""Docent's evaluation harness.

\b
  python -m eval run --dataset ../shared/eval/dev.jsonl --corpus ../shared/corpus --out /tmp/e
  python -m eval run --dataset eval/datasets/docent.jsonl --corpus ../shared/corpus \\
      --out /tmp/dense --config retrieval_mode=dense
  python -m eval run --dataset eval/datasets/docent.jsonl --corpus ../shared/corpus \\
      --out /tmp/leaks --acl deploy/demo-acl.yaml --users var/users.yaml
  python -m eval run --dataset ../shared/eval/dev.jsonl --api http://127.0.0.1:8000 \\
      --key KEY --out /tmp/api
  python -m eval compare /tmp/e/metrics.json /tmp/dense/metrics.json
  python -m eval bench --corpus ../shared/corpus
  python -m eval export-feedback --out eval/datasets/feedback.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from core.offline import enforce_offline


def _overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--config takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from core.settings import Settings
    from eval import report
    from eval.dataset import load_cases
    from eval.metrics import Outcome, compute
    from eval.runner import Asker

    cases = load_cases(args.dataset)[: args.limit or None]
    overrides = _overrides(args.config)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    asker: Asker
    if args.api:
        from eval.runner import ApiAsker

        if not args.key:
            raise SystemExit("--api needs --key")
        asker = ApiAsker(args.api, args.key)
        outcomes = [asker.ask(c) for c in cases]
        title = f"Docent eval of {args.dataset.name} via {args.api}"
    else:
        if not args.corpus:
            raise SystemExit("--corpus is required without --api")
        from eval.runner import LocalAsker, open_local

        if args.users and "generator" not in overrides:
            overrides["generator"] = "extractive"  # leaks come from retrieval, not generation
        settings = Settings(**overrides)
        run = open_local(args.corpus, settings, args.acl, args.index)
        try:
            if args.users:
                from eval.leak import load_users, run_leaks

                leaks = run_leaks(run.components, run.store, cases, load_users(args.users))
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / "leaks.json").write_text(json.dumps(leaks.as_dict(), indent=2))
                print(json.dumps(leaks.as_dict(), indent=2))
                return 0 if leaks.leaked_chunks == 0 and leaks.leaked_citations == 0 else 1
            asker = LocalAsker(run.components)
            outcomes = [asker.ask(c) for c in cases]
        finally:
            run.close()
        title = f"Docent eval of {args.dataset.name} ({', '.join(args.config) or 'defaults'})"
    metrics = compute(outcomes)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["config"] = overrides
    report.write(args.out, metrics, outcomes, title)
    print(report.headline(metrics))
    print(f"\nwrote {args.out / 'metrics.json'} and {args.out / 'report.md'}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from eval.report import compare

    print(compare(args.a, args.b))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_all

    return run_all(args.corpus, args.out, quick=args.quick)


def cmd_export_feedback(args: argparse.Namespace) -> int:
    from eval.feedback import export

    count = export(args.out, args.database_url)
    print(f"wrote {count} cases to {args.out}")
    return 0


def cmd_citations(args: argparse.Namespace) -> int:
    from eval.citations import agreement

    print(json.dumps(agreement(args.pairs, args.corpus), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    enforce_offline()
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="ask every question of a dataset and score the answers")
    run.add_argument("--dataset", type=Path, required=True)
    run.add_argument("--corpus", type=Path)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--api")
    run.add_argument("--key")
    run.add_argument("--config", action="append", default=[], help="KEY=VALUE setting override")
    run.add_argument("--acl", type=Path, help="ACL file for the corpus load")
    run.add_argument("--users", type=Path, help="users file: run the leak check as each user")
    run.add_argument("--limit", type=int, default=0)
    run.add_argument(
        "--index",
        type=Path,
        help="reuse this data dir instead of a fresh temporary index (faster reruns)",
    )
    run.set_defaults(func=cmd_run)
    cmp_ = sub.add_parser("compare", help="side-by-side table of two metrics.json files")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    cmp_.set_defaults(func=cmd_compare)
    bench = sub.add_parser("bench", help="ingest, query and API benchmarks with baselines")
    bench.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    bench.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    bench.add_argument("--quick", action="store_true", help="a small subset, for a smoke run")
    bench.set_defaults(func=cmd_bench)
    cit = sub.add_parser("citations", help="citation checker agreement on labelled pairs")
    cit.add_argument("--pairs", type=Path, default=Path("eval/datasets/citation_pairs.jsonl"))
    cit.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    cit.set_defaults(func=cmd_citations)
    fb = sub.add_parser("export-feedback", help="turn thumbs-down answers into eval cases")
    fb.add_argument("--out", type=Path, required=True)
    fb.add_argument("--database-url")
    fb.set_defaults(func=cmd_export_feedback)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
