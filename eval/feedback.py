"""Turn thumbs-down answers into eval cases (to be completed by a person: the expected
answer and its facts are left for them to fill in)."""

from __future__ import annotations

import json
from pathlib import Path

from app.storage.repository import Repository
from core.database import make_engine
from core.settings import Settings


def export(out: Path, database_url: str | None = None) -> int:
    repo = Repository(make_engine(database_url or Settings().sqlalchemy_url))
    rows = repo.feedback_with_traces(rating="down")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for fb, trace in rows:
            cited = [c["path"] for c in trace.citations]
            f.write(
                json.dumps(
                    {
                        "id": f"fb-{trace.trace_id[:12]}",
                        "question": trace.standalone or trace.question,
                        "answer": "",
                        "must_include": [],
                        "sources": cited,
                        "answerable": not trace.abstained,
                        "trace_id": trace.trace_id,
                        "given_answer": trace.answer,
                        "comment": fb.comment,
                        "prompt_version": trace.prompt_version,
                        "retrieved": [r["path"] for r in trace.retrieved],
                    }
                )
                + "\n"
            )
    return len(rows)
