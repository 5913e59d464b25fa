"""The admin ingest route reads only inside the configured ingest roots (finding 5 of the
hardening review): no server file outside them, no hidden file, no link out of a root, no
extension-less file. Real service on 127.0.0.1 with the embedded index and SQLite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _ingest(svc: Any, path: str) -> Any:
    with svc.client("alice") as c:
        return c.post("/v1/admin/ingest", json={"paths": [path], "groups": "everyone"})


def _searchable(svc: Any, query: str) -> list[str]:
    with svc.client("alice") as c:
        chunks = c.post("/v1/retrieve", json={"query": query, "top_k": 5}).json()["chunks"]
    return [ch["path"] for ch in chunks]


def test_paths_outside_the_roots_are_refused_whether_they_exist_or_not(
    small_service: Any, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    svc = small_service(ingest={"roots": [root]})
    for path in ("/etc/passwd", "/etc", "/nonexistent/file.md", str(root / ".." / "x.md")):
        r = _ingest(svc, path)
        assert r.status_code == 422, path
        assert "Not inside an ingest root" in r.json()["error"]["message"]
    assert _ingest(svc, "docs/relative.md").status_code == 422
    assert _ingest(svc, str(root) + "/\x00x.md").status_code == 422
    assert _searchable(svc, "root login shell") == []


def test_hidden_files_links_out_and_extensionless_files_are_not_loaded(
    small_service: Any, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config.md").write_text("# Secret\n\ntoken = hunter2 in the git config\n")
    (root / "notes").write_text("root:x:0:0:root:/root:/bin/bash passwd entry\n")
    (root / "ok.md").write_text("# Cafeteria\n\nThe cafeteria serves soup on Mondays.\n")
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n\nThe vault combination is 12-34-56.\n")
    os.symlink(outside, root / "link.md")
    svc = small_service(ingest={"roots": [root]})
    assert _ingest(svc, str(root / ".git" / "config.md")).status_code == 422
    assert _ingest(svc, str(root / "link.md")).status_code == 422  # resolves outside
    r = _ingest(svc, str(root))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 1  # ok.md only
    assert [f["path"] for f in body["failed"]] == ["notes"]
    assert "without an extension" in body["failed"][0]["reason"]
    assert _searchable(svc, "vault combination") in ([], ["ok.md"])
    assert _searchable(svc, "hunter2 git config token") in ([], ["ok.md"])
    assert "ok.md" in _searchable(svc, "cafeteria soup")


def test_without_ingest_roots_the_route_is_off(small_service: Any, tmp_path: Path) -> None:
    svc = small_service()
    r = _ingest(svc, str(tmp_path))
    assert r.status_code == 403 and "DOCENT_INGEST__ROOTS" in r.json()["error"]["message"]


@pytest.mark.unit
def test_a_file_swapped_for_a_link_after_listing_is_not_read(tmp_path: Path) -> None:
    from ingest.discover import discover, read_source
    from ingest.errors import FileRejected

    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text("# A\n\nHarmless.\n")
    secret = tmp_path / "users.yaml"
    secret.write_text("key_sha256: abc\n")
    [source] = list(discover(root))
    (root / "a.md").unlink()
    os.symlink(secret, root / "a.md")  # the swap, between listing and reading
    with pytest.raises(FileRejected, match="outside the loaded folder"):
        read_source(source, 1000)
    (root / "a.md").unlink()
    (root / ".git").mkdir()
    (root / ".git" / "token.md").write_text("hunter2")
    os.symlink(root / ".git" / "token.md", root / "a.md")  # a link to a hidden file
    with pytest.raises(FileRejected, match="hidden"):
        read_source(source, 1000)
    (root / "a.md").unlink()
    os.symlink(root / "a.md", root / "a.md")  # a loop of links
    with pytest.raises(FileRejected, match="cannot be resolved"):
        read_source(source, 1000)
    (root / "a.md").unlink()
    os.mkfifo(root / "a.md")  # not a regular file: reading it would block forever
    with pytest.raises(FileRejected, match="not a regular file"):
        read_source(source, 1000)
