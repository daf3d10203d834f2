"""The kv_cache_type model parameter of GGUF models (f16 default, f32, q8_0).

The committed tiny model tests/data/llm/tiny-llama-f32.gguf (2 layers, 2 KV
heads of 16 values) is served with an f16 and an f32 KV cache: greedy text is
the same, and the KV capacity the server reports follows the type. q8_0
needs heads of whole 32-value blocks, so loading it for this model fails
naming the parameter, as does an unknown type."""

import tempfile

from .inferd_server import ServerTestCase, add_gguf_model
from .test_generate import MAX_TOKENS, PROMPTS, body, cli_generate

CONTEXT = 128
# 2 (keys, values) x 2 layers x 32 values per position.
VALUES_PER_TOKEN = 2 * 2 * 32


class KvCacheTypeTest(ServerTestCase):
    server_args = ("--model-control-mode", "explicit", "--load-model", "f16kv",
                   "--load-model", "f32kv")

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-kvtype-"))
        common = {"context_length": CONTEXT, "threads": 1}
        add_gguf_model(repo, "f16kv", dict(common))
        add_gguf_model(repo, "f32kv", dict(common, kv_cache_type="f32"))
        add_gguf_model(repo, "q8kv", dict(common, kv_cache_type="q8_0"))
        add_gguf_model(repo, "badkv", dict(common, kv_cache_type="q4_0"))
        return repo

    def text(self, model, prompt):
        status, doc = self.server.json("POST", "/v2/models/%s/generate" % model, body(prompt))
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["generated_tokens"], MAX_TOKENS)
        return doc["text_output"]

    def test_f16_and_f32_caches_give_the_same_greedy_text(self):
        for prompt in PROMPTS[:2]:
            f16 = self.text("f16kv", prompt)
            self.assertTrue(f16)
            self.assertEqual(self.text("f32kv", prompt), f16, prompt)
            self.assertEqual(cli_generate(prompt), f16, prompt)  # the CLI's default is f16

    def test_health_reports_the_bytes_of_the_type(self):
        status, health = self.server.json("GET", "/health")
        self.assertEqual(status, 200, health)
        capacity = {m["name"]: m["versions"][0]["generation"]["kv_cache_capacity_bytes"]
                    for m in health["models"] if m["name"] in ("f16kv", "f32kv")}
        # Two full contexts of positions by default.
        self.assertEqual(capacity, {"f16kv": 2 * CONTEXT * VALUES_PER_TOKEN * 2,
                                    "f32kv": 2 * CONTEXT * VALUES_PER_TOKEN * 4})

    def test_unusable_types_fail_to_load_naming_the_parameter(self):
        for model, detail in (("q8kv", "multiple of 32"), ("badkv", "q4_0")):
            status, doc = self.server.json("POST", "/v2/repository/models/%s/load" % model, {})
            self.assertGreaterEqual(status, 400, doc)
            self.assertLess(status, 500, doc)
            self.assertIn("kv_cache_type", doc["error"], doc)
            self.assertIn(detail, doc["error"], doc)
