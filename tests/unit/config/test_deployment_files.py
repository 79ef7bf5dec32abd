"""The Procfile and docker-compose.yml name the contract's processes and variables."""

from __future__ import annotations

import os

import yaml

from tests.support.processes import REPO_ROOT
from tests.support.stores import SERVICE_VARIABLES

CONTRACT_VARIABLES = [v for v in SERVICE_VARIABLES if not v.startswith(("EVENT_", "RELAY_"))]


def test_procfile_runs_web_worker_and_scheduler():
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    entries = dict(line.split(":", 1) for line in lines if line.strip())
    assert set(entries) == {"web", "worker", "scheduler"}
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
