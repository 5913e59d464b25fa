"""The embedded model (SmolLM2 GGUF by default), served by its own supervised process.

A crash in llama.cpp's native code ends that process, not the API: ``ModelProcess``
restarts it and, meanwhile, answers fall back to quotes. The API reaches it with the same
OpenAI-protocol client it uses for vLLM, so development and production share one path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from app.generation.base import Delta, GenerationParams
from app.generation.model_process import ALIAS, ModelProcess
from app.generation.openai_compat import OpenAIGenerator


class EmbeddedGenerator:
    """A ``Generator`` over a local ``model_server`` process that it starts and stops."""

    def __init__(self, process: ModelProcess, timeout_s: float) -> None:
        self.name = f"llama.cpp:{process.model_path.stem}"
        self.process = process
        # one quick retry covers a request sent while the process restarts; llama.cpp's
        # server defaults to repeat_penalty 1.1, the library (and the tuned eval) to 1.0
        self._client = OpenAIGenerator(
            self.process.base_url,
            ALIAS,
            api_key=None,
            timeout_s=timeout_s,
            retries=1,
            transport=self.process.transport(),
            extra_body={"repeat_penalty": 1.0},
        )
        self._started = threading.Lock()

    def warm_up(self) -> None:
        """Start the model process (once) and wait until it answers."""
        with self._started:
            self.process.start()

    def ready(self) -> bool:
        return self.process.alive() and self._client.ready()

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        self.warm_up()
        yield from self._client.stream(messages, params)

    def close(self) -> None:
        self.process.stop()
        self._client.close()
