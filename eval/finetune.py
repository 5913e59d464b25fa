"""``python -m eval export-finetune``: fine-tuning data from what users accepted and editors
corrected.

An example is a stored answer that was citation-verified and not down-voted, or that an
editor corrected (the editor's answer is the completion). Verified answers are the model's
that passed the citation check ("verified") and the quotes Docent gave where the model's
answer failed it or no model ran ("quoted": each sentence is the cited source's own, which
teaches the model to state what the sources say, where it failed before).

An example's prompt is rebuilt as the model saw it: the prompt version's template with the
chunks the answer was given, read from the index. Only answers whose every chunk a chosen
group may read are kept (the group filter runs inside the index query), so a data set made
for one audience never carries another's documents. PII is scrubbed from the question,
the sources and the answer.

Writes, in OUT:
    train.jsonl, val.jsonl                           chat form: {"messages": [...]}
    train.completion.jsonl, val.completion.jsonl     {"prompt": ..., "completion": ...}
    datacard.json                                    counts, sources, prompt versions, skips
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.pipeline.prompt import PromptBuilder
from app.pipeline.types import RetrievedChunk
from app.storage.models import Trace
from app.storage.repository import Repository
from core.database import make_engine
from core.pii import redact
from core.settings import Settings
from indexes.access import readable_documents
from indexes.factory import open_store
from indexes.protocol import VectorIndex
from indexes.schema import F_DOC_ID, F_GROUPS, Match, PointFilter


@dataclass
class DataCard:
    group: str
    created: str
    val_share: float
    train: int = 0
    val: int = 0
    origins: dict[str, int] = field(default_factory=dict)  # verified / quoted / corrected
    prompt_versions: dict[str, int] = field(default_factory=dict)
    generators: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)  # document path -> examples
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count


def _is_validation(trace_id: str, share: float) -> bool:
    """A stable split: the same answer lands on the same side in every export."""
    bucket = int(hashlib.sha256(trace_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def _chunks(index: VectorIndex, trace: Trace, group: str) -> list[RetrievedChunk] | None:
    """The answer's chunks as the group may read them now, in the prompt's order; None if
    one is gone or changed since (its id no longer in the index)."""
    shown = [r["id"] for r in trace.retrieved]
    doc_ids = tuple({r["doc_id"] for r in trace.retrieved})
    where = PointFilter(must=(Match(F_DOC_ID, doc_ids), Match(F_GROUPS, (group,))))
    found = {h.id: h for h in index.scroll(where)}
    if any(chunk_id not in found for chunk_id in shown):
        return None
    return [
        RetrievedChunk.from_payload(
            found[i].id, 0.0, {**found[i].payload, "text": redact(found[i].payload["text"])}
        )
        for i in shown
    ]


def export(
    out: Path,
    *,
    group: str,
    val_share: float = 0.1,
    settings: Settings | None = None,
    database_url: str | None = None,
) -> DataCard:
    settings = settings or Settings()
    repo = Repository(make_engine(database_url or settings.sqlalchemy_url))
    store = open_store(settings)
    card = DataCard(group=group, created=datetime.now(UTC).isoformat(), val_share=val_share)
    try:
        index = store.active()
        readable = readable_documents(index, (group,))
        prompts = PromptBuilder(settings.answer.prompt_version, ab_version=None, ab_share=0.0)
        corrected = {t.trace_id: (t, c.answer) for t, c in repo.corrected()}
        examples: list[tuple[Trace, str, str]] = [
            (t, t.answer, "verified" if t.answer_source == "generated" else "quoted")
            for t in repo.finetune_candidates()
            if t.trace_id not in corrected
        ]
        examples += [(t, answer, "corrected") for t, answer in corrected.values()]
        skipped: Counter[str] = Counter()
        written: dict[str, list[dict[str, Any]]] = {"train": [], "val": []}
        plain: dict[str, list[dict[str, str]]] = {"train": [], "val": []}
        origins: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        generators: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for trace, completion, origin in examples:
            if not trace.retrieved:
                skipped["no sources"] += 1
                continue
            if not {r["doc_id"] for r in trace.retrieved} <= readable:
                skipped[f"a source {group} may not read"] += 1
                continue
            if trace.prompt_version not in prompts.versions:
                skipped["prompt version no longer shipped"] += 1
                continue
            chunks = _chunks(index, trace, group)
            if chunks is None:
                skipped["a source changed since"] += 1
                continue
            prompt = prompts.run(trace.standalone or trace.question, chunks, trace.prompt_version)
            answer = redact(completion)
            side = "val" if _is_validation(trace.trace_id, val_share) else "train"
            written[side].append(
                {"messages": [*prompt.messages, {"role": "assistant", "content": answer}]}
            )
            plain[side].append(
                {
                    "prompt": "\n\n".join(m["content"] for m in prompt.messages),
                    "completion": " " + answer,
                }
            )
            origins[origin] += 1
            versions[trace.prompt_version] += 1
            generators[trace.generator] += 1
            sources.update({c.path for c in chunks})
    finally:
        store.close()
        repo.close()
    out.mkdir(parents=True, exist_ok=True)
    for side in ("train", "val"):
        _write(out / f"{side}.jsonl", written[side])
        _write(out / f"{side}.completion.jsonl", plain[side])
    card.train, card.val = len(written["train"]), len(written["val"])
    card.origins, card.prompt_versions = dict(origins), dict(versions)
    card.generators, card.sources = dict(generators), dict(sources.most_common())
    card.skipped = dict(skipped)
    (out / "datacard.json").write_text(json.dumps(asdict(card), indent=2) + "\n")
    return card


def _write(path: Path, rows: list[Any]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
