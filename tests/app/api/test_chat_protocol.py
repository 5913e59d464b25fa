"""The OpenAI protocol's pure parts: sampling within caps, marks, and when a stream is
corrected."""

from __future__ import annotations

import pytest

from app.api.errors import ApiError
from app.api.routes.chat import UNVERIFIED, _answer, _claims, _history, _params
from app.api.schemas import ChatRequest
from app.generation.base import GenerationParams

pytestmark = pytest.mark.unit

CONFIGURED = GenerationParams(temperature=0.0, max_tokens=200, stop=("\nSources:",))


def _request(**kw: object) -> ChatRequest:
    return ChatRequest.model_validate({"messages": [{"role": "user", "content": "q?"}], **kw})


def test_sampling_is_honoured_within_the_caps() -> None:
    assert _params(_request(), CONFIGURED) is None  # nothing asked: the cache serves it
    assert _params(_request(temperature=0.0, max_tokens=500), CONFIGURED) is None
    asked = _params(_request(temperature=0.7, max_completion_tokens=50, stop="END"), CONFIGURED)
    assert asked == GenerationParams(0.7, 50, ("\nSources:", "END"))
    with pytest.raises(ApiError, match="stop"):
        _params(_request(stop=["a", "b", "c", "d", "e"]), CONFIGURED)


def test_history_reads_text_parts_and_refuses_other_kinds() -> None:
    body = ChatRequest.model_validate(
        {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "first?"}]},
                {"role": "assistant", "content": "an answer"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "and "},
                        {"type": "text", "text": "then?"},
                    ],
                },
            ]
        }
    )
    question, turns = _history(body)
    assert question == "and \nthen?" and [(t.question, t.answer) for t in turns] == [
        ("first?", "an answer")
    ]
    image = ChatRequest.model_validate(
        {"messages": [{"role": "user", "content": [{"type": "image_url", "text": ""}]}]}
    )
    with pytest.raises(ApiError, match="text only"):
        _history(image)


def test_unverified_sentences_are_marked_and_a_changed_answer_is_told_apart() -> None:
    result = {
        "answer": "Leave is 4 hours [1]. The moon is cheese.",
        "sentences": [
            {"text": "Leave is 4 hours.", "cited": [1], "supported": True},
            {"text": "The moon is cheese.", "cited": [], "supported": False},
        ],
    }
    assert _answer(result) == f"Leave is 4 hours [1]. The moon is cheese {UNVERIFIED}."
    assert _answer({**result, "sentences": result["sentences"][:1]}) == result["answer"]
    # spacing around markers is not a change; a dropped citation is
    assert _claims("Leave is 4 hours [1].") == _claims("Leave is 4 hours. [1]")
    assert _claims("Leave is 4 hours [1].") != _claims("Leave is 4 hours.")
