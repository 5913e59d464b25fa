"""Rate limits (in memory, and shared through a real Redis by two limiters that stand for
two API replicas) and the generation queue."""

from __future__ import annotations

import threading
import time

import pytest

from app.limits import GenerationGate, RateLimiter
from app.pipeline.errors import Overloaded
from core.errors import ConfigError


@pytest.mark.unit
def test_the_limit_counts_per_user_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter(3)
    assert [limiter.check("bob") for _ in range(3)] == [None, None, None]
    wait = limiter.check("bob")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.check("alice") is None  # another user has their own window


@pytest.mark.unit
def test_an_unknown_storage_is_a_configuration_error_that_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="DOCENT_RATE_LIMIT_STORAGE"):
        RateLimiter(3, "nosuch://x")


@pytest.mark.integration
def test_two_replicas_on_one_redis_count_against_one_limit(redis_url: str) -> None:
    first, second = RateLimiter(4, redis_url), RateLimiter(4, redis_url)
    assert first.check("carol") is None and first.check("carol") is None
    assert second.check("carol") is None and second.check("carol") is None
    assert first.check("carol") is not None  # the fifth request, whichever replica gets it
    assert second.check("carol") is not None
    assert second.check("dave") is None
    assert first.store_up and second.store_up


@pytest.mark.integration
def test_an_unreachable_redis_leaves_each_process_limiting_alone() -> None:
    from tests.service_fixtures import free_port

    limiter = RateLimiter(2, f"redis://127.0.0.1:{free_port()}/0")
    assert [limiter.check("erin") for _ in range(2)] == [None, None]
    assert not limiter.store_up
    assert limiter.check("erin") is not None  # the per-process window still counts


@pytest.mark.integration
def test_a_redis_that_hangs_costs_a_request_a_moment_not_the_replica() -> None:
    """A server that accepts connections and never answers (a paused Redis)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        port = server.getsockname()[1]
        limiter = RateLimiter(5, f"redis://127.0.0.1:{port}/0")
        started = time.monotonic()
        assert limiter.check("frank") is None
        assert time.monotonic() - started < 3
        assert not limiter.store_up
    finally:
        server.close()


@pytest.mark.unit
def test_a_password_in_a_bad_storage_uri_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as error:
        RateLimiter(3, "nosuch://:hunter2@host/0")
    assert "hunter2" not in error.value.message


@pytest.mark.unit
def test_a_question_past_the_slots_waits_for_one() -> None:
    gate = GenerationGate(1, max_queued=4, wait_s=5)
    gate.acquire()
    admitted = threading.Event()

    def waiter() -> None:
        gate.acquire()
        admitted.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    deadline = time.monotonic() + 5
    while gate.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.waiting == 1 and not admitted.is_set()
    gate.release()
    assert admitted.wait(5)
    thread.join(5)
    assert gate.waiting == 0
    gate.release()


@pytest.mark.unit
def test_a_full_queue_and_a_long_wait_are_503s_with_retry_after() -> None:
    gate = GenerationGate(1, max_queued=0, wait_s=0.05)
    gate.acquire()
    with pytest.raises(Overloaded, match="queue is full") as full:
        gate.acquire()
    assert full.value.retry_after_s >= 1
    queued = GenerationGate(1, max_queued=1, wait_s=0.05)
    queued.acquire()
    started = time.monotonic()
    with pytest.raises(Overloaded, match="within") as waited:
        queued.acquire()
    assert time.monotonic() - started >= 0.05
    assert waited.value.retry_after_s >= 1
    assert queued.waiting == 0
