"""Language models: Triton's generate extension over a GGUF model in the repository.

Uses the committed tiny random-weight model tests/data/llm/tiny-llama-f32.gguf; greedy
output is compared with `inferd generate` on the same file and prompt."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from .inferd_server import (REPO_ROOT, TINY_GGUF, InferdServer, ServerTestCase, add_gguf_model,
                            inferd_bin)

GGUF = TINY_GGUF
PROMPTS = ["Once upon a time", "The cat sat", "Hello, world", "A"]
MAX_TOKENS = 12


def cli_generate(prompt, max_tokens=MAX_TOKENS):
    """Greedy text of `inferd generate` for `prompt` (the reference)."""
    out = subprocess.run([inferd_bin(), "generate", "-m", GGUF, "-p", prompt, "-n", str(max_tokens),
                          "--temp", "0", "--no-echo", "--ignore-eos", "-t", "1"],
                         capture_output=True, check=True, cwd=REPO_ROOT)
    text = out.stdout.decode("utf-8")
    assert text.endswith("\n"), text
    return text[:-1]


def body(prompt, **parameters):
    parameters.setdefault("temperature", 0)
    parameters.setdefault("max_tokens", MAX_TOKENS)
    parameters.setdefault("ignore_eos", True)
    return {"text_input": prompt, "parameters": parameters}


def sse_events(data):
    """The JSON of each `data:` line of an SSE body."""
    events = []
    for line in data.decode("utf-8").split("\n"):
        if line.startswith("data: "):
            events.append(json.loads(line[len("data: "):]))
    return events


class GenerateTest(ServerTestCase):
    server_args = ("--model-control-mode", "explicit", "--load-model", "llm")

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-gguf-"))
        add_gguf_model(repo, "llm", {"context_length": 128, "max_sequences": 8, "threads": 1})
        return repo

    def generate(self, prompt, client=None, **parameters):
        client = client or self.server.client
        status, doc = client.json("POST", "/v2/models/llm/generate", body(prompt, **parameters))
        self.assertEqual(status, 200, doc)
        return doc

    def test_greedy_output_equals_the_cli(self):
        for prompt in PROMPTS[:2]:
            doc = self.generate(prompt)
            self.assertEqual(doc["model_name"], "llm")
            self.assertEqual(doc["model_version"], "1")
            self.assertEqual(doc["finish_reason"], "length")
            self.assertEqual(doc["generated_tokens"], MAX_TOKENS)
            self.assertTrue(doc["text_output"])
            self.assertEqual(doc["text_output"], cli_generate(prompt), prompt)

    def test_versioned_route_and_stop_string(self):
        full = self.generate(PROMPTS[0])["text_output"]
        status, doc = self.server.json("POST", "/v2/models/llm/versions/1/generate", body(PROMPTS[0]))
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["text_output"], full)
        stops = [full[k:k + 2] for k in range(1, len(full) - 1) if full[k:k + 2].strip() == full[k:k + 2]]
        self.assertTrue(stops, full)
        stop = stops[len(stops) // 2]
        doc = self.generate(PROMPTS[0], stop=[stop])
        self.assertEqual(doc["finish_reason"], "stop")
        self.assertEqual(doc["text_output"], full[:full.index(stop)])

    def test_stream_deltas_concatenate_to_the_text(self):
        want = self.generate(PROMPTS[0])["text_output"]
        status, headers, data = self.server.request("POST", "/v2/models/llm/generate_stream",
                                                    body(PROMPTS[0]))
        self.assertEqual(status, 200, data)
        self.assertIn("text/event-stream", headers["content-type"])
        events = sse_events(data)
        self.assertGreater(len(events), 2, data)
        for event in events:
            self.assertEqual(event["model_name"], "llm")
        self.assertEqual(events[-1]["finish_reason"], "length")
        self.assertEqual("".join(e["text_output"] for e in events), want)

    def test_concurrent_requests_each_equal_their_solo_output(self):
        solo = {p: self.generate(p)["text_output"] for p in PROMPTS}
        results = {}

        def run(prompt):
            client = self.server.new_client()
            try:
                results[prompt] = self.generate(prompt, client=client)["text_output"]
            finally:
                client.close()

        threads = [threading.Thread(target=run, args=(p,)) for p in PROMPTS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, solo)

    def test_bad_input_is_a_400_naming_the_field(self):
        cases = [
            ({"parameters": {"max_tokens": 4}}, "text_input"),
            ({"text_input": 5}, "text_input"),
            (body("hi", max_tokens=0), "max_tokens"),
            (body("hi", max_tokens=10 ** 9), "max_tokens"),
            (body("hi", temperature=-1), "temperature"),
            (body("hi", top_p=2), "top_p"),
            (body("hi", stop=[3]), "stop"),
            (body("word " * 400), "text_input"),
            (body("hi", priority=2), "priority"),  # the model has one level
            (body("hi", priority="high"), "priority"),
            (body("hi", timeout=-1), "timeout"),
        ]
        for request, field in cases:
            for route in ("generate", "generate_stream"):
                status, doc = self.server.json("POST", "/v2/models/llm/" + route, request)
                self.assertEqual(status, 400, (route, request, doc))
                self.assertIn(field, doc["error"], (route, doc))
        raw = b'{"text_input": "bad \xff\xfe utf-8"}'
        status, _, data = self.server.request("POST", "/v2/models/llm/generate", raw,
                                              {"Content-Type": "application/json"})
        self.assertEqual(status, 400, data)
        self.assertIn("text_input", json.loads(data)["error"])
        self.assertIn("UTF-8", json.loads(data)["error"])

    def test_a_request_past_its_timeout_is_a_504_naming_it(self):
        # One microsecond: the request's time is up before its first step.
        status, doc = self.server.json("POST", "/v2/models/llm/generate",
                                       body("Once upon a time", max_tokens=100, timeout=1))
        self.assertEqual(status, 504, doc)
        self.assertIn("timeout", doc["error"])
        status, doc = self.server.json("POST", "/v1/completions", {
            "model": "llm", "prompt": "Once upon a time", "max_tokens": 100, "timeout": 1})
        self.assertEqual(status, 504, doc)
        self.assertEqual(doc["error"]["code"], "timeout")
        self.assertEqual(doc["error"]["param"], "timeout")
        # The default level and a generous timeout change nothing.
        self.assertEqual(self.generate("Once upon a time", priority=1, timeout=60 * 10 ** 6),
                         self.generate("Once upon a time"))
        # Nor does 0: no limit of the request's own (as timeout_seconds 0 and
        # Triton take it), never a deadline already past.
        self.assertEqual(self.generate("Once upon a time", timeout=0),
                         self.generate("Once upon a time"))
        status, doc = self.server.json("POST", "/v1/completions", {
            "model": "llm", "prompt": "Once upon a time", "max_tokens": 8, "temperature": 0,
            "ignore_eos": True, "timeout": 0})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["choices"][0]["finish_reason"], "length")
        self.assertEqual(doc["usage"]["completion_tokens"], 8)

    def test_tensor_infer_points_to_generate(self):
        status, doc = self.server.json("POST", "/v2/models/llm/infer", {
            "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["hi"]}]})
        self.assertEqual(status, 400, doc)
        self.assertIn("/generate", doc["error"])

    def test_repository_index_config_and_unload(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200)
        self.assertIn({"name": "llm", "version": "1", "state": "READY"},
                      [{k: e.get(k) for k in ("name", "version", "state")} for e in index])
        status, config = self.server.json("GET", "/v2/models/llm/config")
        self.assertEqual(status, 200)
        self.assertEqual(config["platform"], "gguf")
        self.assertEqual([i["name"] for i in config["input"]], ["text_input"])
        status, _ = self.server.json("POST", "/v2/repository/models/llm/unload", {})
        self.assertEqual(status, 200)
        try:
            status, doc = self.server.json("POST", "/v2/models/llm/generate", body("hi"))
            self.assertIn(status, (404, 503), doc)
        finally:
            status, doc = self.server.json("POST", "/v2/repository/models/llm/load", {})
            self.assertEqual(status, 200, doc)
        self.assertEqual(self.generate(PROMPTS[0])["text_output"], cli_generate(PROMPTS[0]))


if __name__ == "__main__":
    unittest.main()


class ModelFileServer(InferdServer):
    """inferd serve with only --model FILE.gguf: no model repository at all."""

    def __init__(self, model_file):
        super().__init__(os.path.dirname(model_file))
        self.model_file = model_file

    @property
    def argv(self):
        return [inferd_bin(), "serve", "--model", self.model_file, "--host", "127.0.0.1",
                "--http-port", str(self.port), "--grpc-port", str(self.grpc_port),
                "--data-dir", self.data_dir] + self.extra_args


class GenerateFromModelFileTest(unittest.TestCase):
    """--model FILE.gguf serves the file under its name, alone or beside a repository."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inferd-gguf-file-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.file = os.path.join(self.dir, "tiny.gguf")
        shutil.copy(GGUF, self.file)

    def check_serves(self, server):
        self.addCleanup(server.kill)
        server.start()
        status, doc = server.json("POST", "/v2/models/tiny/generate", body(PROMPTS[0]))
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["model_name"], "tiny")
        self.assertEqual(doc["text_output"], cli_generate(PROMPTS[0]))
        status, index = server.json("POST", "/v2/repository/index", {})
        self.assertIn("tiny", [e["name"] for e in index])
        server.stop()

    def test_model_file_alone(self):
        self.check_serves(ModelFileServer(self.file))

    def test_model_file_beside_a_repository(self):
        repo = os.path.join(self.dir, "repo")
        os.makedirs(repo)
        self.check_serves(InferdServer(repo, ("--model", self.file)))

    def test_a_file_that_is_not_gguf_is_refused_at_start(self):
        other = os.path.join(self.dir, "tiny.bin")
        shutil.copy(GGUF, other)
        out = subprocess.run([inferd_bin(), "serve", "--model", other, "--http-port", "0"],
                             capture_output=True, timeout=30, cwd=REPO_ROOT)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(b"--model", out.stderr)
