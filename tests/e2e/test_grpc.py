"""KServe v2 over gRPC (--grpc-port), driven with Debian's python3-grpcio.

Every RPC of the service, raw and typed tensor contents on every golden
model, the gRPC status codes of errors (the codes that match the HTTP
statuses), ModelStreamInfer, 1,000 concurrent infers, the response cache,
the shared metrics, API keys and rate limits from metadata, a port in use,
and SIGTERM draining gRPC calls in flight.
"""

import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

import grpc

from .grpc_client import GrpcClient, pb
from .inferd_server import (InferdServer, ServerTestCase, assert_tensor_matches, copy_repository,
                            decode_binary, encode_binary, golden_models, inferd_bin, load_goldens,
                            merged_repository, model_repository, test_repository)

POLL_TIMEOUT_S = 60.0


def simple_values(batch=1, offset=0):
    a = [7 * i - 50 + offset for i in range(16 * batch)]
    b = [3 * i + 2 - offset for i in range(16 * batch)]
    return a, b


def simple_raw_request(a, b, batch=1, **fields):
    request = pb.ModelInferRequest(model_name="simple", **fields)
    for name in ("INPUT0", "INPUT1"):
        request.inputs.add(name=name, datatype="INT32", shape=[batch, 16])
    request.raw_input_contents.append(struct.pack("<%di" % len(a), *a))
    request.raw_input_contents.append(struct.pack("<%di" % len(b), *b))
    return request


def raw_outputs(response):
    """{name: (datatype, shape, flat values)} of a response with raw_output_contents."""
    out = {}
    for tensor, raw in zip(response.outputs, response.raw_output_contents):
        out[tensor.name] = (tensor.datatype, list(tensor.shape), decode_binary(tensor.datatype, raw))
    return out


class GrpcTestCase(ServerTestCase):
    server_grpc = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grpc = GrpcClient(cls.server.grpc_port)
        cls.addClassCleanup(cls.grpc.close)

    def assertCode(self, code, fn, *mentions):
        """Asserts `fn()` raises an RpcError with `code` whose details mention each of `mentions`."""
        with self.assertRaises(grpc.RpcError) as raised:
            fn()
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        self.assertMentions(raised.exception.details() or "", *mentions)
        return raised.exception

    def assertSimpleAnswer(self, response, a, b, batch=1):
        outs = raw_outputs(response)
        self.assertEqual(outs["OUTPUT0"], ("INT32", [batch, 16], [x + y for x, y in zip(a, b)]))
        self.assertEqual(outs["OUTPUT1"], ("INT32", [batch, 16], [x - y for x, y in zip(a, b)]))


class GrpcServiceTest(GrpcTestCase):
    """Every model of both example repositories, loaded at start."""

    server_args = ["--log-level", "warn"]

    @classmethod
    def repository(cls):
        path = cls.temp_repository(merged_repository())
        cls.models = golden_models(path)
        with open(os.path.join(path, "simple", "config.pbtxt"), "a") as f:
            f.write("\ndynamic_batching { max_queue_delay_microseconds: 2000 }\n")
        cached = os.path.join(path, "single_output", "config.pbtxt")
        with open(cached, "a") as f:
            f.write("\nresponse_cache { enable: true }\n")
        return path

    # -- server and model metadata -----------------------------------------

    def test_server_live_ready_and_metadata(self):
        self.assertTrue(self.grpc.call("ServerLive").live)
        self.assertTrue(self.grpc.call("ServerReady").ready)
        meta = self.grpc.call("ServerMetadata")
        self.assertEqual(meta.name, "inferd")
        status, http_meta = self.server.json("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertEqual(meta.version, http_meta["version"])
        self.assertIn("model_repository", meta.extensions)
        self.assertIn("statistics", meta.extensions)

    def test_model_ready(self):
        self.assertTrue(self.grpc.call("ModelReady", name="simple").ready)
        self.assertTrue(self.grpc.call("ModelReady", name="simple", version="1").ready)
        self.assertFalse(self.grpc.call("ModelReady", name="no_such_model").ready)
        self.assertFalse(self.grpc.call("ModelReady", name="simple", version="7").ready)

    def test_model_metadata_matches_http(self):
        meta = self.grpc.call("ModelMetadata", name="simple")
        status, http_meta = self.server.json("GET", "/v2/models/simple")
        self.assertEqual(status, 200)
        self.assertEqual(meta.name, "simple")
        self.assertEqual(list(meta.versions), http_meta["versions"])
        self.assertEqual(meta.platform, "pytorch_libtorch")
        for got, want in ((meta.inputs, http_meta["inputs"]), (meta.outputs, http_meta["outputs"])):
            self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in got],
                             [(t["name"], t["datatype"], t["shape"]) for t in want])
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in meta.inputs],
                         [("INPUT0", "INT32", [-1, 16]), ("INPUT1", "INT32", [-1, 16])])

    def test_model_metadata_of_unknown_model_is_not_found(self):
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.grpc.call("ModelMetadata", name="no_such_model"), "no_such_model")
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.grpc.call("ModelMetadata", name="simple", version="9"), "9")

    def test_model_config(self):
        config = self.grpc.call("ModelConfig", name="simple").config
        self.assertEqual(config.name, "simple")
        self.assertEqual(config.platform, "pytorch_libtorch")
        self.assertEqual(config.max_batch_size, 8)
        self.assertEqual([i.name for i in config.input], ["INPUT0", "INPUT1"])
        self.assertEqual(list(config.input[0].dims), [16])
        self.assertEqual(config.dynamic_batching.max_queue_delay_microseconds, 2000)
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: self.grpc.call("ModelConfig", name="nope"),
                        "nope")

    def test_repository_index(self):
        index = self.grpc.call("RepositoryIndex")
        entries = {(m.name, m.version): m for m in index.models}
        self.assertIn(("simple", "1"), entries)
        self.assertEqual(entries[("simple", "1")].state, "READY")
        status, http_index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200)
        self.assertEqual(sorted((m.name, m.state) for m in index.models),
                         sorted((m["name"], m["state"]) for m in http_index))
        ready = self.grpc.call("RepositoryIndex", ready=True)
        self.assertTrue(ready.models)
        self.assertTrue(all(m.state == "READY" for m in ready.models))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("RepositoryIndex", repository_name="other"),
                        "repository_name")

    def test_load_in_control_mode_none_is_refused_as_over_http(self):
        status, body = self.server.json("POST", "/v2/repository/models/simple/load", {})
        self.assertEqual(status, 409, body)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="simple"))

    # -- inference ----------------------------------------------------------

    def test_infer_raw_contents(self):
        a, b = simple_values()
        response = self.grpc.call("ModelInfer", simple_raw_request(a, b, id="raw-1"))
        self.assertEqual(response.model_name, "simple")
        self.assertEqual(response.model_version, "1")
        self.assertEqual(response.id, "raw-1")
        self.assertEqual(len(response.raw_output_contents), 2)
        self.assertSimpleAnswer(response, a, b)

    def test_classification_top3(self):
        a = [5, 40, 3, 17, 0, 2, 9, 1, 8, 30, 4, 6, 7, 10, 11, 12]
        request = simple_raw_request(a, [0] * 16)
        output = request.outputs.add(name="OUTPUT0")
        output.parameters["classification"].int64_param = 3
        outs = raw_outputs(self.grpc.call("ModelInfer", request))
        self.assertEqual(outs, {"OUTPUT0": ("BYTES", [1, 3], ["40:1", "30:9", "17:3"])})
        output.parameters["classification"].int64_param = 0
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("ModelInfer", request), "classification")

    def test_infer_typed_contents_and_a_batch_of_three(self):
        a, b = simple_values(batch=3, offset=5)
        request = pb.ModelInferRequest(model_name="simple", model_version="1")
        request.inputs.add(name="INPUT0", datatype="INT32", shape=[3, 16]).contents.int_contents.extend(a)
        request.inputs.add(name="INPUT1", datatype="INT32", shape=[3, 16]).contents.int_contents.extend(b)
        self.assertSimpleAnswer(self.grpc.call("ModelInfer", request), a, b, batch=3)

    def test_infer_one_requested_output(self):
        a, b = simple_values()
        request = simple_raw_request(a, b)
        request.outputs.add(name="OUTPUT1")
        response = self.grpc.call("ModelInfer", request)
        self.assertEqual([o.name for o in response.outputs], ["OUTPUT1"])
        self.assertEqual(raw_outputs(response)["OUTPUT1"][2], [x - y for x, y in zip(a, b)])

    def test_goldens_raw_contents(self):
        """Every golden case of every model, inputs and outputs raw."""
        for model in self.models:
            for i, case in enumerate(load_goldens(model)):
                with self.subTest(model=model, case=i):
                    request = pb.ModelInferRequest(model_name=model, id="g%d" % i)
                    for name, t in case["inputs"].items():
                        request.inputs.add(name=name, datatype=t["datatype"], shape=t["shape"])
                        request.raw_input_contents.append(encode_binary(t["datatype"], flatten_data(t)))
                    self.check_golden(model, i, case, self.grpc.call("ModelInfer", request))

    def test_goldens_typed_contents(self):
        """Every golden case whose inputs have a typed contents field (all but FP16)."""
        checked = 0
        for model in self.models:
            for i, case in enumerate(load_goldens(model)):
                if any(t["datatype"] in ("FP16", "BF16") for t in case["inputs"].values()):
                    continue
                with self.subTest(model=model, case=i):
                    request = pb.ModelInferRequest(model_name=model)
                    for name, t in case["inputs"].items():
                        tensor = request.inputs.add(name=name, datatype=t["datatype"], shape=t["shape"])
                        set_typed(tensor.contents, t["datatype"], flatten_data(t))
                    self.check_golden(model, i, case, self.grpc.call("ModelInfer", request))
                    checked += 1
        self.assertGreater(checked, 5)

    def check_golden(self, model, i, case, response):
        where = "%s case %d" % (model, i)
        outs = raw_outputs(response)
        self.assertEqual(sorted(outs), sorted(case["outputs"]), where)
        for name, want in case["outputs"].items():
            datatype, shape, values = outs[name]
            self.assertEqual(datatype, want["datatype"], "%s %s" % (where, name))
            self.assertEqual(shape, want["shape"], "%s %s" % (where, name))
            assert_tensor_matches(self, "%s %s" % (where, name), datatype, values, want["data"])

    def test_bytes_tensors_raw_and_typed(self):
        words = ["hello", "", "gRPC \u00e9t\u00e9"]
        raw = pb.ModelInferRequest(model_name="string_length")
        raw.inputs.add(name="TEXT", datatype="BYTES", shape=[3])
        raw.raw_input_contents.append(encode_binary("BYTES", words))
        typed = pb.ModelInferRequest(model_name="string_length")
        typed.inputs.add(name="TEXT", datatype="BYTES", shape=[3]).contents.bytes_contents.extend(
            [w.encode() for w in words])
        for request in (raw, typed):
            outs = raw_outputs(self.grpc.call("ModelInfer", request))
            self.assertEqual(outs["LENGTHS"][2], [len(w.encode()) for w in words])

    def test_errors_have_the_status_codes_of_their_http_statuses(self):
        a, b = simple_values()
        cases = []
        unknown = simple_raw_request(a, b)
        unknown.model_name = "no_such_model"
        cases.append(("unknown model", unknown, grpc.StatusCode.NOT_FOUND, ["no_such_model"]))
        version = simple_raw_request(a, b)
        version.model_version = "42"
        cases.append(("unknown version", version, grpc.StatusCode.NOT_FOUND, ["42"]))
        short = simple_raw_request(a, b)
        short.raw_input_contents[1] = short.raw_input_contents[1][:-4]
        cases.append(("raw size", short, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT1", "60", "64"]))
        missing = simple_raw_request(a, b)
        del missing.raw_input_contents[1]
        cases.append(("raw count", missing, grpc.StatusCode.INVALID_ARGUMENT, ["raw_input_contents"]))
        dtype = simple_raw_request(a, b)
        dtype.inputs[0].datatype = "FP32"
        cases.append(("datatype", dtype, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", ("FP32", "INT32")]))
        bad_type = simple_raw_request(a, b)
        bad_type.inputs[0].datatype = "INT31"
        cases.append(("unknown datatype", bad_type, grpc.StatusCode.INVALID_ARGUMENT, ["INT31"]))
        shape = simple_raw_request(a, b)
        shape.inputs[1].shape[:] = [1, 17]
        cases.append(("shape", shape, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT1"]))
        negative = simple_raw_request(a, b)
        negative.inputs[0].shape[:] = [-1, 16]
        cases.append(("negative dim", negative, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", "-1"]))
        huge = simple_raw_request(a, b)
        huge.inputs[0].shape[:] = [1 << 40, 1 << 40]
        cases.append(("huge shape", huge, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", "too large"]))
        absent = simple_raw_request(a, b)
        del absent.inputs[1]
        del absent.raw_input_contents[1]
        cases.append(("missing input", absent, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT1"]))
        twice = simple_raw_request(a, b)
        twice.inputs[1].name = "INPUT0"
        cases.append(("duplicate input", twice, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", "twice"]))
        output = simple_raw_request(a, b)
        output.outputs.add(name="OUTPUT9")
        cases.append(("unknown output", output, grpc.StatusCode.INVALID_ARGUMENT, ["OUTPUT9"]))
        param = simple_raw_request(a, b)
        param.parameters["sequence_id"].int64_param = 7
        cases.append(("unknown parameter", param, grpc.StatusCode.INVALID_ARGUMENT, ["sequence_id"]))
        out_param = simple_raw_request(a, b)
        out_param.outputs.add(name="OUTPUT0").parameters["shared_memory_region"].string_param = "r"
        cases.append(("output parameter", out_param, grpc.StatusCode.INVALID_ARGUMENT,
                      ["OUTPUT0", "shared_memory_region"]))
        priority = simple_raw_request(a, b)
        priority.parameters["priority"].string_param = "high"
        cases.append(("priority type", priority, grpc.StatusCode.INVALID_ARGUMENT, ["priority"]))
        mixed = simple_raw_request(a, b)
        mixed.inputs[0].contents.int_contents.extend(a)
        cases.append(("raw and typed", mixed, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", "raw"]))
        wrong_field = pb.ModelInferRequest(model_name="simple")
        wrong_field.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16]).contents.fp32_contents.extend(
            [1.0] * 16)
        wrong_field.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16]).contents.int_contents.extend(b)
        cases.append(("typed field", wrong_field, grpc.StatusCode.INVALID_ARGUMENT,
                      ["INPUT0", "int_contents", "fp32_contents"]))
        few = pb.ModelInferRequest(model_name="simple")
        few.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16]).contents.int_contents.extend(a[:5])
        few.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16]).contents.int_contents.extend(b)
        cases.append(("typed count", few, grpc.StatusCode.INVALID_ARGUMENT, ["INPUT0", "16", "5"]))
        narrow = pb.ModelInferRequest(model_name="all_dtypes")
        narrow.inputs.add(name="IN_INT8", datatype="INT8", shape=[1]).contents.int_contents.append(300)
        cases.append(("int8 range", narrow, grpc.StatusCode.INVALID_ARGUMENT, ["IN_INT8", "300", "INT8"]))
        half = pb.ModelInferRequest(model_name="all_dtypes")
        half.inputs.add(name="IN_FP16", datatype="FP16", shape=[1]).contents.fp32_contents.append(1.0)
        cases.append(("fp16 typed", half, grpc.StatusCode.INVALID_ARGUMENT, ["IN_FP16", "raw"]))
        truncated = pb.ModelInferRequest(model_name="string_length")
        truncated.inputs.add(name="TEXT", datatype="BYTES", shape=[1])
        truncated.raw_input_contents.append(struct.pack("<I", 10) + b"abc")
        cases.append(("bytes length", truncated, grpc.StatusCode.INVALID_ARGUMENT, ["TEXT", "10"]))
        for what, request, code, mentions in cases:
            with self.subTest(what):
                self.assertCode(code, lambda: self.grpc.call("ModelInfer", request), *mentions)
        # The server is fine after all that.
        self.assertSimpleAnswer(self.grpc.call("ModelInfer", simple_raw_request(a, b)), a, b)

    def test_a_model_failure_is_internal(self):
        request = pb.ModelInferRequest(model_name="fails_on_negative")
        status, meta = self.server.json("GET", "/v2/models/fails_on_negative")
        self.assertEqual(status, 200, meta)
        spec = meta["inputs"][0]
        shape = [1 if d < 0 else d for d in spec["shape"]]
        count = 1
        for d in shape:
            count *= d
        tensor = request.inputs.add(name=spec["name"], datatype=spec["datatype"], shape=shape)
        set_typed(tensor.contents, spec["datatype"], [-1] * count)
        self.assertCode(grpc.StatusCode.INTERNAL, lambda: self.grpc.call("ModelInfer", request),
                        "fails_on_negative")

    def test_thousand_concurrent_infers_are_all_correct(self):
        before = self.grpc.call("ModelStatistics", name="simple").model_stats[0]
        requests = []
        for i in range(1000):
            a, b = simple_values(offset=i)
            requests.append((a, b, simple_raw_request(a, b, id="c%d" % i)))
        futures = [self.grpc.future("ModelInfer", r) for _, _, r in requests]
        for i, ((a, b, _), future) in enumerate(zip(requests, futures)):
            response = future.result()
            self.assertEqual(response.id, "c%d" % i)
            self.assertSimpleAnswer(response, a, b)
        after = self.grpc.call("ModelStatistics", name="simple").model_stats[0]
        self.assertEqual(after.inference_count - before.inference_count, 1000)
        # The dynamic batcher joined requests (fewer executions than requests).
        self.assertLess(after.execution_count - before.execution_count, 1000)

    def test_stream_infer(self):
        requests, want = [], {}
        for i in range(20):
            a, b = simple_values(offset=i)
            requests.append(simple_raw_request(a, b, id="s%d" % i))
            want["s%d" % i] = (a, b)
        bad = simple_raw_request(*simple_values(), id="bad")
        bad.inputs[0].datatype = "INT31"
        requests.insert(7, bad)
        answers = list(self.grpc.stream(requests))
        self.assertEqual(len(answers), 21)
        seen = set()
        for answer in answers:
            rid = answer.infer_response.id
            seen.add(rid)
            if rid == "bad":
                self.assertIn("INT31", answer.error_message)
                continue
            self.assertEqual(answer.error_message, "")
            self.assertSimpleAnswer(answer.infer_response, *want[rid])
        self.assertEqual(seen, set(want) | {"bad"})
        self.assertEqual(list(self.grpc.stream([])), [])

    def test_statistics(self):
        a, b = simple_values()
        before = self.grpc.call("ModelStatistics", name="simple", version="1").model_stats[0]
        for _ in range(3):
            self.grpc.call("ModelInfer", simple_raw_request(a, b))
        stats = self.grpc.call("ModelStatistics", name="simple", version="1").model_stats
        self.assertEqual(len(stats), 1)
        self.assertEqual((stats[0].name, stats[0].version), ("simple", "1"))
        self.assertEqual(stats[0].inference_count - before.inference_count, 3)
        self.assertEqual(stats[0].inference_stats.success.count - before.inference_stats.success.count, 3)
        self.assertGreater(stats[0].inference_stats.compute_infer.ns, before.inference_stats.compute_infer.ns)
        self.assertTrue(stats[0].batch_stats)
        every = self.grpc.call("ModelStatistics").model_stats
        self.assertIn("simple", [s.name for s in every])
        status, http_stats = self.server.json("GET", "/v2/models/simple/stats")
        self.assertEqual(status, 200)
        self.assertEqual(http_stats["model_stats"][0]["inference_count"], stats[0].inference_count)
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.grpc.call("ModelStatistics", name="nope"), "nope")

    def test_metrics_count_grpc_calls_and_model_requests(self):
        success = self.metric_with('inferd_model_request_success_total{model="simple"')
        calls = self.metric_with('inferd_grpc_requests_total{rpc="ModelInfer",code="OK"}')
        failed = self.metric_with('inferd_grpc_requests_total{rpc="ModelInfer",code="NOT_FOUND"}')
        a, b = simple_values()
        for _ in range(2):
            self.grpc.call("ModelInfer", simple_raw_request(a, b))
        request = simple_raw_request(a, b)
        request.model_name = "missing"
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: self.grpc.call("ModelInfer", request))
        self.assertEqual(self.metric_with('inferd_model_request_success_total{model="simple"') - success, 2)
        self.assertEqual(self.metric_with('inferd_grpc_requests_total{rpc="ModelInfer",code="OK"}') - calls, 2)
        self.assertEqual(
            self.metric_with('inferd_grpc_requests_total{rpc="ModelInfer",code="NOT_FOUND"}') - failed, 1)

    def metric_with(self, prefix):
        status, _, body = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
                   if line.startswith(prefix))

    def test_response_cache_answers_identical_requests(self):
        case = load_goldens("single_output")[0]
        request = pb.ModelInferRequest(model_name="single_output", id="cached")
        for name, t in case["inputs"].items():
            request.inputs.add(name=name, datatype=t["datatype"], shape=t["shape"])
            request.raw_input_contents.append(encode_binary(t["datatype"], flatten_data(t)))
        before = self.grpc.call("ModelStatistics", name="single_output").model_stats[0].inference_count
        hits = self.metric_with("inferd_cache_hits_total")
        first = self.grpc.call("ModelInfer", request)
        second = self.grpc.call("ModelInfer", request)
        self.assertEqual(first, second)
        self.assertEqual(second.id, "cached")
        self.check_golden("single_output", 0, case, second)
        after = self.grpc.call("ModelStatistics", name="single_output").model_stats[0].inference_count
        self.assertEqual(after - before, 1, "the second request ran the model")
        self.assertEqual(self.metric_with("inferd_cache_hits_total") - hits, 1)


def flatten_data(tensor):
    from .inferd_server import flatten
    return flatten(tensor["data"])


def set_typed(contents, datatype, values):
    field = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents",
             "INT32": "int_contents", "INT64": "int64_contents", "UINT8": "uint_contents",
             "UINT16": "uint_contents", "UINT32": "uint_contents", "UINT64": "uint64_contents",
             "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents"}[datatype]
    if datatype == "BYTES":
        values = [v.encode() if isinstance(v, str) else bytes(v) for v in values]
    elif datatype == "BOOL":
        values = [bool(v) for v in values]
    getattr(contents, field).extend(values)


class GrpcRepositoryControlTest(GrpcTestCase):
    """Explicit model control: load and unload over gRPC."""

    server_args = ["--model-control-mode", "explicit", "--log-level", "warn"]

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(model_repository(), models=["simple"]))

    def test_load_infer_unload(self):
        a, b = simple_values()
        self.assertFalse(self.grpc.call("ModelReady", name="simple").ready)
        self.assertCode(grpc.StatusCode.UNAVAILABLE,
                        lambda: self.grpc.call("ModelInfer", simple_raw_request(a, b)), "simple")
        self.grpc.call("RepositoryModelLoad", model_name="simple")
        self.assertTrue(self.grpc.call("ModelReady", name="simple").ready)
        self.assertSimpleAnswer(self.grpc.call("ModelInfer", simple_raw_request(a, b)), a, b)
        self.grpc.call("RepositoryModelUnload", model_name="simple",
                       parameters={"unload_dependents": pb.ModelRepositoryParameter(bool_param=False)})
        self.assertFalse(self.grpc.call("ModelReady", name="simple").ready)
        states = {m.name: m.state for m in self.grpc.call("RepositoryIndex").models}
        self.assertNotEqual(states.get("simple"), "READY")

    def test_load_with_config_and_file_overrides(self):
        """Triton's gRPC load parameters: the config as JSON (string_param) and
        the model's files as raw bytes (bytes_param, file:<path>); then the
        classification extension with the labels the load brought."""
        self.grpc.call("RepositoryModelLoad", model_name="simple")
        status, config = self.server.json("GET", "/v2/models/simple/config")
        self.assertEqual(status, 200, config)
        config["name"] = "labelled"
        config["output"][0]["label_filename"] = "labels.txt"
        with open(os.path.join(self.server.repository, "simple", "1", "model.pt"), "rb") as f:
            model = f.read()
        labels = "".join("class%d\n" % i for i in range(16)).encode()
        self.grpc.call("RepositoryModelLoad", model_name="labelled", parameters={
            "config": pb.ModelRepositoryParameter(string_param=json.dumps(config)),
            "file:1/model.pt": pb.ModelRepositoryParameter(bytes_param=model),
            "file:labels.txt": pb.ModelRepositoryParameter(bytes_param=labels)})
        self.assertTrue(self.grpc.call("ModelReady", name="labelled").ready)
        a = [1] * 16
        a[7], a[2] = 50, 20
        b = [0] * 16
        request = simple_raw_request(a, b)
        request.model_name = "labelled"
        output = request.outputs.add(name="OUTPUT0")
        output.parameters["classification"].int64_param = 2
        outs = raw_outputs(self.grpc.call("ModelInfer", request))
        self.assertEqual(outs["OUTPUT0"], ("BYTES", [1, 2], ["50:7:class7", "20:2:class2"]))
        # The file must be bytes, as Triton's client sends it.
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="labelled", parameters={
                            "config": pb.ModelRepositoryParameter(string_param=json.dumps(config)),
                            "file:labels.txt": pb.ModelRepositoryParameter(string_param="x")}),
                        "file:labels.txt", "bytes_param")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="simple", parameters={
                            "poll": pb.ModelRepositoryParameter(bool_param=True)}),
                        "poll", "not supported")

    def test_load_errors(self):
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="no_such_model"),
                        "no_such_model")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="../etc"))
        config = pb.ModelRepositoryParameter(string_param="{}")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.grpc.call("RepositoryModelLoad", model_name="simple",
                                               parameters={"config": config}), "config")
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.grpc.call("RepositoryModelUnload", model_name="no_such_model"),
                        "no_such_model")


class GrpcQueueTest(GrpcTestCase):
    """Model `slow` (one instance, queue of 4, queue timeouts allowed): the
    queue's refusals over gRPC."""

    server_args = ["--intra-op-threads", "1", "--log-level", "warn"]

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(test_repository(), models=["slow"]))

    @staticmethod
    def slow_request(loops, tag, timeout_us=None):
        request = pb.ModelInferRequest(model_name="slow", id="t%d" % tag)
        request.inputs.add(name="LOOPS", datatype="INT64", shape=[1, 1]).contents.int64_contents.append(loops)
        request.inputs.add(name="TAG", datatype="INT64", shape=[1, 1]).contents.int64_contents.append(tag)
        if timeout_us is not None:
            request.parameters["timeout"].int64_param = timeout_us
        return request

    def pending(self):
        return self.metric("inferd_model_pending_requests")

    def wait_pending(self, n):
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while self.pending() != n:
            if time.monotonic() > deadline:
                self.fail("waited for %d pending requests\n%s" % (n, self.server.log_tail()))
            time.sleep(0.02)

    def blocker(self):
        """A request that keeps the instance busy for about two seconds."""
        stats = lambda: self.grpc.call("ModelStatistics", name="slow").model_stats[0]
        before = stats().inference_stats.compute_infer.ns
        self.grpc.call("ModelInfer", self.slow_request(100, 0))
        per_loop_s = max(stats().inference_stats.compute_infer.ns - before, 1) / 1e9 / 100
        loops = int(min(100000, max(300, 2.0 / per_loop_s)))
        self.wait_pending(0)
        future = self.grpc.future("ModelInfer", self.slow_request(loops, 1))
        self.wait_pending(1)
        return future

    def test_full_queue_is_unavailable_and_queue_timeout_is_deadline_exceeded(self):
        blocker = self.blocker()
        timed = self.grpc.future("ModelInfer", self.slow_request(1, 2, timeout_us=100000))
        with self.assertRaises(grpc.RpcError) as raised:
            timed.result()
        self.assertEqual(raised.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED,
                         raised.exception.details())
        self.assertFalse(blocker.done(), "the timeout waited for the running request")
        queued = [self.grpc.future("ModelInfer", self.slow_request(1, 10 + i)) for i in range(4)]
        self.wait_pending(5)
        self.assertCode(grpc.StatusCode.UNAVAILABLE,
                        lambda: self.grpc.call("ModelInfer", self.slow_request(1, 20)), "queue")
        self.assertEqual(blocker.result().id, "t1")
        for i, future in enumerate(queued):
            self.assertEqual(future.result().id, "t%d" % (10 + i))

    def test_sigterm_lets_grpc_calls_in_flight_finish(self):
        blocker = self.blocker()
        self.server.signal(signal.SIGTERM)
        response = blocker.result()
        self.assertEqual(raw_outputs(response)["TAG_OUT"][2], [1])
        self.assertEqual(self.server.wait_exit(), 0, self.server.log_tail())
        # Both transports are closed.
        for port in (self.server.port, self.server.grpc_port):
            with socket.socket() as s:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0, "port %d still open" % port)


KEYS = [
    {"name": "reader", "key": "sk-reader-0123456789abcdef", "scopes": ["infer"]},
    {"name": "operator", "key": "sk-operator-0123456789abcdef", "scopes": ["infer", "admin"]},
    {"name": "limited", "key": "sk-limited-0123456789abcdef", "scopes": ["infer"],
     "requests_per_second": 0.01, "burst": 1},
]


class GrpcApiKeyTest(GrpcTestCase):
    """--api-keys: keys from metadata, scopes and rate limits as over HTTP."""

    @classmethod
    def setUpClass(cls):
        folder = cls.temp_folder(__import__("tempfile").mkdtemp(prefix="inferd-grpc-keys-"))
        path = os.path.join(folder, "keys.jsonl")
        with open(path, "w") as f:
            for key in KEYS:
                f.write(json.dumps(key) + "\n")
        cls.server_args = ["--api-keys", path, "--log-level", "warn"]
        super().setUpClass()

    @classmethod
    def repository(cls):
        return cls.temp_repository(copy_repository(model_repository(), models=["simple"]))

    def test_keys_scopes_and_limits(self):
        a, b = simple_values()
        request = simple_raw_request(a, b)
        # Health probes are open.
        self.assertTrue(self.grpc.call("ServerLive").live)
        self.assertTrue(self.grpc.call("ServerReady").ready)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: self.grpc.call("ModelInfer", request),
                        "API key")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED,
                        lambda: self.grpc.call("ModelInfer", request,
                                               metadata=[("authorization", "Bearer sk-wrong")]),
                        "not valid")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED,
                        lambda: self.grpc.call("ModelInfer", request,
                                               metadata=[("authorization", "Basic abc")]),
                        "Bearer")
        reader = [("authorization", "Bearer " + KEYS[0]["key"])]
        self.assertSimpleAnswer(self.grpc.call("ModelInfer", request, metadata=reader), a, b)
        self.assertSimpleAnswer(
            self.grpc.call("ModelInfer", request, metadata=[("x-api-key", KEYS[0]["key"])]), a, b)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        lambda: self.grpc.call("RepositoryIndex", metadata=reader), "reader", "admin")
        operator = [("x-api-key", KEYS[1]["key"])]
        self.assertTrue(self.grpc.call("RepositoryIndex", metadata=operator).models)
        limited = [("authorization", "Bearer " + KEYS[2]["key"])]
        self.assertSimpleAnswer(self.grpc.call("ModelInfer", request, metadata=limited), a, b)
        error = self.assertCode(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                lambda: self.grpc.call("ModelInfer", request, metadata=limited),
                                "limited", "requests_per_second")
        trailers = dict(error.trailing_metadata() or ())
        self.assertGreaterEqual(int(trailers.get("retry-after", "0")), 1)
        self.assertGreaterEqual(
            self.metric('inferd_ratelimit_rejected_total{key="limited",limit="requests"}'), 1)

    def metric(self, series):
        status, _, body = self.server.request("GET", "/metrics",
                                              headers={"Authorization": "Bearer " + KEYS[1]["key"]})
        self.assertEqual(status, 200)
        for line in body.decode().splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


class GrpcStartupTest(unittest.TestCase):
    def test_grpc_port_in_use_is_a_clear_startup_error(self):
        repo = copy_repository(model_repository(), models=["simple"])
        self.addCleanup(__import__("shutil").rmtree, repo, True)
        holder = socket.socket()
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        server = InferdServer(repo, ["--log-level", "warn"])
        server.grpc_port = port
        self.addCleanup(server.kill)
        server.start(wait=False)
        code = server.wait_exit(timeout=60)
        self.assertIsNotNone(code, "inferd kept running with its gRPC port in use")
        self.assertNotEqual(code, 0)
        log = server.log()
        self.assertIn(str(port), log)
        self.assertIn("gRPC", log)
        self.assertIn("in use", log)

    def test_grpc_port_zero_turns_grpc_off(self):
        repo = copy_repository(model_repository(), models=["simple"])
        self.addCleanup(__import__("shutil").rmtree, repo, True)
        server = InferdServer(repo, ["--log-level", "info"])
        self.addCleanup(server.kill)
        server.start()
        self.assertNotIn("gRPC listening", server.log())
        server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
