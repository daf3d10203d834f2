"""CORS: with --cors-origins, a browser preflight (OPTIONS with Origin and
Access-Control-Request-Method) from an allowed origin is answered 204 with the
allowed methods and headers, even when API keys are on (browsers send no
credentials with it); answers to an allowed origin carry
Access-Control-Allow-Origin; other origins get nothing; without the flag no
answer carries a CORS header."""

import hashlib
import json
import os
import tempfile
import unittest

from tests.e2e.inferd_server import InferdServer, ServerTestCase, simple_request, test_repository

APP = "https://app.example.com"
KEY = "cors-test-key-0123456789"


def preflight(server, origin, path="/v2/models/simple/infer"):
    return server.request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


class CorsTest(ServerTestCase):
    @classmethod
    def repository(cls):
        return test_repository()

    @classmethod
    def setUpClass(cls):
        cls.key_dir = cls.temp_folder(tempfile.mkdtemp(prefix="inferd-e2e-cors-"))
        path = os.path.join(cls.key_dir, "keys.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"name": "app", "scopes": ["infer"],
                                "sha256": hashlib.sha256(KEY.encode()).hexdigest()}) + "\n")
        cls.server_args = ("--cors-origins", APP + ",http://localhost:3000", "--api-keys", path)
        super().setUpClass()

    def test_preflight_from_an_allowed_origin_needs_no_key(self):
        for origin in (APP, "http://localhost:3000"):
            with self.subTest(origin=origin):
                status, headers, body = preflight(self.server, origin)
                self.assertEqual(status, 204, body)
                self.assertEqual(body, b"")
                self.assertEqual(headers["access-control-allow-origin"], origin)
                self.assertIn("POST", headers["access-control-allow-methods"])
                allowed = headers["access-control-allow-headers"].lower()
                self.assertIn("authorization", allowed)
                self.assertIn("content-type", allowed)
                self.assertIn("x-api-key", allowed)
                self.assertEqual(headers.get("vary"), "Origin")

    def test_preflight_from_another_origin_is_refused(self):
        status, headers, body = preflight(self.server, "https://evil.example.com")
        self.assertEqual(status, 403, body)
        self.assertNotIn("access-control-allow-origin", headers)

    def test_answers_to_an_allowed_origin_carry_the_headers(self):
        body = simple_request()[0]
        status, headers, data = self.server.request(
            "POST", "/v2/models/simple/infer", body,
            {"Origin": APP, "Authorization": "Bearer " + KEY})
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["access-control-allow-origin"], APP)
        self.assertIn("RateLimit-Remaining", headers["access-control-expose-headers"])
        # A refusal is readable by the page too.
        status, headers, _ = self.server.request("POST", "/v2/models/simple/infer", body,
                                                 {"Origin": APP})
        self.assertEqual(status, 401)
        self.assertEqual(headers["access-control-allow-origin"], APP)
        # Another origin, or none, gets no CORS header.
        for extra in ({"Origin": "https://evil.example.com"}, {}):
            status, headers, _ = self.server.request(
                "POST", "/v2/models/simple/infer", body,
                dict(extra, Authorization="Bearer " + KEY))
            self.assertEqual(status, 200)
            self.assertNotIn("access-control-allow-origin", headers)


class CorsOffTest(unittest.TestCase):
    def test_without_the_flag_there_are_no_cors_headers(self):
        server = InferdServer(test_repository())
        self.addCleanup(server.kill)
        server.start()
        status, headers, _ = preflight(server, APP)
        self.assertEqual(status, 405)  # no route answers OPTIONS
        self.assertFalse([h for h in headers if h.startswith("access-control-")])
        status, headers, _ = server.request("GET", "/v2/models/simple", headers={"Origin": APP})
        self.assertEqual(status, 200)
        self.assertFalse([h for h in headers if h.startswith("access-control-")])
        server.stop()

    def test_malformed_origin_stops_the_start(self):
        server = InferdServer(test_repository(), ["--cors-origins", "app.example.com"])
        self.addCleanup(server.kill)
        server.start(wait=False)
        self.assertEqual(server.wait_exit(60), 1, server.log_tail())
        self.assertIn('--cors-origins "app.example.com" is not an origin', server.log())

    def test_star_allows_any_origin(self):
        server = InferdServer(test_repository(), ["--cors-origins", "*"])
        self.addCleanup(server.kill)
        server.start()
        status, headers, _ = preflight(server, "https://anything.example")
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "*")
        status, headers, _ = server.request("GET", "/v2/models/simple",
                                            headers={"Origin": "https://anything.example"})
        self.assertEqual(headers["access-control-allow-origin"], "*")
        server.stop()


if __name__ == "__main__":
    unittest.main()
