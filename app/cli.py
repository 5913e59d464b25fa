"""The ``docent`` command.

    docent config show [--json]                    the effective configuration (core/config.py)
    docent batch questions.jsonl --out answers.jsonl --api URL --key KEY
    docent batch questions.jsonl --out answers.jsonl --groups everyone   (in-process)

``batch`` sends the file to a running service's ``/v1/batches`` and waits, with a progress
bar, or (without ``--api``) answers it in this process from the index under
DOCENT_DATA_DIR, as a user of ``--groups``. Each output line holds the ``custom_id``, the
question and either ``response`` (the answer, citations, abstention, trace id) or ``error``.
Exit codes: 0 every question answered; 3 some failed (each with its reason in the file);
1 a configuration or service error (nothing written); 2 a usage error.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import httpx

from core.cli import Commands, fail

EXIT_SOME_FAILED = 3


@click.group(cls=Commands, help=__doc__, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    pass


@main.command("config", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def config_cmd(args: tuple[str, ...]) -> None:
    """`docent config show [--json]`: every setting, its value and its source."""
    from core.config import main as config_main

    sys.exit(config_main(["config", *args]))


def _via_api(path: Path, api: str, key: str, poll_s: float) -> tuple[list[dict[str, Any]], int]:
    """The output rows, and how many questions the service took from the file."""
    with httpx.Client(
        base_url=api.rstrip("/"), headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as c:
        made = c.post("/v1/batches", content=path.read_bytes())
        if made.status_code != 200:
            fail(_message(made))
        job = made.json()
        with click.progressbar(length=job["request_counts"]["total"], label="answering") as bar:
            shown = 0
            while job["status"] == "in_progress":
                time.sleep(poll_s)
                got = c.get(f"/v1/batches/{job['id']}")
                if got.status_code != 200:
                    fail(_message(got))
                job = got.json()
                done = job["request_counts"]["completed"] + job["request_counts"]["failed"]
                bar.update(done - shown)
                shown = done
        out = c.get(f"/v1/batches/{job['id']}/output")
        if out.status_code != 200:
            fail(_message(out))
        rows = [json.loads(line) for line in out.text.splitlines() if line.strip()]
        return rows, job["request_counts"]["total"]


def _message(response: httpx.Response) -> str:
    try:
        return f"{response.status_code}: {response.json()['error']['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code}: {response.text[:200]}"


def _in_process(path: Path, groups: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:
    """The output rows, and how many questions the file holds."""
    from app.api.answering import result_json
    from app.pipeline.factory import build_pipeline
    from app.pipeline.types import User
    from app.storage.batches import parse_questions
    from core.errors import DocentError
    from core.settings import get_settings
    from indexes.factory import open_catalogue, open_store

    settings = get_settings()
    questions = parse_questions(path.read_text(), settings.answer.max_question_chars)
    store, catalogue = open_store(settings), open_catalogue(settings)
    parts = build_pipeline(settings, store, catalogue)
    user = User("batch", tuple(sorted(set(groups))), "docent batch")
    rows: list[dict[str, Any]] = []
    try:
        with click.progressbar(questions, label="answering") as bar:
            for n, q in enumerate(bar, 1):
                row: dict[str, Any] = {"custom_id": q.custom_id, "line": n, "question": q.question}
                try:
                    result = parts.pipeline.run(q.question, user)
                    row["response"] = result_json(result, None, settings.answer.allowed_link_hosts)
                except DocentError as exc:
                    row["error"] = exc.message
                rows.append(row)
    finally:
        parts.close()
        catalogue.close()
        store.close()
    return rows, len(questions)


@main.command("batch")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--api", envvar="DOCENT_API_URL", help="a running service (else in-process)")
@click.option("--key", envvar="DOCENT_API_KEY", help="your key or personal key (with --api)")
@click.option("--groups", help="comma-separated groups to answer as (in-process only)")
@click.option("--poll", "poll_s", default=1.0, show_default=True, help="seconds between polls")
def batch_cmd(
    questions: Path,
    out: Path,
    api: str | None,
    key: str | None,
    groups: str | None,
    poll_s: float,
) -> None:
    """Answer a JSONL file of questions; write the answers as JSONL."""
    if api:
        if not key:
            raise click.UsageError("--api needs --key (or DOCENT_API_KEY)")
        rows, asked = _via_api(questions, api, key, poll_s)
    else:
        if not groups:
            raise click.UsageError("in-process, --groups says whose documents may answer")
        rows, asked = _in_process(
            questions, tuple(g.strip() for g in groups.split(",") if g.strip())
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    failed = sum("error" in r for r in rows)
    missing = asked - len(rows)  # a cancelled job leaves questions without a row
    click.echo(
        f"{len(rows) - failed} answered, {failed} failed, {missing} not answered: {out}", err=True
    )
    sys.exit(EXIT_SOME_FAILED if failed or missing else 0)


if __name__ == "__main__":
    main()
