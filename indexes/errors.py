"""Index-layer errors, and the one boundary where vendor errors become them.

DocentError
└── IndexUnavailableError  the vector store failed (503)
    ├── IndexLockedError   another process holds the embedded shard
    └── IndexMissingError  no collection has been built yet
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from core.errors import DocentError


class IndexUnavailableError(DocentError):
    """The vector store failed."""

    code = "index_error"


class IndexLockedError(IndexUnavailableError):
    """The embedded shard is open in another process (the API service, usually)."""

    code = "index_locked"


class IndexMissingError(IndexUnavailableError):
    """Nothing has been loaded yet."""

    code = "index_missing"


C = TypeVar("C", bound=type)


def vendor_boundary(
    is_vendor_error: Callable[[BaseException], bool], what: str
) -> Callable[[C], C]:
    """A class decorator: every public method of the backend turns a vendor error into an
    ``IndexUnavailableError`` naming ``what`` (so a failure during a search is the
    documented 503, not a 500). Docent's own errors and programming errors pass as they are."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def mapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except DocentError:
                raise
            except Exception as exc:
                if not is_vendor_error(exc):
                    raise
                raise IndexUnavailableError(
                    f"{what} failed during {method.__name__}: {exc}"
                ) from exc

        return mapped

    def decorate(cls: C) -> C:
        for name, value in list(vars(cls).items()):
            if callable(value) and not name.startswith("_"):
                setattr(cls, name, wrap(value))
        return cls

    return decorate
