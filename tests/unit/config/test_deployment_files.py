"""The Procfile and docker-compose.yml name the contract's processes and variables."""

from __future__ import annotations

import os

import kubernetes_validate
import yaml

from tests.support.processes import REPO_ROOT
from tests.support.stores import SERVICE_VARIABLES

CONTRACT_VARIABLES = [v for v in SERVICE_VARIABLES if not v.startswith(("EVENT_", "RELAY_"))]


def test_procfile_runs_web_worker_and_scheduler():
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    entries = dict(line.split(":", 1) for line in lines if line.strip())
    assert set(entries) == {"release", "web", "worker", "scheduler"}
    assert entries["release"].split() == ["billing", "migrate"]
    assert "${PORT" in entries["web"]
    assert entries["web"].split()[:2] == ["billing", "serve"] and "0.0.0.0" in entries["web"]
    assert entries["worker"].split()[:2] == ["billing", "worker"]
    assert entries["scheduler"].split() == ["billing", "scheduler"]


def test_compose_has_every_service_with_a_health_check_and_the_variables():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"app", "worker", "scheduler", "db", "redis"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("app", "worker", "scheduler", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("app", "worker", "scheduler"):
        assert set(CONTRACT_VARIABLES) <= set(services[name]["environment"]), name
    assert os.path.exists(REPO_ROOT / "Dockerfile")


# Every variable of the contract's table (section 1), forwarded by compose to the processes.
CONTRACT_TABLE = [
    "DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_TOLERANCE", "ADMIN_API_KEY", "RECONCILIATION_ENABLED",
    "RECONCILIATION_SCHEDULE_HOUR", "RECONCILIATION_DAYS_BACK", "LOG_FORMAT", "LOG_LEVEL",
    "STRIPE_MODE", "METRICS_TOKEN", "WORKER_METRICS_PORT", "WEBHOOK_ENDPOINTS_ALLOW_HTTP",
]  # fmt: skip


def test_compose_forwards_the_contract_and_requires_the_webhook_secret():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("app", "worker", "scheduler", "migrate"):
        assert set(CONTRACT_TABLE) <= set(services[name]["environment"]), name
    secret = services["app"]["environment"]["STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("${STRIPE_WEBHOOK_SECRET:?"), "compose up must stop without it"
    worker = " ".join(services["worker"]["command"])
    assert "WORKER_PROCESSES" in worker and "WORKER_THREADS" in worker
    assert {"WORKER_PROCESSES", "WORKER_THREADS"} <= set(services["worker"]["environment"])
    assert services["worker"]["expose"] == ["${WORKER_METRICS_PORT:-9191}"]


def test_dockerfile_serves_on_port_with_a_health_check_as_non_root():
    lines = [
        line.strip()
        for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    text = "\n".join(lines)
    assert "COPY cli ./cli" in text, "the console script imports cli"
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    user = [line for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("USER root", "USER 0")
    cmd = next(line for line in reversed(lines) if line.startswith("CMD"))
    assert "$" in cmd and "PORT" in cmd
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert {".venv/", ".git/"} <= set(ignored)


MANIFESTS = sorted((REPO_ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def _documents() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kubernetes_manifests_are_valid():
    """Every built-in kind against Kubernetes' own schema, strictly (unknown fields refused)."""
    checked = 0
    for doc in _documents():
        if doc["apiVersion"].startswith(("keda.sh/", "kustomize.config.k8s.io/")):
            continue
        kubernetes_validate.validate(doc, "1.30", strict=True)
        checked += 1
    assert checked >= 6


def test_kubernetes_has_web_worker_scheduler_and_migrate():
    by_kind_name = {(d["kind"], d["metadata"]["name"]): d for d in _documents() if "metadata" in d}
    web = by_kind_name[("Deployment", "billing-web")]
    probes = web["spec"]["template"]["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert ("Service", "billing-web") in by_kind_name
    scheduler = by_kind_name[("Deployment", "billing-scheduler")]["spec"]
    assert scheduler["replicas"] == 1 and scheduler["strategy"]["type"] == "Recreate"
    job = by_kind_name[("Job", "billing-migrate")]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["billing", "migrate"]
    scaled = by_kind_name[("ScaledObject", "billing-worker")]["spec"]
    assert scaled["scaleTargetRef"]["name"] == "billing-worker"
    trigger = scaled["triggers"][0]
    assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == "dramatiq:events"
    assert int(trigger["metadata"]["listLength"]) > 0
    for component, port in (("web", "8000"), ("worker", "9191")):
        pod = by_kind_name[("Deployment", f"billing-{component}")]["spec"]["template"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == (
            port,
            "/metrics",
        )
    config = by_kind_name[("ConfigMap", "billing-config")]["data"]
    worker_ports = by_kind_name[("Deployment", "billing-worker")]["spec"]["template"]["spec"]
    assert worker_ports["containers"][0]["ports"][0]["containerPort"] == int(
        config["WORKER_METRICS_PORT"]
    )
    kustomization = next(d for d in _documents() if d["kind"] == "Kustomization")
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in MANIFESTS if p.name != "kustomization.yaml"
    )
