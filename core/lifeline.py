"""Child processes that die with their parent, however the parent dies.

``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child exits, and Docent starts
children from worker threads (the ingest route, a restart after a crash), so it would kill
healthy children. Instead each child watches its parent id: when the parent dies, even by
SIGKILL, the child is re-parented and exits within ``interval_s``.
"""

from __future__ import annotations

import os
import threading
import time

PARENT_ENV = "DOCENT_PARENT_PID"  # set by a supervisor for children it starts as commands

_started = threading.Event()


def watch_parent(parent_pid: int | None = None, interval_s: float = 0.5) -> None:
    """Exit this process as soon as ``parent_pid`` (default: the current parent) is gone.
    Idempotent: one watcher thread per process."""
    if _started.is_set():
        return
    _started.set()
    parent = parent_pid if parent_pid is not None else os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent:
                os._exit(70)  # EX_SOFTWARE: nothing to clean up that the OS won't

    threading.Thread(target=watch, daemon=True, name="docent-lifeline").start()


def watch_parent_from_env() -> None:
    """Start the watcher when a supervisor asked for it through ``DOCENT_PARENT_PID``. The
    variable is removed, so this process's own children do not watch the wrong parent."""
    value = os.environ.pop(PARENT_ENV, "")
    if value.isdigit():
        watch_parent(int(value))


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment that makes a Docent child process watch this process."""
    return {**(env if env is not None else os.environ), PARENT_ENV: str(os.getpid())}
