"""Find the files under each loaded root and name them relative to that root."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import FileRejected


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


def read_source(source: SourceFile, limit: int) -> bytes:
    """The bytes of a discovered file, checked again at the moment it is read: a file
    swapped for a link out of its root since ``discover`` listed it, or for anything but a
    regular file, is refused; no more than ``limit`` bytes are read."""
    try:
        real = source.path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # gone since listing, or a loop of links
        raise FileRejected(f"it cannot be resolved ({exc})") from exc
    if not real.is_relative_to(Path(source.root)):
        raise FileRejected("it is a link to outside the loaded folder")
    if any(part.startswith(".") for part in real.relative_to(source.root).parts):
        raise FileRejected("it is a link to a hidden file")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on files)
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise FileRejected(f"it cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRejected("it is not a regular file")
        if info.st_size == 0:
            raise FileRejected("empty file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FileRejected(
            f"file is {max(info.st_size, len(data)) / 1e6:.1f} MB, over the "
            f"{limit / 1e6:.0f} MB limit (DOCENT_INGEST__MAX_FILE_BYTES)"
        )
    return data
