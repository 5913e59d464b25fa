from pathlib import Path

import pytest

from ingest.acl import AclResolver
from ingest.errors import FileRejected, IngestError

pytestmark = pytest.mark.unit


def test_no_permission_source_is_refused_naming_groups() -> None:
    with pytest.raises(IngestError, match="--groups"):
        AclResolver.from_options(None, None)


def test_acl_file_rules_first_match_then_default(tmp_path: Path) -> None:
    f = tmp_path / "acl.yaml"
    f.write_text("default: [everyone]\nrules:\n  - match: 'hr/**'\n    groups: [hr]\n")
    acl = AclResolver.from_options(None, f)
    assert acl.resolve("hr/leave.md", {}) == ("hr",)
    assert acl.resolve("eng/x.md", {}) == ("everyone",)
    assert acl.resolve("eng/x.md", {"groups": ["eng", "ops"]}) == ("eng", "ops")


def test_acl_without_default_denies_unmatched_files(tmp_path: Path) -> None:
    f = tmp_path / "acl.yaml"
    f.write_text("rules:\n  - match: 'hr/*'\n    groups: [hr]\n")
    acl = AclResolver.from_options(None, f)
    with pytest.raises(FileRejected, match="no ACL rule"):
        acl.resolve("other.md", {})


def test_broken_acl_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "acl.yaml"
    f.write_text("rules:\n  - match: 'x'\n")
    with pytest.raises(IngestError, match="rule 1 needs"):
        AclResolver.from_options("everyone", f)
