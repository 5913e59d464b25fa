"""The root of Docent's error hierarchy.

    DocentError                     anything Docent raises on purpose
    ├── ConfigError                 bad settings or a missing model/file (exit 1)
    ├── indexes.errors.IndexUnavailableError  the vector store failed or is locked
    ├── ingest.errors.IngestError   a document could not be loaded
    └── app.pipeline.errors.*       query-side failures (input, safety, generation)

Each error carries a message that says what went wrong and what to do.
Vendor exceptions are translated at the module that calls the vendor.
"""

from __future__ import annotations


class DocentError(Exception):
    """Base class: every error Docent raises on purpose."""

    code = "docent_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(DocentError):
    """Settings are invalid or a required local file is missing."""

    code = "config_error"
