"""Model repository: index, explicit load/unload, control mode none, broken models."""

import os
import shutil
import struct
import tempfile
import time
import unittest

from .inferd_server import (InferdServer, ServerTestCase, assert_tensor_matches,
                            clone_model, copy_repository, flatten, outputs_by_name,
                            simple_request, test_repository)

STATES = {"READY", "UNAVAILABLE", "LOADING", "UNLOADING"}

# Garbage that is neither a zip archive nor a pickle: what a truncated download looks like.
GARBAGE = bytes((i * 131 + 7) % 256 for i in range(4096))

GARBAGE_WORDS = ("model.pt", "corrupt", "unreadable", "invalid", "torchscript", "archive", "zip")


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def make_broken_models(repo):
    """Adds one broken clone of `simple` per kind of damage; returns {name: words one of
    which the UNAVAILABLE reason must mention}."""
    expected = {}

    d = clone_model(repo, "simple", "broken_missing_file")
    os.remove(os.path.join(d, "1", "model.pt"))
    expected["broken_missing_file"] = ("model.pt", "missing", "not found", "no such file", "does not exist")

    d = clone_model(repo, "simple", "broken_garbage_file")
    write(os.path.join(d, "1", "model.pt"), GARBAGE, "wb")
    expected["broken_garbage_file"] = GARBAGE_WORDS

    d = clone_model(repo, "simple", "broken_input_name")
    config = os.path.join(d, "config.pbtxt")
    write(config, read(config).replace('"INPUT0"', '"INPUT_RENAMED"'))
    expected["broken_input_name"] = ("INPUT_RENAMED",)

    d = clone_model(repo, "simple", "broken_input_dtype")
    config = os.path.join(d, "config.pbtxt")
    text = read(config)
    # Inputs become strings (TorchScript List[str]) while forward() takes Tensors.
    head, sep, tail = text.partition("output [")
    write(config, head.replace("TYPE_INT32", "TYPE_STRING") + sep + tail)
    expected["broken_input_dtype"] = ("INPUT0", "INPUT1", "TYPE_STRING", "BYTES", "string")

    d = clone_model(repo, "simple", "broken_config_syntax")
    config = os.path.join(d, "config.pbtxt")
    lines = read(config).splitlines()
    lines = [l.replace("max_batch_size: 8", "max_batch_size: = 8 {") for l in lines]
    write(config, "\n".join(lines) + "\n")
    # The error is on line 3 (max_batch_size): the reason names the line or the field.
    expected["broken_config_syntax"] = ("line 3", "3:", "max_batch_size")

    d = clone_model(repo, "simple", "broken_unknown_field")
    config = os.path.join(d, "config.pbtxt")
    write(config, read(config) + "frobnicate_level: 3\n")
    expected["broken_unknown_field"] = ("frobnicate_level",)
    return expected


INDEX_NAMED_A = [1.0, 2.0, 3.0, -4.0]
INDEX_NAMED_B = [0.5, 0.5, -2.0, 2.0]
INDEX_NAMED_REQUEST = {"inputs": [
    {"name": "INPUT__0", "datatype": "FP32", "shape": [1, 4], "data": INDEX_NAMED_A},
    {"name": "INPUT__1", "datatype": "FP32", "shape": [1, 4], "data": INDEX_NAMED_B}]}
ALL_DTYPES_REQUEST = {"inputs": [
    {"name": "IN_" + t, "datatype": t, "shape": [1], "data": [True if t == "BOOL" else 1]}
    for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "FP16", "FP32", "FP64", "BOOL")]}


class BrokenModelsTest(ServerTestCase):
    """Control mode none: every model loads at start; broken ones become UNAVAILABLE."""

    broken = None

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(copy_repository(test_repository(), models=["simple"]))
        cls.broken = make_broken_models(repo)
        return repo

    def index(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        self.assertIsInstance(index, list)
        for e in index:
            self.assertIn(e.get("state"), STATES, e)
            self.assertIsInstance(e.get("name"), str, e)
            if e["state"] == "UNAVAILABLE":
                self.assertTrue(str(e.get("reason", "")).strip(), "UNAVAILABLE without a reason: %r" % e)
        return index

    def test_server_started_and_simple_serves(self):
        self.assertSimpleWorks()
        status, body = self.server.json("GET", "/v2/models/simple/ready")
        self.assertEqual(status, 200, body)

    def test_index_shows_broken_models_unavailable_with_reason(self):
        index = self.index()
        by_name = {}
        for e in index:
            by_name.setdefault(e["name"], []).append(e)
        self.assertEqual(sorted(by_name), sorted(["simple"] + list(self.broken)))
        self.assertEqual([e["state"] for e in by_name["simple"]], ["READY"])
        for name, words in self.broken.items():
            with self.subTest(model=name):
                for e in by_name[name]:
                    self.assertEqual(e["state"], "UNAVAILABLE", e)
                    self.assertIsInstance(e.get("reason"), str)
                    self.assertTrue(e["reason"].strip(), e)
                    self.assertMentions(e["reason"], words)

    def test_infer_on_broken_model_is_503(self):
        for name in self.broken:
            with self.subTest(model=name):
                status, headers, body = self.infer(name, simple_request()[0])
                self.assertError(status, headers, body, 503, name)
        self.assertSimpleWorks()

    def test_model_ready_on_broken_model_is_503(self):
        for name in self.broken:
            with self.subTest(model=name):
                status, headers, body = self.server.request("GET", "/v2/models/%s/ready" % name)
                self.assertError(status, headers, body, 503, name)

    def test_server_not_ready_while_a_model_is_unavailable(self):
        status, _, body = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 503, body)
        status, _, body = self.server.request("GET", "/v2/health/live")
        self.assertEqual(status, 200, body)

    def test_health_degraded(self):
        status, health = self.server.json("GET", "/health")
        self.assertEqual(status, 200, health)
        self.assertEqual(health["status"], "degraded")
        models = {m["name"]: m for m in health["models"]}
        self.assertVersionsReady(models["simple"]["versions"], "simple")
        for name in self.broken:
            with self.subTest(model=name):
                self.assertIn(name, models)
                for v in models[name]["versions"]:
                    self.assertEqual(v["state"], "UNAVAILABLE", v)
                    self.assertTrue(v["reason"].strip(), v)

    def test_load_and_unload_refused_in_control_mode_none(self):
        for action in ("load", "unload"):
            with self.subTest(action=action):
                status, headers, body = self.server.request(
                    "POST", "/v2/repository/models/simple/%s" % action, {})
                self.assertError(status, headers, body, 409, ("explicit", "mode", "control"))
        self.assertSimpleWorks()
        self.assertEqual([e["state"] for e in self.index() if e["name"] == "simple"], ["READY"])


class ExplicitModeTest(ServerTestCase):
    """Control mode explicit: only --load-model models load at start."""

    server_args = ["--model-control-mode", "explicit", "--load-model", "simple",
                   "--load-model", "string_length"]

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(copy_repository(test_repository()))
        d = clone_model(repo, "simple", "broken_garbage_file")
        write(os.path.join(d, "1", "model.pt"), GARBAGE, "wb")
        return repo

    def index(self):
        status, index = self.server.json("POST", "/v2/repository/index")
        self.assertEqual(status, 200, index)
        for e in index:
            self.assertIn(e.get("state"), STATES, e)
            self.assertIsInstance(e.get("name"), str, e)
            if e["state"] == "UNAVAILABLE":
                self.assertTrue(str(e.get("reason", "")).strip(), "UNAVAILABLE without a reason: %r" % e)
        return {e["name"]: e for e in index}

    def index_named_works(self):
        a, b = INDEX_NAMED_A, INDEX_NAMED_B
        status, resp = self.server.json("POST", "/v2/models/index_named/infer", INDEX_NAMED_REQUEST)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        assert_tensor_matches(self, "OUTPUT__0", "FP32", outs["OUTPUT__0"]["data"], [x * y for x, y in zip(a, b)])
        assert_tensor_matches(self, "OUTPUT__1", "FP32", outs["OUTPUT__1"]["data"], [x + y for x, y in zip(a, b)])

    # Named test_a_ so that it runs first (unittest sorts by name): it checks the start-up state.
    def test_a_initial_state(self):
        index = self.index()
        self.assertEqual(sorted(index), sorted(os.listdir(self.server.repository)))
        for name in ("simple", "string_length"):
            self.assertEqual(index[name]["state"], "READY", index[name])
        for name in sorted(set(index) - {"simple", "string_length"}):
            self.assertEqual(index[name]["state"], "UNAVAILABLE", index[name])
            self.assertTrue(index[name].get("reason", "").strip(), index[name])
        # Ready: every model meant to be loaded (the --load-model ones) is READY.
        status, _, body = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 200, body)
        status, headers, body = self.infer("all_dtypes", ALL_DTYPES_REQUEST)
        self.assertError(status, headers, body, 503, "all_dtypes")
        self.assertSimpleWorks()

    def test_load_infer_unload_reload(self):
        status, headers, body = self.infer("index_named", INDEX_NAMED_REQUEST)
        self.assertError(status, headers, body, 503, "index_named")

        status, _, body = self.server.request("POST", "/v2/repository/models/index_named/load", {})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.index()["index_named"]["state"], "READY")
        status, body = self.server.json("GET", "/v2/models/index_named/ready")
        self.assertEqual(status, 200, body)
        self.index_named_works()

        status, _, body = self.server.request("POST", "/v2/repository/models/index_named/unload", {})
        self.assertEqual(status, 200, body)
        status, headers, body = self.infer("index_named", INDEX_NAMED_REQUEST)
        self.assertError(status, headers, body, 503, "index_named")
        status, headers, body = self.server.request("GET", "/v2/models/index_named/ready")
        self.assertError(status, headers, body, 503, "index_named")
        entry = self.index()["index_named"]
        self.assertEqual(entry["state"], "UNAVAILABLE", entry)
        self.assertMentions(entry["reason"], "unloaded")
        self.assertSimpleWorks()

        # Empty body works as well as {}.
        status, _, body = self.server.request("POST", "/v2/repository/models/index_named/load")
        self.assertEqual(status, 200, body)
        self.index_named_works()

    def test_load_already_loaded_model(self):
        status, _, body = self.server.request("POST", "/v2/repository/models/string_length/load", {})
        self.assertEqual(status, 200, body)
        body = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [2], "data": ["abc", "de"]}]}
        status, resp = self.server.json("POST", "/v2/models/string_length/infer", body)
        self.assertEqual(status, 200, resp)
        self.assertEqual(flatten(outputs_by_name(resp)["LENGTHS"]["data"]), [3, 2])

    def test_load_unknown_model_404(self):
        status, headers, body = self.server.request("POST", "/v2/repository/models/no_such_model/load", {})
        self.assertError(status, headers, body, 404, "no_such_model")
        self.assertNotIn("no_such_model", self.index())
        self.assertSimpleWorks()

    def test_unload_unknown_model_404(self):
        status, headers, body = self.server.request("POST", "/v2/repository/models/no_such_model/unload", {})
        self.assertError(status, headers, body, 404, "no_such_model")
        self.assertSimpleWorks()

    def test_load_broken_model_400_with_reason(self):
        status, headers, body = self.server.request(
            "POST", "/v2/repository/models/broken_garbage_file/load", {})
        self.assertError(status, headers, body, 400, GARBAGE_WORDS)
        entry = self.index()["broken_garbage_file"]
        self.assertEqual(entry["state"], "UNAVAILABLE", entry)
        self.assertMentions(entry["reason"], GARBAGE_WORDS)
        status, headers, body = self.infer("broken_garbage_file", simple_request()[0])
        self.assertError(status, headers, body, 503, "broken_garbage_file")
        self.assertSimpleWorks()

    def test_load_and_unload_single_output_keeps_others_serving(self):
        status, _, body = self.server.request("POST", "/v2/repository/models/single_output/load", {})
        self.assertEqual(status, 200, body)
        x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        status, resp = self.server.json("POST", "/v2/models/single_output/infer",
                                        {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3], "data": x}]})
        self.assertEqual(status, 200, resp)
        assert_tensor_matches(self, "y", "FP32", outputs_by_name(resp)["y"]["data"],
                              [2.0, 8.0, 4.0, 10.0, 6.0, 12.0])
        status, _, body = self.server.request("POST", "/v2/repository/models/single_output/unload", {})
        self.assertEqual(status, 200, body)
        self.assertSimpleWorks()
        body = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [1], "data": ["xyz"]}]}
        status, resp = self.server.json("POST", "/v2/models/string_length/infer", body)
        self.assertEqual(status, 200, resp)


class VersionPolicyTest(ServerTestCase):
    """Numeric version folders and config version_policy (Triton semantics)."""

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(copy_repository(test_repository(), models=["simple"]))
        for name, policy in (("latest_default", None),
                             ("all_versions", "version_policy: { all: {} }"),
                             ("specific_one", "version_policy: { specific: { versions: [1] } }")):
            d = clone_model(repo, "simple", name)
            # Versions 1 and 3 hold the same TorchScript file; only which are served differs.
            os.rename(os.path.join(d, "1"), os.path.join(d, "3"))
            os.makedirs(os.path.join(d, "1"))
            with open(os.path.join(d, "3", "model.pt"), "rb") as f:
                write(os.path.join(d, "1", "model.pt"), f.read(), "wb")
            if policy:
                config = os.path.join(d, "config.pbtxt")
                write(config, read(config) + policy + "\n")
        return repo

    def served(self, name, expected_versions):
        status, meta = self.server.json("GET", "/v2/models/%s" % name)
        self.assertEqual(status, 200, meta)
        self.assertEqual(sorted(meta["versions"]), expected_versions)
        for v in expected_versions:
            self.assertSimpleWorks(path="/v2/models/%s/versions/%s/infer" % (name, v))
            status, resp = self.server.json("POST", "/v2/models/%s/versions/%s/infer" % (name, v),
                                            simple_request()[0])
            self.assertEqual(resp["model_version"], v)

    def test_default_policy_serves_latest_version(self):
        self.served("latest_default", ["3"])
        status, resp = self.server.json("POST", "/v2/models/latest_default/infer", simple_request()[0])
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["model_version"], "3")
        status, headers, body = self.infer("latest_default", simple_request()[0], version="1")
        self.assertError(status, headers, body, 404, "1")

    def test_all_policy_serves_every_version(self):
        self.served("all_versions", ["1", "3"])
        status, resp = self.server.json("POST", "/v2/models/all_versions/infer", simple_request()[0])
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["model_version"], "3")

    def test_specific_policy_serves_listed_versions(self):
        self.served("specific_one", ["1"])
        status, resp = self.server.json("POST", "/v2/models/specific_one/infer", simple_request()[0])
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["model_version"], "1")
        status, headers, body = self.infer("specific_one", simple_request()[0], version="3")
        self.assertError(status, headers, body, 404, "3")

    def test_index_lists_served_versions(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        ready = sorted((e["name"], e.get("version")) for e in index if e["state"] == "READY")
        self.assertEqual(ready, [("all_versions", "1"), ("all_versions", "3"), ("latest_default", "3"),
                                 ("simple", "1"), ("specific_one", "1")])


class ModelNameTest(ServerTestCase):
    """Model names from URLs are checked before they reach the folder (issue item 4)."""

    server_args = ["--model-control-mode", "explicit", "--load-model", "simple"]

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(test_repository(), models=["simple", "slow"]))

    def test_invalid_names_are_400_and_leave_index_and_health_alone(self):
        # Before the check, simple%00x1 loaded the folder "simple" under a name cut at the
        # NUL, and each call left a permanent UNAVAILABLE entry: /health "degraded" for good.
        for quoted in ("simple%00x1", "simple%00", "%2E%2E", "%2Ehidden", "a%0Ab", "x" * 256):
            for action in ("load", "unload"):
                with self.subTest(name=quoted[:20], action=action):
                    status, headers, body = self.server.request(
                        "POST", "/v2/repository/models/%s/%s" % (quoted, action), {})
                    self.assertError(status, headers, body, 400, "model name")
        status, headers, body = self.server.request(
            "POST", "/v2/repository/models/simple%00x1/load", {})
        message = self.assertError(status, headers, body, 400)
        self.assertEqual(message, 'model name "simple\\000x1" must not contain NUL or other '
                                  'control characters')
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        self.assertEqual(sorted((e["name"], e["state"]) for e in index),
                         [("simple", "READY"), ("slow", "UNAVAILABLE")])
        status, health = self.server.json("GET", "/health")
        self.assertEqual(health["status"], "ready", health)
        status, _, body = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 200, body)
        self.assertSimpleWorks()

    def test_load_of_a_name_without_folder_is_404_and_records_nothing(self):
        for _ in range(3):
            status, headers, body = self.server.request(
                "POST", "/v2/repository/models/no_such_folder/load", {})
            self.assertError(status, headers, body, 404, "no_such_folder")
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertNotIn("no_such_folder", [e["name"] for e in index])
        status, _, body = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 200, body)


# How many 128x128 matrix products the slow model's warm-up runs at first; the
# test raises it when the machine loads the model before the test can look.
WARMUP_LOOPS = 30000


def add_slow_starting_model(repo, name, loops):
    """A clone of `slow` whose warm-up runs `loops` matrix products: it stays LOADING
    for a while, and control mode none loads it before `simple` (names sort)."""
    d = clone_model(repo, "slow", name, source_repository=test_repository())
    os.makedirs(os.path.join(d, "warmup"))
    write(os.path.join(d, "warmup", "loops"), struct.pack("<q", loops), "wb")
    config = os.path.join(d, "config.pbtxt")
    write(config, read(config) + """model_warmup [ {
  name: "slow_start"
  batch_size: 1
  inputs { key: "LOOPS" value { data_type: TYPE_INT64 dims: [ 1 ] input_data_file: "loops" } }
  inputs { key: "TAG" value { data_type: TYPE_INT64 dims: [ 1 ] zero_data: true } }
} ]
""")


class StillLoadingTest(unittest.TestCase):
    """A model that is not READY yet because it (or the one before it) is still loading
    answers 503 "still loading" with Retry-After on every inference route, never 404
    (issue item 7)."""

    def start_and_look(self, loops):
        """Starts a server whose first model loads slowly and looks at `simple`, queued
        behind it. Returns None when the slow model was done before the look, else
        {route: (status, headers, body)} and the index, both taken while it loaded."""
        repo = copy_repository(test_repository(), models=["simple"])
        self.addCleanup(shutil.rmtree, repo, True)
        add_slow_starting_model(repo, "aaa_slow_start", loops)
        server = InferdServer(repo)
        self.addCleanup(server.kill)
        server.start(wait=False)
        deadline = time.monotonic() + 60
        while True:
            self.assertIsNone(server.proc.poll(), server.log_tail())
            probe = server.new_client(timeout=5.0)
            try:
                status, _, _ = probe.request("GET", "/v2/health/live")
                if status == 200:
                    break
            except OSError:
                pass
            finally:
                probe.close()
            self.assertLess(time.monotonic(), deadline, "no answer from the server")
            time.sleep(0.02)
        body = simple_request()[0]
        answers = {
            "v2 infer": server.request("POST", "/v2/models/simple/infer", body),
            "v2 infer version": server.request("POST", "/v2/models/simple/versions/1/infer", body),
            "v2 metadata": server.request("GET", "/v2/models/simple"),
            "v1 predict": server.request("POST", "/v1/models/simple:predict",
                                         {"instances": [{"INPUT0": list(range(16)),
                                                         "INPUT1": [1] * 16}]}),
            "openai embeddings": server.request("POST", "/v1/embeddings",
                                                {"model": "simple", "input": "hello"}),
            "slow model infer": server.request("POST", "/v2/models/aaa_slow_start/infer", body),
        }
        status, index = server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        states = {e["name"]: e["state"] for e in index}
        if states.get("aaa_slow_start") != "LOADING":
            server.stop()
            return None
        status, health = server.json("GET", "/health")
        self.assertEqual(health["status"], "loading", health)
        server.wait_started()
        self.assertEqual(server.json("POST", "/v2/models/simple/infer", body)[0], 200)
        server.stop()
        return answers, states

    def test_models_waiting_to_load_answer_503_still_loading_on_every_route(self):
        loops = WARMUP_LOOPS
        for _ in range(3):
            looked = self.start_and_look(loops)
            if looked is not None:
                break
            loops *= 4
        else:
            self.fail("the slow model was always READY before the test could look")
        answers, states = looked
        # The slow model was LOADING after the requests, so simple had not started.
        self.assertEqual(states, {"aaa_slow_start": "LOADING", "simple": "LOADING"})
        for route, (status, headers, body) in answers.items():
            with self.subTest(route=route):
                self.assertEqual(status, 503, body)
                self.assertEqual(headers.get("retry-after"), "1", headers)
                text = body.decode("utf-8")
                self.assertIn("still loading", text)
                self.assertNotIn("unknown model", text)


class SymlinkTest(ServerTestCase):
    """Symbolic links are followed only inside the repository (issue item 11)."""

    server_args = []
    allowed = False

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(copy_repository(test_repository(), models=["simple"]))
        outside = cls.temp_repository(tempfile.mkdtemp(prefix="inferd-e2e-outside-"))
        # A whole model folder outside, linked in.
        clone_model(outside, "simple", "linked_folder", source_repository=repo)
        os.symlink(os.path.join(outside, "linked_folder"), os.path.join(repo, "linked_folder"))
        # A config that is /etc/passwd.
        d = clone_model(repo, "simple", "passwd_config")
        os.remove(os.path.join(d, "config.pbtxt"))
        os.symlink("/etc/passwd", os.path.join(d, "config.pbtxt"))
        # Links that stay inside: a config kept in a hidden folder of the repository
        # and a version folder that is a link to simple's.
        d = clone_model(repo, "simple", "inside_links")
        os.makedirs(os.path.join(repo, ".configs"))
        os.rename(os.path.join(d, "config.pbtxt"), os.path.join(repo, ".configs", "inside.pbtxt"))
        os.symlink("../.configs/inside.pbtxt", os.path.join(d, "config.pbtxt"))
        shutil.rmtree(os.path.join(d, "1"))
        os.symlink("../simple/1", os.path.join(d, "1"))
        return repo

    def index(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        return {e["name"]: e for e in index}

    def test_links_inside_the_repository_are_followed(self):
        self.assertEqual(self.index()["inside_links"]["state"], "READY")
        self.assertSimpleWorks(path="/v2/models/inside_links/infer")

    def test_model_folder_linked_outside(self):
        entry = self.index()["linked_folder"]
        if self.allowed:
            self.assertEqual(entry["state"], "READY", entry)
            self.assertSimpleWorks(path="/v2/models/linked_folder/infer")
            return
        self.assertEqual(entry["state"], "UNAVAILABLE", entry)
        self.assertMentions(entry["reason"], '"linked_folder" is a symbolic link', "outside",
                            "--allow-symlinks-outside-repository")
        status, headers, body = self.infer("linked_folder", simple_request()[0])
        self.assertError(status, headers, body, 503, "linked_folder")

    def test_config_linked_to_etc_passwd_leaks_nothing(self):
        with open("/etc/passwd") as f:
            first_word = f.read().split(":", 1)[0]
        entry = self.index()["passwd_config"]
        self.assertEqual(entry["state"], "UNAVAILABLE", entry)
        status, headers, body = self.infer("passwd_config", simple_request()[0])
        message = self.assertError(status, headers, body, 503, "passwd_config")
        if self.allowed:
            # Followed on request; what the parser says is still all that is said.
            self.assertMentions(entry["reason"], "config.pbtxt: line 1")
            return
        self.assertMentions(entry["reason"], '"passwd_config/config.pbtxt" is a symbolic link',
                            "/etc/passwd", "outside")
        for text in (entry["reason"], message):
            self.assertNotIn(first_word, text.replace("/etc/passwd", ""))


class SymlinkAllowedTest(SymlinkTest):
    """--allow-symlinks-outside-repository follows every link."""

    server_args = ["--allow-symlinks-outside-repository"]
    allowed = True


class FailedReloadReasonTest(ServerTestCase):
    """A failed reload keeps the old version serving and the index says why (item 12)."""

    server_args = ["--model-control-mode", "explicit", "--load-model", "simple"]

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(test_repository(), models=["simple"]))

    def simple_entries(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        return [e for e in index if e["name"] == "simple"]

    def test_deleted_model_file_reload_reason_shows_in_index_and_health(self):
        model = os.path.join(self.server.repository, "simple", "1", "model.pt")
        saved = model + ".saved"
        os.rename(model, saved)
        self.addCleanup(lambda: os.path.exists(saved) and os.rename(saved, model))
        status, headers, body = self.server.request(
            "POST", "/v2/repository/models/simple/load", {})
        self.assertError(status, headers, body, 400, "model.pt")
        [entry] = self.simple_entries()
        self.assertEqual((entry["state"], entry.get("version")), ("READY", "1"), entry)
        self.assertMentions(entry["reason"], "reload failed", "model.pt")
        status, health = self.server.json("GET", "/health")
        [model_health] = [m for m in health["models"] if m["name"] == "simple"]
        self.assertEqual(model_health["versions"][0]["reason"], entry["reason"])
        self.assertSimpleWorks()  # the version loaded before still serves

        os.rename(saved, model)
        status, _, body = self.server.request("POST", "/v2/repository/models/simple/load", {})
        self.assertEqual(status, 200, body)
        self.assertEqual([(e["state"], e["reason"]) for e in self.simple_entries()],
                         [("READY", "")])
        self.assertSimpleWorks()


if __name__ == "__main__":
    unittest.main(verbosity=2)
