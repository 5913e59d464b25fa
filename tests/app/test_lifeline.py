"""Child processes die with their parent: a parent killed with SIGKILL leaves no orphan."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.process import ROOT

pytestmark = pytest.mark.integration

# a parent that starts both kinds of children Docent has: spaCy NER workers and the
# embedded model's server, then reports their pids and waits to be killed
PARENT = """
import json, sys, time
from pathlib import Path
import psutil
from app.generation.embedded import EmbeddedGenerator
from app.generation.model_process import ModelProcess
from core.settings import Settings
from ingest.entities import EntityExtractor

extractor = EntityExtractor(model=Settings().spacy_model, batch_size=4, workers=2)
extractor.run(["Alice works at the General Services Administration."] * 16)
process = ModelProcess(Settings().generation.model_path, n_ctx=512, n_threads=1, log_path=Path(sys.argv[1]), start_timeout_s=120)
model = EmbeddedGenerator(process, timeout_s=30)
model.warm_up()
children = psutil.Process().children(recursive=True)
print(json.dumps({"pids": [c.pid for c in children], "model": model.process.pid}), flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_killing_the_parent_leaves_no_orphan(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "model.log")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line, f"the parent failed to start (exit {parent.poll()})"
        started = json.loads(line)
        pids = started["pids"]
        assert started["model"] in pids and len(pids) >= 3  # 2 NER workers + the model
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_gone(p) for p in pids):
            time.sleep(0.2)
        assert [p for p in pids if not _gone(p)] == []
    finally:
        parent.kill()
        for pid in started.get("pids", []) if "started" in locals() else []:
            if not _gone(pid):
                psutil.Process(pid).kill()
