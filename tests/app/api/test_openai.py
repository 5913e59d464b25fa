"""/v1/chat/completions and /v1/models through the official ``openai`` package, against the
real service (real index, llama.cpp model, SQLite) on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from app.api.routes.chat import CORRECTION
from app.generation.base import Delta, GenerationParams
from tests.service_fixtures import Service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ELECTION = "How many hours of administrative leave can I take for each election event?"


def _client(service: Service) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key=service.keys["bob"], max_retries=0)


class _Gated:
    """A model that writes one sentence, then waits until the client has read it: if the
    route held the answer back until it was complete, the wait would time out."""

    name = "gated-test-model"

    def __init__(self, first: str, rest: str) -> None:
        self.first, self.rest = first, rest
        self.released = threading.Event()
        self.waited_out = False
        self.seen: list[GenerationParams] = []

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        self.seen.append(params)
        yield Delta(self.first)
        self.waited_out = not self.released.wait(timeout=20)
        yield Delta(self.rest)
        yield Delta(done=True, tokens_in=10, tokens_out=5)

    def ready(self) -> bool:
        return True


@pytest.fixture
def gated(service: Service, monkeypatch: pytest.MonkeyPatch) -> _Gated:
    model = _Gated(
        # a sentence is sent once the next one starts (its end is then certain)
        "You can take up to 4 hours of administrative leave for each election event [1]. The",
        " moon is made of green cheese [1].",
    )
    monkeypatch.setattr(service.state.components.pipeline, "generator", model)
    return model


def test_the_first_sentence_arrives_before_the_model_has_finished(
    service: Service, gated: _Gated
) -> None:
    pieces: list[str] = []
    last: Any = None
    stream = _client(service).chat.completions.create(
        model="docent",
        stream=True,
        temperature=0.3,  # other than configured: the answer cache is not used either
        messages=[{"role": "user", "content": ELECTION}],
    )
    for chunk in stream:
        text = chunk.choices[0].delta.content or ""
        if "4 hours" in text and not gated.released.is_set():
            gated.released.set()  # the model goes on only once this sentence has arrived
        pieces.append(text)
        last = chunk
    assert gated.released.is_set() and not gated.waited_out
    assert gated.seen[-1].temperature == 0.3
    streamed = "".join(pieces)
    # the unsupported sentence loses its citation: the stream says so, in words and fields
    assert CORRECTION in streamed and "Sources:" in streamed
    checked = streamed.split(CORRECTION, 1)[1]
    assert "4 hours" in checked and "green cheese [1]" not in checked
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["docent"]["corrected"] is True
    assert last.model_extra["citations"][0]["path"].endswith("leave.md")
    assert last.usage.completion_tokens == 5


def test_content_parts_history_and_sampling_limits(service: Service) -> None:
    client = _client(service)
    done = client.chat.completions.create(
        model="docent",
        max_tokens=10_000,  # cut to the server's cap, not refused
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What is the process for new badges?"},
            {"role": "assistant", "content": "GSA processes new badges on Wednesdays."},
            {
                "role": "user",
                "content": [{"type": "text", "text": ELECTION}],
            },
        ],
    )
    assert done.created > 1_700_000_000 and done.object == "chat.completion"
    assert "4 hours" in (done.choices[0].message.content or "")
    assert done.usage is not None
    with pytest.raises(openai.UnprocessableEntityError, match="text only"):
        client.chat.completions.create(
            model="docent",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this picture?"},
                        {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                    ],
                }
            ],
        )
    for bad in ({"temperature": 5}, {"n": 2}, {"stop": ["a", "b", "c", "d", "e"]}):
        with pytest.raises(openai.UnprocessableEntityError):
            client.chat.completions.create(
                model="docent", messages=[{"role": "user", "content": ELECTION}], **bad
            )


def test_models_are_listed_and_retrievable(service: Service) -> None:
    client = _client(service)
    listed = client.models.list()
    assert [m.id for m in listed.data] == ["docent"]
    one = client.models.retrieve("docent")
    assert one.owned_by == "docent" and one.created > 0
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4")


def test_a_cached_or_abstained_answer_streams_whole(service: Service) -> None:
    client = _client(service)
    question = "What is the dress code for the annual company ski trip to Aspen?"
    started = time.monotonic()
    chunks = list(
        client.chat.completions.create(
            model="docent", stream=True, messages=[{"role": "user", "content": question}]
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert CORRECTION not in text and text.strip()
    assert chunks[-1].model_extra["abstained"] is True
    assert chunks[-1].model_extra["docent"] == {"corrected": False, "answer": text.strip()}
    assert time.monotonic() - started < 60
