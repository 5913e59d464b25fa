"""POST /v1/chat/completions: the OpenAI chat protocol over the Docent pipeline.

The last user message is the question and earlier turns are the conversation (the last
``answer.max_history_turns`` are read). The answer cites as [n] and ends with a sources
list; the citations are also in ``citations``, an extra field clients may ignore. A
sentence of the model's that the sources do not support is followed by ``[unverified]``.

Streaming is real: each sentence of the model's answer is sent as soon as the model has
written it and the leak guard has read it, made inert as markdown like every answer. The
citation check reads the whole answer, so it can change what was streamed: an unsupported
sentence loses its citation, or the model's answer is replaced by quotes from the sources,
or by an abstention. When it does, one more content delta says so in words, starting with
``CORRECTION`` below, followed by the checked answer, so that a client which ignores
unknown fields still shows the right text; the last chunk also carries
``"docent": {"corrected": true, "answer": ...}``. A client that reads ``docent`` can
replace the streamed text with ``answer``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, StateDep
from app.api.errors import GENERATION_RESPONSES, ApiError, not_found, status_for
from app.api.schemas import ChatRequest
from app.generation.base import GenerationParams
from app.pipeline.output_safety import sanitize
from app.pipeline.types import ResultEvent, TokenEvent, Turn
from core.errors import DocentError
from core.text import split_sentences

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "docent"
CREATED = 1_700_000_000  # the model list's fixed creation time (Docent has one model)
CORRECTION = "Correction: the citation check changed the answer above. The checked answer:"
UNVERIFIED = "[unverified]"  # follows a sentence of the model's the sources do not support
_CITE = re.compile(r"\s*\[(\d+)\]")
_MARKS_AFTER = re.compile(r"([.!?])((?:\s*\[\d{1,3}\])+)")


def _history(body: ChatRequest) -> tuple[str, list[Turn]]:
    turns: list[Turn] = []
    pending: str | None = None
    try:
        for m in body.messages:
            if m.role == "user":
                if pending is not None:
                    turns.append(Turn(pending, ""))
                pending = m.text()
            elif m.role == "assistant" and pending is not None:
                turns.append(Turn(pending, m.text()))
                pending = None
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    if not pending:
        raise ApiError(422, "invalid_request", "messages must end with a user message")
    return pending, turns


def _params(body: ChatRequest, configured: GenerationParams) -> GenerationParams | None:
    """The client's sampling within the server's caps, or None when it asked for nothing
    other than the configured (so that the answer cache serves it)."""
    try:
        stops = body.stops()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    asked = body.max_completion_tokens or body.max_tokens
    params = GenerationParams(
        temperature=configured.temperature if body.temperature is None else body.temperature,
        max_tokens=min(asked, configured.max_tokens) if asked else configured.max_tokens,
        stop=configured.stop + tuple(s for s in stops if s not in configured.stop),
    )
    return None if params == configured else params


def _sources(result: dict[str, Any]) -> str:
    citations = result["citations"] or []
    if not citations:
        return ""
    lines = ["Sources:"] + [f"[{c['n']}] {c['title']} ({c['path']})" for c in citations]
    return "\n".join(lines)


def _answer(result: dict[str, Any]) -> str:
    """The answer with each sentence the citation check could not verify followed by
    ``UNVERIFIED`` (sentences carry their citations as [n])."""
    sentences = result.get("sentences") or []
    if all(s["supported"] for s in sentences):
        return str(result["answer"])
    out = []
    for s in sentences:
        text = s["text"]
        tail = text[-1] if text[-1:] in ".!?" else ""
        marks = "".join(f" [{n}]" for n in s["cited"]) if s["supported"] else f" {UNVERIFIED}"
        out.append(text[: len(text) - len(tail)] + marks + tail)
    return " ".join(out)


def _content(result: dict[str, Any]) -> str:
    sources = _sources(result)
    return _answer(result) + (f"\n\n{sources}" if sources else "")


def _claims(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each sentence without its markers, and the sources it cites: what a reader takes
    from the text, whatever the spacing around the markers."""
    out = []
    text = _MARKS_AFTER.sub(r"\2\1", text)  # "hours. [1]" reads as "hours [1]."
    for sentence in split_sentences(text):
        bare = " ".join(_CITE.sub(" ", sentence).split())
        out.append((re.sub(r" ([.!?,;:])", r"\1", bare), tuple(_CITE.findall(sentence))))
    return out


def _extra(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "citations": result["citations"],
        "abstained": result["abstained"],
        "trace_id": result["trace_id"],
    }


def _usage(result: dict[str, Any]) -> dict[str, int]:
    return {
        "prompt_tokens": result["tokens_in"],
        "completion_tokens": result["tokens_out"],
        "total_tokens": result["tokens_in"] + result["tokens_out"],
    }


@router.post("/chat/completions", responses=GENERATION_RESPONSES)
async def chat_completions(
    body: ChatRequest, user: CurrentUser, state: StateDep, request: Request
) -> Any:
    if body.model != MODEL:
        raise ApiError(422, "invalid_request", f"Unknown model {body.model!r}: use 'docent'.")
    question, history = _history(body)
    answering = state.answering
    params = _params(body, answering.pipeline.params)
    answering.admit(user)
    created = int(time.time())
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    if not body.stream:
        result = await answering.answer(user, question, None, history, params)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": _content(result)},
                }
            ],
            "usage": _usage(result),
            **_extra(result),
        }

    events = answering.events(user, question, history, request.is_disconnected, params)
    # wait for the first event so that refusals (422, 429, 503) keep their status
    first = await anext(events, None)
    hosts = answering.pipeline.allowed_hosts

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

    async def stream() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        streamed: list[str] = []
        event = first
        try:
            while event is not None:
                match event:
                    case TokenEvent(text):
                        safe = sanitize(text, hosts)
                        streamed.append(safe)
                        yield chunk({"content": safe})
                    case ResultEvent(final):
                        result = await run_in_threadpool(answering.record, user, None, final)
                        async for piece in _finish(result, "".join(streamed)):
                            yield piece
                event = await anext(events, None)
        except (DocentError, ApiError) as exc:
            status = getattr(exc, "status", None) or status_for(exc)
            error = {"message": exc.message, "type": exc.code, "code": status}
            yield f"data: {json.dumps({'error': error})}\n\n"
        yield "data: [DONE]\n\n"

    async def _finish(result: dict[str, Any], streamed: str) -> AsyncIterator[str]:
        answer = _answer(result)
        corrected = bool(streamed.strip()) and _claims(streamed) != _claims(answer)
        if not streamed.strip():
            yield chunk({"content": answer})
        elif corrected:
            yield chunk({"content": f"\n\n{CORRECTION}\n\n{answer}"})
        sources = _sources(result)
        if sources:
            yield chunk({"content": f"\n\n{sources}"})
        docent = {"corrected": corrected, "answer": answer}
        yield chunk({}, "stop", usage=_usage(result), docent=docent, **_extra(result))

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _model() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "docent"}


@router.get("/models", responses=GENERATION_RESPONSES)
async def models(user: CurrentUser) -> Any:
    return {"object": "list", "data": [_model()]}


@router.get("/models/{model_id}", responses=not_found("model"))
async def model(model_id: str, user: CurrentUser) -> Any:
    if model_id != MODEL:
        raise ApiError(404, "not_found", f"No model {model_id!r}: Docent serves 'docent'.")
    return _model()
