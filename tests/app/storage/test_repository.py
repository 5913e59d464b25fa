"""The repository on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.pipeline.types import AnswerSource, QueryResult, RetrievedChunk
from app.storage.models import AuditEntry, Conversation, Feedback, Message, Trace, utcnow
from app.storage.repository import Repository, shown_docs
from core.database import make_engine

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(database_url: str):  # type: ignore[no-untyped-def]
    r = Repository(make_engine(database_url))
    r.ensure_schema(auto_upgrade=True)
    yield r
    r.close()


def test_a_new_conversation_is_readable_as_soon_as_it_is_opened(repo: Repository) -> None:
    conv_id, is_new = repo.open_conversation("bob", None, "How do I file expenses?")
    assert is_new
    # the row was queued, not written in the call; the read waits for it
    assert [c.id for c in repo.list_conversations("bob")] == [conv_id]
    assert repo.open_conversation("bob", conv_id, "again") == (conv_id, False)
    with pytest.raises(PermissionError):
        repo.open_conversation("carol", conv_id, "not hers")


def test_a_failing_write_does_not_lose_the_others_of_its_batch(repo: Repository) -> None:
    def broken(s: Session) -> None:
        s.add(Conversation(id="dup", user_id="bob", title="first"))
        s.add(Conversation(id="dup", user_id="bob", title="same primary key"))

    def good(name: str):  # type: ignore[no-untyped-def]
        return lambda s: s.add(Conversation(id=name, user_id="bob", title=name))

    for write in (good("a"), broken, good("b")):
        repo._writes.submit(write)
    titles = sorted(c.id for c in repo.list_conversations("bob"))
    assert titles == ["a", "b"]


def test_close_writes_what_is_still_queued(database_url: str) -> None:
    url = database_url
    first = Repository(make_engine(url))
    first.ensure_schema(auto_upgrade=True)
    conv_id, _ = first.open_conversation("bob", None, "q")
    first.close()
    second = Repository(make_engine(url))
    try:
        assert [c.id for c in second.list_conversations("bob")] == [conv_id]
    finally:
        second.close()


def _answer(trace_id: str, question: str = "How do I file expenses?") -> QueryResult:
    return QueryResult(
        answer="Use the expense tool [1].",
        citations=[],
        abstained=False,
        question=question,
        standalone_question=question,
        entities=[],
        prompt_version="answer-v2",
        generator="test",
        answer_source=AnswerSource.GENERATED,
        retrieved=[RetrievedChunk("c1", "d1", "p.md", "T", "S", "text", 0.9)],
        trace_id=trace_id,
    )


def _counts(repo: Repository, user_id: str) -> dict[str, int]:
    with repo._session() as s:
        return {
            "conversations": len(
                s.scalars(select(Conversation).where(Conversation.user_id == user_id)).all()
            ),
            "messages": len(
                s.scalars(
                    select(Message).join(Conversation).where(Conversation.user_id == user_id)
                ).all()
            ),
            "traces": len(s.scalars(select(Trace).where(Trace.user_id == user_id)).all()),
            "feedback": len(s.scalars(select(Feedback).where(Feedback.user_id == user_id)).all()),
            "audit": len(s.scalars(select(AuditEntry).where(AuditEntry.user_id == user_id)).all()),
        }


def _converse(repo: Repository, user_id: str, trace_id: str) -> str:
    conv_id, _ = repo.open_conversation(user_id, None, "How do I file expenses?")
    repo.record_answer(user_id, conv_id, _answer(trace_id), {"answer": "x"})
    assert repo.add_feedback(user_id, trace_id, "down", "wrong") is not None
    return conv_id


def test_deleting_a_conversation_deletes_its_traces_and_feedback(repo: Repository) -> None:
    gone = _converse(repo, "bob", "t1")
    _converse(repo, "bob", "t2")
    assert repo.delete_conversation("bob", gone)
    assert repo.trace("t1") is None and repo.trace("t2") is not None
    left = _counts(repo, "bob")
    assert left == {"conversations": 1, "messages": 1, "traces": 1, "feedback": 1, "audit": 2}


def test_purging_a_user_leaves_nothing_of_theirs_and_all_of_the_others(repo: Repository) -> None:
    _converse(repo, "bob", "t1")
    _converse(repo, "bob", "t2")
    _converse(repo, "carol", "t3")
    # an editor who may not read the answer's document d1 cannot correct it
    assert repo.add_correction("t1", "alice", "The right answer [1].", {"d2"}) is None
    assert repo.add_correction("t1", "alice", "The right answer [1].", {"d1"}) is not None
    deleted = repo.purge_user("bob")
    assert deleted == {
        "corrections": 1,
        "feedback": 2,
        "messages": 2,
        "conversations": 2,
        "traces": 2,
        "audit": 2,
        "api_keys": 0,
        "batch_items": 0,
        "batch_jobs": 0,
    }
    assert set(_counts(repo, "bob").values()) == {0}
    assert _counts(repo, "carol") == {
        "conversations": 1,
        "messages": 1,
        "traces": 1,
        "feedback": 1,
        "audit": 1,
    }


def test_the_retention_sweep_deletes_only_what_is_older(repo: Repository) -> None:
    _converse(repo, "bob", "old")
    with repo._session() as s:
        long_ago = utcnow() - timedelta(days=100)
        for model in (Conversation, Trace, Feedback, AuditEntry, Message):
            s.execute(update(model).values(created_at=long_ago))
        s.execute(update(Conversation).values(updated_at=long_ago))
        s.commit()
    _converse(repo, "bob", "new")
    assert repo.sweep(0) == {}  # 0 days keeps everything
    deleted = repo.sweep(90)
    assert deleted == {
        "corrections": 0,
        "feedback": 1,
        "messages": 1,
        "conversations": 1,
        "traces": 1,
        "audit": 1,
        "batch_items": 0,
        "batch_jobs": 0,
    }
    assert repo.trace("old") is None and repo.trace("new") is not None


def test_a_failed_write_never_logs_the_question(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my salary is 123456, what about the bonus"
    repo.record_answer("bob", None, _answer("dup", secret), {})
    repo.record_answer("bob", None, _answer("dup", secret), {})  # same trace id: fails
    with caplog.at_level("ERROR"):
        repo._writes.flush()
        repo.record_answer("bob", None, _answer("dup", secret), {})
        repo._writes.flush()
    assert "database write failed" in caplog.text
    assert "123456" not in caplog.text and "salary" not in caplog.text


def test_a_stored_answer_remembers_every_document_it_drew_on(repo: Repository) -> None:
    """Not only the cited ones: a sentence whose citation the check dropped still came from
    a retrieved chunk, so a revoked retrieved document must withhold the message too."""
    conv_id, _ = repo.open_conversation("bob", None, "q")
    repo.record_answer("bob", conv_id, _answer("t1"), {"answer": "x", "citations": []})
    [turn] = repo.history(conv_id)
    assert turn.doc_ids == ("d1",)  # retrieved, never cited
    found = repo.conversation("bob", conv_id)
    assert found is not None and shown_docs(found[1][0].result) == ("d1",)
