"""Parsing untrusted files in a worker process with memory and time limits.

A crafted file (an XML entity bomb inside a .docx, a PDF that makes the parser loop) can
take gigabytes or hours. In the API process that would stall or kill every user's
session; in a worker process it is one file that fails, with a reason, and the load goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.lifeline import watch_parent
from ingest.document import ParsedDocument
from ingest.errors import FileRejected


class DocumentParser(Protocol):
    """Turns one file's bytes into a ``ParsedDocument``; raises ``FileRejected``."""

    def parse(self, data: bytes, name: str) -> ParsedDocument: ...

    def close(self) -> None: ...


class InlineParser:
    """In this process: for the CLI, where the load is its own process anyway."""

    def parse(self, data: bytes, name: str) -> ParsedDocument:
        from ingest.readers import reader_for

        return reader_for(Path(name)).read(data, name)

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class ParseLimits:
    seconds: float = 60.0
    memory_bytes: int = 1536 * 1024 * 1024  # address space of the worker process
    # text a worker may hand back: a small file that expands into gigabytes of text (within
    # the worker's memory) must not be copied into the API process whole
    output_chars: int = 64 * 1024 * 1024


def _init_worker(memory_bytes: int, parent_pid: int) -> None:
    import resource

    watch_parent(parent_pid)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _parse_in_worker(data: bytes, name: str, output_chars: int) -> ParsedDocument:
    try:
        parsed = InlineParser().parse(data, name)
    except MemoryError as exc:
        raise FileRejected(
            "parsing it needed more memory than DOCENT_INGEST__PARSE_MEMORY_MB"
        ) from exc
    except RecursionError as exc:
        raise FileRejected("it is nested too deeply to parse") from exc
    size = sum(len(b.text) for b in parsed.blocks)
    if size > output_chars:
        raise FileRejected(
            f"it expands into {size:,} characters of text, over the {output_chars:,} a "
            "document may hold: split it into smaller files"
        )
    return parsed


class IsolatedParser:
    """One worker process, replaced when a file kills it or runs over its time."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.limits.memory_bytes, os.getpid()),
            )
        return self._pool

    def parse(self, data: bytes, name: str) -> ParsedDocument:
        with self._lock:  # one file at a time: a timeout must kill only its own file
            future: Future[ParsedDocument] = self._worker().submit(
                _parse_in_worker, data, name, self.limits.output_chars
            )
            try:
                return future.result(timeout=self.limits.seconds)
            except FutureTimeout:
                self._discard()
                raise FileRejected(
                    f"parsing took longer than {self.limits.seconds:.0f} s "
                    "(DOCENT_INGEST__PARSE_TIMEOUT_S)"
                ) from None
            except BrokenProcessPool:
                self._discard()
                raise FileRejected(
                    "the parser ran out of memory or crashed on this file "
                    f"(limit {self.limits.memory_bytes // 2**20} MiB, "
                    "DOCENT_INGEST__PARSE_MEMORY_MB)"
                ) from None

    def _discard(self) -> None:
        """Kill the worker (it may be stuck in a loop) and start afresh on the next file."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
