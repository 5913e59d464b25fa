"""POST /v1/chat/completions: the OpenAI chat protocol over the Docent pipeline.

The last user message is the question and earlier turns are the conversation. The answer
cites as [n] and ends with a sources list; the citations are also in ``citations``.
When streaming, the verified answer is sent in pieces once the citation check is done.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.api.deps import CurrentUser, StateDep
from app.api.errors import GENERATION_RESPONSES, ApiError
from app.api.schemas import ChatRequest
from app.pipeline.types import Turn

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "docent"


def _history(body: ChatRequest) -> tuple[str, list[Turn]]:
    turns: list[Turn] = []
    pending: str | None = None
    for m in body.messages:
        if m.role == "user":
            if pending is not None:
                turns.append(Turn(pending, ""))
            pending = m.content or ""
        elif m.role == "assistant" and pending is not None:
            turns.append(Turn(pending, m.content or ""))
            pending = None
    if not pending:
        raise ApiError(422, "invalid_request", "messages must end with a user message")
    return pending, turns


def _content(result: dict[str, Any]) -> str:
    lines = [result["answer"]]
    sources = result["citations"] or []
    if sources:
        lines.append("")
        lines.append("Sources:")
        lines += [f"[{c['n']}] {c['title']} ({c['path']})" for c in sources]
    return "\n".join(lines)


@router.post("/chat/completions", responses=GENERATION_RESPONSES)
async def chat_completions(body: ChatRequest, user: CurrentUser, state: StateDep) -> Any:
    if body.model != MODEL:
        raise ApiError(422, "invalid_request", f"Unknown model {body.model!r}: use 'docent'.")
    question, history = _history(body)
    state.answering.admit(user)
    result = await state.answering.answer(user, question, None, history)
    created = int(time.time())
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    content = _content(result)
    extra = {
        "citations": result["citations"],
        "abstained": result["abstained"],
        "trace_id": result["trace_id"],
    }
    usage = {
        "prompt_tokens": result["tokens_in"],
        "completion_tokens": result["tokens_out"],
        "total_tokens": result["tokens_in"] + result["tokens_out"],
    }
    if not body.stream:
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": usage,
            **extra,
        }

    async def chunks() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
            data = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **more,
            }
            return f"data: {json.dumps(data)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        words = content.split(" ")
        for i in range(0, len(words), 4):
            piece = " ".join(words[i : i + 4])
            yield chunk({"content": piece if i == 0 else " " + piece})
        yield chunk({}, "stop", usage=usage, **extra)
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


@router.get("/models", responses=GENERATION_RESPONSES)
async def models(user: CurrentUser) -> Any:
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "docent"}]}
