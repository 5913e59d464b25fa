"""A small HTTP client for the Docent API, with errors turned into friendly messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


class ApiProblem(Exception):
    """Something the user should read: what went wrong and what to do."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_FRIENDLY = {
    401: "Your key was not accepted. Sign in again with a valid key.",
    403: "You do not have access to this.",
    413: "That message is too long to send.",
    429: "You are asking very fast. Wait {retry} seconds and try again.",
    503: "Docent is busy right now. Try again in {retry} seconds.",
    504: "The answer took too long. Try again, or ask a shorter question.",
}


def _problem(resp: httpx.Response) -> ApiProblem:
    try:
        message = resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = ""
    template = _FRIENDLY.get(resp.status_code)
    if resp.status_code == 422 and message:
        return ApiProblem(message, 422)
    if template:
        return ApiProblem(
            template.format(retry=resp.headers.get("retry-after", "a few")), resp.status_code
        )
    return ApiProblem(
        message or f"Docent answered with an error ({resp.status_code}).", resp.status_code
    )


@dataclass
class StreamEvent:
    kind: str  # token | citations | result | error
    data: Any


class DocentClient:
    def __init__(self, base_url: str, key: str, timeout_s: float = 180) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {key}"},
        )

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ApiProblem(
                "Docent is not reachable right now. Check that the service is "
                "running, then try again."
            ) from exc
        if resp.status_code >= 400:
            raise _problem(resp)
        return resp

    def me(self) -> dict[str, Any]:
        """Verifies the key and says who it belongs to."""
        data: dict[str, Any] = self._call("GET", "/v1/me").json()
        return data

    def conversations(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/v1/conversations").json()["conversations"]
        return data

    def conversation(self, cid: str) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", f"/v1/conversations/{cid}").json()
        return data

    def rename(self, cid: str, title: str) -> None:
        self._call("PATCH", f"/v1/conversations/{cid}", json={"title": title})

    def delete(self, cid: str) -> None:
        self._call("DELETE", f"/v1/conversations/{cid}")

    def feedback(self, trace_id: str, rating: str, comment: str = "") -> None:
        self._call(
            "POST",
            "/v1/feedback",
            json={"trace_id": trace_id, "rating": rating, "comment": comment},
        )

    def document(self, doc_id: str, section: str | None = None) -> dict[str, Any]:
        """A cited document's sections (only ``section``, when given)."""
        params = {"section": section} if section else {}
        data: dict[str, Any] = self._call("GET", f"/v1/documents/{doc_id}", params=params).json()
        return data

    def keys(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/v1/keys").json()["keys"]
        return data

    def create_key(self, name: str, days: int, groups: list[str]) -> dict[str, Any]:
        body = {"name": name, "expires_in_days": days, "groups": groups}
        data: dict[str, Any] = self._call("POST", "/v1/keys", json=body).json()
        return data

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/v1/keys/{key_id}")

    def admin_overview(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/v1/admin/overview").json()
        return data

    def down_voted(self) -> tuple[list[dict[str, Any]], int]:
        """The editor's worklist, and how many were withheld (documents they may not read)."""
        data: dict[str, Any] = self._call("GET", "/v1/admin/feedback").json()
        answers: list[dict[str, Any]] = data["answers"]
        return answers, int(data.get("withheld", 0))

    def correct(self, trace_id: str, answer: str) -> None:
        self._call("POST", "/v1/admin/corrections", json={"trace_id": trace_id, "answer": answer})

    def admin_ab(self, days: int) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/v1/admin/ab", params={"days": days}).json()
        return data

    def drift(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/v1/admin/drift").json()
        return data

    def keep_drift_reference(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("POST", "/v1/admin/drift/reference").json()
        return data

    def admin_quality(self, days: int) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/v1/admin/quality", params={"days": days}).json()
        return data

    def ask_stream(self, question: str, conversation_id: str | None) -> Iterator[StreamEvent]:
        body = {"question": question, "conversation_id": conversation_id, "stream": True}
        try:
            with self._http.stream("POST", "/v1/ask", json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise _problem(resp)
                event = None
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event:
                        yield StreamEvent(event, json.loads(line.split(":", 1)[1]))
                        event = None
        except httpx.HTTPError as exc:
            raise ApiProblem("The connection to Docent was lost. Try again.") from exc
