"""Several processes on loopback sharing state as a production deployment does: two API
processes (uvicorn subprocesses) and an `ingest load` subprocess, with one PostgreSQL
database (conversations, keys, the entity catalogue) and one Redis (rate limits).

Each API process here has its own embedded index: qdrant-edge admits one process per
shard, and no Qdrant server binary can be installed on this machine. The test that needs a
shared index (an ACL change made by the ingest process, seen by both APIs on their next
request) runs when ``DOCENT_TEST_QDRANT_URL`` names a Qdrant server, and is skipped
otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from app.process import wait_until_up
from app.users import write_demo_users
from indexes.catalogue import EntityCatalogue
from tests.servers import fresh_database, stop_process
from tests.service_fixtures import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PER_MINUTE = 6
_START_S = 180


@contextmanager
def _api(env: dict[str, str], log: Path) -> Iterator[str]:
    """One API process (as a replica runs it) on a free loopback port; yields its URL."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(f"{url}/readyz", timeout_s=_START_S, proc=process):
            raise RuntimeError(f"the API did not start: {log.read_text()[-3000:]}")
        yield url
    finally:
        stop_process(process, timeout_s=30)


def _environment(tmp: Path, name: str, shared: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
    env.update(shared)
    env["DOCENT_DATA_DIR"] = str(tmp / name)  # each process's own embedded index
    return env


@pytest.fixture
def deployment(
    tmp_path: Path, postgres_server: str, redis_url: str
) -> Iterator[tuple[list[str], dict[str, str], dict[str, str]]]:
    database = fresh_database(postgres_server)
    users = tmp_path / "users.yaml"
    keys = write_demo_users(users)
    shared = {
        "DOCENT_DATABASE_URL": database,
        "DOCENT_CATALOGUE_URL": database,
        "DOCENT_RATE_LIMIT_STORAGE": redis_url,
        "DOCENT_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "DOCENT_USERS_FILE": str(users),
        "DOCENT_GENERATION__KIND": "extractive",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                _api(_environment(tmp_path, f"api{n}", shared), tmp_path / f"api{n}.log")
            )
            for n in (1, 2)
        ]
        yield urls, keys, shared


def test_replicas_share_limits_keys_conversations_and_the_catalogue(
    deployment: tuple[list[str], dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    (first, second), keys, shared = deployment
    bob = {"Authorization": f"Bearer {keys['bob']}"}
    ask = {"question": "How do I request a new badge?"}
    with httpx.Client(timeout=60, headers=bob) as client:
        # a conversation opened on one replica goes on and is listed on the other
        opened = client.post(f"{first}/v1/ask", json=ask)
        assert opened.status_code == 200, opened.text
        conversation = opened.json()["conversation_id"]
        listed = client.get(f"{second}/v1/conversations").json()
        assert conversation in [c["id"] for c in listed["conversations"]]

        # a personal key made on one replica signs in on the other
        made = client.post(f"{second}/v1/keys", json={"name": "ci", "expires_in_days": 1})
        assert made.status_code == 201, made.text
        by_key = {"Authorization": f"Bearer {made.json()['key']}"}
        assert client.get(f"{first}/v1/me", headers=by_key).status_code == 200

        # one limit for both replicas: bob has asked once; five more, alternating
        statuses = [
            client.post(f"{url}/v1/ask", json=ask).status_code
            for url in (second, first, second, first, second)
        ]
        assert statuses == [200] * 5
        refused = client.post(f"{first}/v1/ask", json=ask)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert client.post(f"{second}/v1/ask", json=ask).status_code == 429

    # the ingest process writes the catalogue both replicas link against
    docs = tmp_path / "docs" / "hr"
    docs.mkdir(parents=True)
    (docs / "badges.md").write_text(
        "# Badges\n\nThe General Services Administration (GSA) issues badges every "
        "Wednesday. Ask the GSA badge office in Washington.\n"
    )
    ingest = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "load",
            str(tmp_path / "docs"),
            "--groups",
            "everyone",
        ],
        cwd=ROOT,
        env=_environment(tmp_path, "ingest", shared),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    catalogue = EntityCatalogue(shared["DOCENT_CATALOGUE_URL"])
    try:
        assert "hr" in set(catalogue.document_collections().values())
        assert any("GSA" in e.aliases for e in catalogue.entities())
    finally:
        catalogue.close()


QDRANT = os.environ.get("DOCENT_TEST_QDRANT_URL")


@pytest.mark.skipif(QDRANT is None, reason="needs a Qdrant server: DOCENT_TEST_QDRANT_URL")
def test_an_acl_change_by_the_ingest_process_reaches_both_apis_at_once(
    tmp_path: Path, postgres_server: str, redis_url: str
) -> None:
    assert QDRANT is not None
    database = fresh_database(postgres_server)
    users = tmp_path / "users.yaml"
    keys = write_demo_users(users)
    shared = {
        "DOCENT_QDRANT_URL": QDRANT,
        "DOCENT_COLLECTION": f"acl{uuid.uuid4().hex[:8]}",
        "DOCENT_DATABASE_URL": database,
        "DOCENT_CATALOGUE_URL": database,
        "DOCENT_RATE_LIMIT_STORAGE": redis_url,
        "DOCENT_USERS_FILE": str(users),
        "DOCENT_GENERATION__KIND": "extractive",
        "HF_HUB_OFFLINE": "1",
    }
    docs = tmp_path / "docs"
    (docs / "legal").mkdir(parents=True)
    (docs / "legal" / "settlement.md").write_text(
        "# Settlement\n\nThe Acme settlement pays 4.2 million dollars by March.\n"
    )
    acl = tmp_path / "acl.yaml"

    def load(groups: str) -> None:
        acl.write_text(f"default: [{groups}]\n")
        done = subprocess.run(
            [sys.executable, "-m", "ingest.cli", "load", str(docs), "--acl", str(acl)],
            cwd=ROOT,
            env=_environment(tmp_path, "ingest", shared),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    load("everyone")
    question = {"question": "How much does the Acme settlement pay?"}
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                _api(_environment(tmp_path, f"api{n}", shared), tmp_path / f"api{n}.log")
            )
            for n in (1, 2)
        ]
        headers = {"Authorization": f"Bearer {keys['bob']}"}
        with httpx.Client(timeout=60, headers=headers) as client:
            for url in urls:  # both answer, and cache the answer
                assert client.post(f"{url}/v1/ask", json=question).json()["citations"]
            load("legal")  # bob is not in legal: an ACL-only change, made by another process
            for url in urls:
                after = client.post(f"{url}/v1/ask", json=question).json()
                assert not after["citations"], textwrap.shorten(str(after), 300)
