"""Collection versions on a Qdrant server, behind a server-side alias."""

from __future__ import annotations

import re
import uuid

from qdrant_client import QdrantClient, models

from indexes.protocol import VectorIndex
from indexes.server import Layout, ServerIndex
from indexes.store import next_version_name

_TOKEN_POINT = 1


class ServerStore:
    """Versions are collections ``docent_vN``; the alias ``docent`` names the live one.

    The generation (what answer caches are keyed by) lives in Qdrant too, in the
    collection ``docent_generation``: a token every writer replaces after a change, so an
    ACL change made by another process (``docker compose run ... ingest load``) reaches the
    cache of every API replica on its next question.
    """

    def __init__(
        self, client: QdrantClient, base: str = "docent", layout: Layout = Layout()
    ) -> None:
        self.client = client
        self.base = base
        self.layout = layout
        self._meta = f"{base}_generation"

    def versions(self) -> list[str]:
        return sorted(
            c.name
            for c in self.client.get_collections().collections
            if re.fullmatch(rf"{re.escape(self.base)}_v\d+", c.name)
        )

    def active_name(self) -> str | None:
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.base:
                return alias.collection_name
        return None

    def generation(self) -> str:
        return f"{self.active_name() or ''}:{self._token()}"

    def _token(self) -> str:
        if not self.client.collection_exists(self._meta):
            return ""
        points = self.client.retrieve(self._meta, [_TOKEN_POINT], with_payload=True)
        return str((points[0].payload or {}).get("token", "")) if points else ""

    def bump_generation(self) -> None:
        """A new random token: two writers at once still each leave a value no cache saw."""
        if not self.client.collection_exists(self._meta):
            try:
                self.client.create_collection(self._meta, vectors_config={})
            except Exception:  # another writer created it first: fine
                if not self.client.collection_exists(self._meta):
                    raise
        self.client.upsert(
            self._meta,
            [models.PointStruct(id=_TOKEN_POINT, vector={}, payload={"token": uuid.uuid4().hex})],
        )

    def active(self) -> VectorIndex:
        name = self.active_name()
        if name is None:
            index = self.new_version()
            self.switch(index)
            return index
        return ServerIndex(self.client, name, self.layout)

    def new_version(self) -> VectorIndex:
        name = next_version_name(self.base, self.versions())
        return ServerIndex(self.client, name, self.layout)

    def switch(self, index: VectorIndex) -> None:
        ops: list[models.CreateAliasOperation | models.DeleteAliasOperation] = []
        if self.active_name() is not None:
            ops.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.base))
            )
        ops.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=index.name, alias_name=self.base)
            )
        )
        self.client.update_collection_aliases(change_aliases_operations=ops)
        self.bump_generation()

    def drop(self, name: str) -> None:
        self.client.delete_collection(name)

    def close(self) -> None:
        self.client.close()
