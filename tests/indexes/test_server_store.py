"""The server store keeps its generation in Qdrant, where every writer bumps it: a change
made through one store (another process, another replica) is seen by every other store on
the same server. Two stores on one Qdrant client stand for two processes: neither keeps
the generation in its own memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qdrant_client import QdrantClient

from indexes.server_store import ServerStore

pytestmark = pytest.mark.integration


@pytest.fixture
def client() -> Iterator[QdrantClient]:
    c = QdrantClient(location=":memory:")
    yield c
    c.close()


def test_a_change_made_by_another_writer_changes_every_readers_generation(
    client: QdrantClient,
) -> None:
    api, ingest = ServerStore(client, "docent"), ServerStore(client, "docent")
    api.active()  # creates docent_v1 and the alias
    before = api.generation()
    assert before == ingest.generation()
    ingest.bump_generation()  # an ACL-only change: no point added or removed
    after = api.generation()
    assert after != before and after == ingest.generation()
    ingest.bump_generation()
    assert api.generation() not in (before, after)


def test_switching_versions_bumps_and_the_generation_is_not_a_version(
    client: QdrantClient,
) -> None:
    store = ServerStore(client, "docent")
    first = store.active()
    before = store.generation()
    second = store.new_version()
    store.switch(second)
    assert store.generation() != before
    assert store.versions() == [first.name, second.name]  # docent_generation is not listed


def test_a_server_failure_during_a_search_is_an_index_error_not_a_crash(
    client: QdrantClient,
) -> None:
    """Vendor errors are mapped around every call, not only when a collection opens."""
    from indexes.errors import IndexUnavailableError
    from indexes.schema import PointFilter
    from indexes.server import ServerIndex
    from tests.service_fixtures import free_port

    index = ServerIndex(client, "docent_v1")
    index.client = QdrantClient(url=f"http://127.0.0.1:{free_port()}", timeout=2)  # nobody
    with pytest.raises(IndexUnavailableError, match="Qdrant server failed during count"):
        index.count(PointFilter())


def test_an_embedded_index_failure_is_an_index_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from indexes.edge import EdgeIndex
    from indexes.errors import IndexUnavailableError
    from indexes.schema import PointFilter

    index = EdgeIndex(tmp_path / "x", "x")
    index._shard.close()  # what a shard broken under a running service looks like
    with pytest.raises(IndexUnavailableError, match="embedded index failed during count"):
        index.count(PointFilter())
    index._lock.release()
