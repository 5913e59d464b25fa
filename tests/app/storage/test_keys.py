"""Personal API keys on a real SQLite file: made, resolved, listed, expired and revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.pipeline.types import User
from app.storage.keys import MAX_DAYS, PREFIX, KeyRefused, KeyStore
from app.storage.models import ApiKey, utcnow
from app.storage.repository import Repository
from core.database import make_engine

pytestmark = pytest.mark.integration

CAROL = User("carol", ("everyone", "legal"), "Carol")


@pytest.fixture
def repo(database_url: str) -> Repository:
    r = Repository(make_engine(database_url))
    r.ensure_schema(auto_upgrade=True)
    return r


def test_a_key_is_its_owner_with_the_groups_it_was_made_with(repo: Repository) -> None:
    keys = KeyStore(repo.engine)
    made = keys.create(CAROL, "notebook", 30, ["everyone"])
    assert made.key.startswith(PREFIX) and made.info.groups == ("everyone",)
    user = keys.resolve(made.key)
    assert user == User("carol", ("everyone",), "Carol", via_key=made.info.id)
    assert keys.resolve(made.key[:-1] + ("x" if made.key[-1] != "x" else "y")) is None
    assert keys.resolve("dpk_nothing") is None and keys.resolve("not a key") is None
    with repo.engine.connect() as conn:  # only the hash is kept
        stored = conn.execute(ApiKey.__table__.select()).mappings().one()
    assert made.key.split("_", 2)[2] not in str(dict(stored))
    assert [k.name for k in keys.list("carol")] == ["notebook"] and keys.list("bob") == []
    assert keys.list("carol")[0].last_used_at is not None


def test_revoked_and_expired_keys_stop_at_once(repo: Repository) -> None:
    keys = KeyStore(repo.engine)
    revoked, expired = keys.create(CAROL, "a", 30), keys.create(CAROL, "b", 30)
    assert not keys.revoke("bob", revoked.info.id)  # not his
    assert keys.revoke("carol", revoked.info.id) and keys.resolve(revoked.key) is None
    assert not keys.revoke("carol", revoked.info.id)  # already revoked
    with repo.engine.begin() as conn:
        conn.execute(
            update(ApiKey)
            .where(ApiKey.id == expired.info.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert keys.resolve(expired.key) is None and keys.list("carol") == []


@pytest.mark.parametrize(
    ("groups", "days", "says"),
    [(["admin"], 30, "not admin"), ([], 30, "at least one group"), (None, MAX_DAYS + 1, "1 to")],
)
def test_a_key_beyond_its_owner_is_refused(
    repo: Repository, groups: list[str] | None, days: int, says: str
) -> None:
    with pytest.raises(KeyRefused, match=says):
        KeyStore(repo.engine).create(CAROL, "x", days, groups)


def test_purging_a_user_deletes_their_keys(repo: Repository) -> None:
    keys = KeyStore(repo.engine)
    made = keys.create(CAROL, "a", 30)
    assert repo.purge_user("carol")["api_keys"] == 1
    assert keys.resolve(made.key) is None
