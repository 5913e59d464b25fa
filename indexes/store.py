"""Collection versions and the alias that points queries at one of them.

``reindex`` builds ``docent_v{N+1}`` beside the live version and switches the alias only
when it is complete, so queries never see a half-built index.

    embedded: DATA_DIR/index/docent_v1/ (a shard each) + DATA_DIR/index/alias.json
    server:   collections docent_v1, docent_v2 ... + a Qdrant alias ``docent``
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Protocol

from indexes.edge import EdgeIndex
from indexes.errors import IndexUnavailableError
from indexes.protocol import VectorIndex


def next_version_name(base: str, existing: list[str]) -> str:
    numbers = [int(m.group(1)) for n in existing if (m := re.fullmatch(rf"{base}_v(\d+)", n))]
    return f"{base}_v{max(numbers, default=0) + 1}"


PLAIN_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")  # what a collection version may be called


def _plain(name: str) -> None:
    """A version is a folder of the index root, never a path (a forged alias.json must not
    open or delete anything else)."""
    if not PLAIN_NAME.fullmatch(name):
        raise IndexUnavailableError(f"{name!r} is not a collection name: alias.json is damaged.")


class IndexStore(Protocol):
    """Opens the live collection version, builds new ones and moves the alias."""

    def active(self) -> VectorIndex: ...
    def active_name(self) -> str | None: ...
    def generation(self) -> str: ...
    def bump_generation(self) -> None: ...
    def new_version(self) -> VectorIndex: ...
    def switch(self, index: VectorIndex) -> None: ...
    def drop(self, name: str) -> None: ...
    def versions(self) -> list[str]: ...
    def close(self) -> None: ...


class EdgeStore:
    """Versions as shard folders; the alias is a small JSON file replaced atomically."""

    def __init__(self, root: Path, base: str = "docent") -> None:
        self.root = root
        self.base = base
        self._open: dict[str, EdgeIndex] = {}
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    @property
    def _alias_file(self) -> Path:
        return self.root / "alias.json"

    def _state(self) -> dict[str, str | int]:
        try:
            data = json.loads(self._alias_file.read_text())
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self, state: dict[str, str | int]) -> None:
        tmp = self._alias_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self._alias_file)  # atomic: readers see the old or the new alias

    def versions(self) -> list[str]:
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith(self.base)
        )

    def active_name(self) -> str | None:
        name = self._state().get("active")
        return str(name) if name else None

    def generation(self) -> str:
        state = self._state()
        return f"{state.get('active', '')}:{state.get('generation', 0)}"

    def bump_generation(self) -> None:
        state = self._state()
        state["generation"] = int(state.get("generation", 0)) + 1
        self._write_state(state)

    def _get(self, name: str) -> EdgeIndex:
        _plain(name)
        with self._lock:
            if name not in self._open:
                self._open[name] = EdgeIndex(self.root / name, name)
            return self._open[name]

    def active(self) -> VectorIndex:
        name = self.active_name()
        if name is None:
            index = self.new_version()
            self.switch(index)
            return index
        return self._get(name)

    def new_version(self) -> VectorIndex:
        return self._get(next_version_name(self.base, self.versions()))

    def switch(self, index: VectorIndex) -> None:
        index.flush()
        state = self._state()
        state["active"] = index.name
        state["generation"] = int(state.get("generation", 0)) + 1
        self._write_state(state)

    def drop(self, name: str) -> None:
        _plain(name)
        with self._lock:
            opened = self._open.pop(name, None)
        if opened is not None:
            opened.close()
        shutil.rmtree(self.root / name, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for index in opened:
            index.close()
