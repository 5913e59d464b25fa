"""A revoked group loses access on the next request: the answer cache, the entity links and
the stored conversation all follow an ACL-only change (finding 2 of the hardening review).
Real service on 127.0.0.1, embedded index, SQLite, real models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

CANARY = "heliotrope-42"
DOC = f"""# Payroll advances

Employees may request a payroll advance through the HR portal. The approval code for
payroll advances is {CANARY}; HR reviews each request within two business days.
"""
QUESTION = "What is the approval code for payroll advances?"
ACL = "default: [everyone]\nrules:\n  - match: 'hr/**'\n    groups: [{group}]\n"


def _load(svc: Any, root: Path, group: str) -> dict[str, Any]:
    with svc.client("alice") as c:
        r = c.post("/v1/admin/ingest", json={"paths": [str(root)], "acl": ACL.format(group=group)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_after_an_acl_change_the_canary_is_gone_from_answers_and_history(
    small_service: Any, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "advances.md").write_text(DOC)
    (root / "remote.md").write_text("# Remote work\n\nEmployees may work remotely on Fridays.\n")
    svc = small_service(ingest={"roots": [tmp_path]})
    assert _load(svc, root, "hr")["added"] == 2
    with svc.client("alice") as c:  # alice is in hr
        first = c.post("/v1/ask", json={"question": QUESTION}).json()
        assert CANARY in first["answer"]
        again = c.post("/v1/ask", json={"question": QUESTION}).json()
        assert again["answer_source"] == "cache"  # the next ask would be served from cache

    summary = _load(svc, root, "payroll")  # hr loses the document: no re-embedding
    assert summary["acl_updated"] == 1 and summary["added"] == 0

    with svc.client("alice") as c:
        after = c.post("/v1/ask", json={"question": QUESTION})
        assert CANARY not in after.text
        assert after.json()["answer_source"] != "cache"
        retrieved = c.post("/v1/retrieve", json={"query": QUESTION, "top_k": 5}).text
        assert CANARY not in retrieved
        follow = c.post(
            "/v1/ask",
            json={"question": "and who reviews it?", "conversation_id": first["conversation_id"]},
        )
        assert follow.status_code == 200 and CANARY not in follow.text
        history = c.get(f"/v1/conversations/{first['conversation_id']}")
        assert history.status_code == 200
        assert CANARY not in history.text
        assert "no longer access" in history.json()["messages"][0]["answer"]
