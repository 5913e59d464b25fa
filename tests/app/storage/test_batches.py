"""Batch jobs on a real SQLite file: parsed, claimed, finished, resumed, cancelled."""

from __future__ import annotations

import json

import pytest

from app.pipeline.types import User
from app.storage.batches import BatchRefused, BatchStore, parse_questions
from app.storage.repository import Repository
from core.database import make_engine

pytestmark = pytest.mark.integration

BOB = User("bob", ("everyone",), "Bob")


@pytest.fixture
def store(database_url: str) -> BatchStore:
    repo = Repository(make_engine(database_url))
    repo.ensure_schema(auto_upgrade=True)
    return BatchStore(repo.engine)


def test_questions_and_openai_batch_lines_are_read_and_bad_lines_named() -> None:
    openai_line = {
        "custom_id": "r2",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "docent", "messages": [{"role": "user", "content": "How long?"}]},
    }
    text = json.dumps({"custom_id": "r1", "question": "What?"}) + "\n\n" + json.dumps(openai_line)
    got = parse_questions(text + "\n" + json.dumps({"question": "Who?"}), 100)
    assert [(q.custom_id, q.question) for q in got] == [
        ("r1", "What?"),
        ("r2", "How long?"),
        ("line-4", "Who?"),
    ]
    # a string may hold U+2028 (json.dumps(ensure_ascii=False) writes it raw): one line
    assert parse_questions('{"question": "a\u2028b?"}', 100)[0].question == "a\u2028b?"
    for bad, says in [
        ("", "no questions"),
        ('{"body": {"messages": 5}}', "line 1: needs"),
        ('{"body": "text"}', "line 1: needs"),
        ('{"question": "ok"}\nnot json', "line 2: not JSON"),
        ('{"custom_id": "x"}', "line 1: needs"),
        ('{"question": "' + "x" * 101 + '"}', "line 1: the question is 101"),
    ]:
        with pytest.raises(BatchRefused, match=says):
            parse_questions(bad, 100)


def test_a_job_is_answered_in_order_and_closes_after_its_last_question(store: BatchStore) -> None:
    job = store.create(BOB, parse_questions('{"question": "a?"}\n{"question": "b?"}', 100))
    first = store.claim()
    assert first is not None and first.question == "a?" and first.user == BOB
    store.finish(first, {"answer": "A"})
    second = store.claim()
    assert second is not None and store.claim() is None  # nothing else pending
    store.finish(second, None, "refused")
    status = store.status("bob", job)
    assert status is not None and (status.status, status.completed, status.failed) == (
        "completed",
        1,
        1,
    )
    assert store.results("bob", job) == [
        {"custom_id": "line-1", "line": 1, "question": "a?", "response": {"answer": "A"}},
        {"custom_id": "line-2", "line": 2, "question": "b?", "error": "refused"},
    ]
    assert store.status("carol", job) is None and store.results("carol", job) is None


def test_a_user_may_not_queue_more_than_the_cap(store: BatchStore) -> None:
    from app.storage.batches import MAX_QUESTIONS

    many = "\n".join('{"question": "q?"}' for _ in range(MAX_QUESTIONS - 1))
    store.create(BOB, parse_questions(many, 100))
    store.create(BOB, parse_questions('{"question": "one more?"}', 100))  # exactly the cap
    with pytest.raises(BatchRefused, match="waiting"):
        store.create(BOB, parse_questions('{"question": "too many?"}', 100))
    store.create(User("carol", ("everyone",)), parse_questions('{"question": "q?"}', 100))


def test_a_stopped_process_leaves_nothing_lost_and_a_cancelled_job_stops(store: BatchStore) -> None:
    job = store.create(BOB, parse_questions('{"question": "a?"}\n{"question": "b?"}', 100))
    assert store.claim() is not None  # then the process dies
    assert store.requeue_running() == 1  # the next one starts
    again = store.claim()
    assert again is not None and again.question == "a?"
    assert store.cancel("bob", job) and not store.cancel("bob", job)
    assert store.claim() is None
    status = store.status("bob", job)
    assert status is not None and status.status == "cancelled"
