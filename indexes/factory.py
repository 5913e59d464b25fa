"""Build the configured ``IndexStore`` from settings: embedded unless a server URL is set."""

from __future__ import annotations

from core.settings import Settings
from indexes.catalogue import EntityCatalogue
from indexes.store import EdgeStore, IndexStore


def open_store(settings: Settings) -> IndexStore:
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        from indexes.server import Layout
        from indexes.server_store import ServerStore

        client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=30)
        layout = Layout(settings.qdrant_shards, settings.qdrant_replication)
        return ServerStore(client, settings.collection, layout)
    return EdgeStore(settings.index_dir, settings.collection)


def open_catalogue(settings: Settings) -> EntityCatalogue:
    return EntityCatalogue(settings.catalogue_sqlalchemy_url)
