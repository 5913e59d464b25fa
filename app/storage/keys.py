"""Personal API keys for tools: created, listed and revoked by their owner.

A key reads ``dpk_<id>_<secret>``: the id finds the row, and only the secret's SHA-256 is
stored, compared in constant time. A key holds the groups its owner chose when creating it
(a subset of theirs then), expires (at most ``MAX_DAYS`` after creation), and stops working
at once when revoked: every request reads the row, nothing caches it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from app.pipeline.types import User
from app.storage.models import ApiKey, as_utc, utcnow
from core.errors import DocentError

PREFIX = "dpk_"
MAX_DAYS = 365
MAX_KEYS = 20  # live keys per user
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class KeyRefused(DocentError):
    """A key that cannot be made as asked (422)."""

    code = "invalid_request"


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    groups: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewKey:
    info: KeyInfo
    key: str  # shown once, never stored


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        row.id,
        row.name,
        tuple(row.groups or ()),
        as_utc(row.created_at),
        as_utc(row.expires_at),
        as_utc(row.last_used_at) if row.last_used_at else None,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self._maker = sessionmaker(engine, expire_on_commit=False)

    def create(
        self, owner: User, name: str, days: int, groups: Sequence[str] | None = None
    ) -> NewKey:
        """A new key for ``owner`` with ``groups`` (default: all of the owner's)."""
        if not 1 <= days <= MAX_DAYS:
            raise KeyRefused(f"A key lasts 1 to {MAX_DAYS} days; {days} was asked.")
        chosen = tuple(sorted(set(groups))) if groups is not None else owner.groups
        beyond = sorted(set(chosen) - set(owner.groups))
        if beyond:
            raise KeyRefused(f"A key can only have groups you are in; not {', '.join(beyond)}.")
        if not chosen:
            raise KeyRefused("A key needs at least one group to read anything.")
        if len(self.list(owner.id)) >= MAX_KEYS:
            raise KeyRefused(f"You have {MAX_KEYS} keys: revoke one before making another.")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = utcnow()
        row = ApiKey(
            id=key_id,
            user_id=owner.id,
            user_name=owner.name,
            name=name,
            secret_sha256=_digest(secret),
            groups=list(chosen),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        with self._maker() as s:
            s.add(row)
            s.commit()
        return NewKey(_info(row), f"{PREFIX}{key_id}_{secret}")

    def list(self, user_id: str) -> list[KeyInfo]:
        """The user's keys that still work, newest first."""
        with self._maker() as s:
            rows = s.scalars(
                select(ApiKey)
                .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
                .order_by(ApiKey.created_at.desc())
            ).all()
        now = utcnow()
        return [_info(r) for r in rows if as_utc(r.expires_at) > now]

    def revoke(self, user_id: str, key_id: str) -> bool:
        """Revokes one of the user's keys; False if they have no such live key."""
        with self._maker() as s:
            done = s.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            s.commit()
        return bool(getattr(done, "rowcount", 0))

    def resolve(self, token: str) -> User | None:
        """The key's owner with the key's groups, or None for a key that is malformed,
        unknown, revoked or expired."""
        body = token.removeprefix(PREFIX)
        key_id, sep, secret = body.partition("_")
        if not token.startswith(PREFIX) or not sep or not secret or len(key_id) != 16:
            return None
        with self._maker() as s:
            row = s.get(ApiKey, key_id)
            if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
                return None
            now = utcnow()
            if row.revoked_at is not None or as_utc(row.expires_at) <= now:
                return None
            if row.last_used_at is None or now - as_utc(row.last_used_at) > _TOUCH_EVERY:
                row.last_used_at = now
                s.commit()
            return User(row.user_id, tuple(row.groups or ()), row.user_name, via_key=row.id)
