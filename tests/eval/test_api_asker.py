"""`eval run --api` scores what the in-process run scores: the same answers, judged on the
text they cite (the section, read through the documents route), and a rate-limited service
is waited on, not failed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from eval.dataset import load_cases
from eval.runner import ApiAsker, LocalAsker
from tests.service_fixtures import Service

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"


@pytest.mark.integration
def test_citations_are_judged_over_the_api_as_in_process(service: Service) -> None:
    local = LocalAsker(service.state.components)
    remote = ApiAsker(service.url, service.keys["bob"])
    judged = 0
    for case in load_cases(DEV)[:4]:
        here, there = local.ask(case), remote.ask(case)
        assert there.answer == here.answer
        assert [c.path for c in there.citations] == [c.path for c in here.citations]
        # the snippet alone is cut short; the cited section holds what the chunk holds
        assert [there.citation_correct(c) for c in there.citations] == [
            here.citation_correct(c) for c in here.citations
        ]
        judged += len(here.citations)
    assert judged >= 3


@pytest.mark.unit
def test_a_429_is_waited_out_for_its_retry_after_and_then_given_up() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3:  # a 0 or a date would spin: each wait is at least 1 s
            return httpx.Response(429, headers={"Retry-After": "0" if calls[1:] else "soon"})
        return httpx.Response(200, json={"ok": True})

    asker = ApiAsker("http://docent", "k", transport=httpx.MockTransport(handler))
    assert asker._post("/v1/ask", {}) == {"ok": True}
    assert len(calls) == 3 and asker.waited_s == 2.0

    stuck = ApiAsker(
        "http://docent",
        "k",
        max_wait_s=1.5,
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "1"})),
    )
    with pytest.raises(RuntimeError, match="still rate-limited"):
        stuck._post("/v1/ask", {})
