"""Generation with Hugging Face transformers, optionally through a LoRA adapter.

This is the backend for comparing a fine-tuned adapter with its base model
(``eval/finetune_lora.py`` writes the adapter): ``python -m eval run --config
generation.kind=transformers --config generation.adapter_path=DIR``. The model is a Hugging
Face folder or a GGUF file (transformers dequantises it). It runs in the API's process and
generates one answer at a time; production serves adapters with vLLM (``--enable-lora``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.generation.base import Delta, GenerationParams
from core.errors import ConfigError


def model_location(path: Path) -> dict[str, str]:
    """``from_pretrained`` arguments for a Hugging Face folder or a GGUF file."""
    if path.suffix == ".gguf":
        return {"pretrained_model_name_or_path": str(path.parent), "gguf_file": path.name}
    return {"pretrained_model_name_or_path": str(path)}


class TransformersGenerator:
    """One model on one device; a lock serialises generations (the model is not re-entrant
    under ``generate`` with a streamer)."""

    def __init__(
        self,
        model_path: Path,
        *,
        adapter_path: Path | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        idle_timeout_s: float = 30.0,
    ) -> None:
        self.model_path = model_path
        self.idle_timeout_s = idle_timeout_s
        self.adapter_path = adapter_path
        self.device = device
        self.dtype = dtype
        suffix = f"+{adapter_path.name}" if adapter_path else ""
        self.name = f"transformers:{model_path.stem}{suffix}"
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                self._load()

    def _load(self) -> None:
        for path, what in ((self.model_path, "model"), (self.adapter_path, "adapter")):
            if path is not None and not path.exists():
                raise ConfigError(
                    f"The {what} {path} is missing: set DOCENT_GENERATION__MODEL_PATH (a "
                    "Hugging Face folder or a GGUF file) and DOCENT_GENERATION__ADAPTER_PATH "
                    "(a folder eval/finetune_lora.py wrote)."
                )
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        where = model_location(self.model_path)
        tokenizer = AutoTokenizer.from_pretrained(**where)
        model: Any = AutoModelForCausalLM.from_pretrained(**where, dtype=getattr(torch, self.dtype))
        if self.adapter_path is not None:
            try:
                from peft import PeftModel
            except ImportError as exc:
                raise ConfigError("A LoRA adapter needs peft: pip install -e '.[dev]'") from exc
            model = PeftModel.from_pretrained(model, str(self.adapter_path))
        self._model, self._tokenizer = model.to(self.device).eval(), tokenizer

    def ready(self) -> bool:
        return self._model is not None or self.model_path.exists()

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        """Tokens as ``generate`` writes them, from a worker thread. The worker stops at a
        stop string, at ``max_tokens``, or as soon as this stream is closed (the client
        went away); no token for ``idle_timeout_s`` is a hang, raised to the caller (the
        guard answers with quotes), and so is the worker's own failure."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        self.warm_up()
        with self._lock:
            encoded = self._tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            ).to(self.device)
            streamer = TextIteratorStreamer(
                self._tokenizer,
                skip_prompt=True,
                skip_special_tokens=True,
                timeout=self.idle_timeout_s,
            )
            cancelled = threading.Event()

            class _Cancelled(StoppingCriteria):
                def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> bool:
                    return cancelled.is_set()

            sampling = (
                {"do_sample": True, "temperature": params.temperature}
                if params.temperature > 0
                else {"do_sample": False}
            )
            out: dict[str, Any] = {}

            def run() -> None:
                try:
                    with torch.no_grad():
                        out["ids"] = self._model.generate(
                            **encoded,
                            max_new_tokens=params.max_tokens,
                            streamer=streamer,
                            pad_token_id=self._tokenizer.eos_token_id,
                            stop_strings=[s for s in params.stop if s] or None,
                            tokenizer=self._tokenizer,  # stop_strings needs it
                            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
                            **sampling,
                        )
                except Exception as exc:  # raised to the caller after the stream ends
                    out["error"] = exc
                    streamer.end()  # the reader would otherwise wait for tokens forever

            worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
            worker.start()
            text = ""
            try:
                for piece in streamer:
                    if not piece:
                        continue
                    cut = _stop_at(text + piece, params.stop)
                    if cut is not None:
                        if cut > len(text):
                            yield Delta(text=(text + piece)[len(text) : cut])
                        break
                    text += piece
                    yield Delta(text=piece)
            finally:
                cancelled.set()
                worker.join()
            if "error" in out:
                raise out["error"]
            prompt_len = int(encoded["input_ids"].shape[-1])
            produced = int(out["ids"].shape[-1]) - prompt_len if "ids" in out else 0
        yield Delta(tokens_in=prompt_len, tokens_out=produced, done=True)


def _stop_at(text: str, stops: tuple[str, ...]) -> int | None:
    """Where the first stop sequence starts in ``text``, if one has appeared."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None
