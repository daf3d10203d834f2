"""SIGTERM drains: stop accepting, finish in-flight requests, exit 0."""

import http.client
import json
import random
import signal
import socket
import threading
import time
import unittest

from .inferd_server import (InferdServer, assert_tensor_matches, outputs_by_name, simple_request,
                            test_repository)

# Each in-flight request carries this many FP64 values in and out (~10 MB of JSON
# each way): far more than the server's send buffer (at most net.ipv4.tcp_wmem,
# 4 MB by default) plus the client's 64 KB receive buffer, so the server cannot
# finish writing a response until the test reads it.
BIG_ELEMENTS = 500_000
IN_FLIGHT = 3


def big_all_dtypes_request(seed):
    rng = random.Random(seed)
    big = [rng.uniform(-1e6, 1e6) for _ in range(BIG_ELEMENTS)]
    inputs = []
    for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "FP16", "FP32", "FP64", "BOOL"):
        data = big if t == "FP64" else [True] if t == "BOOL" else [1]
        inputs.append({"name": "IN_" + t, "datatype": t, "shape": [len(data)], "data": data})
    return json.dumps({"inputs": inputs, "outputs": [{"name": "OUT_FP64"}]}).encode(), big


def small_window_connection(port):
    """A keep-alive connection whose receive buffer is small (no autotuning), so that
    a multi-megabyte response stays unfinished until the test reads it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(120)
    sock.connect(("127.0.0.1", port))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.sock = sock
    return conn


def connection_refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class SigtermTest(unittest.TestCase):
    def start_server(self, *args):
        server = InferdServer(test_repository(), ["--max-body-bytes", str(256 << 20)] + list(args))
        self.addCleanup(server.kill)
        server.start()
        return server

    def test_sigterm_idle_server_exits_zero(self):
        server = self.start_server()
        status, _, _ = server.request("GET", "/v2/health/live")
        self.assertEqual(status, 200)
        started = time.monotonic()
        server.stop(timeout=10)  # asserts exit code 0
        self.assertLess(time.monotonic() - started, 10)
        self.assertTrue(connection_refused(server.port))

    def test_sigterm_closes_idle_keepalive_connections(self):
        server = self.start_server()
        # An idle keep-alive connection must not hold the drain open.
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(idle.close)
        idle.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = idle.recv(65536)
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), response[:100])
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        code = server.wait_exit(10)
        self.assertEqual(code, 0, "exit code after SIGTERM with an idle keep-alive connection\n" + server.log_tail())
        self.assertLess(time.monotonic() - started, 10)
        try:
            rest = idle.recv(65536)
        except ConnectionResetError:
            rest = b""
        self.assertEqual(rest, b"")

    def test_sigterm_drains_in_flight_requests_and_refuses_new_connections(self):
        self.check_drain(sigterms=1)

    def test_second_sigterm_during_drain_still_drains(self):
        # Process managers (and impatient people) repeat SIGTERM; the drain must go on.
        self.check_drain(sigterms=2)

    def check_drain(self, sigterms):
        server = self.start_server("--io-threads", "2")
        requests = [big_all_dtypes_request(seed) for seed in range(IN_FLIGHT)]
        # One warmed keep-alive connection per in-flight request (so each is accepted before SIGTERM).
        conns = []
        for _ in range(IN_FLIGHT):
            conn = small_window_connection(server.port)
            conn.request("GET", "/v2/health/live")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
            conns.append(conn)
            self.addCleanup(conn.close)

        sent = [threading.Event() for _ in range(IN_FLIGHT)]
        errors = []

        def send(i):
            try:
                conns[i].request("POST", "/v2/models/all_dtypes/infer", requests[i][0],
                                 {"Content-Type": "application/json"})
            except Exception as e:  # noqa: BLE001
                errors.append("send %d: %r" % (i, e))
            sent[i].set()

        senders = [threading.Thread(target=send, args=(i,)) for i in range(IN_FLIGHT)]
        for t in senders:
            t.start()
        for e in sent:
            self.assertTrue(e.wait(60), "request bodies not accepted by the server within 60 s")
        self.assertEqual(errors, [])
        # Let the server parse and run them; their responses now fill the socket buffers
        # because nobody reads them yet.
        time.sleep(1.0)

        server.signal(signal.SIGTERM)
        signalled = time.monotonic()
        for _ in range(sigterms - 1):
            time.sleep(0.3)
            server.signal(signal.SIGTERM)

        # New connections are refused while the drain is still waiting for us.
        refused = False
        while time.monotonic() - signalled < 5.0:
            if connection_refused(server.port):
                refused = True
                break
            time.sleep(0.1)
        self.assertIsNone(server.proc.poll(), "inferd exited before finishing the in-flight requests\n"
                          + server.log_tail())
        self.assertTrue(refused, "new connections still accepted 5 s after SIGTERM")

        for i, conn in enumerate(conns):
            with self.subTest(request=i):
                try:
                    resp = conn.getresponse()
                    raw = resp.read()
                except (http.client.HTTPException, OSError) as e:
                    self.fail("in-flight request %d lost after SIGTERM: %r\n%s" % (i, e, server.log_tail()))
                self.assertEqual(resp.status, 200, raw[:300])
                out = outputs_by_name(json.loads(raw))["OUT_FP64"]
                self.assertEqual(out["shape"], [BIG_ELEMENTS])
                assert_tensor_matches(self, "OUT_FP64", "FP64", out["data"], requests[i][1])

        code = server.wait_exit(30)
        self.assertEqual(code, 0, "exit code after draining\n" + server.log_tail())
        self.assertTrue(connection_refused(server.port))

    def test_sigterm_during_steady_load_loses_no_accepted_request(self):
        server = self.start_server("--io-threads", "2")
        stop = threading.Event()
        lock = threading.Lock()
        problems = []
        answered = []

        def run(k):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            i = 0
            while not stop.is_set():
                body, want0, _ = simple_request(values0=[k * 1000 + i] * 16, values1=[1] * 16)
                payload = json.dumps(body).encode()
                try:
                    conn.request("POST", "/v2/models/simple/infer", payload,
                                 {"Content-Type": "application/json"})
                except OSError:
                    break  # the server closed this idle connection or refuses new ones: expected
                try:
                    resp = conn.getresponse()
                    raw = resp.read()
                except (http.client.RemoteDisconnected, ConnectionResetError):
                    # The server may close a keep-alive connection between requests
                    # while draining; the request was not answered and the client
                    # would retry. Any other outcome must be a full 200.
                    break
                except Exception as e:  # noqa: BLE001
                    with lock:
                        problems.append("client %d: %r" % (k, e))
                    break
                if resp.status != 200:
                    with lock:
                        problems.append("client %d: status %d %r" % (k, resp.status, raw[:200]))
                    break
                if outputs_by_name(json.loads(raw))["OUTPUT0"]["data"] != want0:
                    with lock:
                        problems.append("client %d: wrong values" % k)
                with lock:
                    answered.append(k)
                if resp.will_close:
                    break
                i += 1
            conn.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        server.signal(signal.SIGTERM)
        code = server.wait_exit(30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(code, 0, server.log_tail())
        self.assertEqual(problems, [])
        self.assertGreater(len(answered), 8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
