"""Deployment files parse and carry what the streaming path needs.

Checks what a typo would silently break: KRaft mode without ZooKeeper, loopback-only
published ports, the worker's command and graceful stop, the Kubernetes kinds the issue
names, references between objects (ConfigMap, Secret, PVCs, Service), probes. ``docker
compose config`` runs only where a working compose binary exists; elsewhere that one
check is skipped (reported as skipped, never as passed).
"""

from __future__ import annotations

import re
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
            if isinstance(v, dict):  # long syntax: a bind mount of the host's archives
                assert v["type"] == "bind" and v.get("read_only"), v
                continue
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
    assert jspec["containers"][0]["args"][0] in ("ingest", "bootstrap")
    pod_refs(jspec)

    dep = next(d for d in by_kind["Deployment"] if d["metadata"]["name"] == "logpilot-ingestion-worker")
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


def _pod_specs(docs: list[dict]) -> dict[str, dict]:
    """Pod spec of every Deployment, StatefulSet and Job, by object name."""
    out = {}
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            out[d["metadata"]["name"]] = d["spec"]["template"]["spec"]
    return out


def _scheduler_address(docs: list[dict]) -> str:
    """``tcp://<Service>:<port>`` of the Service that selects the scheduler's pods on the
    port the scheduler listens on (from its own args)."""
    dep = next(d for d in docs if d["kind"] == "Deployment"
               and d["spec"]["template"]["spec"]["containers"][0]["args"][:1] == ["scheduler"])
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["dask"]
    port = int(c["args"][c["args"].index("--port") + 1])
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    labels = dep["spec"]["template"]["metadata"]["labels"]
    for svc in (d for d in docs if d["kind"] == "Service"):
        if svc["spec"]["selector"].items() <= labels.items():
            for p in svc["spec"]["ports"]:
                target = p.get("targetPort", p["port"])
                if named.get(target, target) == port:
                    return f"tcp://{svc['metadata']['name']}:{p['port']}"
    raise AssertionError("no Service exposes the scheduler's port")


def test_k8s_dask_cluster_shares_one_image_one_scheduler_and_the_lake_secret() -> None:
    docs = _k8s()
    pods = _pod_specs(docs)
    images = {c["image"] for spec in pods.values() for c in spec.get("initContainers", []) + spec["containers"]}
    assert len(images) == 1, f"every pod must run the one LogPilot image: {images}"
    address = _scheduler_address(docs)

    workers = [d for d in docs if d["kind"] == "Deployment"
               and d["spec"]["template"]["spec"]["containers"][0]["args"][:1] == ["worker"]
               and d["spec"]["template"]["spec"]["containers"][0].get("command") == ["dask"]]
    assert workers, "no Dask worker Deployment"
    for w in workers:
        args = w["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[1] == address, f"{w['metadata']['name']} connects to {args[1]}, the scheduler is {address}"
        assert w["spec"]["selector"]["matchLabels"].items() <= w["spec"]["template"]["metadata"]["labels"].items()

    job = next(d for d in docs if d["kind"] == "Job")
    jc = job["spec"]["template"]["spec"]["containers"][0]
    args = jc["args"]
    assert args[0] in ("ingest", "bootstrap")
    assert args[args.index("--cluster") + 1] == address, "the Job is the Dask client of this scheduler"
    assert "--lake" in args
    settings = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "logpilot-settings")
    lake = args[args.index("--lake") + 1]
    if lake.startswith("$("):
        lake = settings["data"][lake[2:-1]]
    assert lake.startswith("s3://") and "AWS_ENDPOINT_URL" in settings["data"]

    # every secretKeyRef names a Secret and a key it holds; the lake's keys reach the
    # client and every worker (s3fs reads them from the environment)
    secrets = {d["metadata"]["name"]: set(d.get("stringData", {})) | set(d.get("data", {}))
               for d in docs if d["kind"] == "Secret"}
    for name, spec in pods.items():
        for c in spec.get("initContainers", []) + spec["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, f"{name}: no Secret {ref['name']}"
                    assert ref["key"] in secrets[ref["name"]], f"{name}: Secret {ref['name']} has no {ref['key']}"
    for d in [job, *workers]:
        c = d["spec"]["template"]["spec"]["containers"][0]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})}
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(refs), d["metadata"]["name"]
        # the input is read at the same path by the client and the workers
        assert any(m["mountPath"] == "/archives" for m in c["volumeMounts"]), d["metadata"]["name"]


def _compose_env(svc: dict) -> dict:
    env = svc.get("environment", {})
    return env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def test_compose_dask_services_point_at_the_scheduler_and_the_store() -> None:
    services = _compose()["services"]
    sched = services["dask-scheduler"]
    assert sched["entrypoint"] == ["dask"] and sched["command"][0] == "scheduler"
    port = sched["command"][sched["command"].index("--port") + 1]
    address = f"tcp://{sched.get('hostname', 'dask-scheduler')}:{port}"
    assert "dask-scheduler" == sched.get("hostname", "dask-scheduler")

    store = services["s3"]
    assert store["image"].startswith("chrislusf/seaweedfs") and store["command"][:2] == ["server", "-s3"]
    s3_port = next(a.split("=", 1)[1] for a in store["command"] if a.startswith("-s3.port="))
    endpoint = f"http://s3:{s3_port}"

    workers = {n: s for n, s in services.items() if s.get("entrypoint") == ["dask"] and s["command"][0] == "worker"}
    n_workers = sum(int(s.get("deploy", {}).get("replicas", 1)) for s in workers.values())
    assert n_workers == 2, f"two Dask workers, found {n_workers}"
    for name, w in workers.items():
        assert w["command"][1] == address, f"{name} connects to {w['command'][1]}, the scheduler is {address}"
        assert w["image"] == services["jupyterlab"]["image"] == sched["image"], name
        assert _compose_env(w)["AWS_ENDPOINT_URL"] == endpoint, name

    client = services["bootstrap"]
    cmd = client["command"]
    assert cmd[0] == "bootstrap" and cmd[cmd.index("--cluster") + 1] == address
    env = _compose_env(client)
    assert env["AWS_ENDPOINT_URL"] == endpoint
    assert cmd[cmd.index("--lake") + 1] == env["LOGPILOT_LAKE"]
    bucket = env["LOGPILOT_LAKE"].split("://", 1)[1].split("/", 1)[0]

    # the bucket step creates the lake's bucket on the same store, with the same keys
    step = services["lake-bucket"]
    step_env = _compose_env(step)
    assert step_env["AWS_ENDPOINT_URL"] == endpoint and step_env["LOGPILOT_LAKE"].startswith(f"s3://{bucket}")
    assert "mkdir" in step["command"][0] and step.get("restart") == "no"
    for name in ("dask-worker", "bootstrap"):
        assert services[name]["depends_on"]["lake-bucket"]["condition"] == "service_completed_successfully"
    identities = yaml.safe_load(_compose()["configs"]["lake-s3-identities"]["content"])
    keys = {(c["accessKey"], c["secretKey"]) for i in identities["identities"] for c in i["credentials"]}
    for svc in [step, client, *workers.values()]:
        e = _compose_env(svc)
        assert (e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"]) in keys, "keys the store does not know"


#: What a committed credential may be: empty, or a placeholder that says so (compose: a
#: ``${VAR:-placeholder}`` the user's shell or .env overrides).
_PLACEHOLDER = re.compile(r"^(|change-me|\$\{[A-Z0-9_]+:-change-me\})$")
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY)", re.I)


def test_no_credential_but_a_placeholder_is_committed() -> None:
    for d in _k8s():
        if d["kind"] == "Secret":
            for k, v in {**d.get("stringData", {}), **d.get("data", {})}.items():
                assert _PLACEHOLDER.match(str(v)), f"Secret {d['metadata']['name']}: {k} holds a value"
        if d["kind"] == "ConfigMap":
            for k in d.get("data", {}):
                assert not _SECRET_NAME.search(k), f"ConfigMap {d['metadata']['name']}: {k} belongs in a Secret"
    c = _compose()
    for name, svc in c["services"].items():
        for k, v in _compose_env(svc).items():
            if _SECRET_NAME.search(k):
                assert _PLACEHOLDER.match(str(v)), f"compose {name}: {k} holds a value"
    identities = yaml.safe_load(c["configs"]["lake-s3-identities"]["content"])
    for i in identities["identities"]:
        for cred in i["credentials"]:
            assert _PLACEHOLDER.match(cred["accessKey"]) and _PLACEHOLDER.match(cred["secretKey"])

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
