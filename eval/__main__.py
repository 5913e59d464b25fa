"""Docent's evaluation harness.

\b
  python -m eval run --dataset ../shared/eval/dev.jsonl --corpus ../shared/corpus --out /tmp/e
  python -m eval run --dataset eval/datasets/docent.jsonl --corpus ../shared/corpus \\
      --out /tmp/dense --config retrieval.mode=dense
  python -m eval run --dataset eval/datasets/docent.jsonl --corpus ../shared/corpus \\
      --out /tmp/leaks --acl deploy/demo-acl.yaml --users var/users.yaml
  python -m eval run --dataset ../shared/eval/dev.jsonl --api http://127.0.0.1:8000 \\
      --key KEY --out /tmp/api
  python -m eval compare /tmp/e/metrics.json /tmp/dense/metrics.json
  python -m eval bench --corpus ../shared/corpus
  python -m eval export-feedback --out eval/datasets/feedback.jsonl
  python -m eval ab-report --days 30 --baseline answer-v2
  python -m eval export-finetune --out /tmp/ft --group everyone
  python -m eval answer-types eval/datasets/answer_types_holdout.jsonl
  python -m eval catalogue --index var
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from core.cli import Commands
from core.offline import enforce_offline


def _overrides(items: tuple[str, ...]) -> dict[str, Any]:
    """``--config generation.kind=extractive`` as Settings arguments; a name from before
    the settings groups (``generator=extractive``) still works."""
    from core.legacy_settings import nest

    flat: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"takes KEY=VALUE, got {item!r}", param_hint="--config")
        flat[key.strip()] = value.strip()
    return nest(flat)


@click.group(cls=Commands, help=__doc__, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    enforce_offline()


@main.command("run", help="Ask every question of a dataset and score the answers.")
@click.option(
    "--dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--api", help="score a running service at this URL instead of an in-process one")
@click.option("--key", help="the API key to ask with (with --api)")
@click.option("--config", "config", multiple=True, help="GROUP.KEY=VALUE setting override")
@click.option("--acl", type=click.Path(exists=True, path_type=Path), help="ACL file for the load")
@click.option(
    "--users",
    type=click.Path(exists=True, path_type=Path),
    help="users file: run the leak check as each user",
)
@click.option("--limit", type=int, default=0, help="only the first N cases")
@click.option(
    "--index",
    type=click.Path(path_type=Path),
    help="reuse this data dir instead of a fresh temporary index (faster reruns)",
)
def run_cmd(
    dataset: Path,
    corpus: Path | None,
    out: Path,
    api: str | None,
    key: str | None,
    config: tuple[str, ...],
    acl: Path | None,
    users: Path | None,
    limit: int,
    index: Path | None,
) -> None:
    from core.settings import Settings
    from eval import report
    from eval.dataset import load_cases
    from eval.metrics import Outcome, compute
    from eval.runner import Asker

    cases = load_cases(dataset)[: limit or None]
    overrides = _overrides(config)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    asker: Asker
    if api:
        from eval.runner import ApiAsker

        if not key:
            raise click.UsageError("--api needs --key")
        asker = ApiAsker(api, key)
        outcomes = [asker.ask(c) for c in cases]
        title = f"Docent eval of {dataset.name} via {api}"
    else:
        if not corpus:
            raise click.UsageError("--corpus is required without --api")
        from eval.runner import LocalAsker, open_local

        if users:  # leaks come from retrieval, not generation
            overrides.setdefault("generation", {}).setdefault("kind", "extractive")
        settings = Settings(**overrides)
        local = open_local(corpus, settings, acl, index)
        try:
            if users:
                from eval.leak import load_users, run_leaks

                leaks = run_leaks(local.components, local.store, cases, load_users(users))
                out.mkdir(parents=True, exist_ok=True)
                (out / "leaks.json").write_text(json.dumps(leaks.as_dict(), indent=2))
                click.echo(json.dumps(leaks.as_dict(), indent=2))
                sys.exit(0 if leaks.leaked_chunks == 0 and leaks.leaked_citations == 0 else 1)
            asker = LocalAsker(local.components)
            outcomes = [asker.ask(c) for c in cases]
        finally:
            local.close()
        title = f"Docent eval of {dataset.name} ({', '.join(config) or 'defaults'})"
    metrics = compute(outcomes)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["config"] = overrides
    report.write(out, metrics, outcomes, title)
    click.echo(report.headline(metrics))
    click.echo(f"\nwrote {out / 'metrics.json'} and {out / 'report.md'}")


@main.command("compare", help="Side-by-side table of two metrics.json files.")
@click.argument("a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def compare_cmd(a: Path, b: Path) -> None:
    from eval.report import compare

    click.echo(compare(a, b))


@main.command("bench", help="Ingest, query and API benchmarks with baselines.")
@click.option(
    "--corpus", type=click.Path(exists=True, path_type=Path), default=Path("../shared/corpus")
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("artifacts/bench"))
@click.option("--quick", is_flag=True, help="a small subset, for a smoke run")
def bench_cmd(corpus: Path, out: Path, quick: bool) -> None:
    from eval.bench import run_all

    sys.exit(run_all(corpus, out, quick=quick))


@main.command("citations", help="Citation checker agreement on labelled pairs.")
@click.option(
    "--pairs",
    type=click.Path(exists=True, path_type=Path),
    default=Path("eval/datasets/citation_pairs.jsonl"),
)
@click.option(
    "--corpus", type=click.Path(exists=True, path_type=Path), default=Path("../shared/corpus")
)
def citations_cmd(pairs: Path, corpus: Path) -> None:
    from eval.citations import agreement

    click.echo(json.dumps(agreement(pairs, corpus), indent=2))


@main.command("answer-types", help="Accuracy of the question answer-type classifier.")
@click.argument(
    "labelled",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("eval/datasets/answer_types_holdout.jsonl"),
)
def answer_types_cmd(labelled: Path) -> None:
    from eval.answer_types import score

    click.echo(json.dumps(score(labelled), indent=2))


@main.command("pii", help="Precision and recall of the PII detectors on labelled snippets.")
@click.argument(
    "labelled",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("eval/datasets/pii.jsonl"),
)
def pii_cmd(labelled: Path) -> None:
    from core.settings import Settings
    from eval.pii import compare

    click.echo(json.dumps(compare(labelled, Settings().spacy_model), indent=2))


@main.command("catalogue", help="What the entity catalogue's noise filter keeps and drops.")
@click.option(
    "--index",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="a loaded data dir (DOCENT_DATA_DIR)",
)
@click.option("--config", "config", multiple=True, help="GROUP.KEY=VALUE setting override")
def catalogue_cmd(index: Path, config: tuple[str, ...]) -> None:
    from app.pipeline.factory import build_pipeline
    from core.settings import Settings
    from indexes.factory import open_catalogue, open_store

    overrides = _overrides(config)
    overrides.setdefault("generation", {})["kind"] = "extractive"
    settings = Settings(**{**overrides, "data_dir": index})
    store, catalogue = open_store(settings), open_catalogue(settings)
    try:
        parts = build_pipeline(settings, store, catalogue)
        parts.pipeline.linker.warm_up()
        noise = parts.pipeline.linker.noise
        click.echo(
            json.dumps(
                {
                    "ner_names_judged": noise.kept + len(noise.dropped),
                    "kept": noise.kept,
                    "dropped": len(noise.dropped),
                    "dropped_names": list(noise.dropped),
                },
                indent=2,
            )
        )
        parts.close()
    finally:
        catalogue.close()
        store.close()


@main.command("export-feedback", help="Turn thumbs-down answers into eval cases.")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--group", required=True, help="keep answers whose every source it may read")
@click.option("--database-url")
def export_feedback_cmd(out: Path, group: str, database_url: str | None) -> None:
    from core.settings import Settings
    from eval.feedback import export
    from indexes.access import readable_documents
    from indexes.factory import open_store

    store = open_store(Settings())
    try:
        readable = readable_documents(store.active(), (group,))
    finally:
        store.close()
    count, withheld = export(out, readable, database_url)
    click.echo(f"wrote {count} cases to {out}; withheld {withheld} ({group} may not read them)")


@main.command("export-finetune", help="Fine-tuning data from verified and corrected answers.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="a folder")
@click.option("--group", required=True, help="keep answers whose every source it may read")
@click.option("--val-share", type=click.FloatRange(0, 0.5), default=0.1, show_default=True)
@click.option("--database-url", help="default: the configured database")
def export_finetune_cmd(out: Path, group: str, val_share: float, database_url: str | None) -> None:
    from eval.finetune import export

    card = export(out, group=group, val_share=val_share, database_url=database_url)
    click.echo(
        f"wrote {card.train} training and {card.val} validation examples to {out} "
        f"({card.origins}); skipped {card.skipped or 'none'}"
    )


@main.command("ab-report", help="Prompt versions compared on live answers, with intervals.")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@click.option("--baseline", help="the version the others are tested against (default: configured)")
@click.option("--database-url", help="default: the configured database")
@click.option("--out", type=click.Path(path_type=Path), help="also write the report as JSON")
def ab_report_cmd(
    days: int, baseline: str | None, database_url: str | None, out: Path | None
) -> None:
    from eval.ab import print_report, report

    arms, base = report(days, baseline, database_url)
    print_report(arms, base)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        from dataclasses import asdict

        out.write_text(
            json.dumps(
                {"baseline": base, "days": days, "arms": [asdict(a) for a in arms]}, indent=2
            )
        )


if __name__ == "__main__":
    main(prog_name="python -m eval")
