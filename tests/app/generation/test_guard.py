"""GuardedGenerator: pure logic, with a fake backend and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.generation.base import Delta, GenerationParams, collect
from app.generation.guard import GuardedGenerator
from app.pipeline.errors import GenerationUnavailable

pytestmark = pytest.mark.unit

MESSAGES = [{"role": "user", "content": "hi"}]


class FakeBackend:
    name = "fake"

    def __init__(self) -> None:
        self.failure: Exception | None = None
        self.calls = 0
        self.up = True

    def ready(self) -> bool:
        return self.up

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        self.calls += 1
        yield Delta(text="Hello")
        if self.failure is not None:
            raise self.failure
        yield Delta(tokens_in=3, tokens_out=1, done=True)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_opens_the_guard_for_the_cooldown_then_it_tries_again() -> None:
    backend, clock = FakeBackend(), Clock()
    guard = GuardedGenerator(backend, cooldown_s=5, clock=clock)
    backend.failure = GenerationUnavailable("stream broke")
    with pytest.raises(GenerationUnavailable):
        collect(guard, MESSAGES, GenerationParams())
    assert guard.is_open and backend.calls == 1
    with pytest.raises(GenerationUnavailable, match="unavailable"):
        collect(guard, MESSAGES, GenerationParams())
    assert backend.calls == 1  # refused without trying the dead backend
    backend.failure = None
    clock.now += 5
    assert collect(guard, MESSAGES, GenerationParams()).text == "Hello"
    assert backend.calls == 2 and not guard.is_open


def test_any_backend_exception_becomes_generation_unavailable() -> None:
    backend = FakeBackend()
    backend.failure = ConnectionResetError("peer reset")
    guard = GuardedGenerator(backend, cooldown_s=5, clock=Clock())
    with pytest.raises(GenerationUnavailable, match="ConnectionResetError"):
        collect(guard, MESSAGES, GenerationParams())
    assert guard.is_open


def test_a_ready_backend_closes_the_guard_early() -> None:
    backend, clock = FakeBackend(), Clock()
    guard = GuardedGenerator(backend, cooldown_s=60, clock=clock)
    backend.failure = GenerationUnavailable("down")
    with pytest.raises(GenerationUnavailable):
        collect(guard, MESSAGES, GenerationParams())
    backend.up = False
    assert not guard.ready() and guard.is_open
    backend.up, backend.failure = True, None
    assert guard.ready() and not guard.is_open
    assert collect(guard, MESSAGES, GenerationParams()).text == "Hello"


def test_a_request_the_server_refuses_does_not_open_the_guard() -> None:
    from app.pipeline.errors import GenerationRejected

    backend = FakeBackend()
    backend.failure = GenerationRejected("400: the prompt is over the context")
    guard = GuardedGenerator(backend, cooldown_s=5, clock=Clock())
    with pytest.raises(GenerationRejected):
        collect(guard, MESSAGES, GenerationParams())
    assert not guard.is_open  # the server is up for everyone else
