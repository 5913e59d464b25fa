"""Collection versions on a Qdrant server, behind a server-side alias."""

from __future__ import annotations

from qdrant_client import QdrantClient, models

from indexes.protocol import VectorIndex
from indexes.server import ServerIndex
from indexes.store import next_version_name


class ServerStore:
    """Versions are collections ``docent_vN``; the alias ``docent`` names the live one."""

    def __init__(self, client: QdrantClient, base: str = "docent") -> None:
        self.client = client
        self.base = base
        self._generation = 0

    def versions(self) -> list[str]:
        return sorted(
            c.name
            for c in self.client.get_collections().collections
            if c.name.startswith(self.base)
        )

    def active_name(self) -> str | None:
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.base:
                return alias.collection_name
        return None

    def generation(self) -> str:
        name = self.active_name() or ""
        count = self.client.count(name, exact=True).count if name else 0
        return f"{name}:{count}:{self._generation}"

    def bump_generation(self) -> None:
        self._generation += 1

    def active(self) -> VectorIndex:
        name = self.active_name()
        if name is None:
            index = self.new_version()
            self.switch(index)
            return index
        return ServerIndex(self.client, name)

    def new_version(self) -> VectorIndex:
        return ServerIndex(self.client, next_version_name(self.base, self.versions()))

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
        self._generation += 1

    def drop(self, name: str) -> None:
        self.client.delete_collection(name)

    def close(self) -> None:
        self.client.close()
