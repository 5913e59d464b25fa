"""One place that maps errors to HTTP: every error body is {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.schemas import ErrorResponse
from app.auth import AuthError
from app.pipeline.errors import (
    GenerationUnavailable,
    InjectionRefused,
    InvalidQuestion,
    Overloaded,
)
from app.storage.batches import BatchRefused
from app.storage.keys import KeyRefused
from core.errors import ConfigError, DocentError
from indexes.errors import IndexUnavailableError

log = logging.getLogger(__name__)


class ApiError(DocentError):
    """An error raised by a route with its status (403, 404, 429, 504, ...)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


_STATUS: list[tuple[type[DocentError], int]] = [
    (InvalidQuestion, 422),
    (InjectionRefused, 422),
    (KeyRefused, 422),
    (BatchRefused, 422),
    (AuthError, 401),
    (Overloaded, 503),
    (GenerationUnavailable, 503),
    (IndexUnavailableError, 503),
    (ConfigError, 500),
]


_PUBLIC_5XX: dict[type[DocentError], str] = {
    GenerationUnavailable: "The language model is unavailable right now; try again shortly.",
    IndexUnavailableError: "The document index is unavailable right now; try again shortly.",
    ConfigError: "Docent is misconfigured; an administrator has to fix it (see the log).",
}


def status_for(exc: DocentError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def _desc(text: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": text}


# declared on every /v1 route, so the OpenAPI schema lists every status the API can return
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _desc("Missing or invalid credentials"),
    403: _desc("Authenticated, but not allowed"),
    413: _desc("Request body too large"),
    422: _desc("Invalid request or question"),
    429: _desc("Rate limit exceeded; see Retry-After"),
    500: _desc("Unexpected server error"),
    503: _desc("Busy or a dependency is down; see Retry-After"),
}
GENERATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    504: _desc("Generation timed out"),
}


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    """COMMON_RESPONSES and a 404 for a route that names one thing of the caller's."""
    return {**COMMON_RESPONSES, 404: _desc(f"No such {what} (or not yours to see)")}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(DocentError)
    async def _docent(_: Request, exc: DocentError) -> JSONResponse:
        status = status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, AuthError):
            headers["WWW-Authenticate"] = 'Bearer realm="docent"'
        if isinstance(exc, Overloaded):
            headers["Retry-After"] = str(exc.retry_after_s)
        elif status == 503:
            headers["Retry-After"] = "5"
        message = exc.message
        if isinstance(exc, Overloaded):
            log.warning("refused, at capacity: %s", exc.message)  # by design, not a fault
        elif status >= 500:
            log.error("request failed: %s", exc.message)
            # the details (a server's address, a driver's text) are for the log only
            message = _PUBLIC_5XX.get(type(exc), "Something failed on our side; try again.")
        return error_response(status, exc.code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return error_response(422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(
            500,
            "internal_error",
            "Something went wrong on our side; the error was logged. Try again.",
        )
