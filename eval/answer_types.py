"""``python -m eval answer-types FILE``: the answer-type classifier against labels.

FILE holds ``{"question": ..., "type": ...}`` lines. Prints accuracy, per-label precision
and recall, and every miss. eval/datasets/answer_types.jsonl is what the rules were fitted
on; eval/datasets/answer_types_holdout.jsonl was labelled by someone who never saw them.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.pipeline.answer_type import classify


def score(path: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    predicted = [str(classify(r["question"])) for r in rows]
    truth = [r["type"] for r in rows]
    right = Counter(t for t, p in zip(truth, predicted, strict=True) if t == p)
    said, real = Counter(predicted), Counter(truth)
    return {
        "n": len(rows),
        "accuracy": round(sum(right.values()) / len(rows), 4) if rows else 0.0,
        "per_label": {
            label: {
                "n": real[label],
                "precision": round(right[label] / said[label], 3) if said[label] else 0.0,
                "recall": round(right[label] / real[label], 3),
            }
            for label in sorted(real)
        },
        "misses": [
            {"question": r["question"], "label": t, "predicted": p}
            for r, t, p in zip(rows, truth, predicted, strict=True)
            if t != p
        ],
    }
