"""Authentication: a users file with hashed API keys (development) or OIDC JWTs (production),
and beside either, personal API keys for tools (``dpk_...``, app/storage/keys.py).

Groups come only from the verified identity, never from a request body.

    AuthError           401, with WWW-Authenticate
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any, Protocol

import jwt
import yaml

from app.pipeline.types import User
from app.storage.keys import PREFIX, KeyStore
from core.errors import ConfigError, DocentError


class AuthError(DocentError):
    code = "unauthorized"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Authenticator(Protocol):
    def authenticate(self, token: str) -> User: ...


class UsersFileAuth:
    """API keys from a YAML users file; keys are stored as SHA-256 and compared in constant time.

    ::

        users:
          - id: alice
            name: Alice Admin
            groups: [everyone, hr, admin]
            key_sha256: 5e88...
    """

    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"Cannot read the users file {path}: {exc}") from exc
        self._users: list[tuple[bytes, User]] = []
        for entry in data.get("users", []):
            try:
                digest = bytes.fromhex(entry["key_sha256"])
                user = User(
                    str(entry["id"]),
                    tuple(sorted(entry.get("groups") or ())),
                    str(entry.get("name", entry["id"])),
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise ConfigError(f"Users file {path}: bad entry {entry!r} ({exc})") from exc
            self._users.append((digest, user))

    def groups_of(self, user_id: str) -> tuple[str, ...] | None:
        """The user's groups in the file today, or None when they are no longer in it."""
        return next((u.groups for _, u in self._users if u.id == user_id), None)

    def authenticate(self, token: str) -> User:
        presented = hashlib.sha256(token.encode()).digest()
        found: User | None = None
        for digest, user in self._users:  # no early exit: timing does not reveal the match
            if hmac.compare_digest(digest, presented):
                found = user
        if found is None:
            raise AuthError("Invalid API key. Ask your administrator for a key.")
        return found


class OidcAuth:
    """Verifies OIDC access tokens against a JWKS; the algorithm is pinned."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        algorithm: str = "RS256",
        groups_claim: str = "groups",
        jwks_client: Any = None,
    ) -> None:
        if algorithm.lower() == "none" or algorithm.startswith("HS"):
            raise ConfigError("DOCENT_OIDC_ALGORITHM must be an asymmetric algorithm such as RS256")
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.groups_claim = groups_claim
        self._jwks = jwks_client or jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=5)

    def authenticate(self, token: str) -> User:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("The token has expired: sign in again.") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise AuthError(f"The token is not valid: {exc}") from exc
        raw = claims.get(self.groups_claim) or []
        groups = tuple(sorted(str(g) for g in raw)) if isinstance(raw, list) else ()
        return User(str(claims["sub"]), groups, str(claims.get("name", claims["sub"])))


class PersonalKeyAuth:
    """Personal API keys beside another sign-in. A key gives the groups it was made with;
    where the other sign-in can say what the owner's groups are today (the users file), a
    key never gives more than those, and a user removed from it loses their keys too.
    OIDC cannot be asked: there a key keeps its groups until it expires or is revoked."""

    def __init__(self, keys: KeyStore, inner: Authenticator) -> None:
        self.keys = keys
        self.inner = inner

    def authenticate(self, token: str) -> User:
        if not token.startswith(PREFIX):
            return self.inner.authenticate(token)
        user = self.keys.resolve(token)
        if user is None:
            raise AuthError(
                "This API key is unknown, revoked or expired: make a new one (POST /v1/keys)."
            )
        groups_of = getattr(self.inner, "groups_of", None)
        if callable(groups_of):
            now = groups_of(user.id)
            if now is None:
                raise AuthError("The owner of this API key no longer has access.")
            user = User(user.id, tuple(g for g in user.groups if g in now), user.name, user.via_key)
        return user
