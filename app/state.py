"""Everything the service builds once at start-up, handed to routes through deps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app.api.answering import AnswerService
from app.auth import Authenticator
from app.observability import Metrics
from app.pipeline.factory import PipelineParts
from app.storage.batches import BatchStore
from app.storage.keys import KeyStore
from app.storage.repository import Repository
from core.settings import Settings
from indexes.catalogue import EntityCatalogue
from indexes.store import IndexStore


@dataclass
class AppState:
    settings: Settings
    store: IndexStore
    catalogue: EntityCatalogue
    components: PipelineParts
    repo: Repository
    auth: Authenticator
    metrics: Metrics
    answering: AnswerService
    keys: KeyStore
    batches: BatchStore
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
