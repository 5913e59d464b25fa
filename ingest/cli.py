"""The ``ingest`` command line.

Exit codes: 0 everything loaded; 2 some files failed (the rest loaded);
1 usage or configuration error (nothing was changed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from core.cli import Commands, fail
from core.offline import enforce_offline
from core.settings import Settings

EXIT_OK, EXIT_PARTIAL = 0, 2

LOAD_HELP = """Load documents from one or more folders (or files) into the index.

Paths are stored relative to each root; unchanged files are skipped by content hash.

\b
Examples:
  ingest load ../shared/corpus --groups everyone
  ingest load ./handbook --groups hr,managers --json
  ingest load ./handbook --acl deploy/demo-acl.yaml --prune
  ingest load ./policies ./faq --groups everyone --prune
  ingest load ./handbook --groups everyone --via-api http://127.0.0.1:8000
  DOCENT_DATA_DIR=/srv/docent ingest load /mnt/share/handbook --groups staff
"""


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        fail(f"invalid settings: {exc}")
        raise  # unreachable, for mypy


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Docent ingestion: load, inspect and remove documents in the index."""
    enforce_offline()


@main.command("load", help=LOAD_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--groups", help="Comma-separated groups allowed to read these documents.")
@click.option(
    "--acl",
    "acl_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file mapping path globs to groups.",
)
@click.option("--prune", is_flag=True, help="Delete documents that vanished from these roots.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option(
    "--via-api",
    envvar="DOCENT_API_URL",
    help="Hand the load to a running Docent service (needs DOCENT_API_KEY of an admin).",
)
def load_cmd(
    paths: tuple[Path, ...],
    groups: str | None,
    acl_file: Path | None,
    prune: bool,
    as_json: bool,
    via_api: str | None,
) -> None:
    from ingest.acl import AclResolver

    acl = AclResolver.from_options(groups, acl_file)
    if via_api:
        _print_summary(_load_via_api(via_api, paths, groups, acl_file, prune), as_json)
        return
    settings = _settings()
    acl = AclResolver.from_options(
        groups, acl_file, front_matter_widens=settings.ingest.front_matter_may_widen
    )
    service = _service(settings)
    try:
        report = service.load(list(paths), acl, prune=prune, progress=_progress(as_json))
    finally:
        service.close()
        service.store.close()
    _print_summary(report.as_dict(), as_json)


def _service(settings: Settings) -> Any:
    from indexes.factory import open_catalogue, open_store
    from ingest.service import IngestService

    store = open_store(settings)
    store.active()  # opens (and locks) the embedded shard now, before any model loads
    return IngestService(settings, store, open_catalogue(settings))


def _progress(as_json: bool) -> Any:
    if as_json or not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[bold]loading", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    )
    task = bar.add_task("load", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if done == total:
            bar.stop()

    return update


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    failed = summary.get("failed") or []
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"added {summary['added']}, updated {summary['updated']}, "
            f"unchanged {summary['unchanged']}, deleted {summary['deleted']}, "
            f"failed {len(failed)}; {summary['chunks']} chunks in {summary['seconds']:.1f}s"
        )
        for f in failed:
            click.echo(f"  failed: {f['path']}: {f['reason']}", err=True)
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)


def _load_via_api(
    url: str, paths: tuple[Path, ...], groups: str | None, acl_file: Path | None, prune: bool
) -> dict[str, Any]:
    import httpx

    key = os.environ.get("DOCENT_API_KEY")
    if not key:
        fail("--via-api needs DOCENT_API_KEY set to an admin user's key")
    body = {
        "paths": [str(p.resolve()) for p in paths],
        "groups": groups,
        "acl": acl_file.read_text(encoding="utf-8") if acl_file else None,
        "prune": prune,
    }
    try:
        resp = httpx.post(
            f"{url.rstrip('/')}/v1/admin/ingest",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=3600,
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach the Docent service at {url}: {exc}")
    if resp.status_code != 200:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = resp.text[:300]
        fail(f"the service refused the load ({resp.status_code}): {message}")
    return dict(resp.json())


@main.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_cmd(as_json: bool) -> None:
    """Show the live collection, its documents and any incomplete loads.

    \b
    Examples:
      ingest status
      ingest status --json | jq .documents
    """
    from indexes.factory import open_store

    settings = _settings()
    store = open_store(settings)
    try:
        index = store.active()
        docs = index.documents()
        info = {
            "collection": index.name,
            "versions": store.versions(),
            "documents": len(docs),
            "chunks": index.count(),
            "incomplete": sorted(d.path for d in docs.values() if not d.complete),
            "backend": "server" if settings.qdrant_url else "embedded",
        }
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(info))
    else:
        for key, value in info.items():
            click.echo(f"{key}: {value}")


@main.command("delete")
@click.argument("doc_ids", nargs=-1, required=True)
def delete_cmd(doc_ids: tuple[str, ...]) -> None:
    """Delete documents by id (see `ingest status --json` or a citation's doc_id).

    \b
    Examples:
      ingest delete 3f2a9c0d1e5b7a8c9d0e
      ingest delete 3f2a9c0d1e5b7a8c9d0e 0b1c2d3e4f5a6b7c8d9e
    """
    service = _service(_settings())
    try:
        count = service.delete(list(doc_ids))
    finally:
        service.store.close()
    click.echo(f"deleted {count} document(s)")


@main.command("reindex")
def reindex_cmd() -> None:
    """Rebuild the index as a new version with fresh vectors, then switch the alias.

    Queries keep using the old version until the new one is complete. Use it after
    changing the embedding model (DOCENT_EMBEDDING__MODEL_PATH).

    \b
    Examples:
      ingest reindex
      DOCENT_EMBEDDING__MODEL_PATH=/models/new-minilm ingest reindex
    """
    service = _service(_settings())
    try:
        name, points = service.reindex()
    finally:
        service.store.close()
    click.echo(f"switched to {name} ({points} chunks)")


@main.command("snapshot")
@click.argument("out", type=click.Path(path_type=Path))
def snapshot_cmd(out: Path) -> None:
    """Back up the index, the entity catalogue and the database into a new folder OUT.

    Holds the index lock while it copies, so run it when no load is running; the API may
    stay up only if it does not hold the embedded index (stop it first otherwise).

    \b
    Examples:
      ingest snapshot backups/2026-12-01
    """
    from indexes.factory import open_store
    from ingest.backup import snapshot

    settings = _settings()
    store = open_store(settings)
    try:
        manifest = snapshot(settings, store, out)
    finally:
        store.close()
    click.echo(json.dumps({"snapshot": str(out), **manifest["index"]}))


@main.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an index the data dir already holds.")
def restore_cmd(folder: Path, force: bool) -> None:
    """Restore a snapshot made by `ingest snapshot`, then check it against its manifest.

    Stop the service first. Exit 0: restored and verified; 1: refused or damaged, with the
    reason (the data dir is left as it was when the snapshot itself is damaged).

    \b
    Examples:
      ingest restore backups/2026-12-01 --force
    """
    from ingest.backup import restore

    found = restore(_settings(), folder, force=force)
    click.echo(json.dumps({"restored": str(folder), **found}))


if __name__ == "__main__":
    main()
