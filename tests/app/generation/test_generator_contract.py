"""The Generator seam's contract, held by every backend: the quotes-only generator,
llama.cpp in process, and the embedded model server reached over the OpenAI protocol.
Each streams text deltas and ends with exactly one ``done`` delta carrying token counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.generation.base import GenerationParams, Generator
from app.generation.embedded import EmbeddedGenerator
from app.generation.extractive import ExtractiveOnlyGenerator
from app.generation.llama_cpp import LlamaCppGenerator
from app.generation.model_process import ModelProcess

pytestmark = pytest.mark.integration

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "Say hello to the new employee."},
]


@pytest.fixture(params=["extractive", "llama-in-process", "embedded-server"], scope="module")
def backend(
    request: pytest.FixtureRequest, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generator]:
    if request.param == "extractive":
        yield ExtractiveOnlyGenerator()
    elif request.param == "llama-in-process":
        yield LlamaCppGenerator(model_path, n_ctx=2048, n_threads=2)
    else:
        logs = tmp_path_factory.mktemp("model") / "model.log"
        process = ModelProcess(
            model_path, n_ctx=2048, n_threads=2, log_path=logs, start_timeout_s=120
        )
        generator = EmbeddedGenerator(process, timeout_s=60)
        generator.warm_up()  # the API starts it with the service
        yield generator
        generator.close()


def test_streams_deltas_then_one_done_with_counts(backend: Generator) -> None:
    assert backend.name and backend.ready()
    deltas = list(backend.stream(MESSAGES, GenerationParams(max_tokens=24)))
    done = [d for d in deltas if d.done]
    assert len(done) == 1 and deltas[-1].done
    assert done[0].tokens_in is not None and done[0].tokens_out is not None
    text = "".join(d.text for d in deltas)
    if isinstance(backend, ExtractiveOnlyGenerator):
        assert text == "" and done[0].tokens_out == 0  # it never writes: answers are quotes
    else:
        assert text.strip() and 0 < done[0].tokens_out <= 24
        assert done[0].tokens_in > 10


def test_temperature_zero_is_repeatable(backend: Generator) -> None:
    params = GenerationParams(max_tokens=16, temperature=0.0)
    first = "".join(d.text for d in backend.stream(MESSAGES, params))
    second = "".join(d.text for d in backend.stream(MESSAGES, params))
    assert first == second
