"""Backpressure over HTTP: a full queue answers 503 at once, a queue deadline
answers 504 without running, a vanished client's queued request is cancelled,
priorities reorder the queue, and every request gets exactly one answer.

Model `slow` (examples/slow_model.py): one instance, one request per
execution, LOOPS matrix products per request, priority levels 1 (high) and 2
(default), max_queue_size per level. Each test first sends a long "blocker"
request that keeps the instance busy, fills the queue behind it and waits
until /metrics shows every request pending, so what follows depends on
counts and order, not on how fast this machine is. One exception: the 504
test gives its request a 200 ms queue timeout and expects the answer while
the blocker (calibrated to about BLOCK_SECONDS) still runs.
"""

import json
import socket
import threading
import time

from .inferd_server import ServerTestCase, copy_repository, outputs_by_name, test_repository
from .test_metrics import sample

MODEL = "slow"
INFER = "/v2/models/%s/infer" % MODEL
# Roughly how long a blocker should keep the instance busy; its LOOPS come
# from a calibration run (only the 504 test relies on it being well over
# its 200 ms queue timeout).
BLOCK_SECONDS = 2.0
CALIBRATION_LOOPS = 100
POLL_TIMEOUT_S = 60.0


def slow_body(loops, tag, priority=None, timeout_us=None):
    body = {"id": "tag-%d" % tag,
            "inputs": [{"name": "LOOPS", "datatype": "INT64", "shape": [1, 1], "data": [loops]},
                       {"name": "TAG", "datatype": "INT64", "shape": [1, 1], "data": [tag]}]}
    parameters = {}
    if priority is not None:
        parameters["priority"] = priority
    if timeout_us is not None:
        parameters["timeout"] = timeout_us
    if parameters:
        body["parameters"] = parameters
    return body


class InFlight:
    """One infer request sent from its own thread on its own connection."""

    def __init__(self, server, body):
        self.body = body
        self.answers = []  # (status, headers, body); exactly one expected
        self.error = None
        self._client = server.new_client(timeout=120.0)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self.answers.append(self._client.request("POST", INFER, self.body))
        except Exception as e:  # noqa: BLE001 - reported by result()
            self.error = e
        finally:
            self._client.close()

    def finished(self):
        return not self._thread.is_alive()

    def result(self, tc):
        self._thread.join(timeout=120)
        tc.assertFalse(self._thread.is_alive(), "no answer to %s within 120 s" % self.body["id"])
        tc.assertIsNone(self.error, "%s: %r" % (self.body["id"], self.error))
        tc.assertEqual(len(self.answers), 1, self.body["id"])
        return self.answers[0]

    def outputs(self, tc):
        """Asserts a 200 whose TAG_OUT echoes the tag; returns (ORDER, response)."""
        status, _, raw = self.result(tc)
        tc.assertEqual(status, 200, "%s: %r" % (self.body["id"], raw[:300]))
        response = json.loads(raw)
        outs = outputs_by_name(response)
        tc.assertEqual(outs["TAG_OUT"]["data"], self.body["inputs"][1]["data"])
        return outs["ORDER"]["data"][0]


class BackpressureTest(ServerTestCase):
    server_args = ["--intra-op-threads", "1", "--io-threads", "2", "--log-level", "warn"]

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(test_repository(), models=[MODEL]))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status, config = cls.server.json("GET", "/v2/models/%s/config" % MODEL)
        assert status == 200, config
        cls.max_queue = int(config["dynamic_batching"]["default_queue_policy"]["max_queue_size"])
        assert cls.max_queue >= 2, config
        # Calibration: LOOPS for a blocker of about BLOCK_SECONDS here. Two
        # runs warm up (TorchScript's profiling run, then the one that
        # optimises the graph: either can take longer than hundreds of
        # loops, and timing it made the blocker shorter than the 504 test's
        # 200 ms under the sanitizers), then two sizes are timed and
        # differenced, so a request's fixed cost is not counted as loops.
        def compute_ns(loops):
            before = cls.stats()["inference_stats"]["compute_infer"]["ns"]
            status, _ = cls.server.json("POST", INFER, slow_body(loops, 0))
            assert status == 200
            return cls.stats()["inference_stats"]["compute_infer"]["ns"] - before

        compute_ns(CALIBRATION_LOOPS)
        compute_ns(CALIBRATION_LOOPS)
        small = compute_ns(CALIBRATION_LOOPS)
        large = compute_ns(4 * CALIBRATION_LOOPS)
        if large > small:
            per_loop_s = (large - small) / 1e9 / (3 * CALIBRATION_LOOPS)
        else:  # noise: the whole of the larger run, an overestimate
            per_loop_s = max(large, 1) / 1e9 / (4 * CALIBRATION_LOOPS)
        cls.block_loops = int(min(100000, max(300, BLOCK_SECONDS / per_loop_s)))

    @classmethod
    def stats(cls):
        status, body = cls.server.json("GET", "/v2/models/%s/stats" % MODEL)
        assert status == 200, body
        return body["model_stats"][0]

    def metrics(self):
        status, _, raw = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return raw.decode()

    def counter(self, name, **labels):
        value = sample(self.metrics(), name, model=MODEL, version="1", **labels)
        return 0 if value is None else int(value)

    def failures(self, reason):
        return self.counter("inferd_model_request_failure_total", reason=reason)

    def pending(self):
        return self.counter("inferd_model_pending_requests")

    def wait_for(self, what, predicate):
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("waited %.0f s for %s\n%s" % (POLL_TIMEOUT_S, what, self.server.log_tail()))
            time.sleep(0.02)

    def wait_pending(self, n):
        self.wait_for("%d pending requests" % n, lambda: self.pending() == n)

    def start_blocker(self, tag=1000):
        """Occupies the instance; returns once the blocker is the only pending request."""
        self.wait_pending(0)
        blocker = InFlight(self.server, slow_body(self.block_loops, tag, priority=1))
        self.wait_pending(1)
        return blocker

    def queue(self, body, pending_after):
        """Sends `body` and waits until the server counts it pending."""
        request = InFlight(self.server, body)
        self.wait_pending(pending_after)
        return request

    # -- tests ------------------------------------------------------------

    def test_full_queue_answers_503_at_once_with_retry_after(self):
        inferences = self.stats()["inference_count"]
        rejected = self.failures("rejected")
        blocker = self.start_blocker()
        queued = [self.queue(slow_body(1, 100 + i), 2 + i) for i in range(self.max_queue)]

        status, headers, raw = self.server.request("POST", INFER, slow_body(1, 199))
        # Answered while the blocker still runs and every queued request waits.
        still_waiting = not blocker.finished() and not any(q.finished() for q in queued)
        self.assertError(status, headers, raw, 503, "queue", "full")
        self.assertIn("retry-after", headers)
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertTrue(still_waiting, "the 503 waited for the queue to move")
        self.assertEqual(self.failures("rejected"), rejected + 1)

        # The other priority level has its own queue and still takes work.
        high = self.queue(slow_body(1, 150, priority=1), 2 + self.max_queue)

        blocker.outputs(self)
        high.outputs(self)
        for q in queued:
            q.outputs(self)
        self.wait_pending(0)
        # The refused request never ran.
        self.assertEqual(self.stats()["inference_count"], inferences + self.max_queue + 2)

    def test_queue_timeout_answers_504_without_running(self):
        inferences = self.stats()["inference_count"]
        timeouts = self.failures("timeout")
        blocker = self.start_blocker()
        timed = InFlight(self.server, slow_body(1, 200, timeout_us=200000))
        status, headers, raw = timed.result(self)
        self.assertError(status, headers, raw, 504, ("timed out", "timeout", "deadline"))
        # Answered at its deadline, not when the running batch (about
        # BLOCK_SECONDS) ends.
        self.assertEqual(self.pending(), 1, "the 504 waited for the running batch")
        self.assertFalse(blocker.finished(), "the 504 waited for the running batch")
        untimed = self.queue(slow_body(1, 201), 2)
        # "timeout": 0 is no limit of the request's own (as in Triton), not
        # a deadline already past: it waits its turn like the untimed one.
        unlimited = self.queue(slow_body(1, 202, timeout_us=0), 3)
        order_blocker = blocker.outputs(self)
        self.assertEqual(untimed.outputs(self), order_blocker + 1)
        self.assertEqual(unlimited.outputs(self), order_blocker + 2)
        self.wait_pending(0)
        self.assertEqual(self.failures("timeout"), timeouts + 1)
        self.assertEqual(self.stats()["inference_count"], inferences + 3)

    def test_disconnected_client_has_its_queued_request_cancelled(self):
        inferences = self.stats()["inference_count"]
        cancelled = self.failures("cancelled")
        blocker = self.start_blocker()
        body = json.dumps(slow_body(1, 300)).encode()
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        try:
            raw.sendall(b"POST " + INFER.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.wait_pending(2)
        finally:
            raw.close()
        self.wait_for("the cancelled counter to go up",
                      lambda: self.failures("cancelled") == cancelled + 1)
        self.assertEqual(self.pending(), 1, "only the blocker is left")
        blocker.outputs(self)
        self.wait_pending(0)
        self.assertEqual(self.stats()["inference_count"], inferences + 1,
                         "the cancelled request ran")

    def test_half_closed_client_keeps_its_queued_request(self):
        # shutdown(SHUT_WR) after the request is no disconnect (HTTP/1.0 tools
        # do it): the request waits behind the blocker and is answered.
        cancelled = self.failures("cancelled")
        blocker = self.start_blocker()
        body = json.dumps(slow_body(1, 350)).encode()
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=120)
        try:
            raw.sendall(b"POST " + INFER.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body)
            raw.shutdown(socket.SHUT_WR)
            self.wait_pending(2)
            blocker.outputs(self)
            received = b""
            while True:
                chunk = raw.recv(65536)
                if not chunk:
                    break
                received += chunk
        finally:
            raw.close()
        # Interim 1xx answers may come first; then the real one.
        while received.startswith(b"HTTP/1.1 1"):
            received = received[received.find(b"\r\n\r\n") + 4:]
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:300])
        answer = json.loads(received[received.find(b"\r\n\r\n") + 4:])
        tags = {o["name"]: o["data"] for o in answer["outputs"]}["TAG_OUT"]
        self.assertEqual(tags, [350])
        self.assertEqual(self.failures("cancelled"), cancelled)

    def test_high_priority_runs_before_queued_low_priority(self):
        blocker = self.start_blocker()
        low = [self.queue(slow_body(1, 400 + i), 2 + i) for i in range(3)]
        high = self.queue(slow_body(1, 450, priority=1), 5)
        order_blocker = blocker.outputs(self)
        order_high = high.outputs(self)
        order_low = [r.outputs(self) for r in low]
        self.assertEqual(order_high, order_blocker + 1, "high priority ran next")
        self.assertEqual(order_low, [order_high + 1, order_high + 2, order_high + 3],
                         "low priority ran after, in arrival order")

    def test_every_request_gets_exactly_one_answer(self):
        inferences = self.stats()["inference_count"]
        success = self.counter("inferd_model_request_success_total")
        before = {r: self.failures(r) for r in ("rejected", "timeout", "cancelled")}
        blocker = self.start_blocker()
        # A burst far larger than both queues: mixed levels, some with a
        # deadline that passes while the blocker runs.
        burst = []
        for i in range(40):
            burst.append(InFlight(self.server, slow_body(
                1, 500 + i, priority=1 + i % 2, timeout_us=1000 if i % 3 == 0 else None)))
        statuses = {}
        for request in burst:
            status, headers, raw = request.result(self)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                request.outputs(self)
            else:
                self.assertIn(status, (503, 504), raw[:300])
                self.assertError(status, headers, raw, status)
        blocker.outputs(self)
        self.wait_pending(0)
        self.assertEqual(sum(statuses.values()), len(burst))
        # Two queues of max_queue: at most that many waited together while the
        # blocker ran (a request timing out leaves at its deadline and frees
        # its place for another).
        self.assertLessEqual(statuses.get(200, 0), 2 * self.max_queue, statuses)
        self.assertGreaterEqual(statuses.get(503, 0),
                                len(burst) - 2 * self.max_queue - statuses.get(504, 0), statuses)
        self.assertGreaterEqual(statuses.get(200, 0), 1, statuses)
        # The server's own accounting agrees, request for request.
        self.assertEqual(self.counter("inferd_model_request_success_total"),
                         success + statuses.get(200, 0) + 1)
        self.assertEqual(self.failures("rejected"), before["rejected"] + statuses.get(503, 0))
        self.assertEqual(self.failures("timeout"), before["timeout"] + statuses.get(504, 0))
        self.assertEqual(self.failures("cancelled"), before["cancelled"])
        self.assertEqual(self.stats()["inference_count"], inferences + statuses.get(200, 0) + 1)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
