"""The API's stored state on each database Docent supports: a real SQLite file and a real
PostgreSQL server. One walk through everything the API writes and reads back: answers and
their conversation, feedback, personal keys, a batch, and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.generation.extractive import ExtractiveOnlyGenerator
from app.pipeline.types import AnswerSource, QueryResult, RetrievedChunk
from core.settings import Settings
from tests.app.api.test_batches import _wait
from tests.app.api.test_degraded import small_corpus_module, small_index  # noqa: F401
from tests.service_fixtures import Service, start, stop

pytestmark = pytest.mark.integration


@pytest.fixture
def stored_service(
    small_index: Path,  # noqa: F811
    tmp_path: Path,
    embedder: Any,
    database_url: str,
) -> Iterator[Service]:
    import shutil

    data = tmp_path / "var"
    shutil.copytree(small_index, data)
    settings = Settings(
        data_dir=data,
        users_file=data / "users.yaml",
        database_url=database_url,
        rate_limit_per_minute=1000,
    )
    svc, running = start(settings, embedder=embedder, generator=ExtractiveOnlyGenerator())
    yield svc
    stop(running)


def test_what_the_api_stores_it_reads_back(stored_service: Service) -> None:
    with stored_service.client("bob") as c, stored_service.client("alice") as alice:
        first = c.post("/v1/ask", json={"question": "What is the TTS handbook for?"})
        assert first.status_code == 200, first.text
        answer = first.json()
        cid = answer["conversation_id"]
        follow = c.post(
            "/v1/ask", json={"question": "Who maintains it?", "conversation_id": cid}
        ).json()
        assert follow["conversation_id"] == cid
        detail = c.get(f"/v1/conversations/{cid}").json()
        assert [m["question"] for m in detail["messages"]] == [
            "What is the TTS handbook for?",
            "Who maintains it?",
        ]
        assert alice.get(f"/v1/conversations/{cid}").status_code == 404  # bob's alone

        rated = c.post("/v1/feedback", json={"trace_id": answer["trace_id"], "rating": "down"})
        assert rated.status_code == 200, rated.text

        # the editor's worklist, and a correction (which bob's erasure removes below)
        worklist = alice.get("/v1/admin/feedback").json()["answers"]
        [item] = [w for w in worklist if w["trace_id"] == answer["trace_id"]]
        assert item["prompt_version"] == answer["prompt_version"] and item["retrieved"]
        assert item["correction"] is None
        fix = {"trace_id": answer["trace_id"], "answer": "It is the TTS handbook [1]."}
        assert alice.post("/v1/admin/corrections", json=fix).status_code == 201
        worklist = alice.get("/v1/admin/feedback").json()["answers"]
        assert worklist[0]["correction"] == "It is the TTS handbook [1]."
        missing = {"trace_id": "nope", "answer": "x"}
        assert alice.post("/v1/admin/corrections", json=missing).status_code == 404
        assert c.get("/v1/admin/feedback").status_code == 403

        # the live quality report and metrics count bob's two answers and his rating
        report = alice.get("/v1/admin/quality", params={"days": 1}).json()
        [today] = [d for d in report["by_day"] if d["prompt_version"] == answer["prompt_version"]]
        assert today["answers"] == 2 and today["down"] == 1 and today["up_rate"] == 0.0
        assert {u["name"]: u["answers"] for u in report["by_user"]} == {"bob": 2}
        assert {g["name"] for g in report["by_group"]} == {"everyone"}
        assert c.get("/v1/admin/quality").status_code == 403  # admins only
        ab = alice.get("/v1/admin/ab", params={"baseline": answer["prompt_version"]}).json()
        [arm] = ab["arms"]
        assert arm["answers"] == 2 and arm["up_rate"]["value"] == 0.0
        assert arm["up_rate"]["high"] > 0 and arm["versus_baseline"] is None
        assert c.get("/v1/admin/ab").status_code == 403
        from click.testing import CliRunner

        from eval.__main__ import main as eval_cli

        database = stored_service.settings.database_url or ""
        printed = CliRunner().invoke(eval_cli, ["ab-report", "--database-url", database])
        assert printed.exit_code == 0, printed.output
        assert answer["prompt_version"] in printed.output
        with stored_service.client(None) as scraper:
            metrics = scraper.get("/metrics").text
        version = answer["prompt_version"]
        assert f'docent_feedback_total{{prompt_version="{version}",rating="down"}} 1.0' in metrics
        assert "docent_prompt_answers_total" in metrics

        # an answer that drew on a document the editor may not read (none may read this
        # one) is withheld from the worklist, and correcting it is a 404 as for a missing one
        repo = stored_service.state.repo
        hidden = QueryResult(
            answer="The secret figure is 42 [1].",
            citations=[],
            abstained=False,
            question="What is the secret figure?",
            standalone_question="What is the secret figure?",
            entities=[],
            prompt_version="answer-v2",
            generator="extractive",
            answer_source=AnswerSource.EXTRACTIVE,
            retrieved=[RetrievedChunk("h1", "hidden-doc", "hr/secret.md", "S", "", "42", 0.9)],
            trace_id="hidden-trace",
        )
        repo.record_answer("carol", None, hidden, {})
        assert repo.add_feedback("carol", "hidden-trace", "down", "") is not None
        listed = alice.get("/v1/admin/feedback").json()
        assert listed["withheld"] == 1
        assert "hidden-trace" not in {w["trace_id"] for w in listed["answers"]}
        fix_hidden = {"trace_id": "hidden-trace", "answer": "It is 41 [1]."}
        assert alice.post("/v1/admin/corrections", json=fix_hidden).status_code == 404

        made = c.post("/v1/keys", json={"name": "script", "expires_in_days": 1})
        assert made.status_code == 201, made.text
        key = made.json()
        with stored_service.client(None) as anonymous:
            by_key = {"Authorization": f"Bearer {key['key']}"}
            assert anonymous.get("/v1/me", headers=by_key).json()["id"] == "bob"
            assert c.delete(f"/v1/keys/{key['id']}").status_code == 204
            assert anonymous.get("/v1/me", headers=by_key).status_code == 401

        body = '{"custom_id": "a", "question": "What is 18F?"}\n{"question": "What is TTS?"}\n'
        job = c.post("/v1/batches", content=body).json()
        done = _wait(c, job["id"])
        assert done["status"] == "completed" and done["request_counts"]["completed"] == 2
        lines = [x for x in c.get(f"/v1/batches/{job['id']}/output").text.split("\n") if x]
        assert len(lines) == 2

        deleted = c.delete("/v1/me/data").json()["deleted"]
        assert deleted["conversations"] == 1 and deleted["feedback"] == 1
        assert deleted["corrections"] == 1
        assert c.get("/v1/conversations").json()["conversations"] == []
        assert c.get("/v1/batches").json()["data"] == []
