"""The repository's write-behind on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.storage.models import Conversation
from app.storage.repository import Repository, make_engine

pytestmark = pytest.mark.unit


@pytest.fixture
def repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    r = Repository(make_engine(f"sqlite:///{tmp_path / 'docent.sqlite'}"))
    r.ensure_schema(auto_upgrade=True)
    yield r
    r.close()


def test_a_new_conversation_is_readable_as_soon_as_it_is_opened(repo: Repository) -> None:
    conv_id, is_new = repo.open_conversation("bob", None, "How do I file expenses?")
    assert is_new
    # the row was queued, not written in the call; the read waits for it
    assert [c.id for c in repo.list_conversations("bob")] == [conv_id]
    assert repo.open_conversation("bob", conv_id, "again") == (conv_id, False)
    with pytest.raises(PermissionError):
        repo.open_conversation("carol", conv_id, "not hers")


def test_a_failing_write_does_not_lose_the_others_of_its_batch(repo: Repository) -> None:
    def broken(s: Session) -> None:
        s.add(Conversation(id="dup", user_id="bob", title="first"))
        s.add(Conversation(id="dup", user_id="bob", title="same primary key"))

    def good(name: str):  # type: ignore[no-untyped-def]
        return lambda s: s.add(Conversation(id=name, user_id="bob", title=name))

    for write in (good("a"), broken, good("b")):
        repo._writes.submit(write)
    titles = sorted(c.id for c in repo.list_conversations("bob"))
    assert titles == ["a", "b"]


def test_close_writes_what_is_still_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'docent.sqlite'}"
    first = Repository(make_engine(url))
    first.ensure_schema(auto_upgrade=True)
    conv_id, _ = first.open_conversation("bob", None, "q")
    first.close()
    second = Repository(make_engine(url))
    try:
        assert [c.id for c in second.list_conversations("bob")] == [conv_id]
    finally:
        second.close()
