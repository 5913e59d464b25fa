"""Schemathesis over the app's OpenAPI schema: no server errors, no undocumented statuses."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    from app.generation.extractive import ExtractiveOnlyGenerator
    from core.settings import Settings
    from tests.service_fixtures import start, stop

    data = tmp_path_factory.mktemp("fuzz") / "var"
    settings = Settings(
        data_dir=data, users_file=data / "users.yaml", rate_limit_per_minute=100_000
    )
    svc, running = start(settings, embedder=embedder, generator=ExtractiveOnlyGenerator())
    yield svc
    stop(running)


def test_no_server_errors_and_only_documented_statuses(fuzz_target: Any) -> None:
    from hypothesis import given

    schema = schemathesis.openapi.from_url(f"{fuzz_target.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_target.keys['alice']}"}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 12
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call_and_validate(
                headers=headers, checks=[not_a_server_error, status_code_conformance]
            )
            calls.append(response.status_code)

        check()
    assert len(calls) >= 100 and 200 in calls and 422 in calls
