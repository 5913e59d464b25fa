"""200 questions at once against a cap of 4 generations: every request ends, with an
answer or a 503 that says when to retry, none hangs, and the process's memory stays
bounded. Real service on 127.0.0.1 with the embedded model in its own process."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.app.api.test_degraded import small_corpus_module, small_index  # noqa: F401
from tests.service_fixtures import Service, start_on_copy, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REQUESTS = 200
CAP = 4


@pytest.fixture
def capped_service(
    small_index: Path,  # noqa: F811
    tmp_path: Path,
    embedder: Any,
) -> Iterator[Service]:
    svc, running = start_on_copy(
        small_index,
        tmp_path,
        embedder,
        rate_limit_per_minute=10_000,
        generation={"max_concurrent": CAP, "max_tokens": 48},
        answer_cache_size=0,  # every request goes through the pipeline
    )
    yield svc
    stop(running)


async def _burst(svc: Service) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {svc.keys['bob']}"}
    async with httpx.AsyncClient(
        base_url=svc.url, headers=headers, timeout=120, limits=limits
    ) as c:
        return await asyncio.gather(
            *(
                c.post(
                    "/v1/ask",
                    json={"question": "On which weekday does GSA process new badges?"},
                )
                for i in range(REQUESTS)
            )
        )


def test_two_hundred_at_once_get_answers_or_503s_and_none_hangs(
    capped_service: Service,
) -> None:
    process = psutil.Process()
    rss_before = process.memory_info().rss
    started = time.monotonic()
    responses = asyncio.run(_burst(capped_service))
    seconds = time.monotonic() - started
    rss_after = process.memory_info().rss
    statuses = Counter(r.status_code for r in responses)
    sources = Counter(r.json()["answer_source"] for r in responses if r.status_code == 200)
    growth_mb = (rss_after - rss_before) / 2**20
    print(
        f"{REQUESTS} requests, cap {CAP}: {dict(statuses)} {dict(sources)} in {seconds:.1f} s; "
        f"RSS {rss_before / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB ({growth_mb:+.0f})"
    )
    assert set(statuses) <= {200, 503} and statuses[200] >= CAP
    assert "cache" not in sources
    busy = [r for r in responses if r.status_code == 503]
    assert all(int(r.headers["retry-after"]) > 0 for r in busy)
    assert all(r.json()["error"]["code"] == "overloaded" for r in busy)
    assert growth_mb < 512
    with httpx.Client(base_url=capped_service.url) as c:  # and it still answers afterwards
        assert c.get("/healthz").status_code == 200
