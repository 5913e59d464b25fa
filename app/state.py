"""Everything the service builds once at start-up, handed to routes through deps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app.answering import Answering
from app.auth import Authenticator
from app.observability import Metrics
from app.pipeline.factory import Components
from app.settings import Settings
from app.storage.repository import Repository
from indexes.catalogue import EntityCatalogue
from indexes.store import IndexStore


@dataclass
class AppState:
    settings: Settings
    store: IndexStore
    catalogue: EntityCatalogue
    components: Components
    repo: Repository
    auth: Authenticator
    metrics: Metrics
    answering: Answering
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
