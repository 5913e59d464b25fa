"""Permission canaries (after Onyx's permission tests): each department folder of the
shared corpus gets its own group and a planted canary fact; every user asks for every
canary through every route that returns document text, and no response may carry a canary
of a group the user lacks. A mutation run with the group filter stripped must find leaks,
or this suite proves nothing. Real service on 127.0.0.1, embedded Qdrant, real models."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.auth import UsersFileAuth, hash_key
from app.generation.extractive import ExtractiveOnlyGenerator
from app.pipeline.factory import build_pipeline
from app.pipeline.types import User
from core.settings import Settings
from indexes.factory import open_catalogue, open_store
from indexes.protocol import VectorIndex
from indexes.schema import F_GROUPS, PointFilter, SearchRequest
from ingest.acl import AclResolver
from ingest.service import IngestService
from tests.conftest import CORPUS
from tests.service_fixtures import Service, start, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEPARTMENTS = ("finance", "legal", "security", "marketing")
CANARY = {d: f"canary-{d}-{secrets.token_hex(4)}" for d in DEPARTMENTS}
DEPT = "sourcegraph-handbook/content/departments"
USERS = {
    **{f"{d}-lead": ("everyone", d) for d in DEPARTMENTS},
    "employee": ("everyone",),
    "nobody": (),
}


def question(dept: str) -> str:
    return f"What is the {dept} department's vault passphrase?"


def restricted_for(groups: Sequence[str]) -> list[str]:
    return [CANARY[d] for d in DEPARTMENTS if d not in groups]


@dataclass
class Corpus:
    data: Path
    root: Path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Any, extractor: Any) -> Corpus:
    root = tmp_path_factory.mktemp("canary-docs")
    for dept in DEPARTMENTS:
        src = CORPUS / DEPT / dept
        dest = root / DEPT / dept
        for path in sorted(src.rglob("*.md"))[:6]:
            (dest / path.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / path.relative_to(src))
        (dest / "vault.md").write_text(
            f"# {dept.title()} vault\n\nThe {dept} department's vault passphrase is "
            f"{CANARY[dept]}. Only the {dept} team may use it.\n"
        )
    shutil.copytree(CORPUS / "18f-handbook/pages/getting-started", root / "open")
    (root / "orphan.md").write_text(f"# Orphan\n\nThe orphan passphrase is {CANARY['legal']}.\n")
    rules = [{"match": f"{DEPT}/{d}/**", "groups": [d]} for d in DEPARTMENTS]
    rules.append({"match": "open/**", "groups": ["everyone"]})
    acl = root.parent / "canary-acl.yaml"
    acl.write_text(yaml.safe_dump({"rules": rules}))  # no default: orphan.md matches nothing
    data = tmp_path_factory.mktemp("canary") / "var"
    settings = Settings(data_dir=data)
    store = open_store(settings)
    service = IngestService(settings, store, open_catalogue(settings), embedder, extractor)
    report = service.load([root], AclResolver.from_options(None, acl))
    assert [f.path for f in report.failed] == ["orphan.md"]  # default-deny: not loaded
    service.catalogue.close()
    store.close()
    return Corpus(data, root)


@pytest.fixture(scope="module")
def canary_service(
    corpus: Corpus, tmp_path_factory: pytest.TempPathFactory, embedder: Any
) -> Iterator[tuple[Service, dict[str, str]]]:
    data = tmp_path_factory.mktemp("canary-api") / "var"
    shutil.copytree(corpus.data, data)
    keys = {uid: "dk_" + secrets.token_urlsafe(16) for uid in USERS}
    users = data / "canary-users.yaml"
    users.write_text(
        yaml.safe_dump(
            {
                "users": [
                    {"id": u, "name": u, "groups": list(g), "key_sha256": hash_key(keys[u])}
                    for u, g in USERS.items()
                ]
            }
        )
    )
    settings = Settings(data_dir=data, users_file=data / "users.yaml", rate_limit_per_minute=10_000)
    svc, running = start(
        settings, embedder=embedder, generator=ExtractiveOnlyGenerator(), auth=UsersFileAuth(users)
    )
    yield svc, keys
    stop(running)


def _responses(svc: Service, key: str, q: str) -> list[str]:
    """Every response a user gets for one question, through every route."""
    out: list[str] = []
    with httpx.Client(
        base_url=svc.url, headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as c:
        out.append(c.post("/v1/retrieve", json={"query": q, "top_k": 10}).text)
        ask = c.post("/v1/ask", json={"question": q})
        out.append(ask.text)
        with c.stream("POST", "/v1/ask", json={"question": q, "stream": True}) as r:
            out.append("".join(r.iter_lines()))
        out.append(
            c.post(
                "/v1/chat/completions",
                json={"model": "docent", "messages": [{"role": "user", "content": q}]},
            ).text
        )
        cid = ask.json().get("conversation_id") if ask.status_code == 200 else None
        if cid:
            follow = c.post(
                "/v1/ask", json={"question": "and who may use it?", "conversation_id": cid}
            )
            out.append(follow.text)
            out.append(c.get(f"/v1/conversations/{cid}").text)
    return out


def test_no_user_sees_a_canary_of_a_group_they_lack(
    canary_service: tuple[Service, dict[str, str]],
) -> None:
    svc, keys = canary_service
    leaks: list[tuple[str, str, str]] = []
    seen_own = 0
    for user, groups in USERS.items():
        for dept in DEPARTMENTS:
            texts = _responses(svc, keys[user], question(dept))
            everything = "\n".join(texts)
            leaks += [(user, dept, c) for c in restricted_for(groups) if c in everything]
            seen_own += dept in groups and CANARY[dept] in everything
    print(f"canary leaks: {len(leaks)}; own canaries found: {seen_own} of {len(DEPARTMENTS)}")
    assert leaks == []
    assert seen_own == len(DEPARTMENTS)  # the canaries are findable: the check has teeth


def test_a_document_matching_no_rule_is_visible_to_nobody(
    canary_service: tuple[Service, dict[str, str]],
) -> None:
    svc, keys = canary_service
    with httpx.Client(
        base_url=svc.url, headers={"Authorization": f"Bearer {keys['legal-lead']}"}
    ) as c:
        chunks = c.post("/v1/retrieve", json={"query": "orphan passphrase", "top_k": 10}).json()
    assert all(ch["path"] != "orphan.md" for ch in chunks["chunks"])


class LeakyIndex:
    """Mutation: the group filter stripped from every query (a test-only seam)."""

    def __init__(self, inner: VectorIndex) -> None:
        self.inner = inner
        self.name = inner.name

    def search(self, request: SearchRequest) -> Any:
        return self.inner.search(replace(request, groups=("everyone", *DEPARTMENTS)))

    def count(self, where: PointFilter | None = None) -> int:
        if where is not None:
            where = PointFilter(
                must=tuple(m for m in where.must if m.key != F_GROUPS), must_not=where.must_not
            )
        return self.inner.count(where)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_mutation_without_the_group_filter_is_caught(
    corpus: Corpus, tmp_path: Path, embedder: Any
) -> None:
    data = tmp_path / "var"
    shutil.copytree(corpus.data, data)
    settings = Settings(data_dir=data)
    store = open_store(settings)
    catalogue = open_catalogue(settings)

    class LeakyStore:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def active(self) -> Any:
            return LeakyIndex(store.active())

    try:
        parts = build_pipeline(
            settings,
            LeakyStore(),
            catalogue,
            embedder,
            ExtractiveOnlyGenerator(),  # type: ignore[arg-type]
        )
        employee = User("employee", ("everyone",))
        leaks = 0
        for dept in DEPARTMENTS:
            found = json.dumps([c.text for c in parts.pipeline.rank(question(dept), employee, 10)])
            leaks += sum(c in found for c in restricted_for(employee.groups))
        print(f"mutation leaks found: {leaks}")
        assert leaks > 0
    finally:
        catalogue.close()
        store.close()
