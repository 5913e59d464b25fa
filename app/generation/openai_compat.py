"""Any OpenAI-compatible server (vLLM in production) over HTTP, with timeouts and retries."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from app.generation.base import Delta, Generation, GenerationParams
from app.pipeline.errors import GenerationRejected, GenerationUnavailable
from core.text import count_tokens

_SERVED_TTL_S = 60.0


def _estimate(messages: list[dict[str, str]]) -> int:
    return sum(count_tokens(m["content"]) + 4 for m in messages)


class OpenAIGenerator:
    """Streams ``/v1/chat/completions``; connection failures retry, then fail clearly."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None,
        timeout_s: float,
        retries: int,
        transport: httpx.BaseTransport | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self._served: str | None = None  # the model behind the alias, from /v1/models
        self._served_at = -math.inf
        self.extra_body = dict(extra_body or {})  # server-specific sampling fields
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
        )

    @property
    def name(self) -> str:
        """``openai:<alias>`` plus the model the server runs under it, as its ``/v1/models``
        reports it (vLLM's ``root``): traces and the answer cache's key name the real
        model, so a new model behind ``docent-llm`` never serves the old one's answers.
        Read at each readiness probe; a value older than ``_SERVED_TTL_S`` is refreshed in
        the background, so a question never waits on it."""
        if time.monotonic() - self._served_at > _SERVED_TTL_S:
            self._served_at = time.monotonic()  # one refresh at a time, none while it runs
            threading.Thread(target=self._read_models, daemon=True).start()
        served = self._served
        return f"openai:{self.model}" + (f"({served})" if served and served != self.model else "")

    def _read_models(self) -> bool:
        self._served_at = time.monotonic()  # also on failure: no probe storm while it is down
        try:
            response = self._client.get("/v1/models", timeout=2.0)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        try:
            cards = response.json().get("data") or []
        except (ValueError, AttributeError):
            return True  # it answers; what it lists is not ours to judge here
        listed = [c for c in cards if isinstance(c, dict) and c.get("id") == self.model]
        root = listed[0].get("root") if listed else None
        self._served = str(root) if root else None  # gone from the list: the alias alone
        return True

    def ready(self) -> bool:
        return self._read_models()

    def _open(self, body: dict[str, Any]) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                request = self._client.build_request("POST", "/v1/chat/completions", json=body)
                response = self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                last = exc
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            if response.status_code >= 500 and attempt < self.retries:
                response.close()
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            if response.status_code != 200:
                detail = response.read().decode(errors="replace")[:300]
                response.close()
                failure = (
                    GenerationRejected if response.status_code < 500 else GenerationUnavailable
                )
                raise failure(
                    f"The model server at {self.base_url} answered {response.status_code}: {detail}"
                )
            return response
        raise GenerationUnavailable(
            f"The model server at {self.base_url} is unreachable after {self.retries + 1} "
            f"attempts ({last}). Check DOCENT_GENERATION__BASE_URL and that the server is running."
        )

    def _body(
        self, messages: list[dict[str, str]], params: GenerationParams, stream: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "stop": list(params.stop),
            "stream": stream,
            **self.extra_body,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def complete(self, messages: list[dict[str, str]], params: GenerationParams) -> Generation:
        """One non-streaming request."""
        response = self._open(self._body(messages, params, stream=False))
        try:
            data = json.loads(response.read())
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise GenerationUnavailable(f"The model server answered badly: {exc}") from exc
        finally:
            response.close()
        text = data["choices"][0]["message"].get("content") or ""
        usage = data.get("usage") or {}
        return Generation(
            text,
            usage.get("prompt_tokens") or _estimate(messages),
            usage.get("completion_tokens") or count_tokens(text),
        )

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        response = self._open(self._body(messages, params, stream=True))
        tokens_in = tokens_out = 0
        counted = 0
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                usage = event.get("usage") or {}
                tokens_in = usage.get("prompt_tokens", tokens_in)
                tokens_out = usage.get("completion_tokens", tokens_out)
                for choice in event.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content") or ""
                    if text:
                        counted += 1
                        yield Delta(text=text)
        except httpx.TimeoutException as exc:
            raise GenerationUnavailable(f"The model server at {self.base_url} timed out") from exc
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise GenerationUnavailable(f"The model server stream broke: {exc}") from exc
        finally:
            response.close()
        # some servers (llama_cpp.server) send no usage when streaming: estimate instead
        yield Delta(
            tokens_in=tokens_in or _estimate(messages), tokens_out=tokens_out or counted, done=True
        )

    def close(self) -> None:
        self._client.close()
