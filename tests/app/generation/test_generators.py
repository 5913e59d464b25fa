"""Generators against real parts: llama.cpp in-process and a real OpenAI-protocol server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.generation.base import GenerationParams, collect
from app.generation.llama_cpp import LlamaCppGenerator
from app.generation.openai_compat import OpenAIGenerator
from app.pipeline.errors import GenerationUnavailable
from tests.app.generation.conftest import free_port

pytestmark = pytest.mark.integration

MESSAGES = [
    {"role": "system", "content": "Answer briefly."},
    {
        "role": "user",
        "content": 'Sources:\n<source n="1">Badges are processed every Wednesday.</source>\n'
        "Question: When are badges processed?\nAnswer:",
    },
]
PARAMS = GenerationParams(temperature=0.0, max_tokens=24)


def test_embedded_llama_cpp_streams_and_counts_tokens(model_path: Path) -> None:
    gen = LlamaCppGenerator(model_path, n_ctx=2048, n_threads=2)
    deltas = list(gen.stream(MESSAGES, PARAMS))
    assert len([d for d in deltas if d.text]) >= 2  # really streamed, piece by piece
    final = deltas[-1]
    assert final.done and final.tokens_in and final.tokens_in > 20 and final.tokens_out
    assert "".join(d.text for d in deltas).strip()


def test_openai_server_non_streaming_and_streaming(llama_server: str) -> None:
    gen = OpenAIGenerator(llama_server, "smollm2", api_key=None, timeout_s=60, retries=0)
    assert gen.ready()
    result = collect(gen, MESSAGES, PARAMS)
    assert result.text.strip() and result.tokens_in > 20 and result.tokens_out > 0
    assert len(result.deltas) >= 2
    whole = gen.complete(MESSAGES, PARAMS)
    assert whole.text.strip() == result.text.strip()  # temperature 0: same answer both ways
    assert whole.tokens_in > 20 and whole.tokens_out > 0
    assert gen.name == "openai:smollm2"  # llama.cpp's server lists the alias alone
    gen.close()


@pytest.mark.unit
def test_the_name_carries_the_model_the_server_runs_behind_its_alias() -> None:
    """vLLM lists ``--served-model-name docent-llm`` with the weights it loaded as ``root``:
    traces and cache keys must change when the weights do, though the alias does not."""
    import httpx

    served = {"root": "Qwen/Qwen2.5-7B-Instruct"}

    def models(request: httpx.Request) -> httpx.Response:
        cards = [{"id": "other", "root": "x"}, {"id": "docent-llm", **served}]
        return httpx.Response(200, json={"object": "list", "data": cards})

    gen = OpenAIGenerator(
        "http://vllm:8000",
        "docent-llm",
        api_key=None,
        timeout_s=5,
        retries=0,
        transport=httpx.MockTransport(models),
    )
    assert gen.name.startswith("openai:docent-llm")  # never waits on the server
    assert gen.ready()  # the readiness probe reads /v1/models
    assert gen.name == "openai:docent-llm(Qwen/Qwen2.5-7B-Instruct)"
    served["root"] = "meta-llama/Llama-3.1-8B-Instruct"  # redeployed under the same alias
    assert gen.name.endswith("(Qwen/Qwen2.5-7B-Instruct)")  # read again after a while ...
    assert gen.ready()  # ... or at the next readiness probe
    assert gen.name == "openai:docent-llm(meta-llama/Llama-3.1-8B-Instruct)"


def test_server_down_is_a_clear_error_not_a_hang() -> None:
    gen = OpenAIGenerator(
        f"http://127.0.0.1:{free_port()}", "x", api_key=None, timeout_s=5, retries=1
    )
    started = time.monotonic()
    with pytest.raises(GenerationUnavailable, match="unreachable"):
        collect(gen, MESSAGES, PARAMS)
    assert time.monotonic() - started < 10
    assert not gen.ready()


@pytest.mark.unit
def test_transformers_output_stops_where_a_stop_sequence_starts() -> None:
    from app.generation.transformers_gen import _stop_at, model_location

    assert _stop_at("Badges are made [1].\nQuestion: next", ("\nQuestion:", "</source>")) == 20
    assert _stop_at("no stop here", ("\nQuestion:",)) is None
    assert model_location(Path("/m/smol.gguf")) == {
        "pretrained_model_name_or_path": "/m",
        "gguf_file": "smol.gguf",
    }
    assert model_location(Path("/m/qwen")) == {"pretrained_model_name_or_path": "/m/qwen"}
