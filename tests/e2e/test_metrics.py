"""GET /metrics (Prometheus text, checked by promtool) and Triton statistics."""

import re
import shutil
import subprocess
import unittest

from tests.e2e.inferd_server import ServerTestCase, simple_request


def sample(text, name, **labels):
    """The value of metric `name` with exactly these labels, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(m.group(4))
    return None


class MetricsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        body, cls.want0, cls.want1 = simple_request()
        for _ in range(5):
            status, _ = cls.server.json("POST", "/v2/models/simple/infer", body)
            assert status == 200
        bad = {"inputs": [{"name": "NOPE", "datatype": "INT32", "shape": [1, 16], "data": [0] * 16}]}
        status, _ = cls.server.json("POST", "/v2/models/simple/infer", bad)
        assert status == 400
        status, headers, raw = cls.server.request("GET", "/metrics")
        assert status == 200
        cls.content_type = headers.get("content-type", "")
        cls.text = raw.decode()

    def test_content_type_is_prometheus_text(self):
        self.assertTrue(self.content_type.startswith("text/plain"), self.content_type)
        self.assertIn("version=0.0.4", self.content_type)

    def test_promtool_accepts_the_output(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is not installed")
        result = subprocess.run([promtool, "check", "metrics"], input=self.text.encode(),
                                capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout.decode() + result.stderr.decode())

    def test_model_counters_count_the_requests(self):
        self.assertEqual(sample(self.text, "inferd_model_request_success_total", model="simple", version="1"), 5)
        self.assertEqual(sample(self.text, "inferd_model_request_failure_total",
                                model="simple", version="1", reason="invalid"), 1)
        self.assertEqual(sample(self.text, "inferd_model_request_failure_total",
                                model="simple", version="1", reason="timeout"), 0)
        self.assertEqual(sample(self.text, "inferd_model_inference_total", model="simple", version="1"), 5)
        self.assertEqual(sample(self.text, "inferd_model_execution_total", model="simple", version="1"), 5)
        self.assertEqual(sample(self.text, "inferd_model_pending_requests", model="simple", version="1"), 0)
        self.assertEqual(sample(self.text, "inferd_model_batch_size_count", model="simple", version="1"), 5)
        self.assertEqual(sample(self.text, "inferd_model_batch_size_bucket", model="simple", version="1", le="1"), 5)
        self.assertEqual(sample(self.text, "inferd_model_request_duration_seconds_count",
                                model="simple", version="1"), 5)

    def test_http_counters_by_route_and_status(self):
        route = "/v2/models/{model}/infer"
        self.assertEqual(sample(self.text, "inferd_http_requests_total", route=route, method="POST", status="200"), 5)
        self.assertEqual(sample(self.text, "inferd_http_requests_total", route=route, method="POST", status="400"), 1)

    def test_process_metrics_are_plausible(self):
        rss = sample(self.text, "inferd_process_resident_memory_bytes")
        self.assertGreater(rss, 10 * 1024 * 1024)
        self.assertGreater(sample(self.text, "inferd_process_cpu_seconds_total"), 0)
        self.assertGreaterEqual(sample(self.text, "inferd_http_open_connections"), 1)

    def test_stats_have_triton_shape_and_counts(self):
        status, body = self.server.json("GET", "/v2/models/simple/stats")
        self.assertEqual(status, 200, body)
        stats = body["model_stats"]
        self.assertEqual(len(stats), 1)
        s = stats[0]
        self.assertEqual((s["name"], s["version"]), ("simple", "1"))
        self.assertGreaterEqual(s["inference_count"], 5)
        self.assertGreaterEqual(s["execution_count"], 5)
        infer = s["inference_stats"]
        for key in ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output"):
            self.assertIn("count", infer[key])
            self.assertIn("ns", infer[key])
        self.assertGreaterEqual(infer["success"]["count"], 5)
        self.assertGreater(infer["compute_infer"]["ns"], 0)
        self.assertEqual(s["batch_stats"][0]["batch_size"], 1)

    def test_stats_for_all_models_and_unknown_model(self):
        status, body = self.server.json("GET", "/v2/models/stats")
        self.assertEqual(status, 200)
        names = {s["name"] for s in body["model_stats"]}
        self.assertIn("simple", names)
        self.assertIn("digits", names)
        status, body = self.server.json("GET", "/v2/models/nope/stats")
        self.assertEqual(status, 404)
        self.assertIn("nope", body["error"])

    def test_unknown_methods_routes_and_models_fold_into_bounded_labels(self):
        def series():
            status, _, raw = self.server.request("GET", "/metrics")
            self.assertEqual(status, 200)
            return raw.decode()

        def made_up_requests(start, count):
            for i in range(start, start + count):
                client = self.server.new_client()
                try:
                    status, _, _ = client.request("FOO%d" % i, "/v2/health/live")
                    self.assertEqual(status, 405)
                    status, _, _ = client.request("GET", "/nowhere/%d" % i)
                    self.assertEqual(status, 404)
                    status, _, _ = client.request("GET", "/v2/models/nope%d/ready" % i)
                    self.assertEqual(status, 404)
                finally:
                    client.close()

        made_up_requests(0, 30)
        text = series()
        self.assertNotIn('method="FOO', text)
        self.assertNotIn("nope", text)
        self.assertNotIn("nowhere", text)
        self.assertGreaterEqual(sample(text, "inferd_http_requests_total", route="unmatched",
                                       method="other", status="405"), 30)
        self.assertGreaterEqual(sample(text, "inferd_http_requests_total", route="unmatched",
                                       method="GET", status="404"), 30)
        self.assertGreaterEqual(sample(text, "inferd_http_requests_total",
                                       route="/v2/models/{model}/ready", method="GET",
                                       status="404"), 30)
        # More made-up requests add no series at all.
        names_before = {line.split(" ")[0] for line in text.splitlines() if not line.startswith("#")}
        made_up_requests(30, 30)
        names_after = {line.split(" ")[0] for line in series().splitlines() if not line.startswith("#")}
        self.assertEqual(names_after, names_before)


if __name__ == "__main__":
    unittest.main()
