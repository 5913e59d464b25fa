"""`python -m app.serve`: run the API and the UI together (what `make run` starts)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--ui-port", type=int, default=8501)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    api_url = f"http://{args.host}:{args.api_port}"
    env = {**os.environ, "DOCENT_API_URL": api_url}
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            args.host,
            "--port",
            str(args.api_port),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if httpx.get(f"{api_url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    if api.poll() is not None:
        print("The API did not start; see the log above.", file=sys.stderr)
        return 1
    ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "ui" / "app.py"),
            "--server.port",
            str(args.ui_port),
            "--server.address",
            args.host,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
    )
    print(
        f"\n  Docent API: {api_url}/docs\n  Docent UI:  http://{args.host}:{args.ui_port}\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for proc in (ui, api):
            proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while api.poll() is None and ui.poll() is None:
            time.sleep(0.5)
    finally:
        stop()
        for proc in (ui, api):
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
