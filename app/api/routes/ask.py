"""POST /v1/ask (JSON or Server-Sent Events) and POST /v1/retrieve."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.answering import citation_json
from app.api.deps import CurrentUser, StateDep
from app.api.errors import COMMON_RESPONSES, GENERATION_RESPONSES, ApiError, status_for
from app.api.schemas import AskRequest, AskResponse, ChunkOut, RetrieveRequest, RetrieveResponse
from app.pipeline.output_safety import sanitize
from app.pipeline.types import CitationsEvent, ResultEvent, TokenEvent
from core.errors import DocentError

router = APIRouter(prefix="/v1", tags=["answers"])

SSE_DOC = """With `stream: true` the response is `text/event-stream`:
`event: token` (`{"text"}`, the model's text a sentence at a time, once the system-prompt
leak guard has read it), then `event: citations`
(the verified citations), then `event: result` (the full verified result, same shape as the
JSON response; its `answer` replaces the streamed text). Errors arrive as `event: error`
with `{"error": {"code", "message"}}`. Closing the connection cancels generation."""


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


@router.post(
    "/ask", response_model=AskResponse, responses=GENERATION_RESPONSES, description=SSE_DOC
)
async def ask(body: AskRequest, user: CurrentUser, state: StateDep, request: Request) -> Any:
    answering = state.answering
    answering.admit(user)
    # the database is never touched on the event loop: one slow query must not stall everyone
    conversation_id, history = await run_in_threadpool(
        answering.conversation, user, body.conversation_id, body.question
    )
    if not body.stream:
        return await answering.answer(user, body.question, conversation_id, history)

    events = answering.events(user, body.question, history, request.is_disconnected)
    # wait for the first event so that refusals (422, 503) still get a proper status
    first = await anext(events, None)

    async def sse() -> AsyncIterator[str]:
        event = first
        try:
            while event is not None:
                match event:
                    case TokenEvent(text):
                        yield _sse("token", {"text": text})
                    case CitationsEvent(citations):
                        hosts = answering.pipeline.allowed_hosts
                        yield _sse("citations", [citation_json(c, hosts) for c in citations])
                    case ResultEvent(result):
                        body_json = await run_in_threadpool(
                            answering.record, user, conversation_id, result
                        )
                        yield _sse("result", body_json)
                event = await anext(events, None)
        except (DocentError, ApiError) as exc:
            code = exc.code
            yield _sse(
                "error",
                {
                    "error": {
                        "code": code,
                        "message": exc.message,
                        "status": getattr(exc, "status", status_for(exc)),
                    }
                },
            )

    return StreamingResponse(
        sse(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/retrieve", response_model=RetrieveResponse, responses=COMMON_RESPONSES)
async def retrieve(body: RetrieveRequest, user: CurrentUser, state: StateDep) -> RetrieveResponse:
    state.answering.admit(user)
    chunks = await run_in_threadpool(
        state.components.pipeline.rank, body.query, user, limit=body.top_k
    )
    hosts = state.components.pipeline.allowed_hosts
    return RetrieveResponse(
        chunks=[
            ChunkOut(
                id=c.id,
                doc_id=c.doc_id,
                path=sanitize(c.path, hosts),
                title=sanitize(c.title, hosts),
                section=sanitize(c.section, hosts),
                pages=list(c.pages),
                text=sanitize(c.text, hosts),
                score=round(c.score, 4),
            )
            for c in chunks[: body.top_k]
        ]
    )
