"""deploy/k8s: every manifest validates offline against a pinned Kubernetes schema, and the
deployment keeps its promises (replicated API with probes and an autoscaler, a GPU for vLLM,
a Qdrant cluster, one ingest at a time, non-root containers, placeholder secrets, and only
DOCENT_* names that the settings or the UI really read)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.settings_check import assert_read_as_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# the oldest Kubernetes these manifests target (podFailurePolicy, autoscaling/v2, policy/v1)
KUBERNETES_VERSION = "1.33.0"
EXAMPLE_SECRET = "secret.example.yaml"
PLACEHOLDER = "CHANGE-ME"
DOCENT_USER = 10001  # the Dockerfile's user

Manifest = dict[str, Any]
needs_validator = pytest.mark.skipif(
    importlib.util.find_spec("kubernetes_validate") is None,
    reason="kubernetes-validate is not installed (pip install kubernetes-validate)",
)


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def load_all() -> list[Manifest]:
    return [doc for path in manifest_files() for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFESTS = load_all()


def one(kind: str, name: str) -> Manifest:
    found = [m for m in MANIFESTS if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"]["spec"])


def pod_labels(workload: Manifest) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"]["metadata"]["labels"])


WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job", "CronJob"}
WORKLOADS = [m for m in MANIFESTS if m["kind"] in WORKLOAD_KINDS]


def containers(workload: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def docent_containers() -> list[tuple[Manifest, dict[str, Any]]]:
    """The containers running the Docent image (the API, UI, ingest and migrate)."""
    return [(w, c) for w in WORKLOADS for c in containers(w) if c["image"].startswith("docent:")]


def container_env(container: dict[str, Any]) -> dict[str, str]:
    """The variables a container starts with, the ConfigMap and example Secret resolved."""
    sources = {"configMap": "ConfigMap", "secret": "Secret"}
    env: dict[str, str] = {}
    for ref in container.get("envFrom", []):
        (key, target), *_ = ref.items()
        source = one(sources[key.removesuffix("Ref")], target["name"])
        env.update(source.get("data") or source.get("stringData") or {})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
            continue
        (key, ref), *_ = var["valueFrom"].items()
        source = one(sources[key.removesuffix("KeyRef")], ref["name"])
        env[var["name"]] = (source.get("data") or source.get("stringData") or {})[ref["key"]]
    return env


def container_env_of_api() -> dict[str, str]:
    (container,) = pod_spec(one("Deployment", "docent-api"))["containers"]
    return container_env(container)


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == port)


@needs_validator
@pytest.mark.unit
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_every_manifest_validates_against_the_pinned_kubernetes_schema(path: Path) -> None:
    import kubernetes_validate

    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            # strict: an unknown or misspelt field is an error, not silently dropped
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@needs_validator
@pytest.mark.unit
def test_the_strict_schema_catches_a_misspelt_field() -> None:
    import kubernetes_validate

    api = yaml.safe_load(yaml.safe_dump(one("Deployment", "docent-api")))
    api["spec"]["replica"] = api["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(api, KUBERNETES_VERSION, strict=True)


@pytest.mark.unit
def test_the_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in manifest_files()} - {EXAMPLE_SECRET}


@pytest.mark.unit
def test_the_kustomization_builds_into_the_namespace_with_the_registry_image() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (its built-in kustomize renders deploy/k8s)")
    run = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    rendered = [doc for doc in yaml.safe_load_all(run.stdout) if doc]
    assert len(rendered) == len(MANIFESTS) - 1  # all but the example Secret
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "docent", doc["metadata"]["name"]
    images = {
        c["image"] for doc in rendered if doc["kind"] in WORKLOAD_KINDS for c in containers(doc)
    }
    assert not any(image.startswith("docent:") for image in images)


@pytest.mark.unit
def test_the_api_is_replicated_probed_and_autoscaled() -> None:
    api = one("Deployment", "docent-api")
    assert api["spec"]["replicas"] > 1
    (container,) = pod_spec(api)["containers"]
    assert container["command"] == [
        *("uvicorn", "app.main:create_app", "--factory"),
        *("--host", "0.0.0.0", "--port", "8000"),
    ]
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert (get["path"], port_number(container, get["port"])) == (path, 8000)
    hpas = [
        m
        for m in MANIFESTS
        if m["kind"] == "HorizontalPodAutoscaler"
        and m["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "docent-api"}
    ]
    assert len(hpas) == 1 and hpas[0]["apiVersion"] == "autoscaling/v2"
    assert hpas[0]["spec"]["minReplicas"] > 1
    (metric,) = hpas[0]["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"


@pytest.mark.unit
def test_every_container_has_requests_and_limits() -> None:
    for workload in WORKLOADS:
        for container in containers(workload):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), (
                    f"{workload['metadata']['name']}/{container['name']} lacks {bound}"
                )


@pytest.mark.unit
def test_every_service_selects_pods_that_exist() -> None:
    for service in MANIFESTS:
        if service["kind"] != "Service" or service["spec"].get("type") == "ExternalName":
            continue
        selector = service["spec"]["selector"].items()
        assert any(selector <= pod_labels(w).items() for w in WORKLOADS), service["metadata"]


@pytest.mark.unit
def test_vllm_gets_a_gpu_its_weights_offline_and_time_to_load() -> None:
    vllm = one("Deployment", "vllm")
    (container,) = pod_spec(vllm)["containers"]
    assert container["image"] == "vllm/vllm-openai:v0.8.5"
    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) >= 1
    assert int(container["resources"]["requests"]["nvidia.com/gpu"]) >= 1
    args = container["args"]
    assert (
        args[args.index("--served-model-name") + 1]
        == container_env_of_api()["DOCENT_GENERATION__MODEL"]
    )
    assert {"--enable-prefix-caching", "--max-model-len"} <= set(args)
    assert container_env(container)["HF_HUB_OFFLINE"] == "1"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600  # a 7B loads for minutes
    volumes = {v["name"]: v for v in pod_spec(vllm)["volumes"]}
    assert any("persistentVolumeClaim" in v for v in volumes.values())
    one("Service", "vllm")
    assert container_env_of_api()["DOCENT_GENERATION__BASE_URL"] == "http://vllm:8000"


@pytest.mark.unit
def test_qdrant_runs_as_a_replicated_cluster() -> None:
    qdrant = one("StatefulSet", "qdrant")
    replicas = qdrant["spec"]["replicas"]
    assert replicas >= 3
    (container,) = pod_spec(qdrant)["containers"]
    assert container["image"] == "qdrant/qdrant:v1.15.0"
    env = {v["name"]: v for v in container["env"]}
    assert env["QDRANT__CLUSTER__ENABLED"]["value"] == "true"
    assert 6335 in {p["containerPort"] for p in container["ports"]}
    key_ref = env["QDRANT__SERVICE__API_KEY"]["valueFrom"]["secretKeyRef"]
    assert key_ref == {"name": "docent-secrets", "key": "DOCENT_QDRANT_API_KEY"}
    headless = one("Service", qdrant["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert qdrant["spec"]["volumeClaimTemplates"]
    # every shard's copies fit on distinct peers
    assert int(container_env_of_api()["DOCENT_QDRANT_REPLICATION"]) <= replicas


@pytest.mark.unit
def test_the_ingest_and_the_schema_step_run_the_real_commands() -> None:
    ingest = one("CronJob", "docent-ingest")
    assert ingest["spec"]["concurrencyPolicy"] == "Forbid"
    (load,) = pod_spec(ingest)["containers"]
    assert load["command"] == ["ingest", "load", "/docs", "--acl", "/docs/acl.yaml"]
    docs = next(m for m in load["volumeMounts"] if m["mountPath"] == "/docs")
    assert docs["readOnly"] is True
    migrate = one("Job", "docent-migrate")
    (upgrade,) = pod_spec(migrate)["containers"]
    assert upgrade["command"] == ["python", "-m", "app.storage", "upgrade"]
    # the schema step, the ingest and the API must see the same database
    urls = {container_env(c)["DOCENT_DATABASE_URL"] for c in (load, upgrade)}
    assert urls == {container_env_of_api()["DOCENT_DATABASE_URL"]}


@pytest.mark.unit
def test_every_container_runs_as_non_root() -> None:
    for workload in WORKLOADS:
        pod = pod_spec(workload).get("securityContext", {})
        for container in containers(workload):
            own = container.get("securityContext", {})
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
            assert own.get("runAsUser", pod.get("runAsUser")) not in (None, 0), where
            assert own.get("allowPrivilegeEscalation") is False, where
    for workload, container in docent_containers():
        pod = pod_spec(workload)["securityContext"]
        assert container["securityContext"].get("runAsUser", pod["runAsUser"]) == DOCENT_USER


@pytest.mark.unit
def test_no_manifest_holds_a_real_secret() -> None:
    secrets = [m for m in MANIFESTS if m["kind"] == "Secret"]
    assert [m["metadata"]["name"] for m in secrets] == ["docent-secrets"]
    assert "kubectl" in (K8S / EXAMPLE_SECRET).read_text()  # says how to make the real one
    for secret in secrets:
        assert "data" not in secret, "base64 data hides what it holds: stringData placeholders only"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"{key} is not a placeholder"
    # nothing secret-looking anywhere else: not in the ConfigMap, not inline in a container
    secret_name = re.compile(r"(_KEY|_TOKEN|PASSWORD|SECRET)$")
    inline = {
        var["name"]: str(var["value"])
        for w in WORKLOADS
        for c in containers(w)
        for var in c.get("env", [])
        if "value" in var
    }
    for source in (one("ConfigMap", "docent-config")["data"], inline):
        for key, value in source.items():
            assert not secret_name.search(key), key
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{key} holds a password"


@pytest.mark.unit
def test_postgres_and_redis_are_managed_services_behind_external_names() -> None:
    for name in ("docent-postgres", "docent-redis"):
        assert one("Service", name)["spec"]["type"] == "ExternalName"
    env = container_env_of_api()
    assert env["DOCENT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@docent-postgres:5432/docent" in env["DOCENT_DATABASE_URL"]
    assert env["DOCENT_RATE_LIMIT_STORAGE"] == "redis://docent-redis:6379/0"


def ui_variables() -> set[str]:
    """The DOCENT_* names the Streamlit UI reads itself (it builds no Settings)."""
    source = "\n".join(p.read_text() for p in (ROOT / "ui").glob("*.py"))
    return set(re.findall(r"environ\.get\(\s*\"(DOCENT_[A-Z0-9_]+)\"", source))


@pytest.mark.unit
def test_every_docent_variable_is_one_that_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build Settings from each container's variables and find every DOCENT_* value in the
    field it names: the settings ignore a misspelt name, so a typo would go unnoticed."""
    for workload, container in docent_containers():
        env = container_env(container)
        names = sorted(n for n in env if n.startswith("DOCENT_"))
        where = f"{workload['metadata']['name']}/{container['name']}"
        if container["name"] == "ui":
            assert set(names) <= ui_variables(), f"{where}: the UI does not read these"
            continue
        assert_read_as_settings(env, names, where, monkeypatch)
