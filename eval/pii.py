"""``python -m eval pii [FILE]``: the PII detectors against labelled snippets.

FILE holds ``{"id", "text", "spans": [{"kind", "text"}]}`` lines; a snippet with no PII has
no spans. eval/datasets/pii.jsonl (written for this, never used to choose a setting)
mixes questions and comments that hold PII with hard negatives: form numbers, versions,
dates, money, ticket numbers, Luhn-failing long numbers, product and team names.

Scored for redaction, span by span: a detected span is right if it overlaps a labelled one
(whatever its kind: redaction hides both the same way), a labelled span is found if a
detection overlaps it. Also per kind (recall), per snippet (is any PII flagged), and every
miss and false alarm, for each detector.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from core.glossary import Glossary
from core.pii import PiiDetector, PiiSpan, PresidioPii, RegexPii


def _labelled(row: dict[str, Any]) -> list[tuple[str, int, int]]:
    spans = []
    for span in row["spans"]:
        start = row["text"].index(span["text"])
        spans.append((span["kind"].lower(), start, start + len(span["text"])))
    return spans


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def score(path: Path, detector: PiiDetector) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    found_right = found_total = labels_found = labels_total = 0
    per_kind, per_kind_found = Counter[str](), Counter[str]()
    flagged = Counter[tuple[bool, bool]]()  # (has PII, flagged)
    misses: list[dict[str, str]] = []
    false_alarms: list[dict[str, str]] = []
    for row in rows:
        labels = _labelled(row)
        spans: list[PiiSpan] = detector.find(row["text"])
        found_total += len(spans)
        for span in spans:
            if any(_overlaps((span.start, span.end), (s, e)) for _, s, e in labels):
                found_right += 1
            else:
                false_alarms.append({"id": row["id"], "kind": span.kind, "text": span.text})
        for kind, start, end in labels:
            labels_total += 1
            per_kind[kind] += 1
            if any(_overlaps((s.start, s.end), (start, end)) for s in spans):
                labels_found += 1
                per_kind_found[kind] += 1
            else:
                misses.append({"id": row["id"], "kind": kind, "text": row["text"][start:end]})
        flagged[(bool(labels), bool(spans))] += 1
    return {
        "detector": detector.name,
        "snippets": len(rows),
        "spans": {
            "precision": _ratio(found_right, found_total),
            "recall": _ratio(labels_found, labels_total),
            "detected": found_total,
            "labelled": labels_total,
        },
        "snippets_flagged": {
            "precision": _ratio(
                flagged[(True, True)], flagged[(True, True)] + flagged[(False, True)]
            ),
            "recall": _ratio(flagged[(True, True)], flagged[(True, True)] + flagged[(True, False)]),
        },
        "recall_per_kind": {k: _ratio(per_kind_found[k], n) for k, n in sorted(per_kind.items())},
        "misses": misses,
        "false_alarms": false_alarms,
    }


def compare(path: Path, spacy_model: str) -> dict[str, Any]:
    """The baseline (regular expressions) and Presidio with the common tools' names (not a
    company's glossary), on the same file."""
    detectors = (RegexPii(), PresidioPii(spacy_model, not_names=Glossary().tools))
    return {d.name: score(path, d) for d in detectors}
