"""Ollama's API, driven by Ollama's own JavaScript client.

The committed tiny random-weight model tests/data/llm/tiny-llama-f32.gguf is
served from a repository folder with a chat template file beside its
config, next to the example `embedder` (feature-extraction). Its output is
gibberish, but deterministic under greedy decoding, which is what these
tests compare: Ollama's routes against the OpenAI routes on the same prompt,
streamed against not. The client library is the real `ollama` npm package,
installed by the test setup (tests/e2e/clients)."""

import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from .inferd_server import (REPO_ROOT, TINY_CHAT_TEMPLATE, TINY_GGUF, ServerTestCase, add_gguf_model,
                            model_repository)

GGUF = TINY_GGUF
CLIENT = os.path.join(REPO_ROOT, "tests", "e2e", "clients", "ollama_client.cjs")
CONTEXT = 128  # the tiny model's own
DURATIONS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


def greedy(n=12, **options):
    return dict(options, temperature=0, num_predict=n)


def make_repository(test_case_class):
    repo = test_case_class.temp_repository(tempfile.mkdtemp(prefix="inferd-ollama-"))
    add_gguf_model(repo, "llm", {"context_length": CONTEXT, "threads": 1, "chat_template": "chat.jinja"},
                   files={"chat.jinja": TINY_CHAT_TEMPLATE})
    shutil.copytree(os.path.join(model_repository(), "embedder"), os.path.join(repo, "embedder"))
    return repo


def parse_time(text):
    """An RFC 3339 UTC time with nanoseconds, as a datetime (to the microsecond)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    if not match:
        raise AssertionError("not an RFC 3339 UTC time: %r" % text)
    stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    micros = int((match.group(2) or "0")[:6].ljust(6, "0"))
    return stamp.replace(microsecond=micros, tzinfo=datetime.timezone.utc)


class OllamaTestCase(ServerTestCase):
    """Runs the ollama client against the class's server."""

    @classmethod
    def repository(cls):
        return make_repository(cls)

    def node(self, action, params=None, **extra):
        cmd = dict(host="http://127.0.0.1:%d" % self.server.port, action=action, params=params,
                   **extra)
        out = subprocess.run(["node", CLIENT], input=json.dumps(cmd).encode(), capture_output=True,
                             timeout=240)
        self.assertEqual(out.returncode, 0, out.stderr.decode()[-3000:])
        return json.loads(out.stdout)

    def ok(self, action, params=None, **extra):
        result = self.node(action, params, **extra)
        self.assertFalse(isinstance(result, dict) and "error" in result, result)
        return result

    def refused(self, action, params, status, *mentions):
        result = self.node(action, params)
        self.assertIn("error", result, result)
        self.assertEqual(result["error"]["status"], status, result)
        self.assertMentions(result["error"]["message"], *mentions)
        return result["error"]["message"]

    def ps_names(self):
        return [m["name"] for m in self.ok("ps")["models"]]

    def assertFinal(self, answer, done_reason="length", eval_count=None):
        """The last object of an answer: done, its reason, counts and durations."""
        self.assertIs(answer["done"], True, answer)
        self.assertEqual(answer["done_reason"], done_reason, answer)
        if eval_count is not None:
            self.assertEqual(answer["eval_count"], eval_count, answer)
        self.assertGreater(answer["prompt_eval_count"], 0, answer)
        for field in DURATIONS:
            self.assertIsInstance(answer[field], int, field)
            self.assertGreater(answer[field], 0, (field, answer))
        self.assertGreaterEqual(answer["total_duration"], answer["eval_duration"], answer)
        self.assertGreaterEqual(answer["total_duration"], answer["load_duration"], answer)
        created = parse_time(answer["created_at"])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - created).total_seconds()), 600, answer["created_at"])


@unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients (ctest fixture)")
class OllamaTest(OllamaTestCase):
    server_args = ("--model-control-mode", "explicit", "--load-model", "llm",
                   "--load-model", "embedder")

    def openai_chat(self, messages, n=12):
        status, body = self.server.json("POST", "/v1/chat/completions", {
            "model": "llm", "messages": messages, "temperature": 0, "max_tokens": n})
        self.assertEqual(status, 200, body)
        return body["choices"][0]["message"]["content"]

    def openai_completion(self, prompt, n=12):
        status, body = self.server.json("POST", "/v1/completions", {
            "model": "llm", "prompt": prompt, "temperature": 0, "max_tokens": n})
        self.assertEqual(status, 200, body)
        return body["choices"][0]["text"]

    # -- generate and chat --------------------------------------------------

    def test_generate_renders_the_prompt_as_a_user_message(self):
        answer = self.ok("generate", dict(model="llm", prompt="Once upon a time", options=greedy()))
        self.assertEqual(answer["model"], "llm")
        self.assertFinal(answer, "length", eval_count=12)
        self.assertTrue(answer["response"])
        self.assertEqual(answer["response"],
                         self.openai_chat([{"role": "user", "content": "Once upon a time"}]))
        # The system prompt comes first, as a system message.
        with_system = self.ok("generate", dict(model="llm", prompt="Once upon a time",
                                               system="Be terse.", options=greedy()))
        self.assertEqual(with_system["response"], self.openai_chat(
            [{"role": "system", "content": "Be terse."},
             {"role": "user", "content": "Once upon a time"}]))
        self.assertNotEqual(with_system["response"], answer["response"])

    def test_raw_generate_sends_the_prompt_as_is(self):
        answer = self.ok("generate", dict(model="llm", prompt="The cat sat", raw=True,
                                          system="ignored when raw", options=greedy()))
        self.assertFinal(answer, "length", eval_count=12)
        self.assertEqual(answer["response"], self.openai_completion("The cat sat"))

    def test_streamed_generate_equals_the_answer(self):
        params = dict(model="llm", prompt="Tell a story", options=greedy(20))
        whole = self.ok("generate", params)
        parts = self.ok("generate", dict(params, stream=True))["parts"]
        self.assertGreater(len(parts), 10)  # a part per token
        for part in parts[:-1]:
            self.assertIs(part["done"], False, part)
            self.assertEqual(part["model"], "llm")
            self.assertNotIn("done_reason", part)
            parse_time(part["created_at"])
        self.assertEqual("".join(p["response"] for p in parts), whole["response"])
        self.assertEqual(parts[-1]["response"], "")
        self.assertFinal(parts[-1], "length", eval_count=20)
        self.assertEqual(parts[-1]["prompt_eval_count"], whole["prompt_eval_count"])

    def test_chat_streamed_and_not(self):
        messages = [{"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "Name a colour."},
                    {"role": "assistant", "content": "Blue."},
                    {"role": "user", "content": "Another."}]
        whole = self.ok("chat", dict(model="llm", messages=messages, options=greedy()))
        self.assertEqual(whole["message"]["role"], "assistant")
        self.assertFinal(whole, "length", eval_count=12)
        self.assertEqual(whole["message"]["content"], self.openai_chat(messages))
        parts = self.ok("chat", dict(model="llm", messages=messages, options=greedy(),
                                     stream=True))["parts"]
        self.assertTrue(all(p["message"]["role"] == "assistant" for p in parts))
        self.assertEqual("".join(p["message"]["content"] for p in parts),
                         whole["message"]["content"])
        self.assertFinal(parts[-1], "length", eval_count=12)

    def test_ndjson_is_the_default_and_stream_false_one_object(self):
        body = {"model": "llm", "messages": [{"role": "user", "content": "hi"}],
                "options": greedy(6)}
        status, headers, data = self.server.request("POST", "/api/chat", body)
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        lines = data.decode().splitlines()
        objects = [json.loads(line) for line in lines]
        self.assertEqual([o["done"] for o in objects], [False] * (len(objects) - 1) + [True])
        status, headers, data = self.server.request("POST", "/api/chat", dict(body, stream=False))
        self.assertEqual(status, 200, data)
        self.assertIn("application/json", headers["content-type"])
        answer = json.loads(data)
        self.assertEqual(answer["message"]["content"],
                         "".join(o["message"]["content"] for o in objects))

    def test_options_map_to_the_sampler(self):
        # A seed makes sampling reproducible; another seed samples otherwise.
        params = dict(model="llm", prompt="Once upon a time",
                      options=dict(seed=7, temperature=1.0, num_predict=16))
        first = self.ok("generate", params)["response"]
        self.assertEqual(self.ok("generate", params)["response"], first)
        other = self.ok("generate", dict(params, options=dict(params["options"], seed=8)))
        self.assertNotEqual(other["response"], first)
        # num_predict -1: until the context is full.
        full = self.ok("generate", dict(model="llm", prompt="Hi", options=greedy(-1)))
        self.assertFinal(full, "length")
        # The last token is sampled but never stored: one past the context.
        self.assertIn(full["prompt_eval_count"] + full["eval_count"], (CONTEXT, CONTEXT + 1))
        # A stop string ends the text before it, with done_reason stop.
        text = self.ok("generate", dict(model="llm", prompt="The cat sat", raw=True,
                                        options=greedy(24)))["response"]
        stop = text[8:11]
        self.assertEqual(len(stop), 3, text)
        cut = self.ok("generate", dict(model="llm", prompt="The cat sat", raw=True,
                                       options=greedy(24, stop=[stop])))
        self.assertEqual(cut["done_reason"], "stop")
        self.assertEqual(cut["response"], text[:text.index(stop)])
        # num_ctx up to the model's context is accepted; unknown options are ignored.
        self.ok("generate", dict(model="llm", prompt="x", options=greedy(2, num_ctx=CONTEXT,
                                                                        num_gpu=1, mirostat=0)))

    def test_name_latest_is_the_model(self):
        plain = self.ok("generate", dict(model="llm", prompt="Hello", options=greedy(8)))
        tagged = self.ok("generate", dict(model="llm:latest", prompt="Hello", options=greedy(8)))
        self.assertEqual(tagged["model"], "llm:latest")
        self.assertEqual(tagged["response"], plain["response"])
        self.refused("generate", dict(model="llm:7b", prompt="Hello"), 404, "llm:7b")

    # -- models -------------------------------------------------------------

    def test_tags_show_ps_and_version(self):
        models = {m["name"]: m for m in self.ok("list")["models"]}
        self.assertIn("embedder:latest", models)
        llm = models["llm:latest"]
        self.assertEqual(llm["model"], "llm:latest")
        self.assertEqual(llm["size"], os.path.getsize(GGUF))
        self.assertRegex(llm["digest"], r"^[0-9a-f]{64}$")
        parse_time(llm["modified_at"])
        details = llm["details"]
        self.assertEqual(details["format"], "gguf")
        self.assertEqual(details["family"], "llama")
        self.assertEqual(details["families"], ["llama"])
        self.assertEqual(details["quantization_level"], "F32")
        self.assertRegex(details["parameter_size"], r"^\d+(\.\d)?[KMB]$")

        show = self.ok("show", dict(model="llm"))
        self.assertEqual(show["template"], TINY_CHAT_TEMPLATE)
        self.assertEqual(show["details"], {k: v for k, v in details.items()})
        self.assertEqual(show["model_info"]["general.architecture"], "llama")
        self.assertEqual(show["model_info"]["llama.context_length"], CONTEXT)
        self.assertNotIn("tokenizer.ggml.tokens", show["model_info"])  # arrays are left out
        self.assertRegex(show["parameters"], r"(?m)^num_ctx\s+%d$" % CONTEXT)
        self.assertIn("FROM ", show["modelfile"])
        self.assertIn('TEMPLATE """%s"""' % TINY_CHAT_TEMPLATE, show["modelfile"])
        self.assertEqual(show["capabilities"], ["completion"])
        embedder = self.ok("show", dict(model="embedder:latest"))
        self.assertEqual(embedder["capabilities"], ["embedding"])
        self.assertEqual(embedder["details"]["family"], "feature-extraction")

        running = {m["name"]: m for m in self.ok("ps")["models"]}
        self.assertEqual(set(running), {"llm:latest", "embedder:latest"})
        self.assertGreater(running["llm:latest"]["size"], os.path.getsize(GGUF))  # + KV cache
        self.assertEqual(running["llm:latest"]["digest"], llm["digest"])
        self.assertEqual(running["llm:latest"]["context_length"], CONTEXT)
        # Loaded at start, without a keep_alive: kept as long as keep_alive -1 keeps one.
        self.assertGreater(parse_time(running["llm:latest"]["expires_at"]).year, 2200)

        version = self.ok("version")["version"]
        status, metadata = self.server.json("GET", "/v2")
        self.assertEqual(version, metadata["version"])

    def test_pull_of_a_model_here_succeeds_and_of_one_not_here_is_404(self):
        self.assertEqual(self.ok("pull", dict(model="llm")), {"status": "success"})
        self.assertEqual(self.ok("pull", dict(model="llm:latest", stream=True))["parts"],
                         [{"status": "success"}])
        self.refused("pull", dict(model="llama3.2"), 404, "llama3.2", "no registry is reachable",
                     "model repository")

    # -- embeddings ---------------------------------------------------------

    def test_embed_equals_the_openai_embeddings(self):
        texts = ["The sun was warm today", "Stocks fell sharply"]
        answer = self.ok("embed", dict(model="embedder", input=texts))
        self.assertEqual(answer["model"], "embedder")
        status, openai = self.server.json("POST", "/v1/embeddings",
                                          {"model": "embedder", "input": texts})
        self.assertEqual(status, 200, openai)
        self.assertEqual(len(answer["embeddings"]), 2)
        for got, want in zip(answer["embeddings"], openai["data"]):
            self.assertEqual(len(got), len(want["embedding"]))
            for g, w in zip(got, want["embedding"]):
                self.assertAlmostEqual(g, w, places=6)
        self.assertEqual(answer["prompt_eval_count"], openai["usage"]["prompt_tokens"])
        self.assertGreater(answer["total_duration"], 0)
        self.assertGreaterEqual(answer["total_duration"], answer["load_duration"])
        # Alone, the first text is not padded to the second: equal to float precision.
        one = self.ok("embed", dict(model="embedder:latest", input=texts[0]))
        self.assertEqual(len(one["embeddings"]), 1)
        for g, w in zip(one["embeddings"][0], answer["embeddings"][0]):
            self.assertAlmostEqual(g, w, places=5)
        legacy = self.ok("embeddings", dict(model="embedder", prompt=texts[0]))
        self.assertEqual(legacy, {"embedding": one["embeddings"][0]})
        short = self.ok("embed", dict(model="embedder", input=texts[0], dimensions=8))
        self.assertEqual(len(short["embeddings"][0]), 8)

    # -- keep_alive ---------------------------------------------------------

    def test_keep_alive_zero_unloads_and_the_next_request_loads_again(self):
        self.assertIn("llm:latest", self.ps_names())
        unload = self.ok("generate", dict(model="llm", keep_alive=0))
        self.assertEqual((unload["done"], unload["done_reason"]), (True, "unload"))
        self.assertNotIn("llm:latest", self.ps_names())
        # Still listed: a request loads it.
        self.assertIn("llm:latest", [m["name"] for m in self.ok("list")["models"]])
        answer = self.ok("chat", dict(model="llm", messages=[{"role": "user", "content": "hi"}],
                                      options=greedy(4)))
        self.assertFinal(answer, "length", eval_count=4)
        running = {m["name"]: m for m in self.ok("ps")["models"]}
        # Loaded on demand: unloaded after Ollama's default 5 minutes idle.
        left = parse_time(running["llm:latest"]["expires_at"]) - datetime.datetime.now(
            datetime.timezone.utc)
        self.assertTrue(datetime.timedelta(minutes=3) < left <= datetime.timedelta(minutes=5), left)
        # A request's keep_alive replaces it; -1 keeps the model loaded.
        self.ok("chat", dict(model="llm", messages=[], keep_alive="1h"))
        left = parse_time({m["name"]: m for m in self.ok("ps")["models"]}["llm:latest"][
            "expires_at"]) - datetime.datetime.now(datetime.timezone.utc)
        self.assertTrue(datetime.timedelta(minutes=55) < left <= datetime.timedelta(hours=1), left)
        load = self.ok("chat", dict(model="llm", messages=[], keep_alive=-1))
        self.assertEqual((load["done"], load["done_reason"]), (True, "load"))
        self.assertEqual(load["message"], {"role": "assistant", "content": ""})
        expires = {m["name"]: m for m in self.ok("ps")["models"]}["llm:latest"]["expires_at"]
        self.assertGreater(parse_time(expires).year, 2200)

    def test_a_short_keep_alive_unloads_the_model_when_it_passes(self):
        self.ok("embed", dict(model="embedder", input="warm", keep_alive="1s"))
        # The keeper unloads it about a second after the request; wait for
        # it without asserting how long it took.
        deadline = time.monotonic() + 60
        while "embedder:latest" in self.ps_names() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotIn("embedder:latest", self.ps_names())
        again = self.ok("embed", dict(model="embedder", input="warm", keep_alive=-1))
        self.assertEqual(len(again["embeddings"]), 1)
        self.assertIn("embedder:latest", self.ps_names())

    # -- cancellation and bad input -------------------------------------------

    def test_a_client_that_aborts_leaves_the_server_serving(self):
        result = self.ok("abort", dict(model="llm", messages=[{"role": "user", "content": "Go"}],
                                       options=greedy(-1)), abort_after=3)
        self.assertEqual(result["received"], 3)
        answer = self.ok("chat", dict(model="llm", messages=[{"role": "user", "content": "Go"}],
                                      options=greedy(5)))
        self.assertFinal(answer, "length", eval_count=5)

    def test_bad_requests_are_errors_naming_the_field(self):
        user = [{"role": "user", "content": "hi"}]
        cases = [
            ("chat", dict(model="nope", messages=user), 404, "nope"),
            ("generate", dict(model="nope", prompt="x"), 404, "nope"),
            ("show", dict(model="nope"), 404, "nope"),
            ("embed", dict(model="nope", input="x"), 404, "nope"),
            ("chat", dict(model="llm", messages=[{"role": "robot", "content": "x"}]), 400,
             "messages[0].role", "robot"),
            ("chat", dict(model="llm", messages=[{"role": "user", "content": "x",
                                                  "images": ["aGk="]}]), 400,
             "messages[0].images"),
            ("chat", dict(model="llm", messages=user, options=dict(num_predict=0)), 400,
             "options.num_predict"),
            ("chat", dict(model="llm", messages=user, options=dict(temperature=-1)), 400,
             "options.temperature"),
            ("generate", dict(model="llm", prompt="x", options=dict(top_p=0)), 400,
             "options.top_p"),
            ("generate", dict(model="llm", prompt="x", options=dict(num_ctx=4096)), 400,
             "options.num_ctx", "128"),
            ("generate", dict(model="llm", prompt="x", format="yaml"), 400, "format"),
            ("generate", dict(model="llm", prompt="x", suffix="end"), 400, "suffix"),
            ("generate", dict(model="llm", prompt="x", keep_alive="soon"), 400, "keep_alive"),
            ("generate", dict(model="llm", prompt="word " * 400), 400, "prompt", "context"),
            ("generate", dict(model="embedder", prompt="x"), 400, "not a language model"),
            ("embed", dict(model="llm", input="x"), 400, "feature-extraction"),
            ("embed", dict(model="embedder", input="x", truncate=False), 400, "truncate"),
            # The limit of /v1/embeddings (2048), and a message that names what
            # the route takes (strings, not token ids).
            ("embed", dict(model="embedder", input=["x"] * 2049), 400, "input", "2048"),
            ("embed", dict(model="embedder", input=["x", ""]), 400, "input[1]", "empty string"),
        ]
        for case in cases:
            with self.subTest(case=case[:2]):
                self.refused(*case)
        # Invalid JSON needs a raw request.
        status, headers, data = self.server.request("POST", "/api/chat", b"{not json",
                                                    {"Content-Type": "application/json"})
        self.assertError(status, headers, data, 400, "not JSON")
        status, headers, data = self.server.request("POST", "/api/generate", b'{"model": "llm",'
                                                    b' "prompt": "bad \xff"}')
        self.assertError(status, headers, data, 400, "prompt", "UTF-8")
        status, doc = self.server.json("POST", "/api/embed", {"model": "embedder", "input": ""})
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"], "input: must not be an empty string")
        status, doc = self.server.json("POST", "/api/embed",
                                       {"model": "embedder", "input": ["x"] * 2048})
        self.assertEqual(status, 200, doc)
        self.assertEqual(len(doc["embeddings"]), 2048)
        # Unharmed.
        self.assertFinal(self.ok("generate", dict(model="llm", prompt="x", options=greedy(3))),
                         "length", eval_count=3)


@unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients (ctest fixture)")
class OllamaControlModeNoneTest(OllamaTestCase):
    """In control mode none the repository owns every model's lifetime."""

    def test_keep_alive_changes_nothing_and_unloading_is_refused(self):
        answer = self.ok("generate", dict(model="llm", prompt="Hi", keep_alive="1s",
                                          options=greedy(4)))
        self.assertFinal(answer, "length", eval_count=4)
        running = {m["name"]: m for m in self.ok("ps")["models"]}
        self.assertGreater(parse_time(running["llm:latest"]["expires_at"]).year, 2200)
        self.refused("generate", dict(model="llm", keep_alive=0), 409, "explicit")
        self.assertIn("llm:latest", self.ps_names())
        load = self.ok("generate", dict(model="llm"))
        self.assertEqual(load["done_reason"], "load")


if __name__ == "__main__":
    unittest.main()
