#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests: every overlay (and the restore and compact Jobs) renders (kubectl kustomize),
validates against the Kubernetes OpenAPI schemas of the oldest supported and a current version
(kubernetes-validate --strict), passes checkov with k8s/checkov.yaml, and holds together where schemas cannot tell:
selectors match labels, no Service can select the workloads of two backends (within an overlay, or after switching
from another one), Service ports reach container ports, probes hit routes the services really serve with timeouts
that fit DB_TIMEOUT_MS, every env var is one the binaries read and every Secret/ConfigMap key exists, HPAs own their
replica counts, every Deployment spreads over nodes, network policies deny by default both ways and allow exactly
the paths each workload needs, images carry the one tag `make images` builds, pods are hardened, the backups volume
fits the retention. The monitoring component's alert rules pass `promtool check rules` and `promtool test rules`, and
its rules and dashboard use only metrics the services export. Prints `k8s: N passed, N failed`.
Usage: k8s/test.py  (run with the tools venv's python: see scripts/bootstrap)
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "k8s")
OVERLAYS = ["minikube", "per-operation", "mysql", "per-operation-mysql", "production"]
# preStop.sleep is on by default from 1.30 (beta; alpha behind a feature gate in 1.29): the oldest version we support.
MINIMUM_KUBERNETES = "1.30.0"
KUBERNETES_VERSIONS = [MINIMUM_KUBERNETES, "1.32.0"]
BIN = os.path.dirname(sys.executable)
ALL_PORTS = None  # a NetworkPolicy rule without ports

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def rust_sources(*dirs):
    return "\n".join(read(os.path.relpath(p, ROOT)) for d in dirs
                     for p in sorted(glob.glob(os.path.join(ROOT, d, "**", "*.rs"), recursive=True)))


# What the binaries really read, serve and export, from their source.
# conduit-runtime (db-service/runtime) is code both binaries run.
RUNTIME_SOURCE = rust_sources("db-service/runtime/src")
API_SOURCE = rust_sources("api/src") + RUNTIME_SOURCE
DB_SOURCE = rust_sources("db-service/src") + RUNTIME_SOURCE
API_ENV = set(re.findall(r'env = "([A-Z_0-9]+)"', API_SOURCE)) | {"RUST_LOG"}  # RUST_LOG: the tracing filter
DB_ENV = set(re.findall(r'env = "([A-Z_0-9]+)"', DB_SOURCE)) | {"RUST_LOG"}
RENDER_NGINX = read("scripts/render-nginx")
NGINX_ENV = (set(re.findall(r"\$\{([A-Z_]+)\}", " ".join(l for l in RENDER_NGINX.splitlines() if l.startswith("vars"))))
             - {"CONF_DIR", "RUN_DIR", "WORKER_USER"}) | {"POSTS_UPSTREAM", "REAL_IP_FROM"}
check("render-nginx reads REAL_IP_FROM", "REAL_IP_FROM" in RENDER_NGINX)
ROUTES = {
    "api": set(re.findall(r'\.route\(\s*"(/[a-z]+)"', read("api/src/routes/health.rs"))),
    "db-service": set(re.findall(r'\.route\(\s*"(/[a-z]+)"', read("db-service/src/routes/health.rs"))),
    "frontend": set(re.findall(r"location = (/[a-z]+)", read("nginx/conduit.conf.template"))),
}
DB_COMMANDS = {re.sub(r"(?<!^)([A-Z])", r"-\1", v).lower()
               for v in re.findall(r"^    ([A-Z][a-z]+)\b", read("db-service/src/config.rs").split("pub enum Command", 1)[1]
                                   .split("\n}", 1)[0], re.M)}
ENV_OF = {"api": API_ENV, "db-service": DB_ENV, "frontend": NGINX_ENV}
REQUIRED = {"api": {"INTERNAL_TOKEN", "JWT_SECRET"}, "db-service": {"INTERNAL_TOKEN"},
            "frontend": {"LISTEN", "USERS_UPSTREAM", "POSTS_UPSTREAM"}}
ADDR_ENV = {"api": "API_ADDR", "db-service": "DB_SERVICE_ADDR", "frontend": "LISTEN"}
BACKUP_STORAGE_KEYS = {"BACKUP_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"}


def exported_metrics():
    """Metric names the api and db-service register (metrics::counter!/gauge!/histogram! with a literal or a
    constant, and the request metrics each names in a RequestMetrics), histograms with their _bucket/_sum/_count
    series."""
    names = set()
    for source in (API_SOURCE, DB_SOURCE):
        names |= set(re.findall(r'requests_total: "([a-z_]+)"', source))
        for name in re.findall(r'duration: "([a-z_]+)"', source):
            names |= {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        constants = dict(re.findall(r'const ([A-Z_]+): &str = "([a-z_]+)";', source))
        for macro, arg in re.findall(r'metrics::(counter|gauge|histogram)!\(\s*("[a-z_]+"|[A-Z_]+)', source):
            name = arg.strip('"') if arg.startswith('"') else constants.get(arg)
            if name:
                names.add(name)
                if macro == "histogram":
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


OUR_METRICS = exported_metrics()
# Series from the cluster's own exporters that the rules and dashboard use: kubelet/cAdvisor, kube-state-metrics,
# and ingress-nginx (the production overlay's Ingress controller).
EXTERNAL_METRICS = {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                    "kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes",
                    "kube_pod_container_status_restarts_total", "nginx_ingress_controller_requests",
                    "nginx_ingress_controller_request_duration_seconds_bucket"}
check("the services export the metrics the rules are about", {"db_backups_total", "db_backup_last_result",
      "db_backup_last_success_timestamp_seconds", "db_backup_interval_seconds", "db_backup_uploads_total",
      "db_backup_upload_last_result", "db_requests_total", "db_request_duration_seconds_bucket",
      "api_requests_total", "api_request_duration_seconds_bucket"} <= OUR_METRICS, sorted(OUR_METRICS))
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def promql_metrics(expr):
    """The metric names an expression reads (identifiers that are neither functions, keywords nor labels)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\$\w+", "", expr)
    return {m.group(1) for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr)
            if m.group(1) not in PROMQL_WORDS}


def dockerfile_stage(name):
    """The stage `name` of the Dockerfile with the stages it is built FROM: its USER (uid, gid) and ENV defaults."""
    text = read("Dockerfile")
    start = re.search(rf"^FROM (\S+) AS {re.escape(name)}$", text, re.M)
    if not start:
        return {"found": False, "uid": None, "gid": None, "env": {}}
    stage = text[start.end():]
    stage = stage[:stage.find("\nFROM ")] if "\nFROM " in stage else stage
    parent = start.group(1)
    facts = dockerfile_stage(parent) if re.search(rf"^FROM \S+ AS {re.escape(parent)}$", text, re.M) else \
        {"found": True, "uid": None, "gid": None, "env": {}}
    user = re.search(r"^USER (\d+):(\d+)$", stage, re.M)
    if user:
        facts["uid"], facts["gid"] = int(user.group(1)), int(user.group(2))
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", stage, re.M):
        facts["env"].update(re.findall(r"([A-Z_]+)=(\S+)", block.replace("\\\n", " ")))
    facts["found"] = True
    return facts


# The images the manifests run (USER, ENV defaults), and the folders each writes: with a read-only root
# filesystem, every one of them must be a mounted volume.
IMAGES = {kind: dockerfile_stage(kind) for kind in ("api", "db-service", "frontend")}
for kind, facts in IMAGES.items():
    check(f"the Dockerfile has a {kind} target running as a user", facts["found"] and facts["uid"], facts)
WRITES = {"api": [], "db-service": ["DATA_DIR", "BACKUP_DIR"], "frontend": ["RUN_DIR"]}
# The tag `make images` builds, which the README's commands build too and every overlay must run.
IMAGE_TAG = re.search(r'-t "conduit/\$name:([A-Za-z0-9._-]+)"', read("scripts/build-images")).group(1)
for doc in ("README.md", "k8s/README.md"):
    built = set(re.findall(r"docker build --target ([a-z-]+) +-t conduit/\1:([A-Za-z0-9._-]+)", read(doc)))
    check(f"{doc} builds the three images with the tag make images builds",
          built == {(kind, IMAGE_TAG) for kind in IMAGES}, built)
check("k8s/README.md states the minimum Kubernetes version", f"Kubernetes {MINIMUM_KUBERNETES[:-2]}" in read("k8s/README.md"))
check("k8s/README.md opens the frontend in its namespace",
      "minikube service -n conduit frontend-service" in read("k8s/README.md"))


def image_kind(image):
    for kind in ("db-service", "frontend", "api"):
        if re.search(rf"(^|/)conduit/{kind}(:|$)", image):
            return kind
    return None


def matches(selector, labels):
    """A label selector (matchLabels and matchExpressions, or a plain map) against labels."""
    if not selector:
        return False
    plain = {k: v for k, v in selector.items() if k not in ("matchLabels", "matchExpressions")}
    match_labels = dict(selector.get("matchLabels", {}), **plain)
    if not all(labels.get(k) == v for k, v in match_labels.items()):
        return False
    for e in selector.get("matchExpressions", []):
        value = labels.get(e["key"])
        op = e["operator"]
        if (op == "In" and value not in e["values"]) or (op == "NotIn" and value in e["values"]) or \
                (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return bool(match_labels or selector.get("matchExpressions"))


def pod_labels(workload):
    return workload["spec"]["template"]["metadata"]["labels"]


def containers(workload):
    return workload["spec"]["template"]["spec"]["containers"]


def storage_gib(quantity):
    number, unit = re.match(r"^(\d+)(Mi|Gi|Ti)$", quantity).groups()
    return int(number) * {"Mi": 1 / 1024, "Gi": 1, "Ti": 1024}[unit]


def rendered_objects(docs):
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    return by_kind


def check_pod(name, pod_template, kind_of_workload, configmaps, secrets, services):
    """Hardening, env, volumes, ports and probes of one pod template."""
    pod = pod_template["spec"]
    sc = pod.get("securityContext", {})
    check(f"{name} runs as non-root with seccomp", sc.get("runAsNonRoot") is True
          and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", sc)
    check(f"{name} has no service account token", pod.get("automountServiceAccountToken") is False)
    for c in pod["containers"]:
        kind = image_kind(c["image"])
        cname = f"{name}/{c['name']}"
        check(f"{cname} image is ours", kind is not None, c["image"])
        if kind is None:
            continue
        check(f"{cname} runs the tag make images builds", c["image"].endswith(f":{IMAGE_TAG}"), c["image"])
        csc = c.get("securityContext", {})
        check(f"{cname} is hardened", csc.get("allowPrivilegeEscalation") is False
              and csc.get("readOnlyRootFilesystem") is True and csc.get("capabilities", {}).get("drop") == ["ALL"], csc)
        res = c.get("resources", {})
        check(f"{cname} has requests and limits", {"cpu", "memory"} <= set(res.get("requests", {}))
              and {"cpu", "memory"} <= set(res.get("limits", {})), res)
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        env = {e["name"]: e for e in c.get("env", [])}
        provided = set(env)
        from_settings = set()
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                ref = source["configMapRef"]["name"]
                check(f"{cname} envFrom ConfigMap {ref} exists", ref in configmaps, ref)
                provided |= set(configmaps.get(ref, {}))
                from_settings |= set(configmaps.get(ref, {}))
            if "secretRef" in source:
                ref = source["secretRef"]["name"]
                check(f"{cname} envFrom Secret {ref} exists", ref in secrets, ref)
                provided |= secrets.get(ref, set())
        for key in provided:
            # The shared ConfigMap carries settings of both binaries; each ignores the other's.
            check(f"{cname} sets {key}, which the {kind} binary reads", key in ENV_OF[kind] or
                  (key in API_ENV | DB_ENV and key in from_settings) or key == "RESTORE_FROM", key)
        if kind_of_workload != "Job":
            for key in REQUIRED[kind]:
                check(f"{cname} is given {key}", key in provided, sorted(provided))
        for e in env.values():
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                check(f"{cname} secret {ref['name']} has {ref['key']}", ref["key"] in secrets.get(ref["name"], set()),
                      secrets.get(ref["name"]))
            ref = e.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                check(f"{cname} configmap {ref['name']} has {ref['key']}", ref["key"] in configmaps.get(ref["name"], {}))
        image = IMAGES[kind]
        check(f"{cname} runs as its image's user", (sc.get("runAsUser"), sc.get("runAsGroup")) ==
              (image["uid"], image["gid"]), (sc.get("runAsUser"), sc.get("runAsGroup"), image))
        effective = dict(image["env"])
        for source in c.get("envFrom", []):
            effective.update(configmaps.get(source.get("configMapRef", {}).get("name"), {}))
        effective.update({k: e["value"] for k, e in env.items() if "value" in e})
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        # On MySQL db-service keeps nothing on disk.
        writes = [] if kind == "db-service" and "DATABASE_URL" in provided else WRITES[kind]
        # `db-service compact` writes only beside the files it compacts.
        if kind_of_workload == "Job" and (c.get("args") or [None])[0] == "compact":
            writes = ["DATA_DIR"]
        for var in writes:
            check(f"{cname} has a volume at {var} ({effective.get(var)}), as its root filesystem is read-only",
                  effective.get(var) in mounts, (effective.get(var), sorted(mounts)))
        if kind_of_workload == "Job":
            continue
        addr = env.get(ADDR_ENV[kind], {}).get("value", "")
        check(f"{cname} listens on its declared container port", addr.rsplit(":", 1)[-1] in {str(p) for p in ports.values()},
              (addr, ports))
        for probe_name in ("readinessProbe", "livenessProbe"):
            check(f"{cname} has a {probe_name}", probe_name in c)
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = c.get(probe_name)
            if not probe:
                continue
            get = probe.get("httpGet", {})
            check(f"{cname} {probe_name} hits a route it serves", get.get("path") in ROUTES[kind], (get, ROUTES[kind]))
            check(f"{cname} {probe_name} port exists", get.get("port") in ports or get.get("port") in ports.values(), get)
            check(f"{cname} {probe_name} says how long it waits", "timeoutSeconds" in probe, probe)
            if probe_name == "livenessProbe":
                check(f"{cname} liveness does not depend on other services", get.get("path") == "/healthz", get)
            if kind == "api" and get.get("path") == "/readyz":
                # The api's readiness asks db-service, bounded by DB_TIMEOUT_MS: wait for its answer.
                bound = int(effective.get("DB_TIMEOUT_MS", "5000"))
                check(f"{cname} {probe_name} outlasts DB_TIMEOUT_MS ({bound} ms)",
                      probe.get("timeoutSeconds", 1) * 1000 > bound, probe)
        for var in ("USERS_UPSTREAM", "POSTS_UPSTREAM", "POSTS_READ_UPSTREAM", "POSTS_CREATE_UPSTREAM",
                    "POSTS_UPDATE_UPSTREAM", "POSTS_DELETE_UPSTREAM"):
            if var in env:
                host, port = env[var]["value"].split(":")
                target = services.get(host)
                check(f"{cname} {var} names a Service port", target is not None
                      and int(port) in [p["port"] for p in target["spec"]["ports"]], env[var]["value"])


def policy_allows(policies, direction, workload, workloads):
    """The (port, protocol) pairs and peers a workload may use in `direction` ("ingress"/"egress")."""
    allowed = []
    labels = pod_labels(workload)
    for n in policies:
        selector = n["spec"]["podSelector"]
        applies = selector == {} or matches(selector, labels)
        if not applies or direction.capitalize() not in n["spec"].get("policyTypes", []):
            continue
        for rule in n["spec"].get(direction, []):
            ports = [(p["port"], p.get("protocol", "TCP")) for p in rule.get("ports", [])] or [ALL_PORTS]
            peers = rule.get("to" if direction == "egress" else "from", [])
            allowed.append((n["metadata"]["name"], ports, peers))
    return allowed


def peer_kind(peer, workloads):
    """What a NetworkPolicy peer stands for: the names of our workloads it selects, DNS, or a CIDR."""
    if "ipBlock" in peer:
        return "cidr:" + peer["ipBlock"]["cidr"]
    if peer.get("podSelector", {}).get("matchLabels", {}).get("k8s-app") == "kube-dns":
        return "dns"
    if "namespaceSelector" in peer:
        return "namespace"
    return "pods:" + ",".join(sorted(w["metadata"]["name"] for w in workloads if matches(peer["podSelector"], pod_labels(w))))


def check_network_policies(overlay, by_kind, workloads, sqlite):
    policies = by_kind.get("NetworkPolicy", [])
    deny = [n for n in policies if n["spec"]["podSelector"] == {} and set(n["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
            and not n["spec"].get("ingress") and not n["spec"].get("egress")]
    check(f"{overlay}: a default-deny policy covers every pod, in and out", len(deny) == 1, [n["metadata"]["name"] for n in policies])
    for n in policies:
        sel = n["spec"]["podSelector"]
        if sel:
            check(f"{overlay}: NetworkPolicy/{n['metadata']['name']} selects pods",
                  any(matches(sel, pod_labels(w)) for w in workloads), sel)
        for rule in n["spec"].get("ingress", []) + n["spec"].get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    check(f"{overlay}: NetworkPolicy/{n['metadata']['name']} peer selects pods",
                          any(matches(peer["podSelector"], pod_labels(w)) for w in workloads), peer)
    db_ingress = [n for n in policies if "Ingress" in n["spec"].get("policyTypes", []) and n["spec"].get("ingress")
                  and n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "database"]
    check(f"{overlay}: only api pods may reach db-service", len(db_ingress) == 1 and
          [p["podSelector"]["matchLabels"] for r in db_ingress[0]["spec"]["ingress"] for p in r["from"]]
          == [{"app.kubernetes.io/component": "api"}], db_ingress)
    # Exactly the paths each workload needs out of its pod.
    apis = ",".join(sorted(w["metadata"]["name"] for w in workloads if pod_labels(w).get("app.kubernetes.io/component") == "api"))
    dbs = ",".join(sorted(w["metadata"]["name"] for w in workloads if pod_labels(w).get("app.kubernetes.io/component") == "database"))
    expected = {"frontend": {("dns", 53, "UDP"), ("dns", 53, "TCP"), (f"pods:{apis}", 5000, "TCP")},
                "api": {("dns", 53, "UDP"), ("dns", 53, "TCP"), (f"pods:{dbs}", 3001, "TCP")},
                "database": {("dns", 53, "UDP"), ("dns", 53, "TCP")}
                | ({("cidr:0.0.0.0/0", 443, "TCP")} if sqlite else {("cidr:10.0.0.0/8", 3306, "TCP")})}
    for w in workloads:
        component = pod_labels(w).get("app.kubernetes.io/component")
        got = {(peer_kind(peer, workloads), port, proto) for _, ports, peers in policy_allows(policies, "egress", w, workloads)
               for peer in (peers or [{"ipBlock": {"cidr": "anywhere"}}]) for (port, proto) in
               [p if p else ("any", "any") for p in ports]}
        check(f"{overlay}: {w['metadata']['name']} may open exactly the connections it needs", got == expected.get(component),
              (sorted(got), sorted(expected.get(component, []))))


def check_overlay(overlay, docs):
    by_kind = rendered_objects(docs)
    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
    secrets = {s["metadata"]["name"]: set((s.get("data") or {}) | (s.get("stringData") or {})) for s in by_kind.get("Secret", [])}
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    names = {(w["kind"], w["metadata"]["name"]): w for w in workloads}
    sqlite = ("StatefulSet", "db-service") in names

    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        check(f"{overlay}: {doc['kind']}/{doc['metadata']['name']} is labelled part-of conduit",
              labels.get("app.kubernetes.io/part-of") == "conduit" or doc["kind"] == "Namespace", labels)
        check(f"{overlay}: {doc['kind']}/{doc['metadata']['name']} is in namespace conduit",
              doc["metadata"].get("namespace") == "conduit" or doc["kind"] == "Namespace", doc["metadata"])

    hpa_targets = {(h["spec"]["scaleTargetRef"]["kind"], h["spec"]["scaleTargetRef"]["name"]): h
                   for h in by_kind.get("HorizontalPodAutoscaler", [])}
    for w in workloads:
        name = f"{overlay}: {w['kind']}/{w['metadata']['name']}"
        check(f"{name} selector matches its pods", matches(w["spec"]["selector"], pod_labels(w)))
        check_pod(name, w["spec"]["template"], w["kind"], configmaps, secrets, services)
        hpa = hpa_targets.get((w["kind"], w["metadata"]["name"]))
        if hpa:
            check(f"{name} leaves its replica count to its HPA", "replicas" not in w["spec"], w["spec"].get("replicas"))
        most = hpa["spec"]["maxReplicas"] if hpa else w["spec"].get("replicas", 1)
        if w["kind"] == "Deployment" and most > 1:
            spread = w["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
            check(f"{name} spreads its replicas over nodes", any(
                t["topologyKey"] == "kubernetes.io/hostname" and t["labelSelector"] == w["spec"]["selector"]
                for t in spread), spread)
    for (kind, wname), h in hpa_targets.items():
        check(f"{overlay}: HPA/{h['metadata']['name']} scales a workload", (kind, wname) in names, (kind, wname))
        check(f"{overlay}: HPA/{h['metadata']['name']} has a sane range",
              1 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"], h["spec"])
    check(f"{overlay}: every HPA scales its own Deployment", len(hpa_targets) == len(by_kind.get("HorizontalPodAutoscaler", [])))
    front = hpa_targets.get(("Deployment", "frontend"))
    check(f"{overlay}: frontend runs at least 2 replicas", front is not None and front["spec"]["minReplicas"] >= 2)

    settings = next((d for n, d in configmaps.items() if n.startswith("conduit-settings")), {})
    url = settings.get("DB_SERVICE_URL", "")
    m = re.match(r"http://([a-z-]+):(\d+)$", url)
    check(f"{overlay}: DB_SERVICE_URL names the db-service Service port", bool(m) and m.group(1) in services
          and int(m.group(2)) in [p["port"] for p in services[m.group(1)]["spec"]["ports"]], url)
    for key in settings:
        check(f"{overlay}: setting {key} is read by some binary", key in API_ENV | DB_ENV, key)

    for s in services.values():
        sel = s["spec"].get("selector", {})
        targets = [w for w in workloads if matches(sel, pod_labels(w))]
        check(f"{overlay}: Service/{s['metadata']['name']} selects the pods of exactly one workload", len(targets) == 1,
              (sel, [w["metadata"]["name"] for w in targets]))
        for port in s["spec"]["ports"]:
            reachable = any(port["targetPort"] in [p.get("name") for p in c.get("ports", [])] + [p["containerPort"] for p in c.get("ports", [])]
                            for w in targets for c in containers(w))
            check(f"{overlay}: Service/{s['metadata']['name']} port {port['port']} reaches a container port", reachable, port)
    pdb_selectors = []
    for p in by_kind.get("PodDisruptionBudget", []):
        sel = p["spec"]["selector"]
        selected = [w for w in workloads if matches(sel, pod_labels(w))]
        check(f"{overlay}: PDB/{p['metadata']['name']} covers the pods of one workload", len(selected) == 1, sel)
        pdb_selectors.append(str(sel))
    check(f"{overlay}: no two PDBs cover the same pods", len(pdb_selectors) == len(set(pdb_selectors)), pdb_selectors)
    check(f"{overlay}: frontend-service listens on port 80", services.get("frontend-service", {}).get("spec", {}).get("ports", [{}])[0].get("port") == 80)
    check_network_policies(overlay, by_kind, workloads, sqlite)
    if sqlite:
        check_sqlite_overlay(overlay, names, secrets, settings)
    else:
        check_mysql_overlay(overlay, names, by_kind)
    if overlay.startswith("per-operation"):
        for op in ("read", "create", "update", "delete"):
            w = names.get(("Deployment", f"posts-service-{op}"))
            role = {e["name"]: e.get("value") for e in containers(w)[0]["env"]}.get("API_ROLE") if w else None
            check(f"{overlay}: posts-service-{op} serves only {op}", role == op, role)
            check(f"{overlay}: posts-service-{op} has its own HPA", ("Deployment", f"posts-service-{op}") in hpa_targets)
        check(f"{overlay}: no single posts-service", ("Deployment", "posts-service") not in names)
    return by_kind


def check_sqlite_overlay(overlay, names, secrets, settings):
    """db-service as one SQLite writer with its volumes, backups copied off the node when configured."""
    db = names[("StatefulSet", "db-service")]
    check(f"{overlay}: db-service is one StatefulSet replica", db["spec"]["replicas"] == 1)
    claims = {t["metadata"]["name"]: storage_gib(t["spec"]["resources"]["requests"]["storage"])
              for t in db["spec"].get("volumeClaimTemplates", [])}
    check(f"{overlay}: db-service keeps its data and backups on volumes", {"data", "backups"} <= set(claims), claims)
    retention = int(settings.get("BACKUP_RETENTION", "24"))
    check(f"{overlay}: the backups volume holds BACKUP_RETENTION backups and the one being written, each as large as the data",
          claims.get("backups", 0) >= (retention + 1) * claims.get("data", 0), (retention, claims))
    check(f"{overlay}: more backups are kept off the node than on it",
          int(settings.get("BACKUP_REMOTE_RETENTION", "0")) >= retention, settings)
    refs = [s["secretRef"]["name"] for s in containers(db)[0].get("envFrom", []) if "secretRef" in s]
    check(f"{overlay}: db-service takes the bucket settings from the Secret conduit-backup-storage",
          refs == ["conduit-backup-storage"] and BACKUP_STORAGE_KEYS <= secrets.get("conduit-backup-storage", set()),
          (refs, secrets.get("conduit-backup-storage")))
    check(f"{overlay}: no other workload sees the bucket credentials", all(
        "conduit-backup-storage" not in str(containers(w)) for key, w in names.items() if key != ("StatefulSet", "db-service")))


def check_mysql_overlay(overlay, names, by_kind):
    """db-service as replicas on a database server: a Deployment, no volumes of its own, the URL from a Secret
    only it mounts, egress to the database port only."""
    db = names.get(("Deployment", "db-service"))
    check(f"{overlay}: db-service is a Deployment with at least 2 replicas", db is not None and db["spec"]["replicas"] >= 2)
    check(f"{overlay}: there is no StatefulSet (no PVC)", not any(w["kind"] == "StatefulSet" for w in names.values()))
    if db is None:
        return
    pod = db["spec"]["template"]["spec"]
    check(f"{overlay}: db-service mounts no PersistentVolumeClaim",
          not any("persistentVolumeClaim" in v for v in pod.get("volumes", [])), pod.get("volumes"))
    env = {e["name"]: e for e in pod["containers"][0].get("env", [])}
    url = env.get("DATABASE_URL", {})
    check(f"{overlay}: DATABASE_URL comes from a Secret", "secretKeyRef" in url.get("valueFrom", {}) and "value" not in url, url)
    secret = url.get("valueFrom", {}).get("secretKeyRef", {}).get("name", "")
    for w in names.values():
        if w["metadata"]["name"] == "db-service":
            continue
        for c in containers(w):
            refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
            check(f"{overlay}: {w['metadata']['name']} does not see the database credentials", secret not in refs, refs)
    check(f"{overlay}: db-service takes no scheduled backups", env.get("BACKUP_INTERVAL_SECS", {}).get("value") == "0")
    pdb = [p for p in by_kind.get("PodDisruptionBudget", []) if matches(p["spec"]["selector"], pod_labels(db))]
    check(f"{overlay}: a PDB keeps a db-service replica up during drains", len(pdb) == 1 and pdb[0]["spec"].get("minAvailable") == 1, pdb)


def check_switching(rendered):
    """Applying overlay B over overlay A (kubectl apply, no prune) leaves A's workloads running: none of them may be
    selected by a Service of B, or requests would reach two backends (k8s/README.md, "Switching overlays")."""
    for a, docs_a in rendered.items():
        for b, docs_b in rendered.items():
            if a == b:
                continue
            workloads_b = {(d["kind"], d["metadata"]["name"]): d for d in docs_b if d["kind"] in ("Deployment", "StatefulSet")}
            union = {(d["kind"], d["metadata"]["name"]): d for d in docs_a if d["kind"] in ("Deployment", "StatefulSet")}
            union.update(workloads_b)
            for s in (d for d in docs_b if d["kind"] == "Service"):
                selected = sorted(f"{k}/{n}" for (k, n), w in union.items() if matches(s["spec"]["selector"], pod_labels(w)))
                check(f"{a} → {b}: Service/{s['metadata']['name']} selects one workload", len(selected) == 1, selected)


def check_observability(overlay, by_kind, work):
    """The monitoring component: ServiceMonitor, PrometheusRule (promtool), scrape annotations, dashboard."""
    services = by_kind.get("Service", [])
    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    for sm in by_kind.get("ServiceMonitor", []):
        selected = [s for s in services if matches(sm["spec"]["selector"], s["metadata"].get("labels", {}))]
        check(f"{overlay}: ServiceMonitor selects the api and db-service Services",
              {s["metadata"]["name"] for s in selected} == {s["metadata"]["name"] for s in services} - {"frontend-service"},
              [s["metadata"]["name"] for s in selected])
        for endpoint in sm["spec"]["endpoints"]:
            for s in selected:
                check(f"{overlay}: ServiceMonitor port {endpoint['port']} exists on {s['metadata']['name']}",
                      endpoint["port"] in [p.get("name") for p in s["spec"]["ports"]])
                kind = "db-service" if s["metadata"]["labels"].get("app.kubernetes.io/component") == "database" else "api"
                check(f"{overlay}: {s['metadata']['name']} serves {endpoint['path']}", endpoint["path"] in ROUTES[kind])
    for w in workloads:
        annotations = w["spec"]["template"]["metadata"].get("annotations", {})
        component = pod_labels(w).get("app.kubernetes.io/component")
        if component in ("api", "database"):
            port = str(containers(w)[0]["ports"][0]["containerPort"])
            check(f"{overlay}: {w['metadata']['name']} carries scrape annotations for its metrics port",
                  annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") == port
                  and annotations.get("prometheus.io/path") == "/metrics", annotations)
    scrape = [n for n in by_kind.get("NetworkPolicy", []) if any(
        "conduit-metrics-scraper" in p.get("namespaceSelector", {}).get("matchLabels", {})
        for r in n["spec"].get("ingress", []) for p in r.get("from", []))]
    check(f"{overlay}: a labelled monitoring namespace may scrape api and db-service", len(scrape) == 1 and
          {p["port"] for r in scrape[0]["spec"]["ingress"] for p in r["ports"]} == {5000, 3001}, scrape)
    rules = by_kind.get("PrometheusRule", [])
    check(f"{overlay}: one PrometheusRule", len(rules) == 1)
    if rules:
        exprs = [r["expr"] for g in rules[0]["spec"]["groups"] for r in g["rules"]]
        alerts = {r["alert"] for g in rules[0]["spec"]["groups"] for r in g["rules"]}
        check(f"{overlay}: alerts on stale and failed backups and uploads, 5xx, latency and restarts",
              {"ConduitBackupStale", "ConduitBackupFailing", "ConduitBackupUploadFailing", "ConduitApiErrors",
               "ConduitApiSlow", "ConduitContainerRestarting"} <= alerts, alerts)
        for expr in exprs:
            unknown = promql_metrics(expr) - OUR_METRICS - EXTERNAL_METRICS
            check(f"{overlay}: alert expression reads only exported metrics", not unknown, (unknown, expr))
        rules_file = os.path.join(work, "conduit.rules.yaml")
        with open(rules_file, "w") as f:
            yaml.safe_dump(rules[0]["spec"], f)
        shutil.copy(os.path.join(K8S, "components", "observability", "alerts.test.yaml"), work)
        for args in (["check", "rules", rules_file], ["test", "rules", os.path.join(work, "alerts.test.yaml")]):
            run = subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=work)
            check(f"{overlay}: promtool {' '.join(args[:2])} passes", run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:])
    dashboards = [c for c in by_kind.get("ConfigMap", []) if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    check(f"{overlay}: one Grafana dashboard ConfigMap", len(dashboards) == 1)
    for c in dashboards:
        for name, text in c["data"].items():
            dashboard = json.loads(text)
            panels = [p for p in dashboard["panels"] if p["type"] != "row"]
            exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
            for expr in exprs:
                unknown = promql_metrics(expr) - OUR_METRICS - EXTERNAL_METRICS
                check(f"{overlay}: dashboard query reads only exported metrics", not unknown, (unknown, expr))
            titles = {p["title"] for p in panels}
            check(f"{overlay}: dashboard {name} shows the four golden signals",
                  {"Traffic", "Errors", "Latency", "Saturation"} <= titles, titles)
            rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
            check(f"{overlay}: dashboard has a row per service (api services repeated, db-service, frontend)",
                  len(rows) == 3 and any(p.get("repeat") for p in dashboard["panels"] if p["type"] == "row"), rows)


def settings_of(rendered):
    """The data of an overlay's conduit-settings ConfigMap (its name carries a hash)."""
    return next((c.get("data", {}) for c in rendered.get("ConfigMap", [])
                 if c["metadata"]["name"].startswith("conduit-settings")), {})


def check_data_job(name, docs, sqlite_overlays, args, secrets_from, claims, component):
    """A one-off Job (k8s/restore, k8s/compact) runs `db-service <args>` on the StatefulSet's `claims` (volume claim
    template names), mounted where db-service mounts them, without retrying, with the pod label `component`: db-service's
    network policies for `database`, else none but the default deny."""
    by_kind = rendered_objects(docs)
    jobs = by_kind.get("Job", [])
    check(f"{name}: one Job", len(jobs) == 1)
    if not jobs:
        return
    job = jobs[0]
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
    for overlay, rendered in sqlite_overlays.items():
        secrets = {s["metadata"]["name"]: set((s.get("data") or {})) for s in rendered.get("Secret", [])}
        check_pod(f"{name} (secrets of {overlay})", job["spec"]["template"], "Job", configmaps, secrets, {})
        db = next(w for w in rendered["StatefulSet"] if w["metadata"]["name"] == "db-service")
        pod_claims = {f"{t['metadata']['name']}-{db['metadata']['name']}-0" for t in db["spec"]["volumeClaimTemplates"]}
        job_claims = {v["persistentVolumeClaim"]["claimName"] for v in job["spec"]["template"]["spec"]["volumes"]
                      if "persistentVolumeClaim" in v}
        wanted = {f"{c}-{db['metadata']['name']}-0" for c in claims}
        check(f"{name}: the Job mounts the claims {sorted(wanted)} of {overlay}'s db-service-0",
              job_claims == wanted and wanted <= pod_claims, (job_claims, pod_claims))
        env = {e["name"]: e.get("value") for e in containers(job)[0].get("env", [])}
        check(f"{name}: the Job's DATA_DIR is {overlay}'s", env.get("DATA_DIR") == settings_of(rendered).get("DATA_DIR"),
              (env.get("DATA_DIR"), settings_of(rendered).get("DATA_DIR")))
        if component != "database":
            labels = pod_labels(job)
            selecting = [p["metadata"]["name"] for p in rendered.get("NetworkPolicy", [])
                         if p["spec"]["podSelector"].get("matchLabels")
                         and all(labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items())]
            check(f"{name}: no NetworkPolicy of {overlay} but the default deny selects the Job", not selecting, selecting)
        db_mounts = {m["name"]: m["mountPath"] for m in containers(db)[0]["volumeMounts"]}
        job_mounts = {m["name"]: m["mountPath"] for m in containers(job)[0]["volumeMounts"]}
        check(f"{name}: the Job mounts them where {overlay}'s db-service does",
              all(db_mounts.get(v) == path for v, path in job_mounts.items()), (db_mounts, job_mounts))
    container = containers(job)[0]
    check(f"{name}: the Job runs `db-service {' '.join(args)}`", container.get("args") == args
          and args[0] in DB_COMMANDS, (container.get("args"), DB_COMMANDS))
    env_from = {e.get("secretRef", {}).get("name") for e in container.get("envFrom", [])} - {None}
    check(f"{name}: the Job's secrets are {sorted(secrets_from)}", env_from == set(secrets_from), env_from)
    check(f"{name}: the Job does not retry a failed run", job["spec"].get("backoffLimit") == 0)
    check(f"{name}: the Job's pods are of component {component}, not db-service's own",
          pod_labels(job).get("app.kubernetes.io/component") == component
          and pod_labels(job).get("app.kubernetes.io/name") != "db-service")


def validate(name, path):
    for version in KUBERNETES_VERSIONS:
        schema = subprocess.run([os.path.join(BIN, "kubernetes-validate"), "--strict", "--quiet", "--no-warn", "-k",
                                 version, path], capture_output=True, text=True)
        check(f"{name} validates against Kubernetes {version}", schema.returncode == 0, schema.stdout + schema.stderr)


def render(path):
    out = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


def main():
    with tempfile.TemporaryDirectory() as work:
        rendered_files, rendered, by_overlay = [], {}, {}
        for overlay in OVERLAYS:
            subprocess.run([os.path.join(K8S, "generate-secrets"), overlay], check=True, stdout=subprocess.DEVNULL)
            code, text, err = render(os.path.join(K8S, "overlays", overlay))
            check(f"{overlay} renders", code == 0, err)
            if code:
                continue
            path = os.path.join(work, f"{overlay}.yaml")
            with open(path, "w") as f:
                f.write(text)
            rendered_files.append(path)
            validate(overlay, path)
            docs = [d for d in yaml.safe_load_all(text) if d]
            rendered[overlay] = docs
            by_overlay[overlay] = check_overlay(overlay, docs)
            if "PrometheusRule" in by_overlay[overlay]:
                os.makedirs(os.path.join(work, overlay))
                check_observability(overlay, by_overlay[overlay], os.path.join(work, overlay))
        check("an overlay has the monitoring component", any("PrometheusRule" in k for k in by_overlay.values()))
        check_switching(rendered)
        sqlite_overlays = {o: k for o, k in by_overlay.items() if "StatefulSet" in k}
        for name, args, secrets_from, claims, component in [
                ("restore", ["restore", "$(RESTORE_FROM)"], ["conduit-backup-storage"], ["data", "backups"], "database"),
                ("compact", ["compact"], [], ["data"], "maintenance")]:
            code, text, err = render(os.path.join(K8S, name))
            check(f"{name} renders", code == 0, err)
            if code == 0:
                path = os.path.join(work, f"{name}.yaml")
                with open(path, "w") as f:
                    f.write(text)
                rendered_files.append(path)
                validate(name, path)
                check_data_job(name, [d for d in yaml.safe_load_all(text) if d], sqlite_overlays, args, secrets_from,
                               claims, component)
        # checkov must not reach the network: run it in a namespace with only loopback.
        args = [os.path.join(BIN, "checkov"), "--config-file", os.path.join(K8S, "checkov.yaml")]
        for path in rendered_files:
            args += ["-f", path]
        quoted = " ".join(f"'{a}'" for a in args)
        lint = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up 2>/dev/null; {quoted}"],
                              capture_output=True, text=True)
        summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", lint.stdout)
        check("checkov passes with the documented skips", lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-1000:])
        if summary:
            print(f"checkov: {summary.group(1)} checks passed, {summary.group(2)} failed")
    print(f"k8s: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
