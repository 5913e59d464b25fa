"""Loads through the API parse each file in a worker process with memory and time limits
(finding 3 of the hardening review): a file that needs too much of either fails alone, with
a reason, and the service keeps answering. Real readers, real processes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.errors import FileRejected
from ingest.isolation import IsolatedParser, ParseLimits

pytestmark = pytest.mark.integration

# ~40 MB of one-word lines: millions of blocks, far more memory than the file's size
MANY_LINES = ("- x\n" * 10_000_000).encode()
NORMAL = b"# Soup\n\nThe cafeteria serves soup on Mondays.\n"


def test_a_file_over_the_memory_limit_fails_alone_and_the_next_one_parses() -> None:
    parser = IsolatedParser(ParseLimits(seconds=120, memory_bytes=600 * 2**20))
    try:
        with pytest.raises(FileRejected, match="memory"):
            parser.parse(MANY_LINES, "list.md")
        assert parser.parse(NORMAL, "soup.md").title == "Soup"
    finally:
        parser.close()


def test_a_file_that_expands_past_the_output_cap_fails_alone() -> None:
    parser = IsolatedParser(ParseLimits(seconds=60, output_chars=100_000))
    try:
        with pytest.raises(FileRejected, match="expands into"):
            parser.parse(("word " * 50_000).encode(), "big.txt")
        assert parser.parse(NORMAL, "soup.md").title == "Soup"
    finally:
        parser.close()


def test_a_file_over_the_time_limit_is_stopped_and_the_next_one_parses() -> None:
    parser = IsolatedParser(ParseLimits(seconds=0.5, memory_bytes=4 * 2**30))
    try:
        started = time.monotonic()
        with pytest.raises(FileRejected, match="longer than"):
            parser.parse(MANY_LINES, "list.md")
        assert time.monotonic() - started < 30
        assert parser.parse(NORMAL, "soup.md").blocks
    finally:
        parser.close()


def test_the_service_answers_while_a_hostile_file_is_loaded(
    small_service: Any, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "list.md").write_bytes(MANY_LINES)
    (root / "soup.md").write_bytes(NORMAL)
    svc = small_service(
        ingest={"roots": [tmp_path], "parse_memory_mb": 600, "max_file_bytes": 64 * 2**20}
    )
    slowest = 0.0
    done = threading.Event()
    result: dict[str, Any] = {}

    def load() -> None:
        with svc.client("alice", timeout=300) as c:
            result.update(
                c.post("/v1/admin/ingest", json={"paths": [str(root)], "groups": "everyone"}).json()
            )
        done.set()

    worker = threading.Thread(target=load)
    worker.start()
    with httpx.Client(base_url=svc.url, timeout=10) as c:
        while not done.is_set():
            started = time.monotonic()
            assert c.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
    worker.join()
    assert result["added"] == 1
    assert [f["path"] for f in result["failed"]] == ["list.md"]
    assert "memory" in result["failed"][0]["reason"]
    print(f"slowest /healthz during the load: {slowest * 1000:.0f} ms")
    assert slowest < 1.0  # generous: on 2 busy cores it stays well under 100 ms
