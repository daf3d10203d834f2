"""The access log: one line per request (method, path, status, bytes,
duration, request id) in text or JSON lines (--log-format json), every 5xx
logged with its cause even with --no-access-log, and the X-Request-Id the
client sent (or a new one) returned in the response.

The servers run in explicit model control mode with no model loaded, so an
inference request is a dependable 503 (a 5xx with a cause to log).
"""

import json
import socket
import time
import unittest

from .inferd_server import ServerTestCase, simple_request

LOG_WAIT_S = 10.0


class AccessLogCase(ServerTestCase):
    server_args = ["--model-control-mode", "explicit"]

    def wait_for_log_line(self, *needles):
        """The first log line holding every needle; waits, since a line is
        written after its response."""
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            for line in self.server.log().splitlines():
                if all(n in line for n in needles):
                    return line
            if time.monotonic() > deadline:
                self.fail("no log line with %r\n--- log ---\n%s" % (needles, self.server.log_tail()))
            time.sleep(0.05)

    def failing_request(self, request_id):
        body, _, _ = simple_request()
        status, headers, raw = self.server.request(
            "POST", "/v2/models/simple/infer", body, {"X-Request-Id": request_id})
        self.assertGreaterEqual(status, 500, raw)
        self.assertEqual(headers.get("x-request-id"), request_id)
        return status, json.loads(raw)["error"]


class TextAccessLogTest(AccessLogCase):

    def test_request_is_logged_with_the_clients_request_id(self):
        status, headers, raw = self.server.request("GET", "/v2/health/live?token=hunter2",
                                                   headers={"X-Request-Id": "e2e-text-1"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("x-request-id"), "e2e-text-1")
        line = self.wait_for_log_line("request_id=e2e-text-1")
        self.assertRegex(line, r" info access method=GET path=/v2/health/live status=200 "
                               r"bytes=%d duration_ms=[0-9]+\.[0-9]{3} request_id=e2e-text-1$"
                         % len(raw))
        self.assertNotIn("hunter2", self.server.log(), "the query (may hold secrets) is not logged")

    def test_request_without_an_id_gets_a_new_one_in_response_and_log(self):
        status, headers, _ = self.server.request("GET", "/v2/health/live")
        self.assertEqual(status, 200)
        request_id = headers.get("x-request-id", "")
        self.assertRegex(request_id, r"^[0-9a-f]{16}$")
        self.wait_for_log_line("request_id=" + request_id, "status=200")

    def test_unusable_client_id_is_replaced(self):
        status, headers, _ = self.server.request("GET", "/v2/health/live",
                                                 headers={"X-Request-Id": "x" * 300})
        self.assertEqual(status, 200)
        self.assertRegex(headers.get("x-request-id", ""), r"^[0-9a-f]{16}$")

    def test_5xx_is_logged_at_error_level_with_its_cause(self):
        status, error = self.failing_request("e2e-text-5xx")
        line = self.wait_for_log_line("request_id=e2e-text-5xx")
        self.assertIn(" error access method=POST path=/v2/models/simple/infer status=%d " % status,
                      line)
        self.assertIn('error=%s' % json.dumps(error), line)

    def test_request_refused_before_routing_is_logged_too(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(b"GET * HTTP/1.1\r\nHost: x\r\nX-Request-Id: e2e-bad\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:200])
        self.assertIn(b"X-Request-Id: e2e-bad", answer)
        self.wait_for_log_line("request_id=e2e-bad", "method=GET", "status=400")


class JsonAccessLogTest(AccessLogCase):
    server_args = AccessLogCase.server_args + ["--log-format", "json"]

    def json_line(self, *needles):
        line = self.wait_for_log_line(*needles)
        try:
            return json.loads(line)
        except ValueError:
            self.fail("not a JSON line: %r" % line)

    def test_access_line_is_one_json_object_with_every_field(self):
        status, _, raw = self.server.request("GET", "/v2/health/live",
                                             headers={"X-Request-Id": "e2e-json-1"})
        self.assertEqual(status, 200)
        entry = self.json_line('"request_id":"e2e-json-1"')
        self.assertEqual({k: entry[k] for k in ("level", "msg", "method", "path", "status", "bytes")},
                         {"level": "info", "msg": "access", "method": "GET",
                          "path": "/v2/health/live", "status": 200, "bytes": len(raw)})
        self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIsInstance(entry["duration_ms"], float)

    def test_every_server_log_line_is_json(self):
        entry = self.json_line("listening on")
        self.assertEqual(entry["level"], "info")
        self.assertIn("listening on 127.0.0.1:%d" % self.server.port, entry["msg"])

    def test_5xx_carries_its_error(self):
        status, error = self.failing_request("e2e-json-5xx")
        entry = self.json_line('"request_id":"e2e-json-5xx"')
        self.assertEqual((entry["level"], entry["status"], entry["error"]), ("error", status, error))


class AccessLogOffTest(AccessLogCase):
    server_args = AccessLogCase.server_args + ["--no-access-log"]

    def test_only_5xx_are_logged(self):
        status, _, _ = self.server.request("GET", "/v2/health/live",
                                           headers={"X-Request-Id": "e2e-off-200"})
        self.assertEqual(status, 200)
        self.failing_request("e2e-off-5xx")
        self.wait_for_log_line("request_id=e2e-off-5xx", "status=5")
        self.assertNotIn("e2e-off-200", self.server.log())


if __name__ == "__main__":
    unittest.main()
