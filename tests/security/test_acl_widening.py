"""Permissions cannot be widened at load time (finding 6 of the hardening review): front
matter only narrows, ACL rules hold however a file is loaded, and a file moved into a
restricted folder leaves no open copy behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from indexes.factory import open_catalogue, open_store
from indexes.store import IndexStore
from ingest.acl import AclResolver
from ingest.errors import FileRejected
from ingest.service import IngestService

ACL = """default: [everyone]
rules:
  - match: "departments/legal/**"
    groups: [legal]
  - match: "hr/**"
    groups: [hr, legal]
"""


@pytest.fixture
def acl(tmp_path: Path) -> AclResolver:
    f = tmp_path / "acl.yaml"
    f.write_text(ACL)
    return AclResolver.from_options(None, f)


@pytest.mark.unit
def test_front_matter_narrows_but_cannot_widen(acl: AclResolver) -> None:
    assert acl.resolve("hr/pay.md", {"groups": ["hr"]}) == ("hr",)
    assert acl.resolve("open.md", {"groups": ["hr"]}) == ("hr",)  # everyone -> hr: narrower
    with pytest.raises(FileRejected, match="may only narrow"):
        acl.resolve("departments/legal/case.md", {"groups": ["everyone"]})
    with pytest.raises(FileRejected, match="may only narrow"):
        acl.resolve("hr/pay.md", {"access": "hr, finance"})
    widening = AclResolver.from_yaml(None, ACL, front_matter_widens=True)
    assert widening.resolve("hr/pay.md", {"groups": ["everyone"]}) == ("everyone",)


@pytest.mark.unit
def test_the_first_matching_rule_wins_even_before_a_catch_all(tmp_path: Path) -> None:
    rules = AclResolver.from_yaml(
        None,
        "rules:\n  - match: 'legal/**'\n    groups: [legal]\n"
        "  - match: '**'\n    groups: [everyone]\n",
    )
    file = tmp_path / "corpus" / "legal" / "secret.md"
    assert rules.resolve("legal/secret.md", {}, file) == ("legal",)
    assert rules.resolve("secret.md", {}, file) == ("legal",)  # loaded on its own


@pytest.mark.unit
def test_a_link_resolves_by_where_its_file_really_is(tmp_path: Path) -> None:
    import os

    rules = AclResolver.from_yaml(
        None,
        "rules:\n  - match: 'departments/legal/**'\n    groups: [legal]\n"
        "  - match: 'public/**'\n    groups: [everyone]\n",
    )
    secret = tmp_path / "departments" / "legal" / "secret.md"
    secret.parent.mkdir(parents=True)
    secret.write_text("x")
    link = tmp_path / "public" / "a" / "b" / "c" / "d" / "e" / "x.md"
    link.parent.mkdir(parents=True)
    os.symlink(secret, link)
    assert rules.resolve("public/a/b/c/d/e/x.md", {}, link) == ("legal",)


@pytest.mark.unit
def test_front_matter_that_sets_groups_but_cannot_be_read_is_refused(acl: AclResolver) -> None:
    from ingest.readers.markdown import MarkdownReader

    aliased = b"---\nx: &a [board]\ngroups: *a\n---\n# Minutes\n\nText.\n"
    with pytest.raises(FileRejected, match="cannot be read"):
        MarkdownReader().read(aliased, "minutes.md")
    broken = b"---\ngroups: [board\n---\n# Minutes\n\nText.\n"
    with pytest.raises(FileRejected, match="cannot be read"):
        MarkdownReader().read(broken, "minutes.md")


@pytest.mark.unit
def test_rules_hold_when_a_file_or_folder_is_loaded_on_its_own(
    acl: AclResolver, tmp_path: Path
) -> None:
    file = tmp_path / "docs" / "departments" / "legal" / "case.md"
    # loaded alone, its path relative to the load root is only "case.md"
    assert acl.resolve("case.md", {}, file) == ("legal",)
    assert acl.resolve("legal/case.md", {}, file) == ("legal",)
    assert acl.resolve("case.md", {}, tmp_path / "docs" / "open" / "case.md") == ("everyone",)


@pytest.fixture
def service(tmp_path: Path, embedder: Any, extractor: Any) -> Iterator[IngestService]:
    settings = Settings(data_dir=tmp_path / "var")
    store: IndexStore = open_store(settings)
    catalogue = open_catalogue(settings)
    yield IngestService(settings, store, catalogue, embedder, extractor)
    catalogue.close()
    store.close()


def _groups_by_path(service: IngestService) -> dict[str, tuple[str, ...]]:
    return {d.path: d.groups for d in service.store.active().documents().values()}


@pytest.mark.integration
def test_a_file_moved_into_a_restricted_folder_leaves_no_open_copy(
    service: IngestService, acl: AclResolver, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    (root / "open").mkdir(parents=True)
    (root / "departments" / "legal").mkdir(parents=True)
    (root / "open" / "settlement.md").write_text("# Settlement\n\nThe settlement is $2M.\n")
    service.load([root], acl)
    assert _groups_by_path(service) == {"open/settlement.md": ("everyone",)}
    (root / "open" / "settlement.md").rename(root / "departments" / "legal" / "settlement.md")
    report = service.load([root], acl)  # no --prune
    assert report.added == 1 and report.deleted == 1
    assert _groups_by_path(service) == {"departments/legal/settlement.md": ("legal",)}


@pytest.mark.integration
def test_a_file_whose_groups_can_no_longer_be_decided_leaves_the_index(
    service: IngestService, acl: AclResolver, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    (root / "departments" / "legal").mkdir(parents=True)
    case = root / "departments" / "legal" / "case.md"
    case.write_text("---\ngroups: [legal]\n---\n# Case\n\nThe case number is 77.\n")
    service.load([root], acl)
    assert _groups_by_path(service) == {"departments/legal/case.md": ("legal",)}
    case.write_text("---\ngroups: [everyone]\n---\n# Case\n\nThe case number is 77.\n")
    report = service.load([root], acl)
    assert [f.path for f in report.failed] == ["departments/legal/case.md"]
    assert report.deleted == 1 and _groups_by_path(service) == {}  # fail closed


@pytest.mark.integration
def test_a_restricted_folder_loaded_on_its_own_stays_restricted(
    service: IngestService, acl: AclResolver, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "departments" / "legal"
    folder.mkdir(parents=True)
    (folder / "case.md").write_text("# Case\n\nThe case number is 77.\n")
    service.load([folder], acl)
    service.load([folder / "case.md"], acl)
    assert set(_groups_by_path(service).values()) == {("legal",)}
