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
