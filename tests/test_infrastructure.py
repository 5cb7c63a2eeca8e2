"""Deployment files parse and carry what the streaming path needs.

Checks what a typo would silently break: KRaft mode without ZooKeeper, loopback-only
published ports, the worker's command and graceful stop, the Kubernetes kinds the issue
names, references between objects (ConfigMap, Secret, PVCs, Service), probes. ``docker
compose config`` runs only where a working compose binary exists; elsewhere that one
check is skipped (reported as skipped, never as passed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

INFRA = Path(__file__).resolve().parent.parent / "infrastructure"
COMPOSE = INFRA / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _k8s() -> list[dict]:
    docs = []
    for f in sorted((INFRA / "k8s").glob("*.yaml")):
        if f.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return docs


def test_compose_has_the_four_roles_in_kraft_mode_on_loopback() -> None:
    c = _compose()
    services = c["services"]
    assert {"kafka", "chroma", "jupyterlab", "worker"} <= set(services)
    assert "zookeeper" not in services
    env = services["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"] and "broker" in env["KAFKA_PROCESS_ROLES"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert not any(k.startswith("KAFKA_ZOOKEEPER") for k in env)
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    w = services["worker"]
    cmd = w["command"]
    assert cmd[0] == "worker" and "--bootstrap-servers" in cmd and "--group" in cmd and "--topic" in cmd
    assert cmd[cmd.index("--bootstrap-servers") + 1] == "kafka:9092"
    assert "--segments" in cmd, "workers must not share the notebook's DuckDB file"
    assert w.get("stop_signal", "SIGTERM") == "SIGTERM" and w["stop_grace_period"]
    assert "healthcheck" in w
    assert services["chroma"]["command"][:1] == ["run"] and "chroma" in services["chroma"]["entrypoint"]
    build = services["chroma"]["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
    named = set(c.get("volumes", {}))
    for svc in services.values():
        for v in svc.get("volumes", []):
            src = v.split(":")[0]
            assert src in named, f"volume {src} is not declared"


def test_k8s_manifests_have_the_required_objects_and_fields() -> None:
    docs = _k8s()
    for d in docs:
        assert d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"), d
    by_kind: dict[str, list[dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ("Job", "Deployment", "StatefulSet", "ConfigMap", "Secret", "Service", "PersistentVolumeClaim"):
        assert kind in by_kind, f"no {kind}"
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}

    def pod_refs(spec: dict) -> None:
        for c in spec["containers"]:
            assert c.get("image") and c.get("resources", {}).get("limits"), c["name"]
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    assert ("ConfigMap", ref["configMapRef"]["name"]) in names
                if "secretRef" in ref:
                    assert ("Secret", ref["secretRef"]["name"]) in names
        for v in spec.get("volumes", []):
            if "persistentVolumeClaim" in v:
                assert ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) in names

    job = by_kind["Job"][0]
    jspec = job["spec"]["template"]["spec"]
    assert jspec["restartPolicy"] in ("Never", "OnFailure")
    assert jspec["containers"][0]["args"][0] == "ingest"
    pod_refs(jspec)

    dep = by_kind["Deployment"][0]
    assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    dspec = dep["spec"]["template"]["spec"]
    args = dspec["containers"][0]["args"]
    assert args[0] == "worker" and "--segments" in args and "--group" in args
    assert dspec["terminationGracePeriodSeconds"] >= 30, "SIGTERM must have time to flush and commit"
    assert dspec["containers"][0].get("livenessProbe") and dspec["containers"][0].get("readinessProbe")
    pod_refs(dspec)
    cm = next(d for d in by_kind["ConfigMap"] if d["metadata"]["name"] == "logpilot-settings")
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "STREAM_TOPIC", "STREAM_GROUP"):
        assert var in cm["data"], var

    sts = by_kind["StatefulSet"][0]
    assert ("Service", sts["spec"]["serviceName"]) in names
    assert sts["spec"]["volumeClaimTemplates"]
    mounts = {m["name"] for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]} <= mounts

    kust = yaml.safe_load((INFRA / "k8s" / "kustomization.yaml").read_text())
    listed = set(kust["resources"])
    present = {p.name for p in (INFRA / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, "kustomization must list every manifest"


def _working_compose() -> list[str] | None:
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            ok = subprocess.run([*cmd, "version"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return cmd
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    cmd = _working_compose()
    if cmd is None:
        pytest.skip("no working `docker compose` binary here: compose validation not run")
    res = subprocess.run([*cmd, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
