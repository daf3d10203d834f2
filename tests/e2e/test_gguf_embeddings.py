"""Embedding models from GGUF files (bert, nomic-bert) on /v1/embeddings and
/api/embed, against the float64 PyTorch goldens of
scripts/llm/make_encoder_models.py (tests/data/llm/tiny-*bert*.gguf.golden).

tiny-bert pools the [CLS] state (bert.pooling_type 2), tiny-nomic-bert the
mean (1); both answer L2-normalised vectors, as OpenAI's and Ollama's
embeddings are.
"""

import math
import os
import shutil
import tempfile
import threading
import unittest

from .inferd_server import REPO_ROOT, TINY_GGUF, InferdServer, ServerTestCase, add_gguf_model
from .test_generate import ModelFileServer
from .test_openai import run_openai_client

DATA = os.path.join(REPO_ROOT, "tests", "data", "llm")
TOL_ABS = 2e-5  # measured: about 1e-6 (f32 arithmetic against float64)


def load_golden(file):
    """[{"text", "ids", "states", "embedding"}] of one model file."""
    cases = []
    with open(os.path.join(DATA, file + ".golden"), encoding="utf-8") as f:
        for line in f:
            tag, *rest = line.split()
            if tag == "text":
                cases.append({"text": bytes.fromhex(rest[0]).decode("utf-8")})
            elif tag == "ids":
                cases[-1]["ids"] = [int(v) for v in rest[1:]]
            elif tag == "embedding":
                cases[-1]["embedding"] = [float(v) for v in rest[1:]]
            elif tag == "states":
                cases[-1]["states"] = [float(v) for v in rest[1:]]
    return cases


MODELS = {"bert": "tiny-bert-f32.gguf", "nomic": "tiny-nomic-bert-f32.gguf",
          "bert-q8": "tiny-bert-q8_0.gguf"}
GOLDENS = {name: load_golden(file) for name, file in MODELS.items()}


class GgufEmbeddingsTest(ServerTestCase):
    @classmethod
    def repository(cls):
        repo = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-gguf-embed-"))
        for name, file in MODELS.items():
            add_gguf_model(repo, name, {"threads": "1"}, gguf=os.path.join(DATA, file))
        add_gguf_model(repo, "llm", {"context_length": "64", "threads": "1"}, gguf=TINY_GGUF)
        return repo

    def assertVectorClose(self, got, want, where):
        self.assertEqual(len(got), len(want), where)
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertLessEqual(abs(g - w), TOL_ABS, "%s: element %d: got %r, want %r" %
                                 (where, i, g, w))

    def embed(self, body, expected_status=200, path="/v1/embeddings"):
        status, resp = self.server.json("POST", path, body)
        self.assertEqual(status, expected_status, resp)
        return resp

    def test_models_are_ready_beside_a_language_model(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        states = {e["name"]: e["state"] for e in index}
        self.assertEqual(states, {"bert": "READY", "nomic": "READY", "bert-q8": "READY",
                                  "llm": "READY"})
        status, config = self.server.json("GET", "/v2/models/bert/config")
        self.assertEqual(status, 200, config)
        self.assertEqual([i["name"] for i in config["input"]], ["input_ids", "attention_mask"])
        self.assertEqual(config["parameters"]["pooling"]["string_value"], "cls")
        status, config = self.server.json("GET", "/v2/models/nomic/config")
        self.assertEqual(config["parameters"]["pooling"]["string_value"], "mean")

    def test_single_strings_match_goldens(self):
        for name, cases in GOLDENS.items():
            for case in cases:
                resp = self.embed({"model": name, "input": case["text"]})
                self.assertEqual(resp["object"], "list")
                self.assertEqual(resp["model"], name)
                self.assertEqual(len(resp["data"]), 1)
                self.assertVectorClose(resp["data"][0]["embedding"], case["embedding"],
                                       "%s %r" % (name, case["text"]))
                self.assertEqual(resp["usage"]["prompt_tokens"], len(case["ids"]))
                norm = math.sqrt(sum(v * v for v in resp["data"][0]["embedding"]))
                self.assertAlmostEqual(norm, 1.0, places=5)

    def test_a_list_answers_every_text_in_order(self):
        for name in ("bert", "nomic"):
            cases = GOLDENS[name]
            resp = self.embed({"model": name, "input": [c["text"] for c in cases]})
            self.assertEqual([d["index"] for d in resp["data"]], list(range(len(cases))))
            for case, item in zip(cases, resp["data"]):
                self.assertVectorClose(item["embedding"], case["embedding"], case["text"])
            self.assertEqual(resp["usage"]["prompt_tokens"], sum(len(c["ids"]) for c in cases))

    def test_concurrent_requests_of_different_lengths(self):
        # The dynamic batcher may join these into one padded batch; each
        # answer must still be its own text's vector.
        cases = GOLDENS["nomic"] * 3
        results = [None] * len(cases)

        def post(i):
            client = self.server.new_client()
            try:
                results[i] = client.json("POST", "/v1/embeddings",
                                         {"model": "nomic", "input": cases[i]["text"]})
            finally:
                client.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(cases))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for case, (status, resp) in zip(cases, results):
            self.assertEqual(status, 200, resp)
            self.assertVectorClose(resp["data"][0]["embedding"], case["embedding"], case["text"])

    def test_predict_answers_the_feature_extraction_task(self):
        case = GOLDENS["bert"][1]
        status, resp = self.server.json("POST", "/v1/models/bert:predict",
                                        {"instances": [case["text"]]})
        self.assertEqual(status, 200, resp)
        self.assertVectorClose(resp["predictions"][0], case["embedding"], "predict")

    def test_infer_returns_the_token_states(self):
        for name in ("bert-q8", "nomic"):
            case = GOLDENS[name][4]
            n = len(case["ids"])
            body = {"inputs": [
                {"name": "input_ids", "datatype": "INT64", "shape": [1, n], "data": case["ids"]},
                {"name": "attention_mask", "datatype": "INT64", "shape": [1, n], "data": [1] * n}]}
            status, resp = self.server.json("POST", "/v2/models/%s/infer" % name, body)
            self.assertEqual(status, 200, resp)
            out = resp["outputs"][0]
            self.assertEqual(out["name"], "last_hidden_state")
            self.assertEqual(out["shape"][:2], [1, n])
            self.assertVectorClose(out["data"], case["states"], name + " states")

    def test_token_ids_as_input(self):
        case = GOLDENS["nomic"][1]
        resp = self.embed({"model": "nomic", "input": [case["ids"]]})
        self.assertVectorClose(resp["data"][0]["embedding"], case["embedding"], "ids")

    def test_texts_longer_than_the_context_are_truncated(self):
        case = GOLDENS["bert"][-1]
        self.assertGreater(len(case["text"].split()), 40)
        resp = self.embed({"model": "bert", "input": case["text"]})
        self.assertEqual(resp["usage"]["prompt_tokens"], 40)
        self.assertVectorClose(resp["data"][0]["embedding"], case["embedding"], "truncated")

    def test_dimensions_shortens_and_renormalises(self):
        case = GOLDENS["bert"][0]
        resp = self.embed({"model": "bert", "input": case["text"], "dimensions": 8})
        got = resp["data"][0]["embedding"]
        head = case["embedding"][:8]
        norm = math.sqrt(sum(v * v for v in head))
        self.assertVectorClose(got, [v / norm for v in head], "dimensions")
        resp = self.embed({"model": "bert", "input": "x", "dimensions": 33}, 400)
        self.assertEqual(resp["error"]["param"], "dimensions")

    def test_ollama_embed(self):
        cases = GOLDENS["nomic"]
        resp = self.embed({"model": "nomic", "input": cases[0]["text"]}, path="/api/embed")
        self.assertEqual(resp["model"], "nomic")
        self.assertEqual(len(resp["embeddings"]), 1)
        self.assertVectorClose(resp["embeddings"][0], cases[0]["embedding"], "ollama single")
        self.assertEqual(resp["prompt_eval_count"], len(cases[0]["ids"]))
        resp = self.embed({"model": "nomic", "input": [c["text"] for c in cases[:3]]},
                          path="/api/embed")
        for case, vector in zip(cases[:3], resp["embeddings"]):
            self.assertVectorClose(vector, case["embedding"], "ollama " + case["text"])

    def test_bad_inputs_are_refused_naming_the_field(self):
        for body in ({"model": "bert", "input": ""},
                     {"model": "bert", "input": []},
                     {"model": "bert", "input": 7},
                     {"model": "bert", "input": ["ok", 3]},
                     {"model": "bert", "input": [[2, 100000]]}):
            resp = self.embed(body, 400)
            self.assertEqual(resp["error"]["param"], "input", (body, resp))
        resp = self.embed({"model": "bert"}, 400)
        self.assertEqual(resp["error"]["param"], "input")
        status, resp = self.server.json("POST", "/api/embed", {"model": "bert", "input": 5})
        self.assertEqual(status, 400, resp)
        self.assertIn("input", resp["error"])

    def test_generation_routes_refuse_an_embedding_model(self):
        for path, body in (
                ("/v1/chat/completions", {"model": "bert",
                                          "messages": [{"role": "user", "content": "hi"}]}),
                ("/v1/completions", {"model": "bert", "prompt": "hi"}),
                ("/api/generate", {"model": "bert", "prompt": "hi", "stream": False}),
                ("/v2/models/bert/generate", {"text_input": "hi"})):
            status, resp = self.server.json("POST", path, body)
            self.assertEqual(status, 400, (path, resp))
            message = resp["error"]["message"] if isinstance(resp["error"], dict) else resp["error"]
            self.assertIn("embedding model", message, path)

    def test_the_language_model_still_generates(self):
        status, resp = self.server.json("POST", "/v1/completions",
                                        {"model": "llm", "prompt": "hello", "max_tokens": 4,
                                         "temperature": 0})
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["usage"]["completion_tokens"], 4)
        resp = self.embed({"model": "llm", "input": "hello"}, 400)
        self.assertEqual(resp["error"]["param"], "model")

    @unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients")
    def test_openai_node_client(self):
        cases = GOLDENS["bert"]
        result = run_openai_client(self, "create", {"model": "bert",
                                                    "input": [c["text"] for c in cases[:2]]},
                                   api="embeddings")
        self.assertNotIn("error", result)
        for case, item in zip(cases[:2], result["data"]):
            self.assertVectorClose(item["embedding"], case["embedding"], "node " + case["text"])
        result = run_openai_client(self, "create", {"model": "bert", "input": ""},
                                   api="embeddings")
        self.assertEqual(result["error"]["status"], 400)
        self.assertEqual(result["error"]["param"], "input")


class GgufEmbeddingModelFileTest(unittest.TestCase):
    """inferd serve --model FILE.gguf with an embedding model."""

    def test_serves_embeddings(self):
        folder = tempfile.mkdtemp(prefix="inferd-gguf-embed-file-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "minilm.gguf")
        shutil.copy(os.path.join(DATA, MODELS["nomic"]), path)
        server = ModelFileServer(path)
        self.addCleanup(server.kill)
        server.start()
        case = GOLDENS["nomic"][2]
        status, resp = server.json("POST", "/v1/embeddings", {"model": "minilm",
                                                              "input": case["text"]})
        self.assertEqual(status, 200, resp)
        for i, (g, w) in enumerate(zip(resp["data"][0]["embedding"], case["embedding"])):
            self.assertLessEqual(abs(g - w), TOL_ABS, i)
        server.stop()


if __name__ == "__main__":
    unittest.main()
