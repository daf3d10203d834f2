"""Many connections at once, and unload/load while requests are in flight."""

import os
import random
import threading
import time
import unittest

from .inferd_server import (ServerTestCase, assert_tensor_matches, flatten, load_goldens,
                            outputs_by_name, simple_request)

REQUESTS = 500
CONNECTIONS = 32


class ConcurrencyTest(ServerTestCase):
    server_args = ["--model-control-mode", "explicit", "--load-model", "simple", "--load-model", "digits",
                   "--io-threads", "2", "--intra-op-threads", "1", "--log-level", "warn"]

    def test_500_requests_from_32_connections(self):
        rng = random.Random(20261122)
        work = []
        for i in range(REQUESTS):
            batch = rng.randint(1, 8)
            v0 = [rng.randint(-100000, 100000) for _ in range(16 * batch)]
            v1 = [rng.randint(-100000, 100000) for _ in range(16 * batch)]
            work.append(simple_request(v0, v1, batch=batch, id="req-%d" % i))
        shares = [work[i::CONNECTIONS] for i in range(CONNECTIONS)]
        barrier = threading.Barrier(CONNECTIONS)
        failures = []
        answered = [0] * CONNECTIONS
        lock = threading.Lock()

        def run(k):
            client = self.server.new_client()
            try:
                # Open every connection before any request flows.
                client.request("GET", "/v2/health/live")
                barrier.wait(timeout=30)
                for body, want0, want1 in shares[k]:
                    status, resp = client.json("POST", "/v2/models/simple/infer", body)
                    problem = None
                    if status != 200:
                        problem = "status %s: %r" % (status, resp)
                    elif resp.get("id") != body["id"]:
                        problem = "id %r, want %r" % (resp.get("id"), body["id"])
                    else:
                        outs = outputs_by_name(resp)
                        if flatten(outs["OUTPUT0"]["data"]) != want0 or flatten(outs["OUTPUT1"]["data"]) != want1:
                            problem = "wrong values"
                    if problem:
                        with lock:
                            failures.append("%s: %s" % (body["id"], problem))
                    answered[k] += 1
            except Exception as e:  # noqa: BLE001 - any client error is a failure to report
                with lock:
                    failures.append("connection %d: %r" % (k, e))
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(CONNECTIONS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - started
        self.assertFalse(any(t.is_alive() for t in threads), "requests still running after 120 s")
        self.assertEqual(failures, [], "%d failures, first: %s" % (len(failures), failures[:5]))
        self.assertEqual(sum(answered), REQUESTS)
        print("\n%d requests over %d connections in %.2f s" % (REQUESTS, CONNECTIONS, elapsed))
        self.assertSimpleWorks()

    def test_unload_and_load_while_requests_in_flight(self):
        case = load_goldens("digits")[-1]
        body = {"inputs": [{"name": n, "datatype": t["datatype"], "shape": t["shape"], "data": t["data"]}
                           for n, t in case["inputs"].items()]}
        stop = threading.Event()
        lock = threading.Lock()
        records = []   # (sent_at, answered_at, status)
        failures = []

        def check(status, resp):
            if status == 200:
                outs = outputs_by_name(resp)
                for name, want in case["outputs"].items():
                    assert_tensor_matches(self, name, want["datatype"], outs[name]["data"], want["data"])
            elif status == 503:
                self.assertIn("digits", resp["error"])
            else:
                self.fail("status %s: %r" % (status, resp))

        def run():
            client = self.server.new_client()
            try:
                while not stop.is_set():
                    sent = time.monotonic()
                    status, resp = client.json("POST", "/v2/models/digits/infer", body)
                    answered = time.monotonic()
                    try:
                        check(status, resp)
                    except AssertionError as e:
                        with lock:
                            failures.append(str(e)[:300])
                    with lock:
                        records.append((sent, answered, status))
            except Exception as e:  # noqa: BLE001
                with lock:
                    failures.append("client error: %r" % e)
            finally:
                client.close()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.7)
            unload_sent = time.monotonic()
            status, _, raw = self.server.request("POST", "/v2/repository/models/digits/unload", {})
            unloaded = time.monotonic()
            self.assertEqual(status, 200, raw)
            time.sleep(0.7)
            load_sent = time.monotonic()
            status, _, raw = self.server.request("POST", "/v2/repository/models/digits/load", {})
            loaded = time.monotonic()
            self.assertEqual(status, 200, raw)
            time.sleep(0.7)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        self.assertEqual(failures, [], "first failures: %s" % failures[:5])
        before = [s for sent, ans, s in records if ans < unload_sent]
        between = [s for sent, ans, s in records if sent > unloaded and ans < load_sent]
        after = [s for sent, ans, s in records if sent > loaded]
        self.assertTrue(before and all(s == 200 for s in before), "before unload: %s" % before[:20])
        self.assertTrue(between and all(s == 503 for s in between), "while unloaded: %s" % between[:20])
        self.assertTrue(after and all(s == 200 for s in after), "after reload: %s" % after[:20])
        status, resp = self.server.json("POST", "/v2/models/digits/infer", body)
        self.assertEqual(status, 200, resp)
        check(status, resp)

    def test_mixed_models_and_endpoints_concurrently(self):
        digits = load_goldens("digits")[0]
        digits_body = {"inputs": [{"name": n, "datatype": t["datatype"], "shape": t["shape"], "data": t["data"]}
                                  for n, t in digits["inputs"].items()]}
        failures = []
        lock = threading.Lock()

        def run(k):
            client = self.server.new_client()
            try:
                for i in range(20):
                    kind = (k + i) % 4
                    if kind == 0:
                        body, want0, _ = simple_request(values0=[k * 100 + i] * 16, values1=[i] * 16)
                        status, resp = client.json("POST", "/v2/models/simple/infer", body)
                        ok = status == 200 and flatten(outputs_by_name(resp)["OUTPUT0"]["data"]) == want0
                    elif kind == 1:
                        status, resp = client.json("POST", "/v2/models/digits/infer", digits_body)
                        ok = status == 200
                        if ok:
                            assert_tensor_matches(self, "logits", "FP32",
                                                  outputs_by_name(resp)["logits"]["data"],
                                                  digits["outputs"]["logits"]["data"])
                    elif kind == 2:
                        status, resp = client.json("GET", "/health")
                        ok = status == 200 and resp["status"] in ("ready", "degraded")
                    else:
                        status, resp = client.json("GET", "/v2/models/simple")
                        ok = status == 200 and resp["name"] == "simple"
                    if not ok:
                        with lock:
                            failures.append("kind %d: %s %r" % (kind, status, resp))
            except Exception as e:  # noqa: BLE001
                with lock:
                    failures.append("client error: %r" % e)
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(failures, [], failures[:5])

    def test_dynamic_batching_keeps_rows_apart(self):
        # text_classifier has dynamic_batching: concurrent requests are run together,
        # and each must still get exactly its own rows back.
        if not os.path.isdir(os.path.join(self.server.repository, "text_classifier")):
            self.skipTest("this build of the examples has no text_classifier")
        status, _, raw = self.server.request("POST", "/v2/repository/models/text_classifier/load", {})
        self.assertEqual(status, 200, raw)
        cases = load_goldens("text_classifier")
        bodies = [{"inputs": [{"name": n, "datatype": t["datatype"], "shape": t["shape"], "data": t["data"]}
                              for n, t in case["inputs"].items()]} for case in cases]
        failures = []
        lock = threading.Lock()
        barrier = threading.Barrier(16)

        def run(k):
            client = self.server.new_client()
            try:
                barrier.wait(timeout=30)
                for i in range(12):
                    c = (k + i) % len(cases)
                    status, resp = client.json("POST", "/v2/models/text_classifier/infer", bodies[c])
                    if status != 200:
                        raise AssertionError("status %s: %r" % (status, resp))
                    for name, want in cases[c]["outputs"].items():
                        got = outputs_by_name(resp)[name]
                        self.assertEqual(got["shape"], want["shape"])
                        assert_tensor_matches(self, "case %d %s" % (c, name), want["datatype"],
                                              got["data"], want["data"])
            except Exception as e:  # noqa: BLE001
                with lock:
                    failures.append("client %d: %s" % (k, str(e)[:300]))
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(failures, [], failures[:5])
        # Where the Triton statistics extension answers, it shows that requests really
        # were run together (fewer executions than requests).
        status, stats = self.server.json("GET", "/v2/models/text_classifier/stats")
        if status == 200:
            model = stats["model_stats"][0]
            self.assertLess(model["execution_count"], model["inference_stats"]["success"]["count"], model)


if __name__ == "__main__":
    unittest.main(verbosity=2)
