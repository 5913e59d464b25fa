"""The authentication matrix: every route of the real service × every bad credential.
OIDC with real PyJWT against a JWKS served on 127.0.0.1. Unexpected allows: 0."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from app.auth import OidcAuth
from app.generation.extractive import ExtractiveOnlyGenerator
from core.settings import Settings
from tests.app.test_auth import AUD, ISS, jwks_url, key, token  # noqa: F401 (fixtures)
from tests.service_fixtures import Service, start, stop

pytestmark = pytest.mark.integration

PUBLIC = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC |= {"/openapi.json"}


@pytest.fixture(scope="module")
def oidc_service(
    jwks_url: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Any,
) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("auth") / "var"
    settings = Settings(data_dir=data, users_file=data / "users.yaml", ingest={"roots": [data]})
    svc, running = start(
        settings,
        embedder=embedder,
        generator=ExtractiveOnlyGenerator(),
        auth=OidcAuth(jwks_url, ISS, AUD),
    )
    yield svc
    stop(running)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}."


def _bad_credentials(key: Any) -> dict[str, dict[str, str]]:  # noqa: F811
    now = int(time.time())
    claims = {"sub": "eve", "iss": ISS, "aud": AUD, "exp": now + 300, "groups": ["admin"]}
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # HS256 signed with the RSA public key: the classic algorithm-confusion forgery
    confused = _hs256(claims, public_pem)
    return {
        "anonymous": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "expired": {"Authorization": f"Bearer {token(key, exp=now - 10, groups=['admin'])}"},
        "wrong audience": {"Authorization": f"Bearer {token(key, aud='other', groups=['admin'])}"},
        "wrong issuer": {
            "Authorization": f"Bearer {token(key, iss='https://evil.test', groups=['admin'])}"
        },
        "alg none": {"Authorization": f"Bearer {_unsigned(claims)}"},
        "HS/RS confusion": {"Authorization": f"Bearer {confused}"},
    }


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT refuses to sign with a PEM key, which is the attack."""

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = part(json.dumps(claims).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(sig)}"


def _routes(svc: Service) -> list[tuple[str, str]]:
    """Every route of the OpenAPI document but the public probes and docs."""
    out = []
    for path, operations in svc.app.openapi()["paths"].items():
        if path in PUBLIC:
            continue
        for method in sorted(operations):
            out.append((method.upper(), path.replace("{conversation_id}", "c1")))
    return out


BODIES = {
    "/v1/ask": {"question": "What is the travel policy?"},
    "/v1/retrieve": {"query": "travel policy"},
    "/v1/chat/completions": {"model": "docent", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/feedback": {"trace_id": "t1", "rating": "up"},
    "/v1/keys": {"name": "a tool"},
    "/v1/admin/ingest": {"paths": ["/etc"], "groups": "everyone"},
    "/v1/conversations/c1": {"title": "x"},
}


def test_every_route_refuses_every_bad_credential(oidc_service: Service, key: Any) -> None:  # noqa: F811
    routes = _routes(oidc_service)
    assert len(routes) >= 10, routes
    allowed: list[tuple[str, str, str, int]] = []
    with httpx.Client(base_url=oidc_service.url, timeout=30) as c:
        for name, headers in _bad_credentials(key).items():
            for method, path in routes:
                r = c.request(method, path, headers=headers, json=BODIES.get(path))
                if r.status_code != 401:
                    allowed.append((name, method, path, r.status_code))
                else:
                    assert r.headers["www-authenticate"].startswith("Bearer")
    print(f"routes: {len(routes)}; credentials: 8; unexpected allows: {len(allowed)}")
    assert allowed == []


def test_a_user_token_cannot_reach_admin_routes_or_claim_groups_in_the_body(
    oidc_service: Service,
    key: Any,  # noqa: F811
) -> None:
    user = {"Authorization": f"Bearer {token(key, groups=['everyone'])}"}
    with httpx.Client(base_url=oidc_service.url, timeout=30, headers=user) as c:
        for method, path in _routes(oidc_service):
            if path.startswith("/v1/admin"):
                r = c.request(method, path, json=BODIES.get(path))
                assert r.status_code == 403, (method, path, r.status_code)
        me = c.get("/v1/me", params={"groups": "admin"}).json()
        assert me["groups"] == ["everyone"] and not me["admin"]
        body = {**BODIES["/v1/admin/ingest"], "groups": "admin", "user": {"groups": ["admin"]}}
        assert c.post("/v1/admin/ingest", json=body).status_code == 403
        asked = c.post("/v1/ask", json={**BODIES["/v1/ask"], "groups": ["admin", "legal"]})
        assert asked.status_code in (200, 422)  # extra fields never widen the user
