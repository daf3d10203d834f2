"""A stream that its client aborts stops generating on the server.

The tiny test models answer in milliseconds, before any client could abort,
so this theme writes a random-weight llama model big enough to take tens of
seconds for its tokens (make_llm_bench_model, ~120 M parameters, Q8_0) and
serves it with one thread. OpenAI's Node.js client streams a completion of
2,000 tokens, reads a few chunks and aborts; the server's generated-tokens
counter must stop growing well before 2,000 and the sequence must leave the
batch, and the server must go on answering."""

import os
import subprocess
import tempfile
import time
import unittest

from .inferd_server import ServerTestCase, add_gguf_model, inferd_bin
from .test_openai import run_openai_client

MAX_TOKENS = 2000


def make_model_bin():
    build = os.path.dirname(os.path.abspath(inferd_bin()))
    for root, _, files in os.walk(build):
        if "make_llm_bench_model" in files:
            return os.path.join(root, "make_llm_bench_model")
    return None


@unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients (ctest fixture)")
class GenerationAbortTest(ServerTestCase):

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-abort-"))
        maker = make_model_bin()
        if maker is None:
            raise unittest.SkipTest("make_llm_bench_model is not built")
        gguf = os.path.join(repo, "slow.gguf")
        subprocess.run([maker, "--type", "q8_0", "--layers", "4", "--out", gguf], check=True,
                       capture_output=True, timeout=300)
        add_gguf_model(repo, "slow", {"context_length": 2048, "max_sequences": 2, "threads": 1,
                                      "prefix_cache": "false"}, gguf=gguf)
        os.remove(gguf)
        return repo

    def settled_count(self):
        """The generated-tokens counter once it stops moving (at most ~10 s)."""
        last = self.metric("inferd_llm_generated_tokens_total")
        for _ in range(40):
            time.sleep(0.25)
            now = self.metric("inferd_llm_generated_tokens_total")
            if now == last:
                return now
            last = now
        self.fail("inferd_llm_generated_tokens_total is still growing: %s" % last)

    def test_an_aborted_stream_stops_its_sequence(self):
        before = self.metric("inferd_llm_generated_tokens_total")
        result = run_openai_client(self, "abort", dict(
            model="slow", prompt=[1, 300, 301, 302], max_tokens=MAX_TOKENS, temperature=0,
            ignore_eos=True), api="completions", abort_after=3)
        self.assertEqual(result, {"received": 3})
        generated = self.settled_count() - before
        self.assertGreaterEqual(generated, 2)
        self.assertLess(generated, MAX_TOKENS / 4)
        self.assertEqual(self.metric("inferd_llm_sequences"), 0)
        # Still serving, and its cache is free again.
        status, doc = self.server.json("POST", "/v1/completions", {
            "model": "slow", "prompt": [1, 300, 301, 302], "max_tokens": 2, "temperature": 0})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["usage"]["completion_tokens"], 2)
        self.assertEqual(self.metric("inferd_llm_kv_cache_used_bytes"), 0)
