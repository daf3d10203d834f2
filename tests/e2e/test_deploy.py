"""The deployment files under deploy/ say only what the server really has:
every YAML parses; every flag and INFERD_* variable they pass is one that
`inferd serve --help` lists; every HTTP path they probe or scrape is a route
of server/routes.cc; ports agree between the server's --http-port, the
container ports, probes, Services and the balancer; the pod's grace period
covers the drain and the preStop pause."""

import os
import re
import subprocess
import unittest

import yaml

from tests.e2e.inferd_server import REPO_ROOT, inferd_bin

DEPLOY = os.path.join(REPO_ROOT, "deploy")


def load_yaml(name):
    with open(os.path.join(DEPLOY, name), encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def routes():
    with open(os.path.join(REPO_ROOT, "src", "server", "routes.cc"), encoding="utf-8") as f:
        return set(re.findall(r'add\("GET",\s*"([^"]+)"', f.read()))


def flag_value(args, name):
    for i, a in enumerate(args):
        if a == name:
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


class DeployFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([inferd_bin(), "serve", "--help"], capture_output=True, text=True)
        cls.help = out.stdout + out.stderr
        cls.flags = set(re.findall(r"(--[a-z][a-z0-9-]+)", cls.help))
        cls.envs = set(re.findall(r"Env:(INFERD_[A-Z_]+)", cls.help))
        cls.get_routes = routes()
        cls.k8s = {}
        for name in sorted(os.listdir(os.path.join(DEPLOY, "kubernetes"))):
            cls.k8s[name] = load_yaml(os.path.join("kubernetes", name))
        cls.compose = load_yaml("compose.yaml")[0]

    def check_args(self, args, where):
        for a in args:
            if a.startswith("--"):
                self.assertIn(a.split("=", 1)[0], self.flags, "%s: unknown flag %s" % (where, a))

    def check_path(self, path, where):
        self.assertIn(path, self.get_routes, "%s: %s is not a GET route" % (where, path))

    def test_every_yaml_parses_and_knows_its_kind(self):
        self.assertTrue(self.k8s)
        kinds = set()
        for name, docs in self.k8s.items():
            for doc in docs:
                self.assertIn("kind", doc, name)
                self.assertIn("apiVersion", doc, name)
                kinds.add(doc["kind"])
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "ServiceMonitor",
                     "HorizontalPodAutoscaler", "ServingRuntime", "InferenceService"):
            self.assertIn(kind, kinds)

    def containers(self):
        for name, docs in self.k8s.items():
            for doc in docs:
                spec = doc.get("spec", {})
                pod = spec.get("template", {}).get("spec", spec)
                for c in pod.get("containers", []):
                    if "inferd" in c.get("image", ""):
                        yield name, doc, pod, c

    def test_kubernetes_flags_probes_and_ports_exist(self):
        seen = 0
        for name, doc, pod, c in self.containers():
            seen += 1
            where = "%s %s" % (name, doc["kind"])
            args = c.get("args", [])
            self.check_args(args, where)
            for env in c.get("env", []):
                self.assertIn(env["name"], self.envs, where)
            port = int(flag_value(args, "--http-port"))
            named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            self.assertIn(port, [p["containerPort"] for p in c["ports"]], where)
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe not in c:
                    continue
                get = c[probe]["httpGet"]
                self.check_path(get["path"], where + " " + probe)
                self.assertEqual(named.get(get["port"], get["port"]), port, where + " " + probe)
            if doc["kind"] == "Deployment":
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    self.assertIn(probe, c, where)
                drain_ms = int(flag_value(args, "--drain-timeout-ms"))
                pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
                pause_s = int(pre_stop[-1]) if pre_stop[0] == "sleep" else 0
                self.assertGreater(pod["terminationGracePeriodSeconds"] * 1000,
                                   drain_ms + pause_s * 1000, where)
                self.assertTrue(pod["securityContext"]["runAsNonRoot"], where)
        self.assertGreaterEqual(seen, 2)

    def test_service_monitor_and_hpa_name_real_things(self):
        docs = [d for ds in self.k8s.values() for d in ds]
        by_kind = {d["kind"]: d for d in docs}
        monitor = by_kind["ServiceMonitor"]
        for endpoint in monitor["spec"]["endpoints"]:
            self.check_path(endpoint["path"], "ServiceMonitor")
        service = by_kind["Service"] if by_kind["Service"]["metadata"]["name"] == "inferd" else \
            [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "inferd"][0]
        self.assertIn(monitor["spec"]["endpoints"][0]["port"],
                      [p["name"] for p in service["spec"]["ports"]])
        hpa = by_kind["HorizontalPodAutoscaler"]
        metric = hpa["spec"]["metrics"][0]["pods"]["metric"]["name"]
        with open(os.path.join(REPO_ROOT, "src", "api", "job_metrics.cc"), encoding="utf-8") as f:
            self.assertIn('"%s"' % metric, f.read(), "the HPA scales on a metric inferd exports")

    def test_compose_dockerfile_and_balancer_agree(self):
        services = self.compose["services"]
        replicas = [n for n, s in services.items() if n.startswith("inferd")]
        self.assertGreaterEqual(len(replicas), 2)
        with open(os.path.join(DEPLOY, "haproxy.cfg"), encoding="utf-8") as f:
            haproxy = f.read()
        for name in replicas:
            args = services[name]["command"]
            self.check_args(args, "compose " + name)
            self.assertEqual(flag_value(args, "--redis"), "redis://redis:6379/0")
            port = flag_value(args, "--http-port")
            self.assertIn("server %s %s:%s" % (name, name, port), haproxy)
        self.check_path(re.search(r"httpchk GET (\S+)", haproxy).group(1), "haproxy.cfg")
        with open(os.path.join(DEPLOY, "Dockerfile"), encoding="utf-8") as f:
            dockerfile = f.read()
        self.check_path(re.search(r"http://127\.0\.0\.1:8000(\S+)", dockerfile).group(1),
                        "Dockerfile HEALTHCHECK")
        cmd = re.search(r"^CMD (\[.*?\])\s*$", dockerfile, re.S | re.M).group(1)
        self.check_args(yaml.safe_load(cmd.replace("\\\n", " ")), "Dockerfile CMD")
        self.assertIn("USER 10001", dockerfile)
        self.assertIn("EXPOSE 8000", dockerfile)


if __name__ == "__main__":
    unittest.main(verbosity=2)
