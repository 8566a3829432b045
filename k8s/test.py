#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests: every overlay renders (kubectl kustomize), validates against the
Kubernetes OpenAPI schemas (kubernetes-validate --strict), passes checkov with k8s/checkov.yaml, and holds
together where schemas cannot tell: selectors match labels, Service ports reach container ports, probes hit routes
the services really serve, every env var is one the binaries read and every Secret/ConfigMap key exists, HPAs and
PDBs point at real workloads, pods are hardened. Prints `k8s: N passed, N failed`.
Usage: k8s/test.py  (run with the tools venv's python: see scripts/bootstrap)
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "k8s")
OVERLAYS = ["minikube", "per-operation", "production", "mysql"]
KUBERNETES_VERSION = "1.32.0"
BIN = os.path.dirname(sys.executable)

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


# What the binaries really read and serve, from their source.
API_ENV = set(re.findall(r'env = "([A-Z_]+)"', read("api/src/config.rs")))
DB_ENV = set(re.findall(r'env = "([A-Z_]+)"', read("db-service/src/config.rs")))
for name in ("RUST_LOG",):  # read by the tracing filter, not clap
    API_ENV.add(name)
    DB_ENV.add(name)
NGINX_ENV = set(re.findall(r"\$\{([A-Z_]+)\}", " ".join(l for l in read("scripts/render-nginx").splitlines() if l.startswith("vars")))) - {"CONF_DIR", "RUN_DIR", "WORKER_USER"}
NGINX_ENV.add("POSTS_UPSTREAM")
ROUTES = {
    "api": set(re.findall(r'\.route\(\s*"(/[a-z]+)"', read("api/src/routes/health.rs"))),
    "db-service": set(re.findall(r'\.route\(\s*"(/[a-z]+)"', read("db-service/src/routes/health.rs"))),
    "frontend": set(re.findall(r"location = (/[a-z]+)", read("nginx/conduit.conf.template"))),
}
ENV_OF = {"api": API_ENV, "db-service": DB_ENV, "frontend": NGINX_ENV}
REQUIRED = {"api": {"INTERNAL_TOKEN", "JWT_SECRET"}, "db-service": {"INTERNAL_TOKEN"}, "frontend": {"LISTEN", "USERS_UPSTREAM", "POSTS_UPSTREAM"}}
ADDR_ENV = {"api": "API_ADDR", "db-service": "DB_SERVICE_ADDR", "frontend": "LISTEN"}


def image_facts(dockerfile):
    """The runtime stage of one of our Dockerfiles: its USER (uid, gid) and ENV defaults."""
    runtime = read(dockerfile)
    runtime = runtime[runtime.rindex("\nFROM "):]
    user = re.search(r"^USER (\d+):(\d+)$", runtime, re.M)
    env = {}
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", runtime, re.M):
        env.update(re.findall(r"([A-Z_]+)=(\S+)", block.replace("\\\n", " ")))
    return {"uid": int(user.group(1)) if user else None, "gid": int(user.group(2)) if user else None, "env": env}


# The images the manifests run (USER, ENV defaults), and the folders each writes: with a read-only root
# filesystem, every one of them must be a mounted volume.
IMAGES = {"api": image_facts("api/Dockerfile"), "db-service": image_facts("db-service/Dockerfile"),
          "frontend": image_facts("nginx/Dockerfile")}
WRITES = {"api": [], "db-service": ["DATA_DIR", "BACKUP_DIR"], "frontend": ["RUN_DIR"]}


def image_kind(image):
    for kind in ("db-service", "frontend", "api"):
        if f"conduit/{kind}" in image:
            return kind
    return None


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_overlay(overlay, docs):
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
    secrets = {s["metadata"]["name"]: set((s.get("data") or {}) | (s.get("stringData") or {})) for s in by_kind.get("Secret", [])}
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}

    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        check(f"{overlay}: {doc['kind']}/{doc['metadata']['name']} is labelled part-of conduit",
              labels.get("app.kubernetes.io/part-of") == "conduit" or doc["kind"] == "Namespace", labels)

    for w in workloads:
        name = f"{overlay}: {w['kind']}/{w['metadata']['name']}"
        template = w["spec"]["template"]
        tlabels = template["metadata"]["labels"]
        check(f"{name} selector matches its pods", matches(w["spec"]["selector"]["matchLabels"], tlabels))
        pod = template["spec"]
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
            csc = c.get("securityContext", {})
            check(f"{cname} is hardened", csc.get("allowPrivilegeEscalation") is False
                  and csc.get("readOnlyRootFilesystem") is True and csc.get("capabilities", {}).get("drop") == ["ALL"], csc)
            res = c.get("resources", {})
            check(f"{cname} has requests and limits", {"cpu", "memory"} <= set(res.get("requests", {}))
                  and {"cpu", "memory"} <= set(res.get("limits", {})), res)
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            env = {e["name"]: e for e in c.get("env", [])}
            provided = set(env)
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                check(f"{cname} envFrom ConfigMap {ref} exists", ref in configmaps, ref)
                provided |= set(configmaps.get(ref, {}))
            for key in provided:
                check(f"{cname} sets {key}, which the {kind} binary reads", key in ENV_OF[kind] or
                      (key in API_ENV | DB_ENV and any("configMapRef" in s for s in c.get("envFrom", []))), key)
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
            for var in writes:
                check(f"{cname} has a volume at {var} ({effective.get(var)}), as its root filesystem is read-only",
                      effective.get(var) in mounts, (effective.get(var), sorted(mounts)))
            addr = env.get(ADDR_ENV[kind], {}).get("value", "")
            check(f"{cname} listens on its declared container port", addr.rsplit(":", 1)[-1] in {str(p) for p in ports.values()},
                  (addr, ports))
            for probe_name in ("readinessProbe", "livenessProbe"):
                check(f"{cname} has a {probe_name}", probe_name in c)
            for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = c.get(probe_name, {}).get("httpGet")
                if probe:
                    check(f"{cname} {probe_name} hits a route it serves", probe["path"] in ROUTES[kind], (probe["path"], ROUTES[kind]))
                    check(f"{cname} {probe_name} port exists", probe["port"] in ports or probe["port"] in ports.values(), probe["port"])
            for var in ("USERS_UPSTREAM", "POSTS_UPSTREAM", "POSTS_READ_UPSTREAM", "POSTS_CREATE_UPSTREAM",
                        "POSTS_UPDATE_UPSTREAM", "POSTS_DELETE_UPSTREAM"):
                if var in env:
                    host, port = env[var]["value"].split(":")
                    target = services.get(host)
                    check(f"{cname} {var} names a Service port", target is not None
                          and int(port) in [p["port"] for p in target["spec"]["ports"]], env[var]["value"])
        if w["kind"] == "StatefulSet":
            check(f"{name} keeps its data on volumes", len(w["spec"].get("volumeClaimTemplates", [])) >= 2)

    settings = next((d for n, d in configmaps.items() if n.startswith("conduit-settings")), {})
    url = settings.get("DB_SERVICE_URL", "")
    m = re.match(r"http://([a-z-]+):(\d+)$", url)
    check(f"{overlay}: DB_SERVICE_URL names the db-service Service port", bool(m) and m.group(1) in services
          and int(m.group(2)) in [p["port"] for p in services[m.group(1)]["spec"]["ports"]], url)
    for key in settings:
        check(f"{overlay}: setting {key} is read by some binary", key in API_ENV | DB_ENV, key)

    for s in services.values():
        sel = s["spec"].get("selector", {})
        targets = [w for w in workloads if matches(sel, w["spec"]["template"]["metadata"]["labels"])]
        check(f"{overlay}: Service/{s['metadata']['name']} selects pods", bool(targets), sel)
        for port in s["spec"]["ports"]:
            reachable = any(port["targetPort"] in [p.get("name") for p in c.get("ports", [])] + [p["containerPort"] for p in c.get("ports", [])]
                            for w in targets for c in w["spec"]["template"]["spec"]["containers"])
            check(f"{overlay}: Service/{s['metadata']['name']} port {port['port']} reaches a container port", reachable, port)
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        ref = h["spec"]["scaleTargetRef"]
        check(f"{overlay}: HPA/{h['metadata']['name']} scales a workload",
              any(w["kind"] == ref["kind"] and w["metadata"]["name"] == ref["name"] for w in workloads), ref)
    for p in by_kind.get("PodDisruptionBudget", []):
        sel = p["spec"]["selector"]["matchLabels"]
        check(f"{overlay}: PDB/{p['metadata']['name']} selects pods",
              any(matches(sel, w["spec"]["template"]["metadata"]["labels"]) for w in workloads), sel)
    for n in by_kind.get("NetworkPolicy", []):
        sel = n["spec"]["podSelector"].get("matchLabels", {})
        if sel:
            check(f"{overlay}: NetworkPolicy/{n['metadata']['name']} selects pods",
                  any(matches(sel, w["spec"]["template"]["metadata"]["labels"]) for w in workloads), sel)
        for rule in n["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                psel = peer.get("podSelector", {}).get("matchLabels", {})
                check(f"{overlay}: NetworkPolicy/{n['metadata']['name']} peer selects pods",
                      any(matches(psel, w["spec"]["template"]["metadata"]["labels"]) for w in workloads), psel)
    db_policy = [n for n in by_kind.get("NetworkPolicy", []) if "Ingress" in n["spec"].get("policyTypes", [])
                 and n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "database"]
    check(f"{overlay}: only api pods may reach db-service", len(db_policy) == 1 and
          [p["podSelector"]["matchLabels"] for r in db_policy[0]["spec"]["ingress"] for p in r["from"]] == [{"app.kubernetes.io/component": "api"}])
    names = {(w["kind"], w["metadata"]["name"]): w for w in workloads}
    front = names.get(("Deployment", "frontend"))
    check(f"{overlay}: frontend has at least 2 replicas", front is not None and front["spec"]["replicas"] >= 2)
    check(f"{overlay}: frontend-service listens on port 80", services.get("frontend-service", {}).get("spec", {}).get("ports", [{}])[0].get("port") == 80)
    if overlay == "mysql":
        check_mysql_overlay(names, by_kind)
    else:
        db = names.get(("StatefulSet", "db-service"))
        check(f"{overlay}: db-service is one StatefulSet replica", db is not None and db["spec"]["replicas"] == 1)


def check_mysql_overlay(names, by_kind):
    """db-service as replicas on a database server: a Deployment, no volumes of its own, the URL from a Secret
    only it mounts, egress to the database port and DNS only."""
    db = names.get(("Deployment", "db-service"))
    check("mysql: db-service is a Deployment with at least 2 replicas", db is not None and db["spec"]["replicas"] >= 2)
    check("mysql: there is no db-service StatefulSet (no PVC)", ("StatefulSet", "db-service") not in names
          and not any(w["kind"] == "StatefulSet" for w in names.values()))
    if db is None:
        return
    pod = db["spec"]["template"]["spec"]
    check("mysql: db-service mounts no PersistentVolumeClaim",
          not any("persistentVolumeClaim" in v for v in pod.get("volumes", [])), pod.get("volumes"))
    env = {e["name"]: e for e in pod["containers"][0].get("env", [])}
    url = env.get("DATABASE_URL", {})
    check("mysql: DATABASE_URL comes from a Secret", "secretKeyRef" in url.get("valueFrom", {}) and "value" not in url, url)
    secret = url.get("valueFrom", {}).get("secretKeyRef", {}).get("name", "")
    for w in names.values():
        if w["metadata"]["name"] == "db-service":
            continue
        for c in w["spec"]["template"]["spec"]["containers"]:
            refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
            check(f"mysql: {w['metadata']['name']} does not see the database credentials", secret not in refs, refs)
    check("mysql: db-service takes no scheduled backups", env.get("BACKUP_INTERVAL_SECS", {}).get("value") == "0")
    egress = [n for n in by_kind.get("NetworkPolicy", []) if "Egress" in n["spec"].get("policyTypes", [])
              and n["spec"]["podSelector"].get("matchLabels") == {"app.kubernetes.io/component": "database"}]
    check("mysql: an egress policy covers db-service", len(egress) == 1, egress)
    ports = {(p["port"], p.get("protocol", "TCP")) for n in egress for r in n["spec"]["egress"] for p in r.get("ports", [])}
    check("mysql: db-service may reach MySQL (3306) and DNS (53)", {(3306, "TCP"), (53, "UDP")} <= ports, ports)
    check("mysql: db-service may reach nothing else", all(r.get("ports") for n in egress for r in n["spec"]["egress"]), egress)
    pdb = [p for p in by_kind.get("PodDisruptionBudget", []) if p["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "db-service"}]
    check("mysql: a PDB keeps a db-service replica up during drains", len(pdb) == 1 and pdb[0]["spec"].get("minAvailable") == 1, pdb)


def main():
    with tempfile.TemporaryDirectory() as work:
        rendered = []
        for overlay in OVERLAYS:
            subprocess.run([os.path.join(K8S, "generate-secrets"), overlay], check=True, stdout=subprocess.DEVNULL)
            out = subprocess.run(["kubectl", "kustomize", os.path.join(K8S, "overlays", overlay)],
                                 capture_output=True, text=True)
            check(f"{overlay} renders", out.returncode == 0, out.stderr)
            if out.returncode:
                continue
            path = os.path.join(work, f"{overlay}.yaml")
            with open(path, "w") as f:
                f.write(out.stdout)
            rendered.append(path)
            schema = subprocess.run([os.path.join(BIN, "kubernetes-validate"), "--strict", "--quiet", "-k",
                                     KUBERNETES_VERSION, path], capture_output=True, text=True)
            check(f"{overlay} validates against Kubernetes {KUBERNETES_VERSION}", schema.returncode == 0,
                  schema.stdout + schema.stderr)
            check_overlay(overlay, [d for d in yaml.safe_load_all(out.stdout) if d])
        # checkov must not reach the network: run it in a namespace with only loopback.
        args = [os.path.join(BIN, "checkov"), "--config-file", os.path.join(K8S, "checkov.yaml")]
        for path in rendered:
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
