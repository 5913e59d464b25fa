"""Auth with real PyJWT and a JWKS served on 127.0.0.1; users-file keys in constant time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth import AuthError, OidcAuth, UsersFileAuth, hash_key
from core.errors import ConfigError

pytestmark = pytest.mark.integration

ISS, AUD = "https://sso.example.test", "docent"


@pytest.fixture(scope="module")
def key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(key: Any) -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def token(key: Any, **claims: Any) -> str:
    base = {
        "sub": "u1",
        "iss": ISS,
        "aud": AUD,
        "exp": int(time.time()) + 300,
        "groups": ["everyone", "hr"],
        "name": "U One",
    }
    base.update(claims)
    return jwt.encode(
        {k: v for k, v in base.items() if v is not None}, key, "RS256", headers={"kid": "k1"}
    )


def test_valid_token_gives_the_user_and_groups_from_the_claim(key: Any, jwks_url: str) -> None:
    user = OidcAuth(jwks_url, ISS, AUD).authenticate(token(key))
    assert user.id == "u1" and user.groups == ("everyone", "hr")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"aud": "someone-else"}, "not valid"),
        ({"iss": "https://evil.test"}, "not valid"),
        ({"exp": None}, "not valid"),
    ],
)
def test_bad_claims_are_rejected(
    key: Any, jwks_url: str, claims: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuthError, match=message):
        OidcAuth(jwks_url, ISS, AUD).authenticate(token(key, **claims))


def test_alg_none_and_foreign_keys_are_rejected(key: Any, jwks_url: str) -> None:
    unsigned = jwt.encode(
        {"sub": "u1", "iss": ISS, "aud": AUD, "exp": int(time.time()) + 60},
        None,
        algorithm="none",
        headers={"kid": "k1"},
    )
    with pytest.raises(AuthError):
        OidcAuth(jwks_url, ISS, AUD).authenticate(unsigned)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError):
        OidcAuth(jwks_url, ISS, AUD).authenticate(token(other))
    with pytest.raises(ConfigError):
        OidcAuth(jwks_url, ISS, AUD, algorithm="HS256")


def test_users_file_keys(tmp_path: Path) -> None:
    f = tmp_path / "users.yaml"
    f.write_text(f"users:\n  - id: ann\n    groups: [hr]\n    key_sha256: {hash_key('secret-1')}\n")
    auth = UsersFileAuth(f)
    assert auth.authenticate("secret-1").groups == ("hr",)
    with pytest.raises(AuthError):
        auth.authenticate("secret-2")
