"""deploy/prometheus and deploy/grafana: the rules, their unit tests and the config pass
promtool; every metric the alerts and the dashboard name is one the API exports; and a real
Prometheus scrapes a real API service with the bearer token."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.generation.extractive import ExtractiveOnlyGenerator
from core.settings import Settings
from indexes.factory import open_catalogue
from tests.service_fixtures import Service, free_port, start, stop

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "docent.json"
TOKEN = "scrape-token-for-tests"
# a Docent metric in a PromQL expression (label values and alert names never start so)
METRIC = re.compile(r"\bdocent_[a-z0-9_]+\b")


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install prometheus)")
    return found


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> None:
    run = subprocess.run(
        [binary("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )
    assert run.returncode == 0, run.stdout + run.stderr


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def scrape_config(target: str, token_file: Path, rules: Path) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml pointed at ``target``, every second."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules)]
    (job,) = config["scrape_configs"]
    job["authorization"]["credentials_file"] = str(token_file)
    job["static_configs"] = [{"targets": [target]}]
    # the same target without the token: refused, so `up` there must be 0
    config["scrape_configs"].append(
        {"job_name": "no-token", "static_configs": [{"targets": [target]}]}
    )
    return config


@pytest.mark.unit
def test_the_alert_rules_pass_promtool() -> None:
    promtool("check", "rules", "alerts.yml")


@pytest.mark.unit
def test_each_alert_fires_in_its_unit_test_and_healthy_traffic_fires_none() -> None:
    promtool("test", "rules", "alerts_test.yml")
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS_DIR / "alerts_test.yml").read_text()))
    assert {rule["alert"] for rule in alert_rules()} <= tested


@pytest.mark.unit
def test_the_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    # the token file exists only in the container (compose writes it): point at a stand-in
    token = tmp_path / "metrics_token"
    token.write_text(TOKEN)
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "docent"  # the alerts select up{job="docent"}
    assert job["authorization"]["credentials_file"] == "/run/docent/metrics_token"
    job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", tmp_path)
    promtool("check", "config", "prometheus.yml", cwd=tmp_path)


@pytest.mark.unit
def test_the_dashboard_reads_the_provisioned_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    (uid,) = [d["uid"] for d in datasources if d["type"] == "prometheus"]
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
    # the provider reads the folder compose mounts the dashboards into
    provider = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "docent.yml").read_text()
    )["providers"][0]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts


@pytest.fixture(scope="module")
def metrics_service(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Service]:
    """A real service on 127.0.0.1 with a scrape token, on an empty index."""
    data = tmp_path_factory.mktemp("metrics") / "var"
    # a scheduled golden-set run's output, as `python -m eval run` wrote it on 2026-12-01
    run = data.parent / "eval-runs" / "2026-12-01T0300"
    run.mkdir(parents=True)
    shutil.copy(
        ROOT / "eval/results/2026-12-01/issue18/after/docent-x.metrics.json", run / "metrics.json"
    )
    settings = Settings(
        eval_results_dir=data.parent / "eval-runs",
        data_dir=data,
        users_file=data / "users.yaml",
        metrics_token=TOKEN,
        rate_limit_per_minute=2,  # a question, its rating, then a refusal: a rejection series
    )
    # a load's counts in the shared catalogue, as `ingest load` records them (corpus drift)
    data.mkdir(parents=True)
    catalogue = open_catalogue(settings)
    catalogue.record_load({"added": 1128, "failed": 11})
    catalogue.close()
    svc, running = start(settings, embedder=embedder, generator=ExtractiveOnlyGenerator())
    try:
        yield svc
    finally:
        stop(running)


@pytest.fixture(scope="module")
def exported(metrics_service: Service) -> set[str]:
    """The sample names /metrics prints once a question was answered and rated, and one
    refused."""
    with metrics_service.client("alice") as c:
        asked = c.post("/v1/ask", json={"question": "How long is parental leave?"})
        assert asked.status_code == 200
        rating = {"trace_id": asked.json()["trace_id"], "rating": "up"}
        assert c.post("/v1/feedback", json=rating).status_code == 200
        assert c.post("/v1/ask", json={"question": "And bereavement leave?"}).status_code == 429
    with metrics_service.client(None) as c:
        assert c.get("/metrics").status_code == 401  # loopback is not enough with a token
        reply = c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200
    return {s.name for f in text_string_to_metric_families(reply.text) for s in f.samples}


@pytest.mark.integration
@pytest.mark.parametrize(
    "source", ["alerts", "dashboard"], ids=["alerts.yml", "grafana/dashboards/docent.json"]
)
def test_every_metric_named_is_one_the_api_exports(source: str, exported: set[str]) -> None:
    exprs = [r["expr"] for r in alert_rules()] if source == "alerts" else dashboard_exprs()
    named = {m for expr in exprs for m in METRIC.findall(expr)}
    assert named, "no docent_ metric found"
    assert named - exported == set(), f"not in /metrics: {sorted(named - exported)}"


@pytest.mark.integration
def test_prometheus_scrapes_the_api_with_the_token(
    metrics_service: Service, exported: set[str], tmp_path: Path
) -> None:
    prometheus = binary("prometheus")
    token = tmp_path / "metrics_token"
    token.write_text(TOKEN)
    target = metrics_service.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(target, token, PROMETHEUS_DIR / "alerts.yml")))
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("w") as err:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5)

    def query(expr: str) -> list[dict[str, Any]]:
        reply = api.get("/api/v1/query", params={"query": expr})
        reply.raise_for_status()
        result: list[dict[str, Any]] = reply.json()["data"]["result"]
        return result

    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"prometheus exited: {log.read_text()}"
            try:
                up = {r["metric"]["job"]: r["value"][1] for r in query("up")}
                scraped = query('count({__name__=~"docent_.+", job="docent"})')
            except (httpx.TransportError, httpx.HTTPStatusError):  # starting: 503 until ready
                up, scraped = {}, []
            if up.get("docent") == "1" and "no-token" in up and scraped:
                break
            assert time.monotonic() < deadline, f"not scraped in 30 s: {up} {log.read_text()}"
            time.sleep(0.5)
        assert up["no-token"] == "0"  # the token is what lets Prometheus in
        assert query('docent_http_requests_total{job="docent", route="/v1/ask", status="200"}')
        # the alert rules loaded, and evaluate without error against real series
        groups = api.get("/api/v1/rules").json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert {r["name"] for r in rules} == {r["alert"] for r in alert_rules()}
        assert all(r["health"] != "err" for r in rules), rules
    finally:
        api.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
