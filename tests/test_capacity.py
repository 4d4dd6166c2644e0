"""The capacity model (benchmarks/capacity.py): read from the benchmark's figures, refuses
missing ones clearly, and sizes the Kubernetes manifests and README's table."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest
import yaml
from helpers import REPO

SCRIPT = REPO / "benchmarks" / "capacity.py"
TODAY = REPO / "benchmarks" / "capacity-today.json"
_spec = importlib.util.spec_from_file_location("capacity", SCRIPT)
assert _spec is not None and _spec.loader is not None
capacity = importlib.util.module_from_spec(_spec)
sys.modules["capacity"] = capacity
_spec.loader.exec_module(capacity)


def figures(**changes) -> dict:
    data = json.loads(TODAY.read_text(encoding="utf-8"))
    data["capacity"].update(changes)
    return data


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO
    )


def write(tmp_path, data) -> str:
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_a_missing_results_file_is_a_clear_error_not_a_traceback(tmp_path):
    done = run("--results", str(tmp_path / "latest.json"))
    assert done.returncode == 1 and done.stdout == ""
    assert "not found: run 'make benchmark' first" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "data, says",
    [
        ("{not json", "cannot read it as JSON"),
        ({"goals": {}}, "has no 'capacity' figures"),
        (
            {"capacity": {k: v for k, v in figures()["capacity"].items() if k != "cores"}},
            "capacity.cores is missing",
        ),
        (figures(memory_per_session_mib=None), "capacity.memory_per_session_mib must be a number"),
        (figures(sessions_at_p95_250ms="many"), "sessions_at_p95_250ms must be a number"),
        (figures(memory_per_session_mib=0), "must be more than 0"),
    ],
)
def test_missing_or_wrong_figures_name_the_key(tmp_path, data, says):
    done = run("--results", write(tmp_path, data))
    assert done.returncode == 1, done.stdout
    assert says in done.stderr and "Traceback" not in done.stderr


def test_a_wrong_argument_is_a_usage_error():
    done = run("--replica-cores", "0", "--results", str(TODAY))
    assert done.returncode == 2 and "must be more than 0" in done.stderr


#: Made-up figures (the arithmetic below is worked by hand from them): 50 sessions held on 2
#: cores with click p95 over 250 ms at the next step, 48.5 MiB a session, no CPU measured.
LATENCY_LIMITED = capacity.Figures(
    memory_per_session_mib=48.5,
    server_rss_base_mib=107,
    zygote_pss_mib=0,
    sessions_at_p95_250ms=50,
    cores=2,
    cpu_per_click_ms=None,
    kernel_pss_per_session_mib=None,
    kernel_uss_per_session_mib=47.3,
    limited_by="latency",
)


def test_patients_scale_with_cores_and_the_cpu_bound_wins_when_tighter():
    base = LATENCY_LIMITED
    size = capacity.replica(base, cores=4, seconds_between_clicks=15)
    assert size.patients == 100 and size.max_kernels == 102  # 50 on 2 cores, 2 preheated
    # 107 + 102 x 48.5 = 5,054 MiB, +25 % = 6,318, up to 64 MiB steps: 6,336.
    assert size.memory_mib == 6336
    # 40 ms of CPU per click every 15 s on 2 cores at 70 %: 2 x 1000 x 0.7 x 15 / 40 = 525;
    # at 400 ms a click: 52.5, so 52 patients.
    cheap = capacity.Figures(**{**base.__dict__, "cpu_per_click_ms": 40.0})
    assert capacity.replica(cheap, 2, 15).limited_by == "click p95 <= 250 ms"
    dear = capacity.Figures(**{**base.__dict__, "cpu_per_click_ms": 400.0, "cores": 1.0})
    tight = capacity.replica(dear, 2, 15)
    assert (tight.patients, tight.limited_by) == (52, "CPU at 70 %")


def test_a_ramp_that_ended_before_p95_passed_250_ms_is_called_a_lower_bound():
    for stopped in ("ramp_end", "machine_memory"):
        figures = capacity.Figures(**{**LATENCY_LIMITED.__dict__, "limited_by": stopped})
        size = capacity.replica(figures, 2, 15)
        assert size.patients == 50 and "most sessions measured" in size.limited_by
        table = capacity.report(figures, "x.json", 2, 15, [1000])
        assert capacity.LOWER_BOUNDS[stopped] in table
    latency = capacity.report(LATENCY_LIMITED, "x.json", 2, 15, [1000])
    assert "lower bound" not in latency and "limited by click p95 <= 250 ms" in latency


def test_replicas_hold_every_patient_with_one_spare():
    size = capacity.replica(capacity.read_figures(TODAY), 2, 15)
    for patients in (1, 999, 1000, 10_000):
        full, autoscaled = capacity.replicas_for(patients, size)
        assert (full - 1) * size.patients >= patients > (full - 2) * size.patients
        assert autoscaled * (size.autoscale_live_kernels - capacity.POOL_SIZE) >= patients
        assert autoscaled >= 2


def test_the_manifests_are_sized_by_the_capacity_model():
    size = capacity.replica(capacity.read_figures(TODAY), 2, 15)
    docs = {}
    for path in (REPO / "deploy" / "kubernetes").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        docs[doc["kind"]] = doc
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["memory"] == f"{size.memory_mib}Mi"
    assert container["resources"]["requests"]["cpu"] == "2"
    hpa = docs["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["pods"]["target"]
    assert hpa["averageValue"] == str(size.autoscale_live_kernels)
    toml = docs["ConfigMap"]["data"]["serve.toml"]
    assert re.search(rf"^max-kernels = {size.max_kernels}$", toml, re.M)
    assert re.search(rf"^idle-minutes = {capacity.IDLE_MINUTES}$", toml, re.M)
    assert re.search(rf"^max-session-hours = {capacity.SESSION_HOURS}$", toml, re.M)
    readme = (REPO / "README.md").read_text(encoding="utf-8")  # its table of the manifests
    assert f"`max-kernels` {size.max_kernels} from Capacity" in readme
    assert f"(average {size.autoscale_live_kernels}: 70 % of the cap)" in readme


def test_readme_quotes_the_scripts_output():
    done = run("--results", str(TODAY))
    assert done.returncode == 0, done.stderr
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert done.stdout.strip() in readme
