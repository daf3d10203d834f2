"""HTTPS: --tls-cert/--tls-key on the HTTP port, mutual TLS with --tls-client-ca, and
what a user gets wrong (plain HTTP to the HTTPS port, an expired certificate, bad
files). Certificates are made by each test class with the openssl tool; curl is the
client where a real client matters (--cacert, --cert)."""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

from tests.e2e.inferd_server import (InferdServer, ServerTestCase, free_port, inferd_bin,
                                     simple_request, test_repository)
from tests.e2e.jobs_client import submit_infer

CA_CONFIG = """[ca]
default_ca = d
[d]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
"""


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certificates(folder):
    """Writes into `folder`: server.crt/.key (self-signed, 127.0.0.1 and localhost),
    ca.crt/.key (a client CA), client.crt/.key (signed by it), stranger.crt/.key
    (a client certificate nobody signed), expired.crt/.key (valid in 2020 only)."""
    def path(name):
        return os.path.join(folder, name)

    san = "subjectAltName=DNS:localhost,IP:127.0.0.1"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("server.key"), "-out", path("server.crt"), "-days", "2",
            "-subj", "/CN=localhost", "-addext", san)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "2",
            "-subj", "/CN=inferd test client CA")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=client")
    openssl("x509", "-req", "-in", path("client.csr"), "-CA", path("ca.crt"),
            "-CAkey", path("ca.key"), "-CAcreateserial", "-out", path("client.crt"), "-days", "2")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("stranger.key"), "-out", path("stranger.crt"), "-days", "2",
            "-subj", "/CN=stranger")
    # `openssl req` only makes certificates valid from now on; `openssl ca`
    # takes any dates.
    with open(path("index.txt"), "w"):
        pass
    with open(path("serial"), "w") as f:
        f.write("01\n")
    with open(path("ca.cnf"), "w") as f:
        f.write(CA_CONFIG.format(dir=folder))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("expired.key"), "-out", path("expired.csr"), "-subj", "/CN=localhost",
            "-addext", san)
    openssl("ca", "-batch", "-config", path("ca.cnf"), "-selfsign", "-keyfile", path("expired.key"),
            "-in", path("expired.csr"), "-out", path("expired.crt"),
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext")
    with open(path("garbage.pem"), "w") as f:
        f.write("not a certificate\n")


def trusting(folder, cert="server.crt"):
    return ssl.create_default_context(cafile=os.path.join(folder, cert))


class TlsTestCase(ServerTestCase):
    """A server on HTTPS with certificates made for the class."""

    tls_args = ()

    @classmethod
    def repository(cls):
        return test_repository()

    @classmethod
    def setUpClass(cls):
        cls.certs = cls.temp_folder(tempfile.mkdtemp(prefix="inferd-tls-"))
        make_certificates(cls.certs)
        cls.server = InferdServer(
            cls.repository(),
            ["--tls-cert", cls.cert("server.crt"), "--tls-key", cls.cert("server.key")]
            + [a if not a.startswith("@") else cls.cert(a[1:]) for a in cls.tls_args],
            ssl_context=cls.client_context())
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    @classmethod
    def cert(cls, name):
        return os.path.join(cls.certs, name)

    @classmethod
    def client_context(cls):
        return trusting(cls.certs)

    def curl(self, *args):
        """Runs curl against the server; returns (exit code, stdout, stderr)."""
        done = subprocess.run(["curl", "-sS", "--max-time", "30"] + list(args),
                              capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr

    def url(self, path, scheme="https"):
        return "%s://127.0.0.1:%d%s" % (scheme, self.server.port, path)


class HttpsTest(TlsTestCase):
    def test_curl_round_trip_with_cacert(self):
        body, want0, want1 = simple_request([3] * 16, [4] * 16)
        code, out, err = self.curl("--cacert", self.cert("server.crt"),
                                   "-H", "Content-Type: application/json",
                                   "--data", json.dumps(body),
                                   self.url("/v2/models/simple/infer"))
        self.assertEqual(code, 0, err)
        outputs = {o["name"]: o["data"] for o in json.loads(out)["outputs"]}
        self.assertEqual(outputs["OUTPUT0"], want0)
        self.assertEqual(outputs["OUTPUT1"], want1)
        # Without the certificate trusted, curl refuses the server.
        code, _, err = self.curl(self.url("/v2/health/live"))
        self.assertNotEqual(code, 0)
        self.assertIn("certificate", err.lower())

    def test_keep_alive_carries_many_requests_on_one_tls_connection(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, timeout=30,
                                           context=self.client_context())
        self.addCleanup(conn.close)
        body, want0, _ = simple_request()
        sock = None
        for i in range(5):
            conn.request("POST", "/v2/models/simple/infer", body=json.dumps(body),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            doc = json.loads(resp.read())
            self.assertEqual(resp.status, 200, doc)
            self.assertEqual(doc["outputs"][0]["data"], want0)
            self.assertFalse(resp.will_close)
            if sock is None:
                sock = conn.sock
            self.assertIs(conn.sock, sock, "request %d opened a new connection" % i)
        self.assertEqual(sock.version()[:5], "TLSv1")

    def test_a_streamed_response_over_tls(self):
        status, _, accepted = submit_infer(self.server.client, "simple", simple_request()[0])
        self.assertEqual(status, 202, accepted)
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, timeout=60,
                                           context=self.client_context())
        self.addCleanup(conn.close)
        conn.request("GET", "/v1/jobs/%s/events" % accepted["id"])
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        text = resp.read().decode()
        statuses = [json.loads(line[len("data:"):])["status"]
                    for line in text.splitlines() if line.startswith("data:")]
        self.assertTrue(statuses, text)
        self.assertEqual(statuses[-1], "succeeded", text)

    def test_plain_http_to_the_https_port_is_refused_cleanly(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(conn.close)
        conn.request("GET", "/v2/health/live")
        resp = conn.getresponse()
        body = json.loads(resp.read())
        self.assertEqual(resp.status, 400)
        self.assertIn("HTTPS", body["error"])
        self.assertTrue(resp.will_close)
        # curl sees the same answer; the server goes on serving HTTPS.
        code, out, _ = self.curl("-w", "%{http_code}", "-o", "/dev/null",
                                 self.url("/v2/health/live", "http"))
        self.assertEqual((code, out), (0, "400"))
        status, live = self.server.json("GET", "/v2/health/live")
        self.assertEqual((status, live), (200, {"live": True}))

    def test_the_start_up_log_says_https(self):
        self.assertRegex(self.server.log(), r"listening on 127\.0\.0\.1:%d \(HTTPS"
                         % self.server.port)
        self.assertIn("valid until", self.server.log())


class MutualTlsTest(TlsTestCase):
    tls_args = ("--tls-client-ca", "@ca.crt")

    @classmethod
    def client_context(cls):
        context = trusting(cls.certs)
        context.load_cert_chain(cls.cert("client.crt"), cls.cert("client.key"))
        return context

    def test_a_client_certificate_signed_by_the_client_ca_is_let_in(self):
        code, out, err = self.curl("--cacert", self.cert("server.crt"),
                                   "--cert", self.cert("client.crt"),
                                   "--key", self.cert("client.key"),
                                   self.url("/v2/health/live"))
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), {"live": True})

    def test_no_certificate_or_a_stranger_is_refused(self):
        code, out, _ = self.curl("--cacert", self.cert("server.crt"), self.url("/v2/health/live"))
        self.assertNotEqual(code, 0)
        self.assertEqual(out, "")
        code, out, _ = self.curl("--cacert", self.cert("server.crt"),
                                 "--cert", self.cert("stranger.crt"),
                                 "--key", self.cert("stranger.key"),
                                 self.url("/v2/health/live"))
        self.assertNotEqual(code, 0)
        self.assertEqual(out, "")
        # Still serving the clients it knows.
        status, live = self.server.json("GET", "/v2/health/live")
        self.assertEqual((status, live), (200, {"live": True}))


class StartupTest(unittest.TestCase):
    """Certificates a server cannot or should not use, reported at start-up."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="inferd-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        make_certificates(cls.certs)

    def cert(self, name):
        return os.path.join(self.certs, name)

    def run_bad(self, *args):
        """Starts inferd with `args`; asserts it exits with an error; returns its output."""
        data = tempfile.mkdtemp(prefix="inferd-tls-data-")
        self.addCleanup(shutil.rmtree, data, True)
        done = subprocess.run([inferd_bin(), "serve", "--model-repository", test_repository(),
                               "--host", "127.0.0.1", "--http-port", str(free_port()),
                               "--data-dir", data, "--grpc-port", "0"] + list(args),
                              capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout + done.stderr

    def test_bad_files_are_clear_errors_naming_them(self):
        out = self.run_bad("--tls-cert", self.cert("garbage.pem"), "--tls-key", self.cert("server.key"))
        self.assertIn("--tls-cert " + self.cert("garbage.pem"), out)
        self.assertIn("not a PEM certificate", out)
        out = self.run_bad("--tls-cert", self.cert("server.crt"), "--tls-key", self.cert("client.key"))
        self.assertIn("--tls-key " + self.cert("client.key") + " is not the key of the certificate", out)
        out = self.run_bad("--tls-cert", self.cert("server.crt"), "--tls-key", self.cert("nothing.key"))
        self.assertIn("--tls-key " + self.cert("nothing.key") + ": cannot read the file", out)
        out = self.run_bad("--tls-cert", self.cert("server.crt"))
        self.assertIn("needs both --tls-cert and --tls-key", out)
        out = self.run_bad("--tls-client-ca", self.cert("ca.crt"))
        self.assertIn("--tls-client-ca needs --tls-cert and --tls-key", out)

    def test_an_expired_certificate_is_reported_with_its_file_and_date(self):
        context = ssl.create_default_context(cafile=self.cert("expired.crt"))
        server = InferdServer(test_repository(),
                              ["--tls-cert", self.cert("expired.crt"),
                               "--tls-key", self.cert("expired.key")],
                              ssl_context=ssl._create_unverified_context())
        self.addCleanup(server.kill)
        server.start()
        log = server.log()
        self.assertIn("TLS certificate %s expired on Jan  2 00:00:00 2020 GMT" % self.cert("expired.crt"),
                      log)
        self.assertRegex(log, r"warn.*expired on")
        # A client that checks dates refuses it, as the warning says.
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=30, context=context)
        with self.assertRaises(ssl.SSLCertVerificationError) as refused:
            conn.request("GET", "/v2/health/live")
        self.assertIn("expired", str(refused.exception))
        conn.close()
        server.stop()


if __name__ == "__main__":
    unittest.main()
