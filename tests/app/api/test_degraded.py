"""A model that crashes, hangs or is unreachable does not take answers down: questions get
quote-only answers marked ``degraded`` and /readyz says the model is degraded. Real service
on 127.0.0.1, the real embedded model in its own process, a real index of handbook pages."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import GeneratorKind, Settings
from tests.app.api.test_api import BADGES, sse_events
from tests.service_fixtures import Service, cpu_ticks, free_port, start_on_copy, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REMOTE = "How do I get remote access to my work computer?"


@pytest.fixture(scope="module")
def small_index(
    small_corpus_module: Path,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Any,
    extractor: Any,
) -> Path:
    from indexes.factory import open_catalogue, open_store
    from ingest.acl import AclResolver
    from ingest.service import IngestService

    data = tmp_path_factory.mktemp("degraded") / "var"
    settings = Settings(data_dir=data)
    store = open_store(settings)
    service = IngestService(settings, store, open_catalogue(settings), embedder, extractor)
    report = service.load([small_corpus_module], AclResolver.from_options("everyone", None))
    assert report.as_dict()["added"]
    service.catalogue.close()
    store.close()
    return data


@pytest.fixture(scope="module")
def small_corpus_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from tests.conftest import CORPUS

    dest = tmp_path_factory.mktemp("docs")
    shutil.copytree(CORPUS / "18f-handbook/pages/getting-started", dest / "getting-started")
    return dest


def _service(data: Path, tmp: Path, embedder: Any, **generation: Any) -> tuple[Service, Any]:
    generation = {"cooldown_s": 1.0, **generation}
    return start_on_copy(data, tmp, embedder, rate_limit_per_minute=1000, generation=generation)


@pytest.fixture
def embedded_service(small_index: Path, tmp_path: Path, embedder: Any) -> Iterator[Service]:
    svc, running = _service(small_index, tmp_path, embedder, idle_timeout_s=60.0)
    yield svc
    stop(running)


@pytest.fixture
def impatient_service(small_index: Path, tmp_path: Path, embedder: Any) -> Iterator[Service]:
    """A model silent for 3 s counts as hung."""
    svc, running = _service(small_index, tmp_path, embedder, idle_timeout_s=3.0)
    yield svc
    stop(running)


def _model_pid(svc: Service) -> int:
    pid = svc.state.components.generator.inner.process.pid
    assert pid is not None
    return int(pid)


def _ask(svc: Service, question: str) -> dict[str, Any]:
    with svc.client("bob") as c:
        r = c.post("/v1/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_model_killed_mid_answer_gives_a_quoted_answer_and_the_next_one_too(
    embedded_service: Service,
) -> None:
    svc = embedded_service
    pid = _model_pid(svc)
    idle = cpu_ticks(pid)
    lines: list[str] = []

    def ask() -> None:
        with (
            svc.client("bob") as c,
            c.stream("POST", "/v1/ask", json={"question": BADGES, "stream": True}) as r,
        ):
            assert r.status_code == 200
            lines.extend(r.iter_lines())

    # tokens are released a sentence at a time (after the leak guard), so a one-sentence
    # answer streams only when it is done: the model is killed once it is seen working
    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 60
    while cpu_ticks(pid) < idle + 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)  # the model dies while it answers
    asking.join(timeout=120)
    result = dict(sse_events(lines))["result"]
    assert result["degraded"] and result["answer_source"] == "extractive"
    assert not result["abstained"] and "wednesday" in result["answer"].lower()
    assert result["citations"][0]["path"].endswith("piv.md")

    # the next question, while the model restarts, is answered too
    after = _ask(svc, REMOTE)
    assert not after["abstained"] and after["citations"]

    # once the model is back, answers are generated again (the quoted one was not cached)
    process = svc.state.components.generator.inner.process
    assert process.wait_ready(60) and process.pid != pid
    time.sleep(1.1)  # the guard's cooldown
    again = _ask(svc, BADGES)
    assert not again["degraded"] and again["answer_source"] in {"generated", "extractive"}
    assert again["tokens_out"] > 0
    with svc.client(None) as c:
        metrics = c.get("/metrics").text
    assert "docent_degraded_answers_total 2.0" in metrics  # the killed answer and the next


def test_a_hung_model_times_out_into_a_quoted_answer_and_readyz_says_degraded(
    impatient_service: Service,
) -> None:
    svc = impatient_service
    pid = _model_pid(svc)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        body = _ask(svc, BADGES)
        assert time.monotonic() - started < 20
        assert body["degraded"] and not body["abstained"]
        assert "wednesday" in body["answer"].lower()
        with svc.client(None) as c:
            ready = c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "degraded",
            "checks": {"index": "ok", "database": "ok", "model": "degraded"},
        }
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(f"{svc.url}/readyz").json()["status"] == "ok":
            break
        time.sleep(0.5)
    else:
        pytest.fail("the model did not come back after SIGCONT")


def test_an_unreachable_model_server_gives_quoted_answers(
    small_index: Path, tmp_path: Path, embedder: Any
) -> None:
    svc, running = _service(
        small_index,
        tmp_path,
        embedder,
        kind=GeneratorKind.OPENAI,
        base_url=f"http://127.0.0.1:{free_port()}",
        retries=0,
    )
    try:
        body = _ask(svc, BADGES)
        assert body["degraded"] and "wednesday" in body["answer"].lower()
        with svc.client(None) as c:
            ready = c.get("/readyz").json()
        assert ready["status"] == "degraded" and ready["checks"]["model"] == "degraded"
        assert "127.0.0.1" not in str(ready)  # no dependency address on an open route
    finally:
        stop(running)
