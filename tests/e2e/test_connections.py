"""1,000 concurrent keep-alive connections, each answered correctly, then
closed by the server once idle for --idle-timeout-ms. And requests written
by hand on raw sockets: a half-closed client still gets its answer, absolute
request targets are routed, encoded slashes do not split path segments.

One thread drives every socket through `selectors` (epoll), so the test is
cheap on a 2-core machine. Throughput at 1,000 connections against 32 is a
benchmark, not a test: docs/benchmarks.md, issue 3 section.
"""

import json
import resource
import selectors
import socket
import time

from .inferd_server import ServerTestCase, outputs_by_name, simple_request
from .test_metrics import sample

CONNECTIONS = 1000
IDLE_TIMEOUT_MS = 5000
DEADLINE_S = 120.0


def parse_response(data):
    """(status, headers, body) once `data` holds one whole response, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(data) < end + 4 + length:
        return None
    return status, headers, data[end + 4:end + 4 + length]


class KeepAliveConnectionsTest(ServerTestCase):
    server_args = ["--idle-timeout-ms", str(IDLE_TIMEOUT_MS), "--io-threads", "2",
                   "--intra-op-threads", "1", "--log-level", "warn"]

    @classmethod
    def setUpClass(cls):
        # Room for our sockets; the server inherits the raised limit too.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 2 * CONNECTIONS + 256
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        super().setUpClass()

    def open_connections(self):
        status, _, raw = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return sample(raw.decode(), "inferd_http_open_connections")

    def wait_open_connections(self, n):
        deadline = time.monotonic() + DEADLINE_S
        while self.open_connections() != n:
            if time.monotonic() > deadline:
                self.fail("inferd_http_open_connections stayed %s, want %s"
                          % (self.open_connections(), n))
            time.sleep(0.05)

    def test_1000_keepalive_connections_answered_then_closed_when_idle(self):
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            s.setblocking(False)
            socks.append(s)
        # Every connection is open at the server at once (plus the metrics client's).
        self.wait_open_connections(CONNECTIONS + 1)

        expected = {}
        pending_out = {}
        for k, s in enumerate(socks):
            values0 = [k * 16 + i for i in range(16)]
            values1 = [k - i for i in range(16)]
            body, want0, want1 = simple_request(values0, values1, id="conn-%d" % k)
            raw = json.dumps(body).encode()
            pending_out[s] = (b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                              % len(raw)) + raw
            expected[s] = (k, want0, want1)

        selector = selectors.DefaultSelector()
        self.addCleanup(selector.close)
        buffers = {s: b"" for s in socks}
        answered = {}
        for s in socks:
            selector.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        deadline = time.monotonic() + DEADLINE_S
        while len(answered) < CONNECTIONS:
            self.assertLess(time.monotonic(), deadline,
                            "%d of %d answered" % (len(answered), CONNECTIONS))
            for key, events in selector.select(timeout=1.0):
                s = key.fileobj
                if events & selectors.EVENT_WRITE and pending_out[s]:
                    sent = s.send(pending_out[s])
                    pending_out[s] = pending_out[s][sent:]
                    if not pending_out[s]:
                        selector.modify(s, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    chunk = s.recv(65536)
                    k = expected[s][0]
                    self.assertTrue(chunk, "connection %d closed before its answer" % k)
                    buffers[s] += chunk
                    parsed = parse_response(buffers[s])
                    if parsed is not None:
                        answered[s] = (parsed, time.monotonic())
                        selector.unregister(s)

        for s, ((status, headers, body), _) in answered.items():
            k, want0, want1 = expected[s]
            self.assertEqual(status, 200, "connection %d: %r" % (k, body[:300]))
            self.assertNotEqual(headers.get("connection", "").lower(), "close",
                                "connection %d not kept alive" % k)
            response = json.loads(body)
            self.assertEqual(response["id"], "conn-%d" % k)
            outs = {o["name"]: o["data"] for o in response["outputs"]}
            self.assertEqual(outs["OUTPUT0"], want0, "connection %d" % k)
            self.assertEqual(outs["OUTPUT1"], want1, "connection %d" % k)

        # Now idle: the server closes each one (EOF) after the idle timeout.
        closed_after = {}
        for s in socks:
            selector.register(s, selectors.EVENT_READ)
        while len(closed_after) < CONNECTIONS:
            self.assertLess(time.monotonic(), deadline + IDLE_TIMEOUT_MS / 1000,
                            "%d of %d idle connections closed" % (len(closed_after), CONNECTIONS))
            for key, _ in selector.select(timeout=1.0):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                self.assertEqual(chunk, b"", "unexpected bytes on idle connection %d" % expected[s][0])
                closed_after[s] = time.monotonic() - answered[s][1]
                selector.unregister(s)
        # Closed because idle for the timeout, not early (a busy machine only
        # makes this later; half the timeout leaves room for delivery delays).
        self.assertGreaterEqual(min(closed_after.values()), IDLE_TIMEOUT_MS / 1000 / 2)
        self.wait_open_connections(1)


def exchange(port, data, half_close=True, timeout=30.0):
    """Sends `data` on a new connection, half-closes it (shutdown(SHUT_WR), as
    HTTP/1.0 tools do) unless told not to, and returns every byte the server
    sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk


def final_response(data):
    """(status, headers, body, interim statuses) of the one final response in
    `data`, after any 1xx interim responses."""
    interim = []
    while data.startswith(b"HTTP/1.1 1"):
        end = data.find(b"\r\n\r\n")
        interim.append(int(data.split(b" ", 2)[1]))
        data = data[end + 4:]
    parsed = parse_response(data)
    if parsed is None:
        raise AssertionError("no complete response in %r" % data[:500])
    status, headers, body = parsed
    return status, headers, body, interim


def infer_bytes(version, target, body):
    return (b"POST " + target.encode() + b" HTTP/" + version.encode() + b"\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


class RawRequestTest(ServerTestCase):
    """Requests the standard library's clients would not send."""

    def test_half_closed_http11_client_gets_its_answer(self):
        body, want0, want1 = simple_request()
        raw = exchange(self.server.port, infer_bytes("1.1", "/v2/models/simple/infer",
                                                    json.dumps(body).encode()))
        status, headers, answer, interim = final_response(raw)
        self.assertEqual(status, 200, answer)
        self.assertTrue(all(100 <= s < 200 for s in interim), interim)
        outputs = outputs_by_name(json.loads(answer))
        self.assertEqual(outputs["OUTPUT0"]["data"], want0)
        self.assertEqual(outputs["OUTPUT1"]["data"], want1)

    def test_half_closed_http10_client_gets_its_answer_and_no_interim_response(self):
        body, want0, _ = simple_request()
        raw = exchange(self.server.port, infer_bytes("1.0", "/v2/models/simple/infer",
                                                    json.dumps(body).encode()))
        self.assertTrue(raw.startswith(b"HTTP/1.0 200 "), raw[:300])
        status, _, answer, interim = final_response(raw.replace(b"HTTP/1.0", b"HTTP/1.1", 1))
        self.assertEqual((status, interim), (200, []))
        self.assertEqual(outputs_by_name(json.loads(answer))["OUTPUT0"]["data"], want0)

    def test_half_closed_get_is_answered_then_closed(self):
        raw = exchange(self.server.port, b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, answer, _ = final_response(raw)
        self.assertEqual(status, 200, answer)
        self.assertEqual(json.loads(answer), {"live": True})

    def test_absolute_form_target_is_routed_on_its_path(self):
        target = "http://127.0.0.1:%d/v2/health/live" % self.server.port
        raw = exchange(self.server.port, b"GET " + target.encode() +
                       b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status, _, answer, _ = final_response(raw)
        self.assertEqual(status, 200, answer)
        self.assertEqual(json.loads(answer), {"live": True})
        body, want0, _ = simple_request()
        raw = exchange(self.server.port, infer_bytes(
            "1.1", "HTTP://localhost/v2/models/simple/infer?x=1", json.dumps(body).encode()))
        status, _, answer, _ = final_response(raw)
        self.assertEqual(status, 200, answer)
        self.assertEqual(outputs_by_name(json.loads(answer))["OUTPUT0"]["data"], want0)

    def test_other_target_forms_are_refused_with_a_json_error(self):
        for target in (b"ftp://127.0.0.1/v2/health/live", b"*"):
            raw = exchange(self.server.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, answer, _ = final_response(raw)
            self.assertEqual(status, 400, (target, answer))
            self.assertIn("error", json.loads(answer))

    def test_encoded_slashes_do_not_reach_other_routes(self):
        # Decoded before routing, this was the repository's load route.
        status, _, raw = self.server.request("POST", "/v2%2frepository%2fmodels%2fsimple%2fload")
        self.assertEqual(status, 404, raw)
        self.assertIn("no route", json.loads(raw)["error"])
        # Decoded before routing, this was /v2/models/simple/versions/1/ready.
        status, _, raw = self.server.request("GET", "/v2/models/simple%2fversions%2f1/ready")
        self.assertIn(status, (400, 404), raw)
        self.assertIn("simple/versions/1", json.loads(raw)["error"])
        # Literal segments match only unencoded.
        status, _, raw = self.server.request("GET", "/v2/%68ealth/live")
        self.assertEqual(status, 404, raw)

    def test_encoded_model_name_is_decoded_after_routing(self):
        status, _, raw = self.server.request("GET", "/v2/models/%73imple/ready")
        self.assertEqual(status, 200, raw)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
