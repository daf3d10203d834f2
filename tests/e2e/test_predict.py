"""POST /v1/models/sentiment:predict (KServe v1) on the real sentiment example
against PyTorch goldens, per-instance errors, malformed requests, parameter
validation, --max-instances, bad task settings failing the load, and the v2
infer route on the same model.

Goldens: goldens/sentiment.task.json, written by
examples/build_model_repository.py: per sentence the ids the Python
tokenizer gives, and the logits / softmax probabilities of the reloaded
TorchScript file run on that sentence alone.
"""

import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import unittest

from .inferd_server import InferdServer, ServerTestCase, model_repository
from .test_embeddings import task_goldens

TOL_ABS = 1e-5
TOL_REL = 1e-4


def close(got, want):
    return abs(got - want) <= TOL_ABS + TOL_REL * abs(want)


def sentiment_repository(test_case_class, extra_parameters=None, name="sentiment"):
    """A temporary repository with a copy of the sentiment model, optionally
    with extra config.pbtxt parameters appended."""
    path = test_case_class.temp_repository(tempfile.mkdtemp(prefix="inferd_predict_"))
    shutil.copytree(os.path.join(model_repository(), "sentiment"), os.path.join(path, name),
                    symlinks=True)
    if extra_parameters:
        with open(os.path.join(path, name, "config.pbtxt"), "a") as f:
            for key, value in extra_parameters.items():
                f.write('parameters { key: "%s" value { string_value: "%s" } }\n' % (key, value))
    return path


class PredictTest(ServerTestCase):
    server_args = ("--max-instances", "40")

    @classmethod
    def repository(cls):
        return sentiment_repository(cls)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.goldens = task_goldens("sentiment")

    def predict(self, body, path="/v1/models/sentiment:predict", headers=None):
        status, headers, data = self.server.request("POST", path, body, headers)
        return status, headers, json.loads(data.decode("utf-8"))

    def assertMatchesGolden(self, prediction, golden):
        self.assertEqual(prediction["label"], golden["label"], golden["text"])
        self.assertTrue(close(prediction["score"], golden["score"]),
                        (golden["text"], prediction, golden["score"]))

    def test_single_sentence_matches_pytorch(self):
        golden = self.goldens["sentences"][0]
        status, _, body = self.predict({"instances": [golden["text"]]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["model_name"], "sentiment")
        self.assertEqual(body["model_version"], "1")
        self.assertTrue(body["request_id"])
        self.assertGreaterEqual(body["inference_time_ms"], 0)
        self.assertEqual((body["success_count"], body["failure_count"]), (1, 0))
        self.assertMatchesGolden(body["predictions"][0], golden)

    def test_batch_of_different_lengths_matches_each_alone(self):
        # Padded to the longest in the batch; goldens ran each sentence alone.
        sentences = self.goldens["sentences"]
        status, _, body = self.predict({"instances": [s["text"] for s in sentences]})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["predictions"]), len(sentences))
        for prediction, golden in zip(body["predictions"], sentences):
            self.assertMatchesGolden(prediction, golden)
        labels = {p["label"] for p in body["predictions"]}
        self.assertEqual(labels, {"POSITIVE", "NEGATIVE"})

    def test_top_k_null_lists_every_label_as_pytorch_scores_them(self):
        golden = self.goldens["sentences"][1]
        status, _, body = self.predict({"instances": [{"text": golden["text"]}],
                                        "parameters": {"top_k": None}})
        self.assertEqual(status, 200, body)
        listed = body["predictions"][0]
        self.assertEqual(len(listed), 2)
        self.assertGreaterEqual(listed[0]["score"], listed[1]["score"])
        for entry in listed:
            index = self.goldens["labels"].index(entry["label"])
            self.assertTrue(close(entry["score"], golden["probabilities"][index]), entry)

    def test_sigmoid_applies_to_the_logits(self):
        golden = self.goldens["sentences"][2]
        status, _, body = self.predict({"instances": [golden["text"]],
                                        "parameters": {"top_k": 2, "function_to_apply": "sigmoid"}})
        self.assertEqual(status, 200, body)
        for entry in body["predictions"][0]:
            index = self.goldens["labels"].index(entry["label"])
            want = 1 / (1 + math.exp(-golden["logits"][index]))
            self.assertTrue(close(entry["score"], want), entry)

    def test_versioned_route(self):
        golden = self.goldens["sentences"][3]
        status, _, body = self.predict({"instances": [golden["text"]]},
                                       path="/v1/models/sentiment/versions/1:predict")
        self.assertEqual(status, 200, body)
        self.assertMatchesGolden(body["predictions"][0], golden)
        status, _, body = self.predict({"instances": ["x"]},
                                       path="/v1/models/sentiment/versions/9:predict")
        self.assertEqual(status, 404, body)

    def test_bad_instances_fail_in_place(self):
        golden = self.goldens["sentences"][4]
        status, _, body = self.predict({"instances": [golden["text"], "", 42, {"txt": "a"}]})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["success_count"], body["failure_count"]), (1, 3))
        self.assertMatchesGolden(body["predictions"][0], golden)
        self.assertIn("empty", body["predictions"][1]["error"])
        self.assertIn("string", body["predictions"][2]["error"])
        self.assertIn("txt", body["predictions"][3]["error"])

    def test_every_instance_failing_is_a_400(self):
        status, _, body = self.predict({"instances": [""]})
        self.assertEqual(status, 400, body)
        self.assertIn("empty", body["error"])
        self.assertEqual(body["failure_count"], 1)

    def test_malformed_requests_name_the_field(self):
        for raw, mention in [
            (b"{not json", "JSON"),
            (b"[1, 2]", "object"),
            (b"{}", "instances"),
            (b'{"instances": "text"}', "instances"),
            (b'{"instances": []}', "instances"),
            (b'{"instances": ["a"], "parameters": 3}', "parameters"),
            (b'{"instances": ["a"], "inputz": 1}', "inputz"),
            (b'{"instances": ["a"], "parameters": {"top_k": 0}}', "parameters.top_k"),
            (b'{"instances": ["a"], "parameters": {"top_k": "two"}}', "parameters.top_k"),
            (b'{"instances": ["a"], "parameters": {"function_to_apply": "tanh"}}',
             "parameters.function_to_apply"),
            (b'{"instances": ["a"], "parameters": {"threshold": 0.5}}', "parameters.threshold"),
        ]:
            status, headers, data = self.server.request(
                "POST", "/v1/models/sentiment:predict", raw,
                {"Content-Type": "application/json"})
            self.assertError(status, headers, data, 400, mention)

    def test_too_many_instances_is_a_413(self):
        status, headers, data = self.server.request(
            "POST", "/v1/models/sentiment:predict", {"instances": ["good"] * 41})
        self.assertError(status, headers, data, 413, "41", "40", "--max-instances")
        status, _, body = self.predict({"instances": ["good"] * 40})
        self.assertEqual((status, body["success_count"]), (200, 40))

    def test_unknown_model_is_a_404(self):
        status, headers, data = self.server.request(
            "POST", "/v1/models/nope:predict", {"instances": ["a"]})
        self.assertError(status, headers, data, 404, "nope")

    def test_v2_infer_on_the_same_model(self):
        golden = self.goldens["sentences"][5]
        ids = golden["input_ids"]
        request = {"inputs": [
            {"name": "input_ids", "datatype": "INT64", "shape": [1, len(ids)], "data": ids},
            {"name": "attention_mask", "datatype": "INT64", "shape": [1, len(ids)],
             "data": [1] * len(ids)}]}
        status, body = self.server.json("POST", "/v2/models/sentiment/infer", request)
        self.assertEqual(status, 200, body)
        logits = body["outputs"][0]["data"]
        for got, want in zip(logits, golden["logits"]):
            self.assertTrue(close(got, want), (got, want))


class DynamicPaddingTest(ServerTestCase):
    """Separate requests with sentences of different lengths batch together,
    padded to the longest in their batch (not to max_length, and not one
    execution per length; very short and very long ones may run as separate
    batches of at least four), and each still gets its PyTorch golden
    answer."""

    @classmethod
    def repository(cls):
        path = sentiment_repository(cls)
        config = os.path.join(path, "sentiment", "config.pbtxt")
        with open(config) as f:
            text = f.read()
        # Hold the queue until every request is in (released at once when
        # the preferred size is reached; the long delay only guards a slow
        # machine).
        count = len(task_goldens("sentiment")["sentences"])
        text = re.sub(r"dynamic_batching \{[^}]*\}",
                      "dynamic_batching {\n  preferred_batch_size: %d\n"
                      "  max_queue_delay_microseconds: 30000000\n}" % count, text)
        with open(config, "w") as f:
            f.write(text)
        return path

    def executions(self):
        status, body = self.server.json("GET", "/v2/models/sentiment/stats")
        self.assertEqual(status, 200, body)
        return body["model_stats"][0]["execution_count"]

    def test_requests_of_different_lengths_share_executions(self):
        sentences = task_goldens("sentiment")["sentences"]
        lengths = {len(s["input_ids"]) for s in sentences}
        self.assertGreater(len(lengths), 2, "goldens should differ in length")
        before = self.executions()
        answers = [None] * len(sentences)

        def ask(i):
            client = self.server.new_client()
            try:
                answers[i] = client.json("POST", "/v1/models/sentiment:predict",
                                         {"instances": [sentences[i]["text"]]})
            finally:
                client.close()

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(sentences))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for (status, body), golden in zip(answers, sentences):
            self.assertEqual(status, 200, body)
            prediction = body["predictions"][0]
            self.assertEqual(prediction["label"], golden["label"], golden["text"])
            self.assertTrue(close(prediction["score"], golden["score"]), (golden, prediction))
        executions = self.executions() - before
        self.assertGreaterEqual(executions, 1)
        self.assertLessEqual(executions, len(sentences) // 4)


class BadTaskSettingsTest(unittest.TestCase):
    """A bad task setting makes the model UNAVAILABLE with a reason naming it."""

    def test_load_fails_naming_the_parameter(self):
        for extra, mention in [({"max_length": "lots"}, 'parameters[\\"max_length\\"]'),
                               ({"labels": "missing.txt"}, 'parameters[\\"labels\\"]')]:
            path = tempfile.mkdtemp(prefix="inferd_badtask_")
            self.addCleanup(shutil.rmtree, path, True)
            shutil.copytree(os.path.join(model_repository(), "sentiment"),
                            os.path.join(path, "sentiment"))
            config = os.path.join(path, "sentiment", "config.pbtxt")
            with open(config) as f:
                text = f.read()
            for key, value in extra.items():
                text = text.replace('{ key: "%s" value: { string_value: "' % key,
                                    '{ key: "%s_was" value: { string_value: "' % key)
                text += 'parameters { key: "%s" value { string_value: "%s" } }\n' % (key, value)
            with open(config, "w") as f:
                f.write(text)
            server = InferdServer(path)
            self.addCleanup(server.kill)
            server.start()
            deadline = time.monotonic() + 60
            while True:  # the model loads after the server starts
                status, body = server.json("POST", "/v1/models/sentiment:predict",
                                           {"instances": ["a"]})
                if "LOADING" not in body.get("error", "") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(status, 503, body)
            self.assertIn(mention.replace("\\", ""), body["error"])
            server.stop()


if __name__ == "__main__":
    unittest.main()
