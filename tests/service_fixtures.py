"""Fixtures for a real Docent service on 127.0.0.1: a copy of the full-corpus index, real
models, SQLite. Shared by the API and UI tests (registered in tests/conftest.py)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.generation.extractive import ExtractiveOnlyGenerator
from app.generation.llama_cpp import LlamaCppGenerator
from app.main import create_app
from app.pipeline.factory import PipelineParts, build_pipeline
from app.users import write_demo_users
from core.settings import Settings
from indexes.factory import open_catalogue, open_store


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def descendants(pid: int) -> list[int]:
    """Every descendant of a process (Linux /proc)."""
    found, stack = [], [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").iterdir():
            kids = [int(c) for c in (task / "children").read_text().split()]
            found += kids
            stack += kids
    return found


def in_process_model(settings: Settings) -> Any:
    """SmolLM2 inside this process (no model server), sized as the settings say."""
    g = settings.generation
    return LlamaCppGenerator(g.model_path, n_ctx=g.context, n_threads=g.threads)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    url: str
    keys: dict[str, str]
    app: Any
    settings: Settings

    def client(self, user: str | None = "alice", **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[user]}"} if user else {}
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=kw.pop("timeout", 120), **kw
        )

    @property
    def state(self) -> Any:
        return self.app.state.docent


@dataclass
class _Running:
    server: uvicorn.Server
    thread: threading.Thread


def start(settings: Settings, **app_kw: Any) -> tuple[Service, _Running]:
    assert settings.users_file is not None
    keys = write_demo_users(settings.users_file)
    app = create_app(settings, **app_kw)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.1)
    return Service(f"http://127.0.0.1:{port}", keys, app, settings), _Running(server, thread)


def start_on_copy(
    index: Path, folder: Path, embedder: Any, **overrides: Any
) -> tuple[Service, _Running]:
    """A service on a copy of the data dir ``index`` (the embedded index admits one
    process), with demo users and the real models; ``overrides`` go to ``Settings``."""
    data = folder / "var"
    shutil.copytree(index, data)
    settings = Settings(data_dir=data, users_file=data / "users.yaml", **overrides)
    return start(settings, embedder=embedder)


def stop(running: _Running) -> None:
    running.server.should_exit = True
    running.thread.join(timeout=30)


@pytest.fixture(scope="session")
def service(
    full_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Any
) -> Iterator[Service]:
    svc, running = start_on_copy(
        full_index,
        tmp_path_factory.mktemp("api"),
        embedder,
        # one slot and no queue: a second generation is refused at once (the queue's
        # waiting is tested on the gate, tests/app/test_limits.py)
        generation={"max_concurrent": 1, "max_queued": 0},
        rate_limit_per_minute=1000,
        max_body_bytes=16_384,
        ingest={"roots": [tmp_path_factory.getbasetemp()]},
    )
    yield svc
    stop(running)


@pytest.fixture
def small_service(tmp_path: Path, embedder: Any) -> Iterator[Any]:
    """A second service on an empty index, for limits; yields a factory of settings overrides."""
    runs: list[_Running] = []

    def make(**overrides: Any) -> Service:
        data = tmp_path / f"var{len(runs)}"
        from app.generation.extractive import ExtractiveOnlyGenerator

        settings = Settings(data_dir=data, users_file=data / "users.yaml", **overrides)
        svc, running = start(settings, embedder=embedder, generator=ExtractiveOnlyGenerator())
        runs.append(running)
        return svc

    yield make
    for running in runs:
        stop(running)


@pytest.fixture(scope="session")
def corpus_parts(full_index: Path, embedder: Any) -> Iterator[dict[str, Any]]:
    """The full-corpus index opened once, with an extractive and a llama.cpp pipeline."""
    settings = Settings(data_dir=full_index)
    store = open_store(settings)
    catalogue = open_catalogue(settings)
    parts = {
        "settings": settings,
        "store": store,
        "catalogue": catalogue,
        "extractive": build_pipeline(
            settings, store, catalogue, embedder, ExtractiveOnlyGenerator()
        ),
        "llm": build_pipeline(
            settings,
            store,
            catalogue,
            embedder,
            in_process_model(settings),
        ),
    }
    yield parts
    catalogue.close()
    store.close()


@pytest.fixture
def extractive(corpus_parts: dict[str, Any]) -> PipelineParts:
    c: PipelineParts = corpus_parts["extractive"]
    c.pipeline.cache.clear()
    return c


@pytest.fixture
def llm(corpus_parts: dict[str, Any]) -> PipelineParts:
    c: PipelineParts = corpus_parts["llm"]
    c.pipeline.cache.clear()
    return c
