"""The deployment files: the Containerfile (hadolint), the Kubernetes manifests (validated
offline against pinned Kubernetes versions, and checked against the server's settings), the
serve config files and the lock files."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers import REPO
from packaging.requirements import Requirement

from cam_workbench.cli.healthcheck import health_url
from cam_workbench.cli.healthcheck import main as healthcheck
from cam_workbench.cli.serve_settings import read_config_file, serve_options
from cam_workbench.serving import ServeOptions, ServerTexts
from cam_workbench.serving.metrics import ServerMetrics

KUBERNETES = REPO / "deploy" / "kubernetes"
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
"""The oldest Kubernetes release we claim, and the newest kubernetes-validate ships."""
TEXTS = ServerTexts("t", "b", "bm", "e", "em", "lost")
BIN = Path(sys.executable).parent


def manifests() -> dict[str, dict]:
    """Every manifest by kind."""
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[doc["kind"]] = doc
    return found


def configmap_settings(tmp_path) -> dict:
    toml = manifests()["ConfigMap"]["data"]["serve.toml"]
    path = tmp_path / "serve.toml"
    path.write_text(toml, encoding="utf-8")
    return read_config_file(path)


def test_containerfile_passes_hadolint():
    done = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", "Containerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_containerfile_runs_as_non_root_from_the_lock_with_a_health_check():
    text = (REPO / "Containerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.M)  # Debian, the lock's Python
    assert "--require-hashes -r /tmp/lock.txt" in text
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n.*cam_workbench\.cli\.healthcheck", text, re.M)
    assert "CAM_SERVE_CONFIG=/etc/cam-workbench/serve.toml" in text


def test_hadolint_refuses_a_careless_containerfile(tmp_path):
    bad = tmp_path / "Containerfile"
    bad.write_text(
        "FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n"
        "RUN pip install cam-workbench\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", str(bad)],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3013"):  # latest tag, unpinned apt and pip packages
        assert rule in done.stdout, done.stdout


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_validate_offline(version):
    files = sorted(str(p) for p in KUBERNETES.glob("*.yaml"))
    done = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", version, *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == len(files)


def test_kubernetes_validate_refuses_a_misspelt_field_offline(tmp_path):
    deployment = (KUBERNETES / "deployment.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "deployment.yaml"
    broken.write_text(deployment.replace("readinessProbe:", "readynessProbe:"), encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSIONS[0], str(broken)],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "readynessProbe" in done.stdout + done.stderr


def test_both_serve_config_files_hold_valid_settings(tmp_path):
    for settings in (
        read_config_file(REPO / "deploy" / "serve.toml"),
        configmap_settings(tmp_path),
    ):
        ServeOptions(notebook=tmp_path / "n.ipynb", texts=TEXTS, **serve_options(settings))
        assert settings["production"] is True and settings["log-format"] == "json"


def test_the_deployment_matches_the_servers_settings(tmp_path):
    found = manifests()
    settings = configmap_settings(tmp_path)
    base = settings["base-url"]
    pod = found["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": settings["port"], "metrics": settings["metrics-port"]}
    assert container["livenessProbe"]["httpGet"]["path"] == base + "healthz"
    assert container["startupProbe"]["httpGet"]["path"] == base + "healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == base + "readyz"
    assert pod["terminationGracePeriodSeconds"] > settings["drain-seconds"]  # drain, then stop
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # the runtime folder on a read-only root
    resources = container["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    assert found["Deployment"]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_ingress_keeps_a_patient_on_one_replica_under_the_base_url(tmp_path):
    found = manifests()
    base = configmap_settings(tmp_path)["base-url"]
    ingress = found["Ingress"]
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-path"] == base
    path = ingress["spec"]["rules"][0]["http"]["paths"][0]
    assert path["path"] == base and path["pathType"] == "Prefix"
    assert path["backend"]["service"]["name"] == found["Service"]["metadata"]["name"]
    assert ingress["spec"]["rules"][0]["host"] in configmap_settings(tmp_path)["allowed-host"]


def test_autoscaler_disruption_budget_and_network_policy(tmp_path):
    found = manifests()
    settings = configmap_settings(tmp_path)
    hpa = found["HorizontalPodAutoscaler"]["spec"]
    metric = hpa["metrics"][0]["pods"]
    assert metric["metric"]["name"] == "cam_kernels_live"
    assert 0 < float(metric["target"]["averageValue"]) < settings["max-kernels"]
    assert hpa["minReplicas"] >= 2
    assert found["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    policy = found["NetworkPolicy"]["spec"]
    allowed_ports = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
    assert allowed_ports == {"http", "metrics"} and policy["egress"] == []


def test_the_metric_the_autoscaler_reads_is_served():
    metrics = ServerMetrics()
    metrics.manager = type(
        "M",
        (),
        {
            "max_kernels": 52,
            "live_kernel_count": lambda s: 3,
            "preheated_kernel_count": lambda s: 2,
            "connected_kernel_count": lambda s: 1,
            "websocket_count": lambda s: 1,
        },
    )()
    assert "\ncam_kernels_live 3.0\n" in metrics.exposition().decode()


def test_the_health_check_asks_the_server_the_settings_describe(tmp_path):
    config = tmp_path / "serve.toml"
    config.write_text('host = "0.0.0.0"\nport = 9001\nbase-url = "/back-pain/"\n', encoding="utf-8")
    environ = {"CAM_SERVE_CONFIG": str(config)}
    assert health_url(environ) == "http://127.0.0.1:9001/back-pain/healthz"
    environ |= {"CAM_SERVE_PORT": "9002", "CAM_SERVE_HOST": "::1"}
    assert health_url(environ) == "http://[::1]:9002/back-pain/healthz"
    assert health_url({}) == "http://127.0.0.1:8866/healthz"


def test_the_health_check_fails_clearly_when_nothing_answers(capsys, tmp_path):
    assert healthcheck({"CAM_SERVE_PORT": str(closed_port())}) == 1
    assert "healthcheck: http://127.0.0.1:" in capsys.readouterr().err
    assert healthcheck({"CAM_SERVE_PROT": "1"}) == 1  # a wrong setting: said, not a traceback
    assert "did you mean" in capsys.readouterr().err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the lock files ---------------------------------------------------------------------------


def pins(name: str) -> dict[str, str]:
    text = (REPO / "requirements" / name).read_text(encoding="utf-8")
    return {k.lower(): v for k, v in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", text, re.M)}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_locks_pin_every_dependency_within_pyprojects_ranges_with_hashes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, test = pins("lock.txt"), pins("test-lock.txt")
    runtime = {normal(k): v for k, v in runtime.items()}
    test = {normal(k): v for k, v in test.items()}
    for spec, lock in [
        (project["dependencies"], runtime),
        (project["optional-dependencies"]["test"], test),
    ]:
        for line in spec:
            requirement = Requirement(line)
            version = lock.get(normal(requirement.name))
            assert version is not None, f"{requirement.name} is not in the lock: run make lock"
            assert requirement.specifier.contains(version, prereleases=True), (line, version)
    assert all(test.get(name) == version for name, version in runtime.items())
    for name in ("lock.txt", "test-lock.txt"):
        text = (REPO / "requirements" / name).read_text(encoding="utf-8")
        assert text.count("==") == text.count("--hash=sha256:") - text.count(
            "\n    --hash"
        ) + text.count("==")
        assert "--index-url" not in text and "--find-links" not in text
