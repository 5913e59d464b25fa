"""Shared fixtures: real models loaded once, and the whole shared corpus indexed once."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.offline import enforce_offline

pytest_plugins = ["tests.service_fixtures"]

enforce_offline()

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (ROOT.parent / "shared" / "corpus").resolve()
DEV_SET = (ROOT.parent / "shared" / "eval" / "dev.jsonl").resolve()
ARTIFACTS = ROOT / "artifacts"
# the tests load the sample corpus as `make run` does: with its product names
DEMO_GLOSSARY = ROOT / "deploy" / "demo-glossary.yaml"
os.environ.setdefault("DOCENT_GLOSSARY_FILE", str(DEMO_GLOSSARY))

# the test ACL: everything for `everyone`, two department folders restricted
TEST_ACL = """
default: [everyone]
rules:
  - match: "sourcegraph-handbook/content/departments/legal/**"
    groups: [legal]
  - match: "18f-handbook/pages/supervisor-resources/**"
    groups: [supervisors]
"""
ALL_GROUPS = ("everyone", "legal", "supervisors")


def pytest_configure(config: pytest.Config) -> None:
    if not CORPUS.is_dir():
        raise pytest.UsageError(f"the shared corpus is missing at {CORPUS}")
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from core.encoders import SentenceEmbedder
    from core.settings import Settings

    e = SentenceEmbedder(batch_size=Settings().embedding.batch_size)
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def extractor():  # type: ignore[no-untyped-def]
    from core.glossary import Glossary
    from core.settings import Settings
    from ingest.entities import EntityExtractor

    x = EntityExtractor(
        model=Settings().spacy_model, workers=2, glossary=Glossary.load(DEMO_GLOSSARY)
    )
    x.warm_up()
    yield x
    x.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL cluster on 127.0.0.1 for the session (tests/servers.py)."""
    from tests.servers import postgres_cluster

    configured = os.environ.get("DOCENT_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on 127.0.0.1 for the session."""
    from tests.servers import redis_server

    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind Docent supports: a SQLite file, then a fresh
    database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'docent.sqlite'}"
    from tests.servers import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from core.settings import Settings

    return Settings(data_dir=tmp_path / "var", users_file=None)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A copy of a few real handbook folders, safe to edit."""
    dest = tmp_path / "docs"
    for rel in (
        "18f-handbook/pages/getting-started",
        "18f-handbook/downloads",
        "sourcegraph-handbook/content/benefits-pay-perks/benefits-perks",
    ):
        shutil.copytree(CORPUS / rel, dest / rel)
    return dest


@pytest.fixture(scope="session")
def full_index(tmp_path_factory: pytest.TempPathFactory, embedder, extractor) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The whole shared corpus loaded once, with the test ACL; yields the data dir."""
    from core.settings import Settings
    from indexes.factory import open_catalogue, open_store
    from ingest.acl import AclResolver
    from ingest.service import IngestService

    data_dir = Path(os.environ.get("DOCENT_TEST_INDEX") or tmp_path_factory.mktemp("full"))
    acl_file = data_dir.parent / f"{data_dir.name}-acl.yaml"
    acl_file.write_text(TEST_ACL)
    settings = Settings(data_dir=data_dir)
    store = open_store(settings)
    service = IngestService(settings, store, open_catalogue(settings), embedder, extractor)
    report = service.load([CORPUS], AclResolver.from_options(None, acl_file))
    (ARTIFACTS / "full-load.json").write_text(str(report.as_dict()))
    service.catalogue.close()
    store.close()
    yield data_dir
