"""The installed llama.cpp build runs on any x86-64 CPU with AVX2, and survives a long
prompt. Each check runs in a subprocess, so a crash is an exit status, not a dead runner."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.generation.native_check import non_portable

CHECK = [sys.executable, "-m", "app.generation.native_check"]


@pytest.mark.unit
def test_features_beyond_avx2_are_named_as_not_portable() -> None:
    native = {"AVX2": True, "FMA": True, "AVX512": True, "AVX512_VNNI": True, "AMX_INT8": False}
    assert non_portable(native) == ["AVX512", "AVX512_VNNI"]
    assert non_portable({"AVX": True, "AVX2": True, "F16C": True, "FMA": True}) == []


@pytest.mark.integration
def test_the_installed_build_is_portable() -> None:
    run = subprocess.run([*CHECK, "--no-generate"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    compiled = run.stdout.splitlines()[0]
    assert " AVX2" in compiled and "AVX512" not in compiled and "AMX" not in compiled


@pytest.mark.integration
def test_a_prompt_of_several_hundred_tokens_generates_without_crashing(model_path: Path) -> None:
    run = subprocess.run(
        [*CHECK, "--model", str(model_path), "--prompt-tokens", "700"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"exit status {run.returncode}: {run.stderr[-2000:]}"
    found = re.search(r"generated (\d+) tokens after a (\d+)-token prompt", run.stdout)
    assert found, run.stdout
    assert int(found.group(1)) > 0 and int(found.group(2)) >= 600
