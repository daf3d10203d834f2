"""The response cache over HTTP (issue 5): hits are byte-identical and
never run the model, every answer says X-Cache, Cache-Control is honoured, keys separate
what differs, identical requests in flight are computed once, metrics."""

import json
import os
import threading
import unittest

from tests.e2e.inferd_server import (ServerTestCase, clone_model, copy_repository,
                                     model_repository, simple_request, test_repository)


def enable_cache(repository, model):
    config = os.path.join(repository, model, "config.pbtxt")
    with open(config, "a", encoding="utf-8") as f:
        f.write("\nresponse_cache { enable: true }\n")


def slow_body(loops, tag):
    return {"inputs": [{"name": "LOOPS", "datatype": "INT64", "shape": [1, 1], "data": [loops]},
                       {"name": "TAG", "datatype": "INT64", "shape": [1, 1], "data": [tag]}],
            "outputs": [{"name": "TAG_OUT"}, {"name": "WORK"}]}


class CacheTest(ServerTestCase):
    @classmethod
    def repository(cls):
        path = cls.temp_repository(copy_repository(test_repository(), ["simple", "slow"]))
        clone_model(path, "simple", "simple_cached")
        enable_cache(path, "simple_cached")
        enable_cache(path, "slow")
        return path

    def stats(self, model):
        status, body = self.server.client.json("GET", "/v2/models/%s/stats" % model)
        self.assertEqual(status, 200, body)
        return body["model_stats"][0]

    def test_hit_is_byte_identical(self):
        body, want0, _ = simple_request([11] * 16, [4] * 16)
        s1, h1, first = self.infer("simple_cached", body)
        s2, h2, second = self.infer("simple_cached", body)
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual((h1["x-cache"], h2["x-cache"]), ("miss", "hit"))
        self.assertEqual(first, second)
        self.assertEqual(json.loads(second)["outputs"][0]["data"], want0)
        # Same request spelled differently (key order, whitespace): same entry.
        respelled = json.dumps({"inputs": list(reversed(body["inputs"]))}, indent=2)
        s3, h3, third = self.infer("simple_cached", respelled)
        self.assertEqual((s3, h3["x-cache"]), (200, "hit"))
        self.assertEqual(third, first)

    def test_different_inputs_outputs_or_ids_do_not_share(self):
        base, _, _ = simple_request([21] * 16, [1] * 16)
        self.assertEqual(self.infer("simple_cached", base)[1]["x-cache"], "miss")
        variants = [
            simple_request([21] * 16, [2] * 16)[0],
            dict(base, id="request-7"),
            dict(base, outputs=[{"name": "OUTPUT1"}]),
            dict(base, outputs=[{"name": "OUTPUT0", "parameters": {"binary_data": True}}]),
        ]
        for variant in variants:
            status, headers, data = self.infer("simple_cached", variant)
            self.assertEqual(status, 200, data[:300])
            self.assertEqual(headers["x-cache"], "miss", variant)
        status, headers, data = self.infer("simple_cached", dict(base, id="request-7"))
        self.assertEqual(headers["x-cache"], "hit")
        self.assertEqual(json.loads(data)["id"], "request-7")

    def test_cache_control(self):
        body, _, _ = simple_request([31] * 16, [1] * 16)
        status, headers, _ = self.infer("simple_cached", body, headers={"Cache-Control": "no-store"})
        self.assertEqual(headers["x-cache"], "miss")
        self.assertEqual(self.infer("simple_cached", body, headers={"Cache-Control": "no-store"})[1]
                         ["x-cache"], "miss", "no-store must not insert")
        status, headers, _ = self.infer("simple_cached", body, headers={"Cache-Control": "no-cache"})
        self.assertEqual(headers["x-cache"], "bypass")
        # no-cache still stores the fresh answer.
        self.assertEqual(self.infer("simple_cached", body)[1]["x-cache"], "hit")
        self.assertEqual(self.infer("simple_cached", body,
                                    headers={"Cache-Control": "max-age=0, no-cache"})[1]["x-cache"],
                         "bypass")

    def test_models_without_cache_and_errors_are_bypassed(self):
        body, _, _ = simple_request([41] * 16, [1] * 16)
        for _ in range(2):
            status, headers, _ = self.infer("simple", body)
            self.assertEqual((status, headers["x-cache"]), (200, "bypass"))
        bad = {"inputs": [{"name": "INPUT0", "datatype": "INT32", "shape": [1, 16], "data": [1] * 16}]}
        status, _, _ = self.infer("simple_cached", bad)
        self.assertEqual(status, 400)

    def test_hits_do_not_run_the_model(self):
        # Why a hit is fast: it never reaches the model. (Latency figures are
        # in docs/benchmarks.md, bench/jobs/compare.sh; tests do not time.)
        body = slow_body(400, 5)
        before = self.stats("slow")["inference_count"]
        status, headers, computed = self.infer("slow", body)
        self.assertEqual((status, headers["x-cache"]), (200, "miss"))
        for _ in range(5):
            status, headers, hit = self.infer("slow", body)
            self.assertEqual((status, headers["x-cache"], hit), (200, "hit", computed))
        self.assertEqual(self.stats("slow")["inference_count"], before + 1)

    def test_identical_requests_in_flight_are_computed_once(self):
        body = slow_body(600, 6)
        before = self.stats("slow")["inference_count"]
        results = []

        def send():
            client = self.server.new_client()
            try:
                results.append(self.infer("slow", body, client=client))
            finally:
                client.close()

        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r[0] for r in results], [200] * 6)
        self.assertEqual(len({r[2] for r in results}), 1)
        self.assertEqual(sorted(r[1]["x-cache"] for r in results).count("miss"), 1)
        self.assertEqual(self.stats("slow")["inference_count"], before + 1)

    def test_cache_metrics(self):
        body, _, _ = simple_request([51] * 16, [1] * 16)
        self.infer("simple_cached", body)
        self.infer("simple_cached", body)
        text = self.server.client.request("GET", "/metrics")[2].decode()
        values = {}
        for line in text.splitlines():
            if line.startswith("inferd_cache_") and " " in line:
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        self.assertGreaterEqual(values["inferd_cache_hits_total"], 1)
        self.assertGreaterEqual(values["inferd_cache_misses_total"], 1)
        self.assertGreater(values["inferd_cache_bytes"], 0)
        self.assertGreaterEqual(values["inferd_cache_entries"], 1)
        self.assertIn("inferd_cache_evictions_total", values)
        self.assertGreaterEqual(values["inferd_cache_hit_seconds_count"], 1)


class CacheEvictionTest(ServerTestCase):
    server_args = ("--cache-bytes", "4096")

    @classmethod
    def repository(cls):
        path = cls.temp_repository(copy_repository(test_repository(), ["simple"]))
        enable_cache(path, "simple")
        return path

    def test_small_cache_evicts_least_recently_used(self):
        bodies = [simple_request([i] * 16, [0] * 16)[0] for i in range(40)]
        for body in bodies:
            self.assertEqual(self.infer("simple", body)[1]["x-cache"], "miss")
        # The oldest were evicted to stay within 4 KiB; the newest is there.
        self.assertEqual(self.infer("simple", bodies[-1])[1]["x-cache"], "hit")
        self.assertEqual(self.infer("simple", bodies[0])[1]["x-cache"], "miss")
        text = self.server.client.request("GET", "/metrics")[2].decode()
        line = [l for l in text.splitlines() if l.startswith("inferd_cache_evictions_total")][0]
        self.assertGreater(float(line.split()[-1]), 0)
        line = [l for l in text.splitlines() if l.startswith("inferd_cache_bytes ")][0]
        self.assertLessEqual(float(line.split()[-1]), 4096)


class TaskRouteCacheTest(ServerTestCase):
    """:predict and /v1/embeddings answer through the response cache too."""

    @classmethod
    def repository(cls):
        path = cls.temp_repository(copy_repository(model_repository(), ["sentiment", "embedder"]))
        enable_cache(path, "sentiment")
        enable_cache(path, "embedder")
        return path

    def inference_count(self, model):
        status, body = self.server.client.json("GET", "/v2/models/%s/stats" % model)
        self.assertEqual(status, 200, body)
        return body["model_stats"][0]["inference_count"]

    def test_predict_hit_never_reaches_the_model(self):
        body = {"instances": ["What a wonderful evening!", "A dreadful affair."]}
        before = self.inference_count("sentiment")
        s1, h1, first = self.server.client.request("POST", "/v1/models/sentiment:predict", body)
        self.assertEqual((s1, h1["x-cache"]), (200, "miss"), first)
        self.assertEqual(self.inference_count("sentiment"), before + 2)
        for _ in range(3):
            s, h, hit = self.server.client.request("POST", "/v1/models/sentiment:predict", body)
            self.assertEqual((s, h["x-cache"], hit), (200, "hit", first))
        self.assertEqual(self.inference_count("sentiment"), before + 2)
        predictions = json.loads(first)["predictions"]
        self.assertEqual([p["label"] for p in predictions], ["POSITIVE", "NEGATIVE"])
        # Another body is another entry; no-cache computes again.
        other = {"instances": ["What a wonderful evening!"]}
        s, h, _ = self.server.client.request("POST", "/v1/models/sentiment:predict", other)
        self.assertEqual((s, h["x-cache"]), (200, "miss"))
        s, h, _ = self.server.client.request("POST", "/v1/models/sentiment:predict", body,
                                             {"Cache-Control": "no-cache"})
        self.assertEqual((s, h["x-cache"]), (200, "bypass"))
        self.assertEqual(self.inference_count("sentiment"), before + 5)  # 2 + 1 + 2

    def test_embeddings_hit_never_reaches_the_model(self):
        body = {"model": "embedder", "input": ["the weather is cold today", "stocks fell"]}
        before = self.inference_count("embedder")
        s1, h1, first = self.server.client.request("POST", "/v1/embeddings", body)
        self.assertEqual((s1, h1["x-cache"]), (200, "miss"), first)
        s2, h2, second = self.server.client.request("POST", "/v1/embeddings", body)
        self.assertEqual((s2, h2["x-cache"], second), (200, "hit", first))
        self.assertEqual(self.inference_count("embedder"), before + 2)
        self.assertEqual(len(json.loads(second)["data"]), 2)
        # Errors are never stored.
        bad = {"model": "embedder", "input": ""}
        for _ in range(2):
            s, h, _ = self.server.client.request("POST", "/v1/embeddings", bad)
            self.assertEqual(s, 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
