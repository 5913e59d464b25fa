"""Personal API keys for tools: ``POST /v1/keys``, ``GET /v1/keys``, ``DELETE /v1/keys/{id}``.

Keys are managed signed in (a users-file key or an OIDC token), never with another personal
key: a leaked key cannot make itself a successor that outlives its revocation.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, StateDep
from app.api.errors import COMMON_RESPONSES, ApiError, not_found
from app.api.schemas import KeyOut, KeyRequest, KeysResponse, NewKeyResponse
from app.pipeline.types import User
from app.storage.keys import KeyInfo

router = APIRouter(prefix="/v1", tags=["keys"])


def _signed_in(user: User) -> None:
    if user.via_key is not None:
        raise ApiError(
            403, "forbidden", "Keys are managed signed in, not with an API key: use the UI."
        )


def _out(info: KeyInfo) -> KeyOut:
    return KeyOut(
        id=info.id,
        name=info.name,
        groups=list(info.groups),
        created_at=info.created_at,
        expires_at=info.expires_at,
        last_used_at=info.last_used_at,
    )


@router.post("/keys", status_code=201, response_model=NewKeyResponse, responses=COMMON_RESPONSES)
async def create_key(body: KeyRequest, user: CurrentUser, state: StateDep) -> NewKeyResponse:
    _signed_in(user)
    made = await run_in_threadpool(
        state.keys.create, user, body.name, body.expires_in_days, body.groups
    )
    return NewKeyResponse(**_out(made.info).model_dump(), key=made.key)


@router.get("/keys", response_model=KeysResponse, responses=COMMON_RESPONSES)
async def list_keys(user: CurrentUser, state: StateDep) -> KeysResponse:
    _signed_in(user)
    return KeysResponse(keys=[_out(k) for k in await run_in_threadpool(state.keys.list, user.id)])


@router.delete("/keys/{key_id}", status_code=204, responses=not_found("key"))
async def revoke_key(key_id: str, user: CurrentUser, state: StateDep) -> Response:
    _signed_in(user)
    if not await run_in_threadpool(state.keys.revoke, user.id, key_id):
        raise ApiError(404, "not_found", "No such key.")
    return Response(status_code=204)
