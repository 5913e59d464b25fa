"""Index-layer errors.

DocentError
└── IndexError_            the vector store failed
    ├── IndexLockedError   another process holds the embedded shard
    └── IndexMissingError  no collection has been built yet
"""

from __future__ import annotations

from app.errors import DocentError


class IndexError_(DocentError):
    """The vector store failed."""

    code = "index_error"


class IndexLockedError(IndexError_):
    """The embedded shard is open in another process (the API service, usually)."""

    code = "index_locked"


class IndexMissingError(IndexError_):
    """Nothing has been loaded yet."""

    code = "index_missing"
