"""Query-side errors, each mapped to one HTTP status by the API.

DocentError
└── PipelineError
    ├── InvalidQuestion        empty or too long (422)
    ├── InjectionRefused       the question tries to steer the model (422)
    ├── GenerationUnavailable  the model server is down or timed out (503)
    │   └── GenerationRejected the server refused this one request (4xx): not "down"
    └── Overloaded             too many generations at once (503 + Retry-After)
"""

from __future__ import annotations

from core.errors import DocentError


class PipelineError(DocentError):
    code = "pipeline_error"


class InvalidQuestion(PipelineError):
    code = "invalid_question"


class InjectionRefused(PipelineError):
    code = "injection_refused"


class GenerationUnavailable(PipelineError):
    code = "generation_unavailable"


class GenerationRejected(GenerationUnavailable):
    """The model server answered this request with a 4xx (a prompt over its context, say):
    this answer falls back to quotes, but the server is not down for anyone else."""

    code = "generation_rejected"


class Overloaded(PipelineError):
    code = "overloaded"

    def __init__(self, message: str, retry_after_s: int = 2) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
