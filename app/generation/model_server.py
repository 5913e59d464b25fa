"""`python -m app.generation.model_server`: the embedded model as its own local process.

llama.cpp's OpenAI-compatible server (from llama-cpp-python) on a Unix socket in a private
folder, so that a crash in native code takes down this process only, never the API, and no
other local user can listen in its place (prompts hold the user's permitted documents).
``ModelProcess`` starts and restarts it; it exits by itself when its parent dies.
"""

from __future__ import annotations

import argparse

from core.lifeline import watch_parent_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="path of the GGUF file")
    parser.add_argument("--alias", required=True, help="the model name clients ask for")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--n-threads", type=int, default=2)
    args = parser.parse_args(argv)
    watch_parent_from_env()

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    app = create_app(
        # a second request waits for the first instead of cutting it off
        server_settings=ServerSettings(interrupt_requests=False),
        model_settings=[
            ModelSettings(
                model=args.model,
                model_alias=args.alias,
                n_ctx=args.n_ctx,
                n_threads=args.n_threads,
                n_threads_batch=args.n_threads,
                logits_all=False,  # the server's default computes logits for every prompt token
                verbose=False,
            )
        ],
    )
    uvicorn.run(app, uds=args.socket, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
