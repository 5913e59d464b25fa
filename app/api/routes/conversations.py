"""Conversations and feedback. A user sees and changes only their own."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import CurrentUser, StateDep
from app.api.errors import COMMON_RESPONSES, ApiError
from app.api.schemas import (
    ConversationDetail,
    ConversationList,
    ConversationOut,
    FeedbackRequest,
    FeedbackResponse,
    MeResponse,
    MessageOut,
    PurgeResponse,
    RenameRequest,
)
from app.storage.models import Conversation, Message
from app.storage.repository import DRAWN_FROM, shown_docs

router = APIRouter(prefix="/v1", tags=["conversations"])
NOT_FOUND = {**COMMON_RESPONSES, 404: {"description": "No such conversation or trace"}}


def _conv(c: Conversation) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        title=c.title,
        created_at=c.created_at.isoformat(),
        updated_at=c.updated_at.isoformat(),
    )


@router.get("/me", response_model=MeResponse, responses=COMMON_RESPONSES)
def me(user: CurrentUser, state: StateDep) -> MeResponse:
    """Who the token belongs to, and whether they may use the admin pages."""
    return MeResponse(
        id=user.id,
        name=user.name,
        groups=list(user.groups),
        admin=state.settings.admin_group in user.groups,
    )


@router.get("/conversations", response_model=ConversationList, responses=COMMON_RESPONSES)
def list_conversations(user: CurrentUser, state: StateDep) -> ConversationList:
    return ConversationList(
        conversations=[_conv(c) for c in state.repo.list_conversations(user.id)]
    )


@router.get(
    "/conversations/{conversation_id}", response_model=ConversationDetail, responses=NOT_FOUND
)
def get_conversation(
    conversation_id: str, user: CurrentUser, state: StateDep
) -> ConversationDetail:
    found = state.repo.conversation(user.id, conversation_id)
    if found is None:
        raise ApiError(404, "not_found", "No such conversation.")
    conv, messages = found
    return ConversationDetail(
        **_conv(conv).model_dump(),
        messages=[
            _message(m, state.answering.still_readable(shown_docs(m.result or {}), user))
            for m in messages
        ],
    )


WITHHELD = "This answer drew on documents you can no longer access, so it is not shown."


def _message(m: Message, readable: bool) -> MessageOut:
    """A stored exchange, re-checked now: if any document it cites or shows is no longer
    readable by the user (a group was revoked since), the answer and its sources are
    withheld; the user's own question stays."""
    result = {k: v for k, v in (m.result or {}).items() if k != DRAWN_FROM}
    return MessageOut(
        question=m.question,
        answer=m.answer if readable else WITHHELD,
        trace_id=m.trace_id,
        created_at=m.created_at.isoformat(),
        result=result if readable else {"withheld": True},
    )


@router.patch("/conversations/{conversation_id}", status_code=204, responses=NOT_FOUND)
def rename_conversation(
    conversation_id: str, body: RenameRequest, user: CurrentUser, state: StateDep
) -> Response:
    if not state.repo.rename_conversation(user.id, conversation_id, body.title):
        raise ApiError(404, "not_found", "No such conversation.")
    return Response(status_code=204)


@router.delete("/conversations/{conversation_id}", status_code=204, responses=NOT_FOUND)
def delete_conversation(conversation_id: str, user: CurrentUser, state: StateDep) -> Response:
    if not state.repo.delete_conversation(user.id, conversation_id):
        raise ApiError(404, "not_found", "No such conversation.")
    return Response(status_code=204)


@router.delete("/me/data", response_model=PurgeResponse, responses=COMMON_RESPONSES)
def delete_my_data(user: CurrentUser, state: StateDep) -> PurgeResponse:
    """Everything Docent stored about the caller: conversations, traces, feedback, audit,
    keys and batches. Signed in only: a leaked personal key cannot erase its owner's trail."""
    if user.via_key is not None:
        raise ApiError(403, "forbidden", "Deleting your data needs you signed in, not a key.")
    return PurgeResponse(deleted=state.answering.purge(user.id))


@router.post("/feedback", response_model=FeedbackResponse, responses=NOT_FOUND)
def feedback(body: FeedbackRequest, user: CurrentUser, state: StateDep) -> FeedbackResponse:
    state.answering.admit(user)  # the per-user rate limit covers feedback too (429)
    added = state.repo.add_feedback(user.id, body.trace_id, body.rating, body.comment)
    if added is None:
        raise ApiError(404, "not_found", "No answer with this trace id was given to you.")
    fid, prompt_version = added
    state.metrics.feedback.labels(prompt_version, body.rating).inc()
    return FeedbackResponse(id=fid)
