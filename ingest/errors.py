"""Ingest errors.

DocentError
└── IngestError          the load as a whole cannot go on (usage, config)
    └── FileRejected     one file cannot be loaded; the rest of the load continues
        └── NoPermissions  its groups cannot be decided: an indexed copy is removed
"""

from __future__ import annotations

from core.errors import DocentError


class IngestError(DocentError):
    """The load cannot go on; the message says what to change."""

    code = "ingest_error"


class FileRejected(IngestError):
    """One file was skipped, with the reason shown to the user."""

    code = "file_rejected"


class NoPermissions(FileRejected):
    """The file's groups cannot be decided (no rule, or front matter that would widen
    them). Fail closed: an older indexed copy is deleted, not left with its old groups."""

    code = "no_permissions"
