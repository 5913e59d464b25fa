"""`python -m app.serve`: run the API and the UI together (what `make run` starts)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from app.process import ROOT, api_command, ui_command, wait_until_up
from core.lifeline import child_env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--ui-port", type=int, default=8501)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    api_url = f"http://{args.host}:{args.api_port}"
    # the API and the UI exit by themselves if this process dies (even by SIGKILL)
    env = child_env({**os.environ, "DOCENT_API_URL": api_url})
    api = subprocess.Popen(api_command(args.host, args.api_port), cwd=ROOT, env=env)
    if not wait_until_up(f"{api_url}/healthz", timeout_s=120, proc=api):
        print("The API did not start; see the log above.", file=sys.stderr)
        api.terminate()
        return 1
    ui = subprocess.Popen(ui_command(args.host, args.ui_port), cwd=ROOT, env=env)
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
