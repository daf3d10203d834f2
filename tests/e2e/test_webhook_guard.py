"""Where webhooks may go: only public addresses over http/https by default (loopback,
link-local, private ranges and their IPv6 forms refused at submission with a 400 naming
the URL), --webhook-allow for exceptions, https:// webhooks with the peer verified,
redirects not followed."""

import http.server
import json
import os
import shutil
import ssl
import tempfile
import threading
import time
import unittest

from tests.e2e.inferd_server import ServerTestCase, simple_request, test_repository
from tests.e2e.jobs_client import submit_infer, wait_final
from tests.e2e.test_tls import make_certificates


class GuardTest(ServerTestCase):
    """No --webhook-allow: the default policy."""

    @classmethod
    def repository(cls):
        return test_repository()

    REFUSED = [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("http://172.16.3.4/hook", "private"),
        ("http://192.168.1.1:8080/hook", "private"),
        ("http://100.64.0.1/hook", "carrier-grade NAT"),
        ("http://0.0.0.0:80/hook", "unspecified"),
        ("http://[::1]:9/hook", "loopback"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://[fc00::1]/hook", "private"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[::ffff:169.254.169.254]/hook", "link-local"),
        ("http://localhost:9/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),    # 127.0.0.1 spelled in hex
        ("https://127.0.0.1:9/hook", "loopback"),
    ]

    def test_non_public_addresses_are_refused_at_submission(self):
        c = self.server.client
        for url, kind in self.REFUSED:
            with self.subTest(url=url, via="body"):
                status, headers, data = c.request("POST", "/v1/jobs", {
                    "model": "simple", "input": simple_request()[0], "webhook": url})
                self.assertError(status, headers, data, 400, "webhook", url, kind,
                                 "--webhook-allow")
            with self.subTest(url=url, via="Job-Webhook"):
                status, headers, data = c.request(
                    "POST", "/v2/models/simple/infer", simple_request()[0],
                    {"Prefer": "respond-async", "Job-Webhook": url})
                self.assertError(status, headers, data, 400, "webhook", url, kind)
        # Nothing was queued.
        status, listing = c.json("GET", "/v1/jobs")
        self.assertEqual(status, 200, listing)
        self.assertEqual(listing.get("jobs"), [], listing)

    def test_other_schemes_are_refused(self):
        for url in ("ftp://8.8.8.8/x", "file:///etc/passwd", "gopher://8.8.8.8:70/_x",
                    "dict://8.8.8.8:11211/"):
            with self.subTest(url=url):
                status, headers, data = self.server.client.request("POST", "/v1/jobs", {
                    "model": "simple", "input": simple_request()[0], "webhook": url})
                self.assertError(status, headers, data, 400, "webhook", url)

    def test_a_name_that_does_not_resolve_is_refused(self):
        url = "http://no-such-host.invalid/hook"
        status, headers, data = self.server.client.request("POST", "/v1/jobs", {
            "model": "simple", "input": simple_request()[0], "webhook": url})
        self.assertError(status, headers, data, 400, "webhook", url, "cannot resolve")


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records (path, document) per delivery; /moved answers a redirect to /hook."""
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        doc = json.loads(self.rfile.read(length))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/hook")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        _Recorder.received.append((self.path, doc))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class HttpsWebhookTest(ServerTestCase):
    """--webhook-allow for loopback (by address and by name), --webhook-ca for
    the receiver's self-signed certificate."""

    @classmethod
    def repository(cls):
        return test_repository()

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="inferd-webhook-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        make_certificates(cls.certs)
        cls.server_args = ("--webhook-allow", "localhost,127.0.0.1",
                           "--webhook-ca", os.path.join(cls.certs, "server.crt"))
        super().setUpClass()

    def receiver(self, cert="server"):
        """An HTTPS receiver on loopback with `cert`; returns its port."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.certs, cert + ".crt"),
                                os.path.join(self.certs, cert + ".key"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server.server_address[1]

    def webhook_outcome(self, job_id):
        """Waits until the job's webhook has been tried; returns its webhook document."""
        deadline = time.monotonic() + 30
        while True:
            doc = wait_final(self.server.client, job_id)
            if doc["webhook"]["attempts"] >= 1 or time.monotonic() > deadline:
                return doc["webhook"]
            time.sleep(0.05)

    def test_an_https_webhook_is_delivered_to_a_verified_peer(self):
        _Recorder.received.clear()
        url = "https://localhost:%d/hook" % self.receiver()
        status, _, accepted = submit_infer(self.server.client, "simple", simple_request()[0],
                                           {"Job-Webhook": url})
        self.assertEqual(status, 202, accepted)
        webhook = self.webhook_outcome(accepted["id"])
        self.assertEqual(webhook, {"url": url, "status": "delivered", "attempts": 1})
        self.assertEqual(len(_Recorder.received), 1)
        path, doc = _Recorder.received[0]
        self.assertEqual((path, doc["id"], doc["status"]), ("/hook", accepted["id"], "succeeded"))

    def test_an_untrusted_certificate_is_not_delivered_to(self):
        _Recorder.received.clear()
        url = "https://127.0.0.1:%d/hook" % self.receiver("stranger")
        status, body = self.server.client.json("POST", "/v1/jobs", {
            "model": "simple", "input": simple_request()[0], "webhook": url, "max_attempts": 1})
        self.assertEqual(status, 202, body)
        webhook = self.webhook_outcome(body["id"])
        self.assertGreaterEqual(webhook["attempts"], 1)
        self.assertNotEqual(webhook["status"], "delivered")
        self.assertIn("TLS", webhook["last_error"])
        self.assertEqual(_Recorder.received, [])

    def test_redirects_are_not_followed(self):
        _Recorder.received.clear()
        url = "https://127.0.0.1:%d/moved" % self.receiver()
        status, body = self.server.client.json("POST", "/v1/jobs", {
            "model": "simple", "input": simple_request()[0], "webhook": url})
        self.assertEqual(status, 202, body)
        webhook = self.webhook_outcome(body["id"])
        self.assertNotEqual(webhook["status"], "delivered")
        self.assertIn("answered 302", webhook["last_error"])
        self.assertEqual(_Recorder.received, [])  # /hook never reached

    def test_what_is_not_listed_stays_refused(self):
        for url in ("http://127.0.0.2:9/hook", "http://169.254.169.254/", "http://[::1]:9/"):
            with self.subTest(url=url):
                status, headers, data = self.server.client.request("POST", "/v1/jobs", {
                    "model": "simple", "input": simple_request()[0], "webhook": url})
                self.assertError(status, headers, data, 400, "webhook", url)


if __name__ == "__main__":
    unittest.main()
