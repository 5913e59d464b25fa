"""Personal API keys for tools, through the real service on loopback: made signed in, used
like any key, narrower groups kept, revocation at the next request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.auth import AuthError, PersonalKeyAuth
from app.pipeline.types import User

pytestmark = pytest.mark.integration


def test_a_key_is_made_used_listed_and_revoked(small_service: Any) -> None:
    svc = small_service()
    with svc.client("carol") as c:
        made = c.post("/v1/keys", json={"name": "notebook", "groups": ["everyone"]})
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        listed = c.get("/v1/keys").json()["keys"]
        assert [k["name"] for k in listed] == ["notebook"] and "key" not in listed[0]
        assert c.post("/v1/keys", json={"name": "x", "groups": ["admin"]}).status_code == 422
    with httpx.Client(base_url=svc.url, headers={"Authorization": f"Bearer {key}"}) as tool:
        me = tool.get("/v1/me").json()
        assert me["id"] == "carol" and me["groups"] == ["everyone"]  # legal left out
        assert tool.post("/v1/retrieve", json={"query": "leave", "top_k": 3}).status_code == 200
        # a key cannot manage keys: a leaked one cannot outlive its revocation
        assert tool.post("/v1/keys", json={"name": "successor"}).status_code == 403
        assert tool.get("/v1/keys").status_code == 403
        assert tool.delete("/v1/me/data").status_code == 403  # nor erase its owner's trail
        with svc.client("carol") as c:
            assert c.delete(f"/v1/keys/{made.json()['id']}").status_code == 204
            assert c.delete(f"/v1/keys/{made.json()['id']}").status_code == 404
        revoked = tool.get("/v1/me")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    with svc.client("bob") as c:  # one user's keys are nobody else's to see or revoke
        assert c.get("/v1/keys").json()["keys"] == []


class _File:
    """The users file's answer to 'what are this user's groups today'."""

    def __init__(self, groups: dict[str, tuple[str, ...]]) -> None:
        self.groups = groups

    def authenticate(self, token: str) -> User:
        raise AuthError("not a file key")

    def groups_of(self, user_id: str) -> tuple[str, ...] | None:
        return self.groups.get(user_id)


class _Keys:
    def __init__(self, user: User) -> None:
        self.user = user

    def resolve(self, token: str) -> User | None:
        return self.user if token == "dpk_good" else None


def test_a_key_never_gives_more_than_its_owner_has_today() -> None:
    key_user = User("carol", ("everyone", "legal"), "Carol", via_key="k1")
    file = _File({"carol": ("everyone",)})  # legal was taken away after the key was made
    auth = PersonalKeyAuth(_Keys(key_user), file)  # type: ignore[arg-type]
    assert auth.authenticate("dpk_good").groups == ("everyone",)
    file.groups.clear()  # carol left
    with pytest.raises(AuthError, match="no longer"):
        auth.authenticate("dpk_good")
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate("dpk_bad")
    with pytest.raises(AuthError, match="not a file key"):
        auth.authenticate("dk_other")  # not a personal key: the other sign-in decides
