"""OpenAI's API for language models, driven by OpenAI's own Node.js client.

The committed tiny random-weight model tests/data/llm/tiny-llama-f32.gguf is
served from a repository folder with a chat template file beside its config.
Its output is gibberish, but deterministic under greedy decoding, which is
what these tests compare: chat against completions of the rendered prompt,
streamed against not, batched against alone. The client library is the real
`openai` npm package, installed by the test setup (tests/e2e/clients)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from .inferd_server import REPO_ROOT, TINY_CHAT_TEMPLATE, ServerTestCase, add_gguf_model
from .jobs_client import wait_final

CLIENT = os.path.join(REPO_ROOT, "tests", "e2e", "clients", "openai_client.cjs")
CONTEXT = 128  # the tiny model's own
def render(messages):
    """The prompt TINY_CHAT_TEMPLATE renders for `messages` (without the BOS text)."""
    return "".join("<%s> %s\n" % (m["role"], m["content"].strip()) for m in messages) + "<assistant>"


def run_openai_client(test, action, params=None, api="chat", **extra):
    """One command of clients/openai_client.cjs against test.server; its JSON result."""
    cmd = dict(base_url="http://127.0.0.1:%d/v1" % test.server.port, api=api, action=action,
               params=params, **extra)
    out = subprocess.run(["node", CLIENT], input=json.dumps(cmd).encode(), capture_output=True,
                         timeout=240)
    test.assertEqual(out.returncode, 0, out.stderr.decode()[-3000:])
    return json.loads(out.stdout)


def counts(usage):
    """A response's token counts, without the share of the prompt that the
    prefix cache held (which depends on what ran before)."""
    return {k: v for k, v in usage.items() if k != "prompt_tokens_details"}


def greedy(**params):
    params.setdefault("temperature", 0)
    params.setdefault("max_tokens", 12)
    params.setdefault("ignore_eos", True)
    return params


@unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients (ctest fixture)")
class OpenAiTest(ServerTestCase):

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-openai-"))
        add_gguf_model(repo, "llm", {"context_length": CONTEXT, "max_sequences": 16, "threads": 1,
                                     "chat_template": "chat.jinja"},
                       files={"chat.jinja": TINY_CHAT_TEMPLATE})
        # The same file as a Hugging Face style translation task on :predict.
        add_gguf_model(repo, "translate", {"task": "translation", "source_lang": "English",
                                           "temperature": 0, "threads": 1})
        return repo

    def node(self, action, params=None, api="chat", **extra):
        return run_openai_client(self, action, params, api, **extra)

    def ok(self, action, params=None, api="chat", **extra):
        result = self.node(action, params, api, **extra)
        self.assertFalse(isinstance(result, dict) and "error" in result, result)
        return result

    def api_error(self, params, api="chat"):
        result = self.node("create", params, api)
        self.assertIn("error", result, result)
        return result["error"]

    # -- models -------------------------------------------------------------

    def test_models_lists_the_model(self):
        models = self.ok("models")
        self.assertEqual(sorted(m["id"] for m in models), ["llm", "translate"])
        self.assertEqual(models[0]["object"], "model")

    # -- chat ---------------------------------------------------------------

    def test_chat_is_the_completion_of_the_rendered_prompt(self):
        messages = [{"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "Name a colour."}]
        chat = self.ok("create", greedy(model="llm", messages=messages))
        self.assertEqual(chat["object"], "chat.completion")
        self.assertTrue(chat["id"].startswith("chatcmpl-"))
        choice = chat["choices"][0]
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertEqual(choice["finish_reason"], "length")
        self.assertEqual(chat["usage"]["completion_tokens"], 12)
        self.assertEqual(chat["usage"]["total_tokens"],
                         chat["usage"]["prompt_tokens"] + chat["usage"]["completion_tokens"])
        completion = self.ok("create", greedy(model="llm", prompt=render(messages)), api="completions")
        self.assertEqual(completion["object"], "text_completion")
        self.assertEqual(choice["message"]["content"], completion["choices"][0]["text"])
        self.assertEqual(counts(chat["usage"]), counts(completion["usage"]))

    def test_streamed_chat_equals_the_response_and_ends_with_usage(self):
        params = greedy(model="llm", messages=[{"role": "user", "content": "Tell a story"}],
                        max_tokens=20)
        whole = self.ok("create", params)
        chunks = self.ok("stream", dict(params, stream_options={"include_usage": True}))["chunks"]
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        self.assertTrue(all(c["object"] == "chat.completion.chunk" for c in chunks))
        self.assertEqual(len({c["id"] for c in chunks}), 1)
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        self.assertEqual(text, whole["choices"][0]["message"]["content"])
        finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
        self.assertEqual(finishes[-1], "length")
        self.assertTrue(all(f is None for f in finishes[:-1]))
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(counts(chunks[-1]["usage"]), counts(whole["usage"]))
        # A content chunk per token: more than a couple of chunks.
        self.assertGreater(len(chunks), 10)

    def test_chat_logprobs_come_per_token(self):
        chat = self.ok("create", greedy(model="llm", messages=[{"role": "user", "content": "Hi"}],
                                        max_tokens=6, logprobs=True, top_logprobs=3))
        content = chat["choices"][0]["logprobs"]["content"]
        self.assertEqual(len(content), 6)
        for token in content:
            self.assertLessEqual(token["logprob"], 0)
            self.assertEqual(len(token["top_logprobs"]), 3)
            self.assertEqual(token["top_logprobs"][0]["token"], token["token"])  # greedy
            self.assertEqual(bytes(token["bytes"]).decode("utf-8", "replace"), token["token"])
        self.assertEqual("".join(t["token"] for t in content), chat["choices"][0]["message"]["content"])

    # -- completions --------------------------------------------------------

    def test_n_choices_with_a_seed_are_reproducible_and_distinct(self):
        params = dict(model="llm", prompt="Once upon a time", max_tokens=16, n=3, seed=7,
                      temperature=1.0, ignore_eos=True)
        first = self.ok("create", params, api="completions")
        again = self.ok("create", params, api="completions")
        texts = [c["text"] for c in first["choices"]]
        self.assertEqual([c["index"] for c in first["choices"]], [0, 1, 2])
        self.assertEqual(texts, [c["text"] for c in again["choices"]])
        self.assertEqual(len(set(texts)), 3, texts)
        self.assertEqual(first["usage"]["completion_tokens"], 48)

    def test_stop_string_ends_the_text_before_it(self):
        full = self.ok("create", greedy(model="llm", prompt="The cat sat", max_tokens=24),
                       api="completions")["choices"][0]["text"]
        stop = full[8:11]
        self.assertEqual(len(stop), 3, full)
        cut = self.ok("create", greedy(model="llm", prompt="The cat sat", max_tokens=24, stop=[stop]),
                      api="completions")["choices"][0]
        self.assertEqual(cut["finish_reason"], "stop")
        self.assertEqual(cut["text"], full[:full.index(stop)])

    def test_sixteen_concurrent_streams_equal_their_solo_runs(self):
        prompts = ["Story number %d begins" % i for i in range(16)]
        solo = [self.ok("create", greedy(model="llm", prompt=p, max_tokens=16),
                        api="completions")["choices"][0]["text"] for p in prompts]
        batched = self.ok("concurrent", [greedy(model="llm", prompt=p, max_tokens=16) for p in prompts],
                          api="completions")["texts"]
        self.assertEqual(batched, solo)

    # -- generation tasks on :predict ------------------------------------------

    def test_translation_task_on_predict_fills_its_template_per_instance(self):
        body = {"instances": ["The cat sat", ""],
                "parameters": {"target_lang": "French", "max_new_tokens": 6}}
        status, doc = self.server.json("POST", "/v1/models/translate:predict", body)
        self.assertEqual(status, 200, doc)
        self.assertEqual((doc["success_count"], doc["failure_count"]), (1, 1))
        self.assertIn("translation_text", doc["predictions"][0])
        self.assertIn("empty", doc["predictions"][1]["error"])
        prompt = ("Translate the following text from English to French.\n\nThe cat sat\n\n"
                  "Translation:")
        direct = self.ok("create", greedy(model="translate", prompt=prompt, max_tokens=6,
                                          ignore_eos=False), api="completions")
        self.assertEqual(doc["predictions"][0]["translation_text"],
                         direct["choices"][0]["text"].lstrip(" \n"))
        status, doc = self.server.json("POST", "/v1/models/translate:predict",
                                       {"instances": ["x"]})
        self.assertEqual(status, 400, doc)
        self.assertIn("target_lang", doc["error"])

    # -- observability --------------------------------------------------------

    def test_llm_metrics_and_health_show_the_generation_loop(self):
        before = self.metric("inferd_llm_generated_tokens_total")
        self.ok("create", greedy(model="llm", prompt="Count", max_tokens=9), api="completions")
        self.assertEqual(self.metric("inferd_llm_generated_tokens_total") - before, 9)
        self.assertGreater(self.metric("inferd_llm_prompt_tokens_total"), 0)
        self.assertGreater(self.metric("inferd_llm_time_to_first_token_seconds_count"), 0)
        self.assertGreater(self.metric("inferd_llm_inter_token_seconds_count"), 0)
        self.assertGreater(self.metric("inferd_llm_kv_cache_capacity_bytes"), 0)
        self.assertEqual(self.metric("inferd_llm_sequences"), 0)
        # A prompt that starts like an earlier one reuses its KV blocks.
        system = "You are a helpful assistant who answers in one short sentence. " * 3
        hits = self.metric("inferd_llm_prefix_cache_hits_total")
        first = self.ok("create", greedy(model="llm", prompt=system + "Hello"), api="completions")
        again = self.ok("create", greedy(model="llm", prompt=system + "Hello"), api="completions")
        self.assertEqual(first["choices"][0]["text"], again["choices"][0]["text"])
        self.assertGreater(self.metric("inferd_llm_prefix_cache_hits_total"), hits)
        cached = again["usage"]["prompt_tokens_details"]["cached_tokens"]
        self.assertGreater(cached, 0)  # whole 16-token blocks of the repeated prompt
        self.assertEqual(cached % 16, 0)
        self.assertLess(cached, again["usage"]["prompt_tokens"])
        status, _, text = self.server.request("GET", "/metrics")
        result = subprocess.run([shutil.which("promtool") or "promtool", "check", "metrics"],
                                input=text, capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        status, health = self.server.json("GET", "/health")
        generation = health["models"][0]["versions"][0]["generation"]
        self.assertEqual(generation["running_sequences"], 0)
        self.assertGreater(generation["kv_cache_capacity_bytes"], 0)

    # -- async jobs -----------------------------------------------------------

    def submit(self, path, body):
        status, _, data = self.server.request("POST", path, body, {"Prefer": "respond-async"})
        return status, json.loads(data)

    def test_async_chat_completion_and_generate_jobs_give_the_synchronous_answer(self):
        body = greedy(model="llm", messages=[{"role": "user", "content": "Tell a story"}])
        status, job = self.submit("/v1/chat/completions", body)
        self.assertEqual(status, 202, job)
        doc = wait_final(self.server.client, job["id"])
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertEqual(doc["model"], "llm")
        status, result = self.server.json("GET", "/v1/jobs/%s/result" % job["id"])
        self.assertEqual(status, 200, result)
        direct = self.ok("create", body)
        self.assertEqual(result["object"], "chat.completion")
        self.assertEqual(result["choices"], direct["choices"])
        self.assertEqual(counts(result["usage"]), counts(direct["usage"]))
        generate = {"text_input": "Once upon a time",
                    "parameters": {"max_tokens": 8, "temperature": 0, "ignore_eos": True}}
        status, job = self.submit("/v2/models/llm/generate", generate)
        self.assertEqual(status, 202, job)
        self.assertEqual(wait_final(self.server.client, job["id"])["status"], "succeeded")
        status, result = self.server.json("GET", "/v1/jobs/%s/result" % job["id"])
        status, direct = self.server.json("POST", "/v2/models/llm/generate", generate)
        self.assertEqual(result, direct)

    def test_async_jobs_refuse_bad_requests_at_submission(self):
        status, doc = self.submit("/v1/chat/completions", dict(model="llm", messages=[]))
        self.assertEqual(status, 400, doc)
        status, doc = self.submit("/v1/completions", dict(model="llm", prompt="x", max_tokens=0))
        self.assertEqual(status, 400, doc)
        status, doc = self.submit("/v1/completions", dict(model="nope", prompt="x"))
        self.assertEqual(status, 404, doc)
        # OpenAI's error object, as the synchronous route answers.
        self.assertEqual(doc["error"]["code"], "model_not_found", doc)
        status, doc = self.submit("/v1/completions", dict(model="llm", prompt="word " * 400))
        self.assertEqual(status, 400, doc)
        self.assertEqual(doc["error"]["code"], "context_length_exceeded", doc)
        self.assertEqual(doc["error"]["param"], "prompt", doc)
        status, doc = self.submit("/v1/completions", dict(model="llm", prompt="x", stream=True))
        self.assertEqual(status, 400, doc)
        status, doc = self.submit("/v2/models/llm/generate", {"text_input": 5})
        self.assertEqual(status, 400, doc)

    # -- bad input ------------------------------------------------------------

    def test_bad_requests_are_openai_errors_naming_the_param(self):
        user = [{"role": "user", "content": "hi"}]
        cases = [
            (dict(model="nope", messages=user), 404, None, "model_not_found"),
            (dict(model="llm", messages=[]), 400, "messages", None),
            (dict(model="llm", messages=[{"role": "robot", "content": "x"}]), 400,
             "messages[0].role", None),
            (dict(model="llm", messages=user, max_tokens=0), 400, "max_tokens", None),
            (dict(model="llm", messages=user, max_tokens=10**9), 400, "max_tokens", None),
            (dict(model="llm", messages=user, temperature=-1), 400, "temperature", None),
            (dict(model="llm", messages=user, n=1000), 400, "n", None),
            (dict(model="llm", messages=user, top_logprobs=3), 400, "top_logprobs", None),
            (dict(model="llm", messages=user, priority=5), 400, "priority", None),
            (dict(model="llm", messages=user, timeout=-1), 400, "timeout", None),
            (dict(model="llm", messages=[{"role": "user", "content": "word " * 400}]), 400,
             "messages", "context_length_exceeded"),
        ]
        for params, status, param, code in cases:
            error = self.api_error(params)
            self.assertEqual(error["status"], status, (params, error))
            if param:
                self.assertEqual(error["param"], param, error)
            if code:
                self.assertEqual(error["code"], code, error)
        error = self.api_error(dict(model="llm", prompt="x " * (1 << 19)), api="completions")
        self.assertEqual((error["status"], error["code"]), (400, "context_length_exceeded"), error)
        # Invalid UTF-8 needs a raw request: the client library would fix it.
        body = b'{"model": "llm", "messages": [{"role": "user", "content": "bad \xff"}]}'
        status, _, data = self.server.request("POST", "/v1/chat/completions", body,
                                              {"Content-Type": "application/json"})
        self.assertEqual(status, 400, data)
        self.assertEqual(json.loads(data)["error"]["param"], "messages[0].content")
        status, _, data = self.server.request("POST", "/v1/completions", b"{not json",
                                              {"Content-Type": "application/json"})
        self.assertEqual(status, 400, data)
        self.assertEqual(json.loads(data)["error"]["type"], "invalid_request_error")
        # Unharmed.
        self.ok("create", greedy(model="llm", messages=user))


if __name__ == "__main__":
    unittest.main()
