"""Fine-tune a LoRA adapter on the data ``python -m eval export-finetune`` wrote.

    python -m eval.finetune_lora --data /tmp/ft --out /tmp/adapter --steps 20

On CPU it runs on the embedded SmolLM2-135M (its GGUF, dequantised by transformers): a
smoke run of a few steps that shows the loop, the loss and the saved adapter, not a better
model. On a GPU, point ``--model`` at a Hugging Face folder of a larger model and give it
more steps, for example:

    python -m eval.finetune_lora --data /data/ft --out /data/adapters/docent-ft \\
        --model /models/Qwen2.5-7B-Instruct --device cuda --dtype bfloat16 --steps 2000

and serve the adapter with vLLM (``--enable-lora --lora-modules docent-ft=/data/adapters/
docent-ft``), then compare it with the base model on the dev set:
``python -m eval run ... --config generation.model=docent-ft``.

Only the answer's tokens are learned from (the prompt's are masked). Writes the adapter and
``report.json``: steps, the training loss at the start and the end, and the validation loss
before and after.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import click

from app.generation.transformers_gen import model_location

_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


def _examples(path: Path) -> list[list[dict[str, str]]]:
    if not path.exists():
        return []
    return [json.loads(line)["messages"] for line in path.read_text().splitlines() if line]


def _encode(tokenizer: Any, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
    """Token ids of the whole conversation, and labels that learn the answer alone."""
    import torch

    prompt = tokenizer.apply_chat_template(
        messages[:-1], add_generation_prompt=True, tokenize=True, return_dict=True
    )["input_ids"]
    full = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
    cut = max(0, len(full) - max_tokens)  # a long prompt loses its start, never the answer
    whole = full[cut:]
    answer_from = min(len(whole), max(0, len(prompt) - cut))
    labels = [-100] * answer_from + whole[answer_from:]
    return {"input_ids": torch.tensor([whole]), "labels": torch.tensor([labels])}


def _loss(model: Any, batches: list[dict[str, Any]]) -> float | None:
    import torch

    if not batches:
        return None
    model.eval()
    with torch.no_grad():
        total = sum(float(model(**b).loss) for b in batches)
    model.train()
    return round(total / len(batches), 4)


def train(
    data: Path,
    out: Path,
    *,
    model_path: Path,
    steps: int,
    lr: float = 2e-4,
    rank: int = 8,
    device: str = "cpu",
    dtype: str = "float32",
    max_tokens: int = 1024,
    seed: int = 0,
) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    train_set, val_set = _examples(data / "train.jsonl"), _examples(data / "val.jsonl")
    if not train_set:
        raise click.UsageError(f"{data / 'train.jsonl'} holds no examples: run export-finetune")
    started = time.perf_counter()
    where = model_location(model_path)
    tokenizer = AutoTokenizer.from_pretrained(**where)
    base = AutoModelForCausalLM.from_pretrained(**where, dtype=getattr(torch, dtype))
    model = get_peft_model(
        base,
        LoraConfig(
            r=rank,
            lora_alpha=2 * rank,
            target_modules=_TARGETS,
            lora_dropout=0.0,
            task_type="CAUSAL_LM",
        ),
    ).to(device)
    loaded_s = time.perf_counter() - started
    encode = [_encode(tokenizer, m, max_tokens) for m in train_set]
    val = [{k: v.to(device) for k, v in _encode(tokenizer, m, max_tokens).items()} for m in val_set]
    val_before = _loss(model, val)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    order = random.Random(seed)
    losses: list[float] = []
    model.train()
    for _ in range(steps):
        batch = {k: v.to(device) for k, v in order.choice(encode).items()}
        loss = model(**batch).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
        losses.append(round(float(loss.detach()), 4))
    val_after = _loss(model, val)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    report = {
        "model": str(model_path),
        "device": device,
        "examples": {"train": len(train_set), "val": len(val_set)},
        "steps": steps,
        "lr": lr,
        "rank": rank,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": losses[-1] if losses else None,
        "train_losses": losses,
        "val_loss_before": val_before,
        "val_loss_after": val_after,
        "load_seconds": round(loaded_s, 1),
        "train_seconds": round(time.perf_counter() - started - loaded_s, 1),
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


@click.command(help=__doc__)
@click.option("--data", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, exists=True),
    default=Path("models/smollm2-135m-instruct.gguf"),
    show_default=True,
)
@click.option("--steps", type=click.IntRange(1), default=20, show_default=True)
@click.option("--lr", type=float, default=2e-4, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--dtype", default="float32", show_default=True)
def main(
    data: Path, out: Path, model_path: Path, steps: int, lr: float, device: str, dtype: str
) -> None:
    report = train(data, out, model_path=model_path, steps=steps, lr=lr, device=device, dtype=dtype)
    click.echo(json.dumps({k: v for k, v in report.items() if k != "train_losses"}, indent=2))


if __name__ == "__main__":
    main()
