"""The IndexStore seam's contract, held by the embedded store and the Qdrant-server store
(qdrant-client's local engine stands in for the server): versions, the alias switch and
a generation that every change moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from indexes.server_store import ServerStore
from indexes.store import EdgeStore, IndexStore

pytestmark = pytest.mark.integration


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexStore]:
    if request.param == "embedded":
        s: IndexStore = EdgeStore(tmp_path / "index")
        yield s
        s.close()
    else:
        client = QdrantClient(location=":memory:")
        yield ServerStore(client, "docent")
        client.close()


def test_versions_switch_and_generation(store: IndexStore) -> None:
    first = store.active()
    assert store.active_name() == first.name
    seen = {store.generation()}
    store.bump_generation()
    seen.add(store.generation())
    second = store.new_version()
    assert second.name != first.name
    assert store.active_name() == first.name  # building a version does not switch
    store.switch(second)
    seen.add(store.generation())
    assert store.active_name() == second.name
    assert len(seen) == 3  # every change moved the generation
    assert {first.name, second.name} <= set(store.versions())
    store.drop(first.name)
    assert first.name not in store.versions()
