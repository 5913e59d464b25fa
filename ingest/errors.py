"""Ingest errors.

DocentError
└── IngestError          the load as a whole cannot go on (usage, config)
    └── FileRejected     one file cannot be loaded; the rest of the load continues
"""

from __future__ import annotations

from app.errors import DocentError


class IngestError(DocentError):
    """The load cannot go on; the message says what to change."""

    code = "ingest_error"


class FileRejected(IngestError):
    """One file was skipped, with the reason shown to the user."""

    code = "file_rejected"
