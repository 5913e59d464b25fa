"""The embedded model in its own supervised process: a real llama.cpp server on a Unix
socket in a private folder."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.generation.base import GenerationParams, collect
from app.generation.embedded import EmbeddedGenerator
from app.generation.model_process import ModelProcess
from app.pipeline.errors import GenerationUnavailable

pytestmark = pytest.mark.integration

MESSAGES = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "Badges are processed every Wednesday. When are badges processed?"},
]


@pytest.fixture
def embedded(model_path: Path, tmp_path: Path) -> Iterator[EmbeddedGenerator]:
    process = ModelProcess(
        model_path, n_ctx=2048, n_threads=2, log_path=tmp_path / "model.log", start_timeout_s=120
    )
    gen = EmbeddedGenerator(process, timeout_s=30)
    gen.warm_up()
    yield gen
    gen.close()


def test_generates_through_the_openai_protocol_and_stops_with_close(
    embedded: EmbeddedGenerator,
) -> None:
    assert embedded.ready()
    socket = embedded.process.socket_path
    assert socket.is_socket() and socket.parent.stat().st_mode & 0o077 == 0  # only us
    result = collect(embedded, MESSAGES, GenerationParams(max_tokens=24))
    assert result.text.strip() and result.tokens_in > 10 and result.tokens_out > 0
    pid = embedded.process.pid
    assert pid is not None
    embedded.close()
    assert not embedded.process.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not socket.parent.exists()  # the private folder goes with it


def test_a_sigkill_mid_answer_fails_that_answer_clearly_and_the_process_comes_back(
    embedded: EmbeddedGenerator,
) -> None:
    first_pid = embedded.process.pid
    assert first_pid is not None
    stream = embedded.stream(MESSAGES, GenerationParams(max_tokens=200, stop=()))
    assert next(stream).text  # the answer has begun
    os.kill(first_pid, signal.SIGKILL)
    with pytest.raises(GenerationUnavailable):
        for _ in stream:
            pass
    assert embedded.process.wait_ready(60)
    assert embedded.process.pid not in (None, first_pid)
    assert embedded.process.restarts == 1
    assert embedded.process.last_exit_code == -signal.SIGKILL
    assert collect(embedded, MESSAGES, GenerationParams(max_tokens=16)).text.strip()


def test_a_missing_model_file_is_a_clear_configuration_error(tmp_path: Path) -> None:
    from core.errors import ConfigError

    process = ModelProcess(
        tmp_path / "nope.gguf",
        n_ctx=512,
        n_threads=1,
        log_path=tmp_path / "m.log",
        start_timeout_s=5,
    )
    gen = EmbeddedGenerator(process, timeout_s=5)
    with pytest.raises(ConfigError, match="make setup"):
        gen.warm_up()
    assert not gen.ready()
    started = time.monotonic()
    gen.close()
    assert time.monotonic() - started < 5
