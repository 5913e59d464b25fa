"""Every endpoint of the real service: real index, real llama.cpp model, real SQLite."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.service_fixtures import Service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BADGES = "On which weekday does GSA process new badges?"


def sse_events(lines: Any) -> list[tuple[str, Any]]:
    events, event = [], None
    for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event:
            events.append((event, json.loads(line.split(":", 1)[1])))
            event = None
    return events


def test_health_ready_and_metrics(service: Service) -> None:
    with service.client(None) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "index": "ok",
            "database": "ok",
            "model": "ok",
        }
        assert "docent_http_requests_total" in c.get("/metrics").text


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer"])
def test_missing_or_bad_credentials_get_401_with_challenge(
    service: Service, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = httpx.post(f"{service.url}/v1/ask", json={"question": "hi"}, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert set(r.json()["error"]) == {"code", "message"}


def test_ask_returns_a_cited_answer_and_records_trace_and_audit(service: Service) -> None:
    with service.client("bob") as c:
        r = c.post("/v1/ask", json={"question": BADGES})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["abstained"] and "wednesday" in body["answer"].lower()
    assert body["citations"][0]["path"] == "18f-handbook/pages/getting-started/piv.md"
    assert {"n", "doc_id", "path", "title", "section", "snippet", "score"} <= set(
        body["citations"][0]
    )
    assert body["prompt_version"] == "answer-v2" and body["timings_ms"]["total"] > 0
    audit = service.state.repo.audit_for(body["trace_id"])
    assert audit and {a.user_id for a in audit} == {"bob"}
    assert any(a.cited and a.path.endswith("piv.md") for a in audit)


def test_follow_up_in_a_conversation_and_conversation_privacy(service: Service) -> None:
    with service.client("bob") as c:
        first = c.post(
            "/v1/ask",
            json={"question": "How many weeks of paid parental leave do TTS employees get?"},
        ).json()
        cid = first["conversation_id"]
        second = c.post(
            "/v1/ask",
            json={
                "question": "and do I need to sign an agreement to return to work?",
                "conversation_id": cid,
            },
        ).json()
        assert "parental leave" in second["standalone_question"].lower()
        listed = c.get("/v1/conversations").json()["conversations"]
        assert cid in {x["id"] for x in listed}
        detail = c.get(f"/v1/conversations/{cid}").json()
        assert len(detail["messages"]) == 2
        assert c.patch(f"/v1/conversations/{cid}", json={"title": "Leave"}).status_code == 204
    with service.client("carol") as other:
        assert other.get(f"/v1/conversations/{cid}").status_code == 404
        assert other.delete(f"/v1/conversations/{cid}").status_code == 404
        assert (
            other.post("/v1/ask", json={"question": "x?", "conversation_id": cid}).status_code
            == 404
        )
    with service.client("bob") as c:
        assert c.delete(f"/v1/conversations/{cid}").status_code == 204
        assert c.get(f"/v1/conversations/{cid}").status_code == 404


def test_deleting_conversations_and_user_data_takes_the_traces_along(service: Service) -> None:
    repo = service.state.repo
    with service.client("carol") as c:
        first = c.post("/v1/ask", json={"question": "How do I request annual leave?"}).json()
        second = c.post("/v1/ask", json={"question": "How do I get a PIV card?"}).json()
        assert c.delete(f"/v1/conversations/{first['conversation_id']}").status_code == 204
        assert repo.trace(first["trace_id"]) is None  # the trace went with its conversation
        assert repo.trace(second["trace_id"]) is not None
        assert c.delete("/v1/admin/users/carol/data").status_code == 403  # not an admin
        deleted = c.delete("/v1/me/data").json()["deleted"]
        assert deleted["conversations"] == 1 and deleted["traces"] == 1
        assert deleted["audit"] >= 1
        assert repo.trace(second["trace_id"]) is None
        assert c.get("/v1/conversations").json()["conversations"] == []
        third = c.post("/v1/ask", json={"question": "How do I get a PIV card?"}).json()
        assert third["answer_source"] != "cache"  # the purge emptied the user's cache too
    with service.client("alice") as admin:
        deleted = admin.delete("/v1/admin/users/carol/data").json()["deleted"]
        assert deleted["traces"] == 1 and repo.trace(third["trace_id"]) is None


def test_retrieve_enforces_groups_and_ignores_groups_in_the_body(service: Service) -> None:
    q = {"query": "Sourcegraph legal contract review process", "top_k": 20, "groups": ["legal"]}
    with service.client("bob") as c:
        chunks = c.post("/v1/retrieve", json=q).json()["chunks"]
        assert chunks and all("/departments/legal/" not in x["path"] for x in chunks)
        asked = c.post(
            "/v1/ask",
            json={"question": "How does Sourcegraph legal review contracts?", "groups": ["legal"]},
        ).json()
        assert all(
            "/departments/legal/" not in x["path"]
            for x in asked["citations"] + asked["closest_sources"]
        )
    with service.client("carol") as c:
        assert any(
            "/departments/legal/" in x["path"]
            for x in c.post("/v1/retrieve", json=q).json()["chunks"]
        )
    with service.client("guest") as c:
        assert c.post("/v1/retrieve", json=q).json()["chunks"] == []


def test_feedback_is_stored_and_exported_as_an_eval_case(service: Service, tmp_path: Any) -> None:
    with service.client("bob") as c:
        answer = c.post(
            "/v1/ask", json={"question": "How long is parental bereavement leave?"}
        ).json()
        r = c.post(
            "/v1/feedback",
            json={
                "trace_id": answer["trace_id"],
                "rating": "down",
                "comment": "missing the hours; mail me at bob@example.com",
            },
        )
        assert r.status_code == 200
        assert c.post("/v1/feedback", json={"trace_id": "nope", "rating": "up"}).status_code == 404
        assert (
            c.post(
                "/v1/feedback", json={"trace_id": answer["trace_id"], "rating": "meh"}
            ).status_code
            == 422
        )
    with service.client("carol") as other:
        assert (
            other.post(
                "/v1/feedback", json={"trace_id": answer["trace_id"], "rating": "up"}
            ).status_code
            == 404
        )
    from eval.feedback import export
    from indexes.access import readable_documents

    out = tmp_path / "fb.jsonl"
    readable = readable_documents(service.state.store.active(), ("everyone",))
    written, _ = export(out, readable, service.settings.sqlalchemy_url)
    assert written >= 1
    # a group that may read nothing gets nothing: the file leaves the service
    assert export(tmp_path / "none.jsonl", frozenset(), service.settings.sqlalchemy_url)[0] == 0
    cases = [json.loads(line) for line in out.read_text().splitlines()]
    case = next(x for x in cases if x["trace_id"] == answer["trace_id"])
    assert case["question"] == "How long is parental bereavement leave?"
    assert case["prompt_version"] == "answer-v2" and case["retrieved"]
    assert "bob@example.com" not in case["comment"]  # PII redacted when stored


def test_streaming_events_tokens_then_citations_then_result(service: Service) -> None:
    with (
        service.client("bob") as c,
        c.stream(
            "POST",
            "/v1/ask",
            json={
                "question": "How much administrative leave can I get for blood donation?",
                "stream": True,
            },
        ) as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.iter_lines())
    kinds = [k for k, _ in events]
    assert kinds.count("token") >= 2 and kinds[-2:] == ["citations", "result"]
    assert kinds.index("citations") > max(i for i, k in enumerate(kinds) if k == "token")
    result = events[-1][1]
    assert result["citations"] == events[-2][1] and "4 hours" in result["answer"]


def test_disconnect_cancels_generation_and_the_cap_gives_503_not_a_hang(service: Service) -> None:
    """The cap is 1 and the queue 0 in this service: a second generation is refused at once
    while the first runs."""
    holder = service.client("alice")
    stream = holder.stream(
        "POST",
        "/v1/ask",
        json={
            "question": "What does the -partner suffix on a TTS Slack channel mean for external agencies?",
            "stream": True,
        },
    )
    response = stream.__enter__()
    lines = response.iter_lines()
    first = next(line for line in lines if line.startswith("event:"))
    assert first == "event: token"  # generation is running and holds the only slot
    with service.client("carol") as c:
        busy = c.post(
            "/v1/ask",
            json={
                "question": "How many weeks of unpaid FMLA leave can I take per 12-month period?"
            },
        )
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
    stream.__exit__(None, None, None)  # the client goes away mid-stream
    holder.close()
    deadline = time.monotonic() + 5
    freed = False
    while time.monotonic() < deadline and not freed:  # freed in well under a generation's time
        try:
            service.state.components.pipeline.gate.acquire()
            service.state.components.pipeline.gate.release()
            freed = True
        except Exception:
            time.sleep(0.1)
    assert freed


def test_openai_client_works_unchanged(service: Service) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{service.url}/v1", api_key=service.keys["bob"], max_retries=0)
    done = client.chat.completions.create(
        model="docent",
        messages=[
            {
                "role": "user",
                "content": "How many hours of administrative leave can I take for each election event?",
            }
        ],
    )
    text = done.choices[0].message.content or ""
    assert "4 hours" in text and "Sources:" in text and "[1]" in text
    assert done.model_extra and done.model_extra["citations"][0]["path"].endswith("leave.md")
    pieces = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="docent",
            stream=True,
            messages=[
                {
                    "role": "user",
                    "content": "How many hours of administrative leave can I take for each election event?",
                }
            ],
        )
    ]
    assert len(pieces) > 2 and "4 hours" in "".join(pieces)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])


def test_size_and_length_limits(service: Service) -> None:
    with service.client("bob") as c:
        huge = c.post(
            "/v1/ask",
            content=json.dumps({"question": "x" * 20_000}),
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
        long_q = c.post("/v1/ask", json={"question": "why " * 600})
        assert long_q.status_code == 422 and "limit" in long_q.json()["error"]["message"]
        assert c.post("/v1/ask", json={}).status_code == 422
        # retrieval goes through the same pre-processing as an answer
        long_r = c.post("/v1/retrieve", json={"query": "why " * 600})
        assert long_r.status_code == 422 and "limit" in long_r.json()["error"]["message"]


def test_admin_ingest_is_the_hand_off_and_needs_the_admin_group(
    service: Service, tmp_path: Any
) -> None:
    doc = tmp_path / "new" / "cafeteria.md"
    doc.parent.mkdir()
    doc.write_text("# Cafeteria\n\nThe Denver office cafeteria serves tacos every Thursday.\n")
    body = {"paths": [str(doc.parent)], "groups": "everyone"}
    with service.client("bob") as c:
        assert c.post("/v1/admin/ingest", json=body).status_code == 403
    with service.client("alice") as c:
        r = c.post("/v1/admin/ingest", json=body)
        assert r.status_code == 200 and r.json()["added"] == 1
        found = c.post("/v1/retrieve", json={"query": "Denver cafeteria tacos", "top_k": 3}).json()
        assert found["chunks"][0]["path"] == "cafeteria.md"
        assert c.get("/v1/admin/overview").json()["ingest_runs"][0]["summary"]["added"] == 1
        # a name the OS rejects (longer than NAME_MAX) is a bad request, not a server error
        too_long = c.post(
            "/v1/admin/ingest", json={"paths": [str(tmp_path / ("x" * 300))], "groups": "everyone"}
        )
        assert too_long.status_code == 422 and "Not found" in too_long.json()["error"]["message"]


def test_ingest_cli_hands_off_to_the_running_service(service: Service, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    root = tmp_path / "more"
    root.mkdir()
    (root / "bikes.md").write_text(
        "# Bikes\n\nBike racks are in the basement of the Denver office.\n"
    )
    env = {
        **os.environ,
        "DOCENT_DATA_DIR": str(service.settings.data_dir),
        "DOCENT_API_KEY": service.keys["alice"],
    }
    direct = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "load", str(root), "--groups", "everyone"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.returncode == 1 and "--via-api" in direct.stderr  # the service holds the shard
    via = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "load",
            str(root),
            "--groups",
            "everyone",
            "--json",
            "--via-api",
            service.url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert via.returncode == 0, via.stderr
    assert json.loads(via.stdout)["added"] == 1


def test_rate_limit_gives_429_with_retry_after(small_service: Any) -> None:
    svc = small_service(rate_limit_per_minute=2)
    with svc.client("bob") as c:
        codes = [c.post("/v1/retrieve", json={"query": "leave"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        last = c.post("/v1/retrieve", json={"query": "leave"})
        assert last.status_code == 429 and 0 < int(last.headers["retry-after"]) <= 60


def test_a_cited_document_opens_for_its_readers_only(service: Service) -> None:
    q = {"query": "Sourcegraph legal contract review process", "top_k": 20}
    with service.client("carol") as c:
        legal = [
            x for x in c.post("/v1/retrieve", json=q).json()["chunks"] if "/legal/" in x["path"]
        ]
        chunk = legal[0]
        doc = c.get(f"/v1/documents/{chunk['doc_id']}").json()
        assert doc["path"] == chunk["path"] and doc["sections"]
        whole = "\n".join(s["text"] for s in doc["sections"])
        assert chunk["text"][:200] in whole
        one = c.get(
            f"/v1/documents/{chunk['doc_id']}", params={"section": chunk["section"]}
        ).json()["sections"]
        assert [s["section"] for s in one] == [chunk["section"]]
        assert chunk["text"][:200] in one[0]["text"]
        missing = c.get("/v1/documents/0123456789abcdef0123")
    assert missing.status_code == 404
    for user in ("bob", "guest"):  # not a reader: the same 404 as a document that is not there
        with service.client(user) as c:
            hidden = c.get(f"/v1/documents/{chunk['doc_id']}")
        assert hidden.status_code == 404 and hidden.json() == missing.json()
