"""A LoRA smoke run on the embedded SmolLM2-135M (its GGUF, dequantised by transformers), on
CPU: a few steps on a small chat-format set, the adapter saved, the loss reported."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.finetune_lora import train

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODEL = Path(__file__).resolve().parents[2] / "models" / "smollm2-135m-instruct.gguf"


def _example(question: str, source: str, answer: str) -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": "Answer from the sources and cite them with [n]."},
            {"role": "user", "content": f'<source n="1">{source}</source>\nQuestion: {question}'},
            {"role": "assistant", "content": answer},
        ]
    }


def test_a_few_steps_lower_the_loss_and_save_an_adapter(tmp_path: Path) -> None:
    data = tmp_path / "ft"
    data.mkdir()
    badge = _example(
        "When are badges made?",
        "The badge office makes new badges every Wednesday.",
        "New badges are made every Wednesday [1].",
    )
    leave = _example(
        "How long is parental leave?",
        "Employees get 16 weeks of paid parental leave.",
        "Parental leave is 16 weeks, paid [1].",
    )
    (data / "train.jsonl").write_text(json.dumps(badge) + "\n")
    (data / "val.jsonl").write_text(json.dumps(leave) + "\n")
    report = train(data, tmp_path / "adapter", model_path=MODEL, steps=6, lr=2e-3)
    print({k: v for k, v in report.items() if k != "train_losses"})
    assert (tmp_path / "adapter" / "adapter_config.json").exists()
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    losses = report["train_losses"]
    assert len(losses) == 6 and all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0]  # one example, repeated: it is learned
    assert 0 < report["trainable_parameters"] < 0.01 * 134_515_008
    assert report["val_loss_before"] is not None and report["val_loss_after"] is not None

    # the adapter generates through the transformers backend, as `eval run --config
    # generation.kind=transformers --config generation.adapter_path=DIR` uses it
    from app.generation.base import GenerationParams, collect
    from app.generation.transformers_gen import TransformersGenerator

    adapted = TransformersGenerator(MODEL, adapter_path=tmp_path / "adapter")
    assert adapted.name == "transformers:smollm2-135m-instruct+adapter" and adapted.ready()
    messages = badge["messages"][:-1]  # type: ignore[index]
    out = collect(adapted, messages, GenerationParams(max_tokens=24))
    print("adapted:", out.text)
    assert out.text.strip() and 0 < out.tokens_out <= 24 and out.tokens_in > 20
    assert "Wednesday" in out.text  # the one example it was trained on, learned
