"""API keys, scopes and per-key rate limits, with the real binary: every
route but the health probes needs a key (401), a key without the route's
scope is refused (403), a key sees only its own jobs, a key over its limit
gets 429 with Retry-After and RateLimit-* headers while another key goes on,
SIGHUP reloads the key file without dropping connections, and the anonymous
per-IP limit when there are no keys."""

import hashlib
import http.client
import json
import os
import re
import signal
import tempfile
import time
import unittest

from tests.e2e.inferd_server import (REPO_ROOT, TINY_CHAT_TEMPLATE, InferdServer, ServerTestCase,
                                     add_gguf_model, simple_request, test_repository)

ALICE = "alice-secret-0123456789"
BOB = "bob-secret-0123456789"
OPS = "ops-secret-0123456789"
READER = "reader-secret-0123456789"
LIMITED = "limited-secret-0123456789"
CAROL = "carol-secret-0123456789"

HEALTH_ROUTES = {"/v2/health/live", "/v2/health/ready", "/health"}
# The API's document and its page: open like the health probes.
DOCS_ROUTES = {"/openapi.json", "/docs", "/docs/assets/{file}"}
OPENAI_ROUTES = {"/v1/models", "/v1/models/{model}", "/v1/chat/completions", "/v1/completions",
                 "/v1/embeddings"}
JOB_ID = "A" * 22  # the shape of a job id


def key_line(name, secret, scopes, hashed=True, **limits):
    entry = {"name": name, "scopes": scopes}
    if hashed:
        entry["sha256"] = hashlib.sha256(secret.encode()).hexdigest()
    else:
        entry["key"] = secret
    entry.update(limits)
    return json.dumps(entry)


def write_keys(path, lines):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("# test keys\n" + "\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)


KEYS = [
    key_line("alice", ALICE, ["infer"]),
    key_line("bob", BOB, ["infer"], hashed=False),
    key_line("ops", OPS, ["admin"]),
    key_line("reader", READER, ["infer", "jobs:read-all"]),
    # Two requests, then one every 100 s: the third is refused whatever the test's pace.
    key_line("limited", LIMITED, ["infer"], requests_per_second=0.01, burst=2),
]


def registered_routes():
    """(method, pattern) of every route in src/server/routes.cc."""
    with open(os.path.join(REPO_ROOT, "src", "server", "routes.cc"), encoding="utf-8") as f:
        text = f.read()
    routes = re.findall(r'add\("([A-Z]+)", "([^"]+)"', text)
    if len(routes) < 40:
        raise AssertionError("found only %d routes in routes.cc" % len(routes))
    return routes


def concrete(pattern):
    return (pattern.replace("{model}", "simple").replace("{version}", "1")
            .replace("{id}", JOB_ID).replace("{region}", "region0")
            .replace("{file}", "swagger-ui.css"))


def bearer(secret):
    return {"Authorization": "Bearer " + secret}


class ApiKeysTest(ServerTestCase):
    server_args = ("--job-workers", "2")

    @classmethod
    def repository(cls):
        return test_repository()

    @classmethod
    def setUpClass(cls):
        cls.key_dir = cls.temp_folder(tempfile.mkdtemp(prefix="inferd-e2e-keys-"))
        cls.key_file = os.path.join(cls.key_dir, "keys.jsonl")
        write_keys(cls.key_file, KEYS)
        cls.server_args = ApiKeysTest.server_args + ("--api-keys", cls.key_file)
        super().setUpClass()

    def call(self, method, path, secret=None, body=None, headers=None):
        h = dict(headers or {})
        if secret is not None:
            h.update(bearer(secret))
        if body is None and method == "POST":
            body = b"{}"
        return self.server.client.request(method, path, body, h)

    def test_every_route_but_health_needs_a_key(self):
        for method, pattern in registered_routes():
            path = concrete(pattern)
            with self.subTest(route="%s %s" % (method, pattern)):
                status, headers, body = self.call(method, path)
                if pattern in HEALTH_ROUTES | DOCS_ROUTES:
                    self.assertNotIn(status, (401, 403), body)
                    continue
                self.assertEqual(status, 401, body)
                self.assertEqual(headers.get("www-authenticate"), 'Bearer realm="inferd"')
                self.assertIn("application/json", headers.get("content-type", ""))
                error = json.loads(body)["error"]
                if pattern in OPENAI_ROUTES:
                    self.assertEqual(error["code"], "invalid_api_key", error)
                    self.assertEqual(error["type"], "invalid_request_error", error)
                    self.assertIn("API key", error["message"])
                else:
                    self.assertIn("API key is required", error)

    def test_unknown_or_malformed_key_is_401(self):
        status, headers, body = self.call("POST", "/v2/models/simple/infer", "not-a-key-0123456789")
        self.assertEqual(status, 401, body)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="inferd", error="invalid_token"')
        self.assertIn("not valid", json.loads(body)["error"])
        status, _, body = self.call("GET", "/v2/models/simple", headers={"Authorization": "Basic YTpi"})
        self.assertEqual(status, 401, body)
        self.assertIn("Bearer", json.loads(body)["error"])
        # A key of another key's length and prefix is still not that key.
        status, _, _ = self.call("GET", "/v2/models/simple", ALICE[:-1] + "x")
        self.assertEqual(status, 401)

    def test_bearer_and_x_api_key_both_work(self):
        body, want0, _ = simple_request()
        status, _, data = self.call("POST", "/v2/models/simple/infer", ALICE, body)
        self.assertEqual(status, 200, data)
        outputs = {o["name"]: o["data"] for o in json.loads(data)["outputs"]}
        self.assertEqual(outputs["OUTPUT0"], want0)
        # bob's line holds the key itself rather than its digest.
        status, _, data = self.call("POST", "/v2/models/simple/infer", body=body,
                                    headers={"X-API-Key": BOB})
        self.assertEqual(status, 200, data)

    def test_wrong_scope_is_403(self):
        # An admin-only key cannot infer ...
        status, headers, body = self.call("POST", "/v2/models/simple/infer", OPS, simple_request()[0])
        self.assertEqual(status, 403, body)
        self.assertIn('"infer" scope', json.loads(body)["error"])
        status, _, body = self.call("POST", "/v1/chat/completions", OPS,
                                    {"model": "x", "messages": [{"role": "user", "content": "hi"}]})
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body)["error"]["code"], "insufficient_scope")
        # ... and an infer key cannot touch the repository or read the metrics.
        for method, path in (("POST", "/v2/repository/index"),
                             ("POST", "/v2/repository/models/simple/unload"),
                             ("POST", "/v2/repository/models/simple/load"),
                             ("GET", "/metrics")):
            with self.subTest(path=path):
                status, _, body = self.call(method, path, ALICE)
                self.assertEqual(status, 403, body)
                self.assertIn('"admin" scope', json.loads(body)["error"])
        status, _, body = self.call("POST", "/v2/repository/index", OPS)
        self.assertEqual(status, 200, body)
        status, _, body = self.call("GET", "/metrics", OPS)
        self.assertEqual(status, 200, body)

    def test_a_key_sees_only_its_own_jobs(self):
        body, _, _ = simple_request()
        status, _, data = self.call("POST", "/v2/models/simple/infer", ALICE, body,
                                    {"Prefer": "respond-async"})
        self.assertEqual(status, 202, data)
        job = json.loads(data)["id"]
        status, _, data = self.call("POST", "/v1/jobs", BOB,
                                    {"model": "simple", "route": "infer", "input": body})
        self.assertEqual(status, 202, data)
        bob_job = json.loads(data)["id"]

        status, _, data = self.call("GET", "/v1/jobs/" + job, ALICE)
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["owner"], "alice")
        for path in ("/v1/jobs/" + job, "/v1/jobs/%s/result" % job, "/v1/jobs/%s/events" % job):
            with self.subTest(path=path):
                status, _, data = self.call("GET", path, BOB)
                self.assertEqual(status, 404, data)
        status, _, data = self.call("DELETE", "/v1/jobs/" + job, BOB)
        self.assertEqual(status, 404, data)
        # Listings hold only the caller's jobs, unless it reads them all.
        listed = lambda secret: {j["id"] for j in json.loads(self.call("GET", "/v1/jobs?limit=1000", secret)[2])["jobs"]}
        self.assertIn(job, listed(ALICE))
        self.assertNotIn(bob_job, listed(ALICE))
        self.assertIn(bob_job, listed(BOB))
        self.assertNotIn(job, listed(BOB))
        self.assertTrue({job, bob_job} <= listed(READER))
        # jobs:read-all reads another key's job, but does not cancel it.
        status, _, data = self.call("GET", "/v1/jobs/" + job, READER)
        self.assertEqual(status, 200, data)
        status, _, data = self.call("DELETE", "/v1/jobs/" + job, READER)
        self.assertEqual(status, 403, data)
        # The owner waits for its answer.
        deadline = time.monotonic() + 60
        while True:
            status, _, data = self.call("GET", "/v1/jobs/%s/result" % job, ALICE)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(status, 200, data)

    def test_a_key_over_its_limit_gets_429_and_another_key_does_not(self):
        body = simple_request()[0]
        for i in range(2):
            status, headers, data = self.call("POST", "/v2/models/simple/infer", LIMITED, body)
            self.assertEqual(status, 200, data)
            self.assertEqual(headers["ratelimit-limit"], "2")
            self.assertEqual(headers["ratelimit-remaining"], str(1 - i))
        status, headers, data = self.call("POST", "/v2/models/simple/infer", LIMITED, body)
        self.assertEqual(status, 429, data)
        self.assertIn("requests_per_second", json.loads(data)["error"])
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertLessEqual(int(headers["retry-after"]), 100)
        self.assertEqual(headers["ratelimit-limit"], "2")
        self.assertEqual(headers["ratelimit-remaining"], "0")
        self.assertGreaterEqual(int(headers["ratelimit-reset"]), 1)
        # OpenAI's routes say it in OpenAI's error object.
        status, headers, data = self.call("GET", "/v1/models", LIMITED)
        self.assertEqual(status, 429, data)
        self.assertEqual(json.loads(data)["error"]["code"], "rate_limit_exceeded")
        self.assertIn("retry-after", headers)
        # Another key is unaffected, and has no limit headers.
        for _ in range(5):
            status, headers, data = self.call("POST", "/v2/models/simple/infer", ALICE, body)
            self.assertEqual(status, 200, data)
            self.assertNotIn("ratelimit-limit", headers)
        status, _, metrics = self.call("GET", "/metrics", OPS)
        self.assertEqual(status, 200)
        match = re.search(r'^inferd_ratelimit_rejected_total\{key="limited",limit="requests"\} (\S+)$',
                          metrics.decode(), re.M)
        self.assertIsNotNone(match, metrics.decode()[-3000:])
        self.assertEqual(float(match.group(1)), 2)
        self.assertNotIn('inferd_ratelimit_rejected_total{key="alice"', metrics.decode())

    def test_sighup_reloads_the_keys_without_dropping_connections(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(conn.close)

        def get(secret):
            conn.request("GET", "/v2/models/simple", headers=bearer(secret))
            resp = conn.getresponse()
            resp.read()
            return resp.status

        self.assertEqual(get(BOB), 200)
        self.assertEqual(get(CAROL), 401)
        write_keys(self.key_file, [k for k in KEYS if '"bob"' not in k] +
                   [key_line("carol", CAROL, ["infer"])])
        self.addCleanup(self.restore_keys)
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while get(CAROL) != 200:  # the same connection throughout
            self.assertLess(time.monotonic(), deadline, self.server.log_tail())
            time.sleep(0.05)
        self.assertEqual(get(BOB), 401)
        self.assertEqual(get(ALICE), 200)
        # A broken file keeps the keys in use, and says why in the log.
        with open(self.key_file, "w", encoding="utf-8") as f:
            f.write('{"name": "broken"\n')
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while "API keys not reloaded" not in self.server.log():
            self.assertLess(time.monotonic(), deadline, self.server.log_tail())
            time.sleep(0.05)
        self.assertIn("line 1", self.server.log())
        self.assertEqual(get(CAROL), 200)

    def restore_keys(self):
        write_keys(self.key_file, KEYS)
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while self.call("GET", "/v2/models/simple", BOB)[0] != 200:
            if time.monotonic() > deadline:
                raise AssertionError("keys not restored: " + self.server.log_tail())
            time.sleep(0.05)

    def test_health_probes_stay_open(self):
        for path in sorted(HEALTH_ROUTES):
            with self.subTest(path=path):
                status, _, body = self.call("GET", path)
                self.assertEqual(status, 200, body)


class TokensPerMinuteTest(ServerTestCase):
    """A key's generated tokens count against its tokens_per_minute, on every
    generation protocol, streamed or not; another key is unaffected."""

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-auth-llm-"))
        add_gguf_model(repo, "llm", {"context_length": 128, "max_sequences": 4, "threads": 1,
                                     "chat_template": "chat.jinja"},
                       files={"chat.jinja": TINY_CHAT_TEMPLATE})
        return repo

    @classmethod
    def setUpClass(cls):
        cls.key_dir = cls.temp_folder(tempfile.mkdtemp(prefix="inferd-e2e-keys-"))
        path = os.path.join(cls.key_dir, "keys.jsonl")
        # 10 tokens a minute: one 12-token answer uses more than a minute's worth.
        write_keys(path, [key_line("openai", ALICE, ["infer"], tokens_per_minute=10),
                          key_line("ollama", BOB, ["infer"], tokens_per_minute=10),
                          key_line("triton", READER, ["infer"], tokens_per_minute=10),
                          key_line("free", CAROL, ["infer"])])
        cls.server_args = ("--api-keys", path)
        super().setUpClass()

    def generate(self, secret, path, body):
        return self.server.client.request("POST", path, body, bearer(secret))

    def assert_spent(self, secret, path, body):
        status, headers, data = self.generate(secret, path, body)
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["ratelimit-limit"], "10")
        status, headers, data = self.generate(secret, path, body)
        self.assertEqual(status, 429, data)
        self.assertIn("tokens_per_minute", data.decode())
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertEqual(headers["ratelimit-remaining"], "0")

    def test_openai_streamed_answer_is_charged(self):
        self.assert_spent(ALICE, "/v1/chat/completions",
                          {"model": "llm", "messages": [{"role": "user", "content": "hi"}],
                           "max_tokens": 12, "ignore_eos": True, "temperature": 0,
                           "stream": True})
        status, _, data = self.generate(ALICE, "/v1/completions",
                                        {"model": "llm", "prompt": "hi", "max_tokens": 2})
        self.assertEqual(status, 429, data)
        self.assertEqual(json.loads(data)["error"]["type"], "tokens")

    def test_ollama_answer_is_charged(self):
        self.assert_spent(BOB, "/api/generate",
                          {"model": "llm", "prompt": "hi", "stream": False, "raw": True,
                           "options": {"num_predict": 12, "temperature": 0}})

    def test_triton_generate_is_charged_and_other_keys_go_on(self):
        self.assert_spent(READER, "/v2/models/llm/generate",
                          {"text_input": "hi", "parameters": {"max_tokens": 12,
                                                              "ignore_eos": True}})
        for _ in range(3):
            status, headers, data = self.generate(CAROL, "/v2/models/llm/generate",
                                                  {"text_input": "hi",
                                                   "parameters": {"max_tokens": 12}})
            self.assertEqual(status, 200, data)
            self.assertNotIn("ratelimit-limit", headers)


class KeyFileErrorsTest(unittest.TestCase):
    def test_bad_key_file_stops_the_start_naming_the_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keys.jsonl")
            write_keys(path, [key_line("a", ALICE, ["infer"]), key_line("b", BOB, ["write"])])
            server = InferdServer(test_repository(), ["--api-keys", path])
            self.addCleanup(server.kill)
            server.start(wait=False)
            code = server.wait_exit(60)
            self.assertEqual(code, 1, server.log_tail())
            self.assertIn("line 3", server.log())
            self.assertIn('unknown scope "write"', server.log())

    def test_missing_key_file_stops_the_start(self):
        server = InferdServer(test_repository(), ["--api-keys", "/nonexistent/keys.jsonl"])
        self.addCleanup(server.kill)
        server.start(wait=False)
        self.assertEqual(server.wait_exit(60), 1, server.log_tail())
        self.assertIn("/nonexistent/keys.jsonl", server.log())

    def test_env_variable_names_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keys.jsonl")
            write_keys(path, [key_line("alice", ALICE, ["infer"])])
            server = InferdServer(test_repository(), env={"INFERD_API_KEYS": path})
            self.addCleanup(server.kill)
            server.start()
            self.assertEqual(server.request("GET", "/v2/models/simple")[0], 401)
            self.assertEqual(server.request("GET", "/v2/models/simple", headers=bearer(ALICE))[0], 200)
            server.stop()


class AnonymousLimitTest(ServerTestCase):
    # One request, then one every 100 s per client address.
    server_args = ("--anonymous-requests-per-second", "0.01", "--anonymous-burst", "1")

    @classmethod
    def repository(cls):
        return test_repository()

    def test_anonymous_clients_are_limited_per_address(self):
        status, headers, body = self.server.request("GET", "/v2/models/simple")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["ratelimit-limit"], "1")
        status, headers, body = self.server.request("GET", "/v2/models/simple")
        self.assertEqual(status, 429, body)
        self.assertIn("retry-after", headers)
        # No key is asked for, and the probes are not limited.
        self.assertNotIn("www-authenticate", headers)
        for _ in range(3):
            self.assertEqual(self.server.request("GET", "/v2/health/ready")[0], 200)


class AllInterfacesServer(InferdServer):
    """An inferd listening on every interface instead of loopback only."""

    @property
    def argv(self):
        return [("0.0.0.0" if arg == "127.0.0.1" else arg) for arg in super().argv]


class OpenServerTest(unittest.TestCase):
    def test_no_keys_is_open_and_warns_only_off_loopback(self):
        server = InferdServer(test_repository())
        self.addCleanup(server.kill)
        server.start()
        status, headers, _ = server.request("GET", "/v2/models/simple")
        self.assertEqual(status, 200)
        self.assertNotIn("ratelimit-limit", headers)
        self.assertNotIn("no --api-keys", server.log())
        server.stop()
        wide = AllInterfacesServer(test_repository())
        self.addCleanup(wide.kill)
        wide.start()
        self.assertEqual(wide.request("GET", "/v2/models/simple")[0], 200)
        self.assertIn("no --api-keys: anyone who can reach 0.0.0.0", wide.log())
        wide.stop()

    def test_anonymous_limits_with_keys_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keys.jsonl")
            write_keys(path, [key_line("alice", ALICE, ["infer"])])
            server = InferdServer(test_repository(), ["--api-keys", path,
                                                      "--anonymous-requests-per-second", "5"])
            self.addCleanup(server.kill)
            server.start(wait=False)
            self.assertEqual(server.wait_exit(60), 1, server.log_tail())
            self.assertIn("only without --api-keys", server.log())


if __name__ == "__main__":
    unittest.main()
