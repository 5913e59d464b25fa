"""Any OpenAI-compatible server (vLLM in production) over HTTP, with timeouts and retries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from app.generation.base import Delta, GenerationParams
from app.pipeline.errors import GenerationUnavailable


class OpenAIGenerator:
    """Streams ``/v1/chat/completions``; connection failures retry, then fail clearly."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self.name = f"openai:{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
        )

    def ready(self) -> bool:
        try:
            return self._client.get("/v1/models", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

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
                raise GenerationUnavailable(
                    f"The model server at {self.base_url} answered {response.status_code}: {detail}"
                )
            return response
        raise GenerationUnavailable(
            f"The model server at {self.base_url} is unreachable after {self.retries + 1} "
            f"attempts ({last}). Check DOCENT_LLM_BASE_URL and that the server is running."
        )

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "stop": list(params.stop),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        response = self._open(body)
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
        yield Delta(tokens_in=tokens_in, tokens_out=tokens_out or counted, done=True)

    def close(self) -> None:
        self._client.close()
