"""Turn thumbs-down answers into eval cases. Where an editor wrote the right answer (the
admin page, ``POST /v1/admin/corrections``), it is the case's expected answer; otherwise the
expected answer and its facts are left for a person to fill in.

Only answers whose every chunk came from a document in ``readable`` (a chosen group's, as
for export-finetune) are written, and the answer given is PII-scrubbed: the file leaves
the service."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from app.storage.repository import Repository, drew_only_on
from core.database import make_engine
from core.pii import redact
from core.settings import Settings


def export(
    out: Path, readable: Collection[str], database_url: str | None = None
) -> tuple[int, int]:
    """Writes the cases; returns how many were written and how many withheld."""
    repo = Repository(make_engine(database_url or Settings().sqlalchemy_url))
    rows = repo.down_voted(limit=100_000)
    kept = [(fb, t, c) for fb, t, c in rows if drew_only_on(t, readable)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for fb, trace, correction in kept:
            cited = [c["path"] for c in trace.citations]
            f.write(
                json.dumps(
                    {
                        "id": f"fb-{trace.trace_id[:12]}",
                        "question": trace.standalone or trace.question,
                        "answer": correction.answer if correction else "",
                        "corrected": correction is not None,
                        "must_include": [],
                        "sources": cited,
                        "answerable": not trace.abstained,
                        "trace_id": trace.trace_id,
                        "given_answer": redact(trace.answer),
                        "comment": fb.comment,
                        "prompt_version": trace.prompt_version,
                        "retrieved": [r["path"] for r in trace.retrieved],
                    }
                )
                + "\n"
            )
    return len(kept), len(rows) - len(kept)
