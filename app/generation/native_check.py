"""`python -m app.generation.native_check`: is this llama.cpp build safe on this CPU?

Prints the features llama.cpp was compiled with and those the CPU has, then generates from
a prompt of several hundred tokens (the batched prefill that crashed a -march=native build
on another CPU). Run it in a subprocess: a crash shows as its exit status, not as a dead
test runner. Exit codes: 0 fine, 1 the model file is missing, 3 the build uses an
instruction set outside the portable baseline (AVX2 + FMA + F16C).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

# compiled features that would tie the build to the CPU that built it
NOT_PORTABLE = ("AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_INT8", "AVX_VNNI")
CPU_FLAGS_SHOWN = ("avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_bf16", "amx_tile")


def compiled_features() -> dict[str, bool]:
    """llama.cpp's own report of its compiled CPU features (``AVX2 = 1``)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return {name: value == "1" for name, value in re.findall(r"([A-Z0-9_]+) = (\d)", info)}


def non_portable(features: dict[str, bool]) -> list[str]:
    """The compiled features outside the portable baseline."""
    return [name for name in NOT_PORTABLE if features.get(name)]


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:(.*)$", text, re.M)
    return set(match.group(1).split()) if match else set()


def long_prompt(tokens: int) -> str:
    sentence = "Employees may work remotely two days a week with their manager's approval. "
    return (sentence * (tokens // 14 + 1)) + "\nQuestion: how many remote days are allowed?"


def main(argv: list[str] | None = None) -> int:
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Settings().generation.model_path)
    parser.add_argument("--prompt-tokens", type=int, default=600)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--no-generate", action="store_true", help="only print the features")
    args = parser.parse_args(argv)

    features = compiled_features()
    on = sorted(name for name, enabled in features.items() if enabled)
    flags = cpu_flags()
    print(f"llama.cpp compiled with: {' '.join(on) or '(none reported)'}")
    print(f"CPU has: {' '.join(f for f in CPU_FLAGS_SHOWN if f in flags) or '(unknown)'}")
    extra = non_portable(features)
    if extra:
        print(
            f"native_check: llama.cpp was built with {', '.join(extra)}: it will crash on CPUs "
            "without them. Rebuild with deploy/build-llama.sh (`rm -rf .venv build/wheels`, "
            "then `make setup`).",
            file=sys.stderr,
        )
        return 3
    if args.no_generate:
        return 0
    if not args.model.exists():
        print(f"native_check: {args.model} is missing: run `make setup`", file=sys.stderr)
        return 1

    from llama_cpp import Llama

    llm = Llama(model_path=str(args.model), n_ctx=4096, n_threads=2, verbose=False)
    prompt = long_prompt(args.prompt_tokens)
    n_prompt = len(llm.tokenize(prompt.encode()))
    started = time.perf_counter()
    out = llm.create_completion(prompt, max_tokens=args.max_tokens, temperature=0.0)
    seconds = time.perf_counter() - started
    assert isinstance(out, dict)  # not streamed
    n_out = out["usage"]["completion_tokens"]
    print(f"generated {n_out} tokens after a {n_prompt}-token prompt in {seconds:.2f} s: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
