"""Find the files under each loaded root and name them relative to that root."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    path: Path  # on disk
    rel: str  # relative to its root, with forward slashes: the document's path
    root: str  # the root's absolute path, so --prune touches only that root

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.rel)


def doc_id_for(rel: str) -> str:
    return hashlib.sha1(rel.encode()).hexdigest()[:20]


def discover(root: Path) -> Iterator[SourceFile]:
    """Every regular file under ``root`` (or ``root`` itself), hidden files and folders skipped."""
    root = root.resolve()
    if root.is_file():
        yield SourceFile(root, root.name, str(root.parent))
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_site", "node_modules")))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue  # never follow a link out of the loaded root
            yield SourceFile(path, path.relative_to(root).as_posix(), str(root))
