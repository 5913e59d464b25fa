"""Metrics over answered cases. Ranking metrics use the ranked retrieved chunks:

- recall@k: a source document is among the documents of the first k chunks;
- MRR: 1 / rank of the first chunk from a source document;
- nDCG@10: binary gain for the first chunk of each source document, ideal = all sources first.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from eval.dataset import Case, all_facts, any_fact, rewrite_correct


@dataclass
class CitationRecord:
    path: str
    text: str  # the cited chunk's text


@dataclass
class Outcome:
    """What one case produced, however it was run (in-process or over the API)."""

    case: Case
    answer: str
    abstained: bool
    ranked_paths: list[str]  # documents of the ranked retrieved chunks (top 10)
    citations: list[CitationRecord]
    dropped_citations: int
    timings_ms: dict[str, float]
    tokens_in: int
    tokens_out: int
    answer_source: str = ""
    retrieved_paths: list[str] = field(default_factory=list)  # what reached the prompt
    standalone: str = ""  # the question as rewritten for retrieval
    reason: str = ""  # why the answer policy answered, quoted or abstained

    def citation_correct(self, c: CitationRecord) -> bool:
        return c.path in self.case.sources and any_fact(self.case, c.text)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _rank_metrics(o: Outcome) -> tuple[float, float, float, float]:
    sources = set(o.case.sources)
    paths = o.ranked_paths[:10]
    r5 = float(any(p in sources for p in paths[:5]))
    r10 = float(any(p in sources for p in paths[:10]))
    first = next((i for i, p in enumerate(paths) if p in sources), None)
    mrr = 1 / (first + 1) if first is not None else 0.0
    seen: set[str] = set()
    dcg = 0.0
    for i, p in enumerate(paths):
        if p in sources and p not in seen:
            seen.add(p)
            dcg += 1 / math.log2(i + 2)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(sources), 10)))
    return r5, r10, mrr, (dcg / ideal if ideal else 0.0)


def compute(outcomes: list[Outcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.case.answerable]
    unanswerable = [o for o in outcomes if not o.case.answerable]
    ranked = [_rank_metrics(o) for o in answerable if o.case.sources]
    kept = [c for o in outcomes for c in ((o, c) for c in o.citations)]
    correct = [1 for o, c in kept if o.citation_correct(c)]
    dropped = sum(o.dropped_citations for o in outcomes)
    totals = [o.timings_ms.get("total", 0.0) for o in outcomes]
    stages = sorted({k for o in outcomes for k in o.timings_ms if k != "total"})
    rewritten = [o for o in outcomes if o.case.rewrite_must_include or o.case.rewrite_must_exclude]

    def mean(xs: list[float]) -> float:
        return round(statistics.fmean(xs), 4) if xs else 0.0

    return {
        "n": len(outcomes),
        "retrieval": {
            "recall_at_5": mean([r[0] for r in ranked]),
            "recall_at_10": mean([r[1] for r in ranked]),
            "mrr": mean([r[2] for r in ranked]),
            "ndcg_at_10": mean([r[3] for r in ranked]),
        },
        "answer": {
            "must_include_accuracy": mean(
                [float(not o.abstained and all_facts(o.case, o.answer)) for o in answerable]
            ),
        },
        "citations": {
            "precision": round(len(correct) / len(kept), 4) if kept else 0.0,
            "recall": mean(
                [float(any(o.citation_correct(c) for c in o.citations)) for o in answerable]
            ),
            "dropped_rate": round(dropped / (dropped + len(kept)), 4)
            if dropped + len(kept)
            else 0.0,
        },
        "rewrite": {
            "n": len(rewritten),
            "accuracy": mean([float(rewrite_correct(o.case, o.standalone)) for o in rewritten])
            if rewritten
            else None,
        },
        "abstention": {
            "accuracy": mean([float(o.abstained) for o in unanswerable]),
            "false_rate": mean([float(o.abstained) for o in answerable]),
        },
        "latency_ms": {
            "p50": round(_pct(totals, 0.5), 1),
            "p95": round(_pct(totals, 0.95), 1),
            "stages": {
                s: {
                    "p50": round(_pct([o.timings_ms.get(s, 0.0) for o in outcomes], 0.5), 1),
                    "p95": round(_pct([o.timings_ms.get(s, 0.0) for o in outcomes], 0.95), 1),
                }
                for s in stages
            },
        },
        "tokens": {
            "in_mean": mean([float(o.tokens_in) for o in outcomes]),
            "out_mean": mean([float(o.tokens_out) for o in outcomes]),
        },
    }


def failures(outcomes: list[Outcome]) -> list[tuple[Outcome, str]]:
    """Each failed case with why it failed."""
    out = []
    for o in outcomes:
        reasons = []
        if o.case.answerable:
            if o.abstained:
                reasons.append("abstained on an answerable question")
            elif not all_facts(o.case, o.answer):
                reasons.append("answer misses a must_include fact")
            if o.case.sources and not any(p in o.case.sources for p in o.ranked_paths[:5]):
                reasons.append("no source document in the top 5")
            if not o.abstained and not any(o.citation_correct(c) for c in o.citations):
                reasons.append("no correct citation")
        elif not o.abstained:
            reasons.append("answered an unanswerable question")
        if reasons:
            out.append((o, "; ".join(reasons)))
    return out
