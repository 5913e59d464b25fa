"""The fine-tuning export on a real index and a real SQLite database: verified answers and
editors' corrections in, down-voted ones out, PII scrubbed, a group's documents only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.pipeline.types import AnswerSource, QueryResult, RetrievedChunk
from app.storage.repository import Repository
from core.database import make_engine
from core.settings import Settings
from eval.finetune import export
from indexes.factory import open_store
from indexes.schema import PointFilter
from tests.app.api.test_degraded import small_corpus_module, small_index  # noqa: F401

pytestmark = pytest.mark.integration


def _result(
    trace_id: str,
    question: str,
    chunks: list[RetrievedChunk],
    source: AnswerSource = AnswerSource.GENERATED,
) -> QueryResult:
    return QueryResult(
        answer="Badges are picked up at the GSA office [1]. Mail bob.smith@example.com.",
        citations=[],
        abstained=False,
        question=question,
        standalone_question=question,
        entities=[],
        prompt_version="answer-v2",
        generator="openai:docent-llm",
        answer_source=source,
        retrieved=chunks,
        trace_id=trace_id,
    )


def test_verified_and_corrected_answers_become_examples(
    small_index: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    data = tmp_path / "var"
    shutil.copytree(small_index, data)
    settings = Settings(data_dir=data)
    store = open_store(settings)
    hits = store.active().scroll(PointFilter())[:3]
    store.close()
    chunks = [RetrievedChunk.from_payload(h.id, 0.9, h.payload) for h in hits]
    repo = Repository(make_engine(settings.sqlalchemy_url))
    repo.ensure_schema(auto_upgrade=True)
    question = "Where do I get my badge? I am jane.doe@example.com"
    for trace_id in ("kept", "downvoted", "fixed"):
        repo.record_answer("bob", None, _result(trace_id, question, chunks[:2]), {})
    # a quoted fallback is verified too; an abstention has nothing to learn from
    repo.record_answer(
        "bob", None, _result("quote", question, chunks[:2], AnswerSource.EXTRACTIVE), {}
    )
    repo.record_answer(
        "bob", None, _result("none", question, chunks[:2], AnswerSource.ABSTAINED), {}
    )
    repo.close()  # the write-behind lands
    repo = Repository(make_engine(settings.sqlalchemy_url))
    assert repo.add_feedback("bob", "downvoted", "down", "wrong office") is not None
    assert repo.add_feedback("bob", "fixed", "down", "") is not None
    readable = {c.doc_id for c in chunks[:2]}
    assert repo.add_correction("fixed", "alice", "Badges come from the PIV office [1].", readable)
    repo.close()

    card = export(tmp_path / "ft", group="everyone", val_share=0.0, settings=settings)
    assert card.train == 3 and card.val == 0
    assert card.origins == {"verified": 1, "quoted": 1, "corrected": 1}
    rows = [json.loads(x) for x in (tmp_path / "ft" / "train.jsonl").read_text().splitlines()]
    answers = [r["messages"][-1]["content"] for r in rows]
    assert any("PIV office" in a for a in answers)  # the editor's answer, not the model's
    text = json.dumps(rows)
    assert "example.com" not in text  # PII scrubbed from question, sources and answers
    assert (
        rows[0]["messages"][0]["role"] == "system"
        and "<source" in rows[0]["messages"][1]["content"]
    )
    plain = (tmp_path / "ft" / "train.completion.jsonl").read_text().splitlines()
    assert len(plain) == 3 and json.loads(plain[0])["completion"].startswith(" ")
    assert set(card.sources) == {c.path for c in chunks[:2]}

    # a group that may read none of those documents gets none of those answers
    other = export(tmp_path / "legal", group="legal", val_share=0.0, settings=settings)
    assert other.train == 0 and other.skipped == {"a source legal may not read": 3}


def test_the_split_is_stable() -> None:
    from eval.finetune import _is_validation

    ids = [f"t{i}" for i in range(1000)]
    first = [_is_validation(i, 0.1) for i in ids]
    assert first == [_is_validation(i, 0.1) for i in ids]
    assert 60 < sum(first) < 140
