"""How far the question-drift statistic (app/drift.py) moves on a shifted stream, over many
shuffles: reference windows of 18F-handbook questions, against current windows of other
18F questions (no shift) or of Sourcegraph questions (the shift). The eval sets' questions,
the real embedding model.

    python -m eval.bench_drift --out eval/results/DATE/issue21/drift.json
"""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import click

DATASETS = Path(__file__).resolve().parent / "datasets"


def questions(handbook: str) -> list[str]:
    out = []
    for name in ("docent.jsonl", "fresh.jsonl", "holdout.jsonl"):
        for line in (DATASETS / name).read_text().splitlines():
            case = json.loads(line)
            if any(handbook in s for s in case.get("sources") or []):
                out.append(case["question"])
    return out


@click.command(help=__doc__)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--window", type=int, default=20, show_default=True)
@click.option("--shuffles", type=int, default=200, show_default=True)
def main(out: Path, window: int, shuffles: int) -> None:
    import numpy as np

    from app.drift import QuestionDrift
    from core.encoders import SentenceEmbedder

    embedder = SentenceEmbedder(batch_size=32)
    tts = np.array(embedder.embed(questions("18f-handbook")))
    other = np.array(embedder.embed(questions("sourcegraph-handbook")))

    def distance(reference: np.ndarray, current: np.ndarray) -> float:
        drift = QuestionDrift(window=window, floor=0.0)
        for vector in [*reference, *current]:
            drift.observe(vector.tolist(), 1.0)
        return drift.distance

    rng = random.Random(0)
    same, shifted = [], []
    for _ in range(shuffles):
        picked = rng.sample(range(len(tts)), 2 * window)
        reference = tts[picked[:window]]
        same.append(distance(reference, tts[picked[window:]]))
        shifted.append(distance(reference, other[rng.sample(range(len(other)), window)]))

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "mean": round(statistics.mean(values), 4),
            "stdev": round(statistics.stdev(values), 4),
            "min": round(min(values), 4),
            "max": round(max(values), 4),
        }

    report = {
        "window": window,
        "shuffles": shuffles,
        "questions": {"18f": len(tts), "sourcegraph": len(other)},
        "unshifted": summary(same),
        "shifted": summary(shifted),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
