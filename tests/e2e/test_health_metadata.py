"""Health, server and model metadata, model config, GET /health, and the CLI."""

import os
import subprocess
import time
import unittest

from .inferd_server import ServerTestCase, inferd_bin, merged_repository, model_repository

# name -> (max_batch_size, inputs, outputs) as the v2 metadata must show them.
EXPECTED_METADATA = {
    "simple": (8,
               [("INPUT0", "INT32", [-1, 16]), ("INPUT1", "INT32", [-1, 16])],
               [("OUTPUT0", "INT32", [-1, 16]), ("OUTPUT1", "INT32", [-1, 16])]),
    "digits": (64,
               [("input", "FP32", [-1, 1, 8, 8])],
               [("logits", "FP32", [-1, 10]), ("probabilities", "FP32", [-1, 10])]),
    "all_dtypes": (0,
                   [("IN_" + t, t, [-1]) for t in
                    ("INT8", "INT16", "INT32", "INT64", "UINT8", "FP16", "FP32", "FP64", "BOOL")],
                   [("OUT_" + t, t, [-1]) for t in
                    ("INT8", "INT16", "INT32", "INT64", "UINT8", "FP16", "FP32", "FP64", "BOOL")]),
    "index_named": (4,
                    [("INPUT__0", "FP32", [-1, 4]), ("INPUT__1", "FP32", [-1, 4])],
                    [("OUTPUT__0", "FP32", [-1, 4]), ("OUTPUT__1", "FP32", [-1, 4])]),
    "string_length": (0, [("TEXT", "BYTES", [-1])], [("LENGTHS", "INT64", [-1])]),
    "single_output": (0, [("x", "FP32", [2, 3])], [("y", "FP32", [3, 2])]),
    "text_classifier": (64,
                        [("input_ids", "INT64", [-1, -1]), ("attention_mask", "INT64", [-1, -1])],
                        [("logits", "FP32", [-1, 2])]),
}

# Models every build of the examples must have (issue 2); others may be added.
REQUIRED_MODELS = ["all_dtypes", "digits", "index_named", "simple", "single_output", "string_length"]

CONFIG_TYPE = {"INT8": "TYPE_INT8", "INT16": "TYPE_INT16", "INT32": "TYPE_INT32",
               "INT64": "TYPE_INT64", "UINT8": "TYPE_UINT8", "FP16": "TYPE_FP16",
               "FP32": "TYPE_FP32", "FP64": "TYPE_FP64", "BOOL": "TYPE_BOOL",
               "BYTES": "TYPE_STRING"}

SERVE_FLAGS = ["--model-repository", "--host", "--http-port", "--io-threads",
               "--intra-op-threads", "--max-body-bytes", "--log-level",
               "--model-control-mode", "--load-model", "--read-timeout-ms"]


class HealthAndMetadataTest(ServerTestCase):
    """Server over every example model, all loaded (control mode none)."""

    @classmethod
    def repository(cls):
        path = cls.temp_repository(merged_repository())
        cls.models = sorted(os.listdir(path))
        return path

    def test_repository_has_the_issue_models(self):
        for name in REQUIRED_MODELS:
            self.assertIn(name, self.models)

    def known_models(self):
        """Models of this repository whose metadata the test knows."""
        return [m for m in self.models if m in EXPECTED_METADATA]

    def test_live(self):
        status, headers, body = self.server.request("GET", "/v2/health/live")
        self.assertEqual(status, 200, body)

    def test_ready(self):
        status, headers, body = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 200, body)

    def test_server_metadata(self):
        status, headers, body = self.server.request("GET", "/v2")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers.get("content-type", ""))
        status, meta = self.server.json("GET", "/v2")
        self.assertEqual(meta["name"], "inferd")
        self.assertIsInstance(meta["version"], str)
        self.assertTrue(meta["version"])
        self.assertIsInstance(meta["extensions"], list)
        for ext in ("binary_tensor_data", "model_repository", "model_configuration"):
            self.assertIn(ext, meta["extensions"])

    def check_metadata(self, name, meta):
        _, inputs, outputs = EXPECTED_METADATA[name]
        self.assertEqual(meta["name"], name)
        self.assertEqual(meta["versions"], ["1"])
        self.assertEqual(meta["platform"], "pytorch_libtorch")
        self.assertEqual([(t["name"], t["datatype"], t["shape"]) for t in meta["inputs"]], inputs)
        self.assertEqual([(t["name"], t["datatype"], t["shape"]) for t in meta["outputs"]], outputs)

    def test_model_metadata_every_model(self):
        for name in self.known_models():
            with self.subTest(model=name):
                status, meta = self.server.json("GET", "/v2/models/%s" % name)
                self.assertEqual(status, 200, meta)
                self.check_metadata(name, meta)

    def test_model_version_metadata(self):
        for name in self.known_models():
            with self.subTest(model=name):
                status, meta = self.server.json("GET", "/v2/models/%s/versions/1" % name)
                self.assertEqual(status, 200, meta)
                self.check_metadata(name, meta)

    def test_model_ready(self):
        for name in self.known_models():
            with self.subTest(model=name):
                status, body = self.server.json("GET", "/v2/models/%s/ready" % name)
                self.assertEqual(status, 200, body)
                self.assertEqual(body["name"], name)
                self.assertIs(body["ready"], True)
                status, body = self.server.json("GET", "/v2/models/%s/versions/1/ready" % name)
                self.assertEqual(status, 200, body)
                self.assertEqual(body["name"], name)
                self.assertIs(body["ready"], True)
                if "version" in body:
                    self.assertEqual(body["version"], "1")

    def test_model_ready_unknown_model_and_version(self):
        status, headers, body = self.server.request("GET", "/v2/models/nope/ready")
        self.assertError(status, headers, body, 404, "nope")
        status, headers, body = self.server.request("GET", "/v2/models/simple/versions/9/ready")
        self.assertError(status, headers, body, 404, "9")

    def check_config(self, name, config):
        max_batch, inputs, outputs = EXPECTED_METADATA[name]
        self.assertEqual(config["name"], name)
        self.assertEqual(config.get("max_batch_size", 0), max_batch)
        if max_batch:
            self.assertIs(type(config["max_batch_size"]), int, "max_batch_size must be a JSON number")
        # The effective platform is pytorch_libtorch whether the file said
        # platform: "pytorch_libtorch" or backend: "pytorch".
        self.assertTrue(config.get("platform") == "pytorch_libtorch" or config.get("backend") == "pytorch",
                        config)
        strip = 1 if max_batch else 0
        for key, tensors in (("input", inputs), ("output", outputs)):
            got = config[key]
            self.assertEqual([t["name"] for t in got], [t[0] for t in tensors])
            for g, (_, dtype, shape) in zip(got, tensors):
                self.assertEqual(g["data_type"], CONFIG_TYPE[dtype])
                self.assertEqual(g["dims"], shape[strip:])
                for d in g["dims"]:
                    self.assertIs(type(d), int, "dims must be JSON numbers: %r" % g["dims"])

    def test_model_config_simple_exact_fields(self):
        status, config = self.server.json("GET", "/v2/models/simple/config")
        self.assertEqual(status, 200, config)
        self.assertEqual(config["name"], "simple")
        self.assertEqual(config["platform"], "pytorch_libtorch")
        self.assertEqual(config["max_batch_size"], 8)
        self.assertEqual(config["input"][0]["name"], "INPUT0")
        self.assertEqual(config["input"][0]["data_type"], "TYPE_INT32")
        self.assertEqual(config["input"][0]["dims"], [16])

    def test_model_config_every_model(self):
        for name in self.known_models():
            with self.subTest(model=name):
                status, config = self.server.json("GET", "/v2/models/%s/config" % name)
                self.assertEqual(status, 200, config)
                self.check_config(name, config)

    def test_model_config_by_version(self):
        status, config = self.server.json("GET", "/v2/models/digits/versions/1/config")
        self.assertEqual(status, 200, config)
        self.check_config("digits", config)
        # instance_group from the file is part of the effective config.
        self.assertIn("instance_group", config)
        self.assertEqual(config["instance_group"][0]["count"], 1)
        self.assertEqual(config["instance_group"][0]["kind"], "KIND_CPU")

    def test_metadata_unknown_model(self):
        status, headers, body = self.server.request("GET", "/v2/models/no_such_model")
        self.assertError(status, headers, body, 404, "no_such_model")
        status, headers, body = self.server.request("GET", "/v2/models/no_such_model/config")
        self.assertError(status, headers, body, 404, "no_such_model")

    def test_metadata_unknown_version(self):
        status, headers, body = self.server.request("GET", "/v2/models/simple/versions/2")
        self.assertError(status, headers, body, 404, "2")
        status, headers, body = self.server.request("GET", "/v2/models/simple/versions/2/config")
        self.assertError(status, headers, body, 404, "2")

    def test_health_summary(self):
        status, health = self.server.json("GET", "/health")
        self.assertEqual(status, 200, health)
        self.assertEqual(health["status"], "ready")
        self.assertEqual(health["device"], "cpu")
        self.assertIsInstance(health["uptime_seconds"], (int, float))
        self.assertGreaterEqual(health["uptime_seconds"], 0)
        models = {m["name"]: m for m in health["models"]}
        self.assertEqual(sorted(models), self.models)
        for name, model in models.items():
            self.assertVersionsReady(model["versions"], name)

    def test_health_uptime_advances(self):
        _, first = self.server.json("GET", "/health")
        time.sleep(1.1)
        _, second = self.server.json("GET", "/health")
        self.assertGreaterEqual(second["uptime_seconds"] - first["uptime_seconds"], 1.0)
        self.assertLess(second["uptime_seconds"] - first["uptime_seconds"], 30.0)

    def test_repository_index_lists_every_model_ready(self):
        for body in (None, {}):
            with self.subTest(body=body):
                status, index = self.server.json("POST", "/v2/repository/index", body)
                self.assertEqual(status, 200, index)
                self.assertIsInstance(index, list)
                entries = {e["name"]: e for e in index}
                self.assertEqual(sorted(entries), self.models)
                for name, e in entries.items():
                    self.assertEqual(e["state"], "READY", e)
                    self.assertEqual(e["version"], "1", e)
                    self.assertIn("reason", e)


class SingleRepositoryTest(ServerTestCase):
    """The example model repository as a user serves it (make serve)."""

    def test_models_listed_and_ready(self):
        models = sorted(os.listdir(model_repository()))
        for name in ("digits", "simple"):
            self.assertIn(name, models)
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        self.assertEqual(sorted(e["name"] for e in index), models)
        self.assertTrue(all(e["state"] == "READY" for e in index), index)
        status, health = self.server.json("GET", "/health")
        self.assertEqual(health["status"], "ready")
        self.assertEqual(sorted(m["name"] for m in health["models"]), models)
        self.assertSimpleWorks()


class CommandLineTest(unittest.TestCase):
    def run_inferd(self, *args, timeout=30):
        return subprocess.run([inferd_bin()] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL)

    def test_help(self):
        result = self.run_inferd("--help")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("serve", result.stdout.decode(errors="replace"))

    def test_serve_help_mentions_every_flag(self):
        result = self.run_inferd("serve", "--help")
        self.assertEqual(result.returncode, 0, result.stdout)
        text = result.stdout.decode(errors="replace")
        for flag in SERVE_FLAGS:
            self.assertIn(flag, text)

    def test_unknown_flag_fails(self):
        result = self.run_inferd("serve", "--model-repository", model_repository(), "--no-such-flag")
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("no-such-flag", result.stdout.decode(errors="replace"))

    def test_missing_repository_fails_with_message(self):
        result = self.run_inferd("serve", "--model-repository", "/nonexistent/inferd-repo",
                                 "--host", "127.0.0.1", "--http-port", "0", timeout=15)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("/nonexistent/inferd-repo", result.stdout.decode(errors="replace"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
