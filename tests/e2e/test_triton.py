"""Triton's clients work unmodified: string tensors keep their shape, compressed
bodies, classification, unknown parameters, config-override loads, system
shared memory, logging and trace settings, Triton's error texts.

Requests are built by hand (http.client), as Triton's HTTP client sends them.
The string models come from examples/string_models.py, built into a folder of
this test's own.
"""

import base64
import gzip
import json
import mmap
import os
import struct
import subprocess
import sys
import threading
import unittest
import uuid
import zlib

from tests.e2e.inferd_server import (REPO_ROOT, ServerTestCase, copy_repository, encode_binary,
                                     build_binary_request, parse_binary_response, outputs_by_name,
                                     simple_request, test_repository)

CONCURRENT = 8


def build_string_models(folder):
    subprocess.run([sys.executable if "torch" in sys.modules else "/usr/bin/python3",
                    os.path.join(REPO_ROOT, "examples", "string_models.py"), "--out", folder],
                   check=True, stdout=subprocess.DEVNULL)
    return folder


def run_concurrently(server, count, make_request):
    """Runs make_request(client, i) on `count` threads at once; returns the results."""
    results = [None] * count
    barrier = threading.Barrier(count)

    def work(i):
        client = server.new_client()
        try:
            barrier.wait()
            results[i] = make_request(client, i)
        except Exception as e:  # reported by the caller's assertions
            results[i] = e
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class StringModelsTest(ServerTestCase):
    """BYTES outputs keep their declared shape, alone and batched."""

    @classmethod
    def repository(cls):
        return build_string_models(cls.temp_folder(copy_repository(test_repository(), [])))

    def simple_string(self, client, a, b):
        body = {"inputs": [
            {"name": "INPUT0", "datatype": "BYTES", "shape": [1, 16], "data": [str(x) for x in a]},
            {"name": "INPUT1", "datatype": "BYTES", "shape": [1, 16], "data": [str(x) for x in b]},
        ]}
        return client.json("POST", "/v2/models/simple_string/infer", body)

    def test_simple_string_answers_its_declared_shape(self):
        status, resp = self.simple_string(self.server.client, range(16), [2] * 16)
        self.assertEqual(status, 200, resp)
        out = outputs_by_name(resp)
        self.assertEqual(out["OUTPUT0"]["shape"], [1, 16])
        self.assertEqual(out["OUTPUT0"]["datatype"], "BYTES")
        self.assertEqual(out["OUTPUT0"]["data"], [str(i + 2) for i in range(16)])
        self.assertEqual(out["OUTPUT1"]["shape"], [1, 16])
        self.assertEqual(out["OUTPUT1"]["data"], [str(i - 2) for i in range(16)])

    def test_simple_string_batched_concurrently(self):
        def one(client, i):
            return self.simple_string(client, [i * 100 + j for j in range(16)], [i] * 16)

        for i, result in enumerate(run_concurrently(self.server, CONCURRENT, one)):
            self.assertNotIsInstance(result, Exception)
            status, resp = result
            self.assertEqual(status, 200, resp)
            out = outputs_by_name(resp)
            self.assertEqual(out["OUTPUT0"]["shape"], [1, 16])
            self.assertEqual(out["OUTPUT0"]["data"], [str(i * 100 + j + i) for j in range(16)])
            self.assertEqual(out["OUTPUT1"]["data"], [str(i * 100 + j - i) for j in range(16)])

    def upper(self, client, shape, words, binary=False):
        body = {"inputs": [{"name": "INPUT0", "datatype": "BYTES", "shape": shape, "data": words}]}
        if binary:
            body["parameters"] = {"binary_data_output": True}
            status, headers, data = client.request("POST", "/v2/models/string_upper/infer", body)
            self.assertEqual(status, 200, data)
            header, tensors = parse_binary_response(self, headers, data)
            return header, tensors
        return client.json("POST", "/v2/models/string_upper/infer", body)

    def test_wildcard_dims_answer_the_request_shape(self):
        for shape in ([1, 2, 3], [2, 1, 2], [1, 4, 1]):
            words = ["w%d" % i for i in range(shape[0] * shape[1] * shape[2])]
            status, resp = self.upper(self.server.client, shape, words)
            self.assertEqual(status, 200, resp)
            self.assertEqual(resp["outputs"][0]["shape"], shape)
            self.assertEqual(resp["outputs"][0]["data"], [w.upper() for w in words])

    def test_wildcard_dims_in_binary(self):
        header, tensors = self.upper(self.server.client, [1, 2, 2], ["a", "b", "c", "d"], binary=True)
        self.assertEqual(header["outputs"][0]["shape"], [1, 2, 2])
        self.assertEqual(tensors["OUTPUT0"], ["A", "B", "C", "D"])

    def test_wildcard_dims_batched_concurrently(self):
        def one(client, i):
            return self.upper(client, [1, 2, 3], ["r%dc%d" % (i, j) for j in range(6)])

        for i, result in enumerate(run_concurrently(self.server, CONCURRENT, one)):
            self.assertNotIsInstance(result, Exception)
            status, resp = result
            self.assertEqual(status, 200, resp)
            self.assertEqual(resp["outputs"][0]["shape"], [1, 2, 3])
            self.assertEqual(resp["outputs"][0]["data"], ["R%dC%d" % (i, j) for j in range(6)])

    def test_nested_lists_give_the_shape(self):
        def one(client, i):
            return client.json("POST", "/v2/models/string_pairs/infer", {"inputs": [
                {"name": "INPUT0", "datatype": "BYTES", "shape": [2, 2],
                 "data": ["a%d" % i, "b%d" % i, "c%d" % i, "d%d" % i]}]})

        for i, result in enumerate(run_concurrently(self.server, CONCURRENT, one)):
            self.assertNotIsInstance(result, Exception)
            status, resp = result
            self.assertEqual(status, 200, resp)
            self.assertEqual(resp["outputs"][0]["shape"], [2, 2])
            self.assertEqual(resp["outputs"][0]["data"],
                             ["b%d" % i, "a%d" % i, "d%d" % i, "c%d" % i])

    def test_a_model_that_breaks_its_config_is_a_500_naming_it(self):
        body = {"inputs": [{"name": "INPUT0", "datatype": "BYTES", "shape": [1, 1],
                            "data": ["a,b"]}]}
        status, headers, data = self.server.request("POST", "/v2/models/string_split/infer", body)
        self.assertError(status, headers, data, 500, "string_split", "OUTPUT0")
        # The same model answers an input it can honour.
        body["inputs"][0]["data"] = ["ab"]
        status, resp = self.server.json("POST", "/v2/models/string_split/infer", body)
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["outputs"][0]["shape"], [1, 1])

    def test_a_batch_that_breaks_the_config_fails_every_request_with_500(self):
        def one(client, i):
            data = ["x,y"] if i % 2 else ["z"]
            return client.request("POST", "/v2/models/string_split/infer", {"inputs": [
                {"name": "INPUT0", "datatype": "BYTES", "shape": [1, 1], "data": data}]})

        for i, result in enumerate(run_concurrently(self.server, CONCURRENT, one)):
            self.assertNotIsInstance(result, Exception)
            status, headers, data = result
            self.assertIn(status, (200, 500), data)  # a 200 ran without a comma-holding peer
            self.assertNotEqual(status, 409)
            if i % 2:
                self.assertEqual(status, 500, data)
            if status == 500:
                self.assertError(status, headers, data, 500, "string_split", "OUTPUT0")


def shm_create(size):
    """A POSIX shared memory object of `size` bytes; returns (key, mmap)."""
    key = "/inferd-e2e-%s" % uuid.uuid4().hex[:12]
    path = "/dev/shm" + key
    with open(path, "wb+") as f:
        f.truncate(size)
        mapped = mmap.mmap(f.fileno(), size)
    return key, mapped


class TritonProtocolTest(ServerTestCase):
    """Triton's HTTP extensions on `simple` (explicit model control)."""

    server_args = ("--model-control-mode", "explicit", "--load-model", "simple",
                   "--max-body-bytes", "1000000")

    @classmethod
    def repository(cls):
        return build_string_models(cls.temp_folder(copy_repository(test_repository(), ["simple"])))

    # -- compressed bodies ---------------------------------------------------

    def test_gzip_and_deflate_requests_and_answers(self):
        body, want0, _ = simple_request()
        raw = json.dumps(body).encode()
        for coding, pack in (("gzip", gzip.compress), ("deflate", zlib.compress)):
            status, headers, data = self.server.request(
                "POST", "/v2/models/simple/infer", pack(raw),
                {"Content-Encoding": coding, "Accept-Encoding": coding,
                 "Content-Type": "application/json"})
            self.assertEqual(status, 200, data)
            self.assertEqual(headers.get("content-encoding"), coding)
            plain = gzip.decompress(data) if coding == "gzip" else zlib.decompress(data)
            self.assertEqual(outputs_by_name(json.loads(plain))["OUTPUT0"]["data"], want0)
        # Without Accept-Encoding the answer is plain.
        status, headers, data = self.server.request(
            "POST", "/v2/models/simple/infer", gzip.compress(raw), {"Content-Encoding": "gzip"})
        self.assertEqual(status, 200, data)
        self.assertNotIn("content-encoding", headers)
        self.assertEqual(outputs_by_name(json.loads(data))["OUTPUT0"]["data"], want0)

    def test_every_route_takes_and_gives_compressed_bodies(self):
        status, headers, data = self.server.request(
            "POST", "/v2/repository/index", zlib.compress(b'{"ready": true}'),
            {"Content-Encoding": "deflate", "Accept-Encoding": "gzip;q=0.5, deflate"})
        self.assertEqual(status, 200, data)
        self.assertEqual(headers.get("content-encoding"), "deflate")
        self.assertEqual(headers.get("vary"), "Accept-Encoding")
        self.assertIn("simple", [m["name"] for m in json.loads(zlib.decompress(data))])
        status, headers, data = self.server.request("GET", "/v2/models/simple/config", None,
                                                    {"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(gzip.decompress(data))["name"], "simple")

    def test_compressed_binary_request(self):
        values = list(range(16))
        header, _, _ = simple_request(values, [1] * 16)
        body, headers = build_binary_request(header, {"INPUT0": encode_binary("INT32", values),
                                                      "INPUT1": encode_binary("INT32", [1] * 16)})
        headers = dict(headers, **{"Content-Encoding": "gzip"})
        status, _, data = self.server.request("POST", "/v2/models/simple/infer",
                                              gzip.compress(body), headers)
        self.assertEqual(status, 200, data)
        self.assertEqual(outputs_by_name(json.loads(data))["OUTPUT0"]["data"],
                         [v + 1 for v in values])

    def test_bad_encodings(self):
        status, headers, data = self.server.request(
            "POST", "/v2/models/simple/infer", b"xx", {"Content-Encoding": "br"})
        self.assertError(status, headers, data, 415, "br")
        status, headers, data = self.server.request(
            "POST", "/v2/models/simple/infer", b"not gzip at all", {"Content-Encoding": "gzip"})
        self.assertError(status, headers, data, 400, "gzip")
        # 50 MB of zeros packs into ~50 KB: refused once past --max-body-bytes.
        bomb = gzip.compress(bytes(50 << 20), compresslevel=9)
        self.assertLess(len(bomb), 1000000)
        status, headers, data = self.server.request(
            "POST", "/v2/models/simple/infer", bomb, {"Content-Encoding": "gzip"})
        self.assertError(status, headers, data, 413, "--max-body-bytes")
        client = self.server.new_client()
        self.addCleanup(client.close)
        self.assertSimpleWorks(client)

    # -- classification ----------------------------------------------------

    def test_classification_top3(self):
        values = [5, 40, 3, 17, 0, 2, 9, 1, 8, 30, 4, 6, 7, 10, 11, 12]
        body, _, _ = simple_request(values, [0] * 16)
        body["outputs"] = [{"name": "OUTPUT0", "parameters": {"classification": 3}}]
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        out = resp["outputs"][0]
        self.assertEqual((out["datatype"], out["shape"]), ("BYTES", [1, 3]))
        self.assertEqual(out["data"], ["40:1", "30:9", "17:3"])
        # Binary.
        body["outputs"][0]["parameters"]["binary_data"] = True
        status, headers, data = self.server.request("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, data)
        _, tensors = parse_binary_response(self, headers, data)
        self.assertEqual(tensors["OUTPUT0"], ["40:1", "30:9", "17:3"])

    def test_classification_with_labels(self):
        model_pt = os.path.join(self.repository_path(), "simple", "1", "model.pt")
        with open(model_pt, "rb") as f:
            model = base64.b64encode(f.read()).decode()
        status, config = self.server.json("GET", "/v2/models/simple/config")
        self.assertEqual(status, 200, config)
        config["name"] = "labelled"
        config["output"][0]["label_filename"] = "labels.txt"
        labels = "\n".join("class%d" % i for i in range(16)) + "\n"
        status, resp = self.server.json("POST", "/v2/repository/models/labelled/load", {
            "parameters": {"config": json.dumps(config), "file:1/model.pt": model,
                           "file:labels.txt": base64.b64encode(labels.encode()).decode()}})
        self.assertEqual(status, 200, resp)
        values = [1] * 16
        values[7] = 50
        values[2] = 20
        body, _, _ = simple_request(values, [0] * 16)
        body["outputs"] = [{"name": "OUTPUT0", "parameters": {"classification": 2}},
                           {"name": "OUTPUT1"}]
        status, resp = self.server.json("POST", "/v2/models/labelled/infer", body)
        self.assertEqual(status, 200, resp)
        out = outputs_by_name(resp)
        self.assertEqual(out["OUTPUT0"]["data"], ["50:7:class7", "20:2:class2"])
        self.assertEqual(out["OUTPUT1"]["datatype"], "INT32")

    # -- parameters ---------------------------------------------------------

    def test_unknown_parameters_are_400_naming_them(self):
        cases = [
            ({"parameters": {"sequence_id": 7}}, "sequence_id"),
            ({"parameters": {"sequence_start": True}}, "sequence_start"),
            ({"parameters": {"shiny": 1}}, "shiny"),
            ({"outputs": [{"name": "OUTPUT0", "parameters": {"top_k": 3}}]}, "top_k"),
        ]
        for extra, name in cases:
            body, _, _ = simple_request(**extra)
            status, headers, data = self.server.request("POST", "/v2/models/simple/infer", body)
            self.assertError(status, headers, data, 400, '"%s"' % name, "not supported")
        body, _, _ = simple_request()
        body["inputs"][0]["parameters"] = {"compression": "none"}
        status, headers, data = self.server.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "INPUT0", '"compression"')
        body, _, _ = simple_request()
        body["outputs"] = [{"name": "OUTPUT0", "parameters": {"classification": 0}}]
        status, headers, data = self.server.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "classification")

    # -- model control ------------------------------------------------------

    def repository_path(self):
        return self.server.repository

    def test_load_with_a_config_override(self):
        status, config = self.server.json("GET", "/v2/models/simple/config")
        self.assertEqual(status, 200, config)
        self.assertEqual(config["max_batch_size"], 8)
        try:
            config["max_batch_size"] = 2
            status, resp = self.server.json("POST", "/v2/repository/models/simple/load",
                                            {"parameters": {"config": json.dumps(config)}})
            self.assertEqual(status, 200, resp)
            status, now = self.server.json("GET", "/v2/models/simple/config")
            self.assertEqual(now["max_batch_size"], 2)
            body, _, _ = simple_request(batch=3)
            status, headers, data = self.server.request("POST", "/v2/models/simple/infer", body)
            self.assertEqual(status, 400, data)
            self.assertSimpleWorks()
        finally:
            # A load without parameters reads config.pbtxt again.
            status, resp = self.server.json("POST", "/v2/repository/models/simple/load", {})
            self.assertEqual(status, 200, resp)
        status, now = self.server.json("GET", "/v2/models/simple/config")
        self.assertEqual(now["max_batch_size"], 8)

    def test_a_config_the_backend_cannot_honour_is_refused_at_load(self):
        def tensor(name):
            return {"name": name, "data_type": "TYPE_STRING", "dims": [-1, -1]}

        config = {"name": "string_upper", "platform": "pytorch_libtorch", "max_batch_size": 8,
                  "input": [dict(tensor("INPUT0"), reshape={"shape": [-1]})],
                  "output": [tensor("OUTPUT0")]}
        status, headers, data = self.server.request(
            "POST", "/v2/repository/models/string_upper/load",
            {"parameters": {"config": json.dumps(config)}})
        self.assertError(status, headers, data, 400, "INPUT0", "reshape")
        status, headers, data = self.server.request("GET", "/v2/models/string_upper/ready")
        self.assertNotEqual(status, 200)
        status, resp = self.server.json("POST", "/v2/repository/models/string_upper/load", {})
        self.assertEqual(status, 200, resp)
        self.addCleanup(self.server.json, "POST", "/v2/repository/models/string_upper/unload", {})
        status, resp = self.server.json("POST", "/v2/models/string_upper/infer", {"inputs": [
            {"name": "INPUT0", "datatype": "BYTES", "shape": [1, 1, 2], "data": ["a", "b"]}]})
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["outputs"][0]["data"], ["A", "B"])

    def test_bad_load_parameters(self):
        cases = [
            ({"config": "{not json"}, "config"),
            ({"config": json.dumps({"max_batch_size": "many"})}, "config"),
            ({"config": json.dumps({"name": "simple", "no_such_field": 1})}, "no_such_field"),
            ({"file:1/model.pt": "AAAA"}, "config"),
            ({"flavour": "x"}, "flavour"),
        ]
        for parameters, mention in cases:
            status, headers, data = self.server.request(
                "POST", "/v2/repository/models/simple/load", {"parameters": parameters})
            self.assertError(status, headers, data, 400, mention)
        status, config = self.server.json("GET", "/v2/models/simple/config")
        status, headers, data = self.server.request(
            "POST", "/v2/repository/models/other/load",
            {"parameters": {"config": json.dumps(dict(config, name="other")),
                            "file:../escape.pt": "AAAA"}})
        self.assertError(status, headers, data, 400, "inside the model folder")
        self.assertSimpleWorks()

    # -- shared memory -------------------------------------------------------

    def test_shared_memory_round_trip(self):
        key, region = shm_create(256)
        self.addCleanup(os.unlink, "/dev/shm" + key)
        self.addCleanup(region.close)
        region[0:64] = struct.pack("<16i", *range(16))
        region[64:128] = struct.pack("<16i", *([3] * 16))
        client = self.server.client
        status, resp = client.json("POST", "/v2/systemsharedmemory/region/in/register",
                                   {"key": key, "offset": 0, "byte_size": 128})
        self.assertEqual(status, 200, resp)
        status, resp = client.json("POST", "/v2/systemsharedmemory/region/out/register",
                                   {"key": key, "offset": 128, "byte_size": 128})
        self.assertEqual(status, 200, resp)
        self.addCleanup(client.json, "POST", "/v2/systemsharedmemory/unregister")
        status, listed = client.json("GET", "/v2/systemsharedmemory/status")
        self.assertEqual(status, 200, listed)
        self.assertEqual(sorted(r["name"] for r in listed), ["in", "out"])
        self.assertEqual({r["name"]: r["offset"] for r in listed}, {"in": 0, "out": 128})

        def shm(region_name, size, offset=0):
            return {"shared_memory_region": region_name, "shared_memory_byte_size": size,
                    "shared_memory_offset": offset}

        body = {"inputs": [
            {"name": "INPUT0", "datatype": "INT32", "shape": [1, 16], "parameters": shm("in", 64)},
            {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16],
             "parameters": shm("in", 64, 64)}],
            "outputs": [{"name": "OUTPUT0", "parameters": shm("out", 64)},
                        {"name": "OUTPUT1", "parameters": shm("out", 64, 64)}]}
        status, resp = client.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        out = outputs_by_name(resp)
        self.assertNotIn("data", out["OUTPUT0"])
        self.assertEqual(out["OUTPUT0"]["parameters"]["shared_memory_region"], "out")
        self.assertEqual(out["OUTPUT0"]["parameters"]["shared_memory_byte_size"], 64)
        self.assertEqual(list(struct.unpack("<16i", region[128:192])), [i + 3 for i in range(16)])
        self.assertEqual(list(struct.unpack("<16i", region[192:256])), [i - 3 for i in range(16)])

        # Out of the region: 400, nothing read or written outside it.
        for bad in (shm("in", 64, 100), shm("in", 64, 2 ** 63), shm("in", 2 ** 64 - 1, 1)):
            body["inputs"][1]["parameters"] = bad
            status, headers, data = client.request("POST", "/v2/models/simple/infer", body)
            self.assertError(status, headers, data, 400, "INPUT1", "outside region 'in'")
        body["inputs"][1]["parameters"] = shm("in", 64, 64)
        body["outputs"][1]["parameters"] = shm("out", 64, 96)
        status, headers, data = client.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "OUTPUT1", "outside region 'out'")
        body["outputs"][1]["parameters"] = shm("out", 32, 64)
        status, headers, data = client.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "OUTPUT1", "needs 64 bytes")
        body["inputs"][0]["parameters"] = shm("nowhere", 64)
        status, headers, data = client.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "INPUT0", "nowhere")
        body["inputs"][0]["parameters"] = shm("in", 60)
        status, headers, data = client.request("POST", "/v2/models/simple/infer", body)
        self.assertError(status, headers, data, 400, "INPUT0", "needs 64")

        # Unregistered: the region is gone.
        status, _ = client.json("POST", "/v2/systemsharedmemory/region/in/unregister")
        self.assertEqual(status, 200)
        status, headers, data = client.request("GET", "/v2/systemsharedmemory/region/in/status")
        self.assertError(status, headers, data, 400, "'in'")

    def test_bad_shared_memory_registrations(self):
        client = self.server.client
        key, region = shm_create(64)
        self.addCleanup(os.unlink, "/dev/shm" + key)
        self.addCleanup(region.close)
        cases = [
            ({"key": key, "offset": 0, "byte_size": 65}, "passes the end"),
            ({"key": key, "offset": 60, "byte_size": 8}, "passes the end"),
            ({"key": "/inferd-e2e-missing", "byte_size": 8}, "Unable to open"),
            ({"key": key}, "byte_size"),
            ({"key": key, "byte_size": 8, "device_id": 0}, "device_id"),
        ]
        for body, mention in cases:
            status, headers, data = client.request(
                "POST", "/v2/systemsharedmemory/region/r/register", body)
            self.assertError(status, headers, data, 400, mention)
        status, _ = client.json("POST", "/v2/systemsharedmemory/region/r/register",
                                {"key": key, "byte_size": 64})
        self.assertEqual(status, 200)
        self.addCleanup(client.json, "POST", "/v2/systemsharedmemory/region/r/unregister")
        status, headers, data = client.request(
            "POST", "/v2/systemsharedmemory/region/r/register", {"key": key, "byte_size": 8})
        self.assertError(status, headers, data, 400, "already in manager")
        status, headers, data = client.request(
            "POST", "/v2/cudasharedmemory/region/g/register",
            {"raw_handle": {"b64": "AAAA"}, "device_id": 0, "byte_size": 8})
        self.assertError(status, headers, data, 400, "no GPU")
        status, listed = client.json("GET", "/v2/cudasharedmemory/status")
        self.assertEqual((status, listed), (200, []))

    # -- logging, trace, errors -----------------------------------------------

    def test_logging_level_and_format_change_at_runtime(self):
        client = self.server.client
        status, settings = client.json("GET", "/v2/logging")
        self.assertEqual(status, 200, settings)
        self.assertEqual(settings["log_verbose_level"], 0)
        self.assertTrue(settings["log_info"])
        try:
            status, settings = client.json("POST", "/v2/logging",
                                           {"log_verbose_level": 1, "log_format": "json"})
            self.assertEqual(status, 200, settings)
            self.assertEqual((settings["log_verbose_level"], settings["log_format"]), (1, "json"))
            status, settings = client.json("GET", "/v2/logging")
            self.assertEqual(settings["log_verbose_level"], 1)
            lines = [line for line in self.server.log().splitlines()
                     if "log settings changed" in line]
            self.assertTrue(lines and json.loads(lines[-1])["level"] == "info", lines)
            status, settings = client.json("POST", "/v2/logging", {"log_info": False})
            self.assertEqual(status, 200, settings)
        finally:
            status, settings = client.json("POST", "/v2/logging", {
                "log_verbose_level": 0, "log_info": True, "log_format": "default"})
        self.assertEqual(status, 200, settings)
        self.assertEqual((settings["log_verbose_level"], settings["log_info"],
                          settings["log_format"]), (0, True, "default"))
        for body, mention in (({"log_file": "/tmp/x.log"}, "log_file"),
                              ({"log_verbose_level": -1}, "log_verbose_level"),
                              ({"log_format": "xml"}, "xml"), ({"colour": 1}, "colour")):
            status, headers, data = client.request("POST", "/v2/logging", body)
            self.assertError(status, headers, data, 400, mention)

    def test_trace_setting(self):
        status, settings = self.server.json("GET", "/v2/trace/setting")
        self.assertEqual(status, 200, settings)
        self.assertEqual(settings["trace_level"], ["OFF"])
        status, settings = self.server.json("POST", "/v2/trace/setting", {"trace_level": ["OFF"]})
        self.assertEqual(status, 200, settings)
        status, headers, data = self.server.request("POST", "/v2/trace/setting",
                                                    {"trace_level": ["TIMESTAMPS"]})
        self.assertError(status, headers, data, 400, "trace_level")

    def test_error_texts_begin_like_tritons(self):
        status, headers, data = self.server.request("GET", "/v2/models/nope")
        message = self.assertError(status, headers, data, 404)
        self.assertEqual(message, "Request for unknown model: 'nope' is not found")
        status, headers, data = self.server.request("GET", "/v2/models/simple/versions/9/ready")
        message = self.assertError(status, headers, data, 404)
        self.assertTrue(message.startswith("Request for unknown model: 'simple' version 9"), message)


if __name__ == "__main__":
    unittest.main()
