"""Write ``metrics.json`` and ``report.md`` (with PNG plots) for one run, and compare runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import Outcome, failures

HEADLINE = [
    ("retrieval.recall_at_5", "Retrieval recall@5"),
    ("retrieval.recall_at_10", "Retrieval recall@10"),
    ("retrieval.mrr", "Retrieval MRR"),
    ("retrieval.ndcg_at_10", "Retrieval nDCG@10"),
    ("answer.must_include_accuracy", "Answers stating every fact"),
    ("citations.precision", "Citation precision"),
    ("citations.recall", "Citation recall"),
    ("citations.dropped_rate", "Citations dropped by the checker"),
    ("abstention.accuracy", "Abstention on unanswerable"),
    ("abstention.false_rate", "False abstention on answerable"),
    ("rewrite.accuracy", "Follow-up rewrites correct"),
    ("latency_ms.p50", "Latency p50 (ms)"),
    ("latency_ms.p95", "Latency p95 (ms)"),
    ("tokens.in_mean", "Tokens in (mean)"),
    ("tokens.out_mean", "Tokens out (mean)"),
]


def get(metrics: dict[str, Any], dotted: str) -> Any:
    value: Any = metrics
    for part in dotted.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    return value if not isinstance(value, dict) else None


def _plots(metrics: dict[str, Any], outcomes: list[Outcome], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    keys = [k for k, _ in HEADLINE[:10]]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(
        [k.split(".", 1)[1] for k in keys], [get(metrics, k) or 0 for k in keys], color="#2f6f8f"
    )
    ax.set_xlim(0, 1)
    ax.set_title("Quality (higher is better, except dropped and false abstention)")
    fig.tight_layout()
    fig.savefig(out / "quality.png", dpi=110)
    plt.close(fig)
    names.append("quality.png")

    stages = metrics["latency_ms"]["stages"]
    if stages:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        labels = list(stages)
        ax.bar(labels, [stages[s]["p50"] for s in labels], label="p50", color="#2f6f8f")
        ax.bar(
            labels,
            [stages[s]["p95"] - stages[s]["p50"] for s in labels],
            bottom=[stages[s]["p50"] for s in labels],
            label="p95",
            color="#9cc3d5",
        )
        ax.set_ylabel("ms")
        ax.set_title("Latency per stage")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=110)
        plt.close(fig)
        names.append("latency.png")
    return names


def write(out: Path, metrics: dict[str, Any], outcomes: list[Outcome], title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    lines = [f"# {title}", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| {label} | {get(metrics, key)} |" for key, label in HEADLINE]
    lines += ["", f"n = {metrics['n']}", ""]
    lines += [f"![{name}]({name})" for name in _plots(metrics, outcomes, out)]
    failed = failures(outcomes)
    lines += ["", f"## Failed questions ({len(failed)})", ""]
    for o, why in failed:
        lines += [
            f"### {o.case.id}: {o.case.question}",
            f"- why: {why}",
            f"- expected: {o.case.answer} (must include: {', '.join(o.case.must_include) or '-'})",
            f"- sources: {', '.join(o.case.sources) or '(none: unanswerable)'}",
            f"- answer ({o.answer_source}): {o.answer}",
            f"- retrieved: {', '.join(dict.fromkeys(o.ranked_paths[:5]))}",
            "",
        ]
    (out / "report.md").write_text("\n".join(lines))
    with (out / "outcomes.jsonl").open("w") as f:
        for o in outcomes:
            f.write(json.dumps(outcome_record(o)) + "\n")


def outcome_record(o: Outcome) -> dict[str, Any]:
    """One case as judged: what a reader needs to see why a metric moved."""
    return {
        "id": o.case.id,
        "question": o.case.question,
        "standalone": o.standalone,
        "answerable": o.case.answerable,
        "abstained": o.abstained,
        "answer_source": o.answer_source,
        "reason": o.reason,
        "answer": o.answer,
        "citations": [{"path": c.path, "correct": o.citation_correct(c)} for c in o.citations],
        "dropped_citations": o.dropped_citations,
        "ranked_paths": list(dict.fromkeys(o.ranked_paths[:5])),
    }


def compare(a_path: Path, b_path: Path) -> str:
    a, b = json.loads(a_path.read_text()), json.loads(b_path.read_text())
    name_a, name_b = a_path.parent.name or a_path.name, b_path.parent.name or b_path.name
    lines = [f"| metric | {name_a} | {name_b} | change |", "| --- | --- | --- | --- |"]
    for key, label in HEADLINE:
        va, vb = get(a, key), get(b, key)
        delta = (
            f"{vb - va:+.4g}" if isinstance(va, int | float) and isinstance(vb, int | float) else ""
        )
        lines.append(f"| {label} | {va} | {vb} | {delta} |")
    return "\n".join(lines)


def headline(metrics: dict[str, Any]) -> str:
    return "\n".join(f"{label:36} {get(metrics, key)}" for key, label in HEADLINE)
