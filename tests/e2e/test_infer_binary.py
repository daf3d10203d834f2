"""POST .../infer with the binary tensor data extension (inputs and outputs)."""

import json
import os
import struct
import unittest

from .inferd_server import (ServerTestCase, golden_models, assert_tensor_matches, build_binary_request, encode_binary,
                            flatten, load_goldens, merged_repository, outputs_by_name,
                            parse_binary_response, simple_request)

REQUIRED_MODELS = ["simple", "digits", "all_dtypes", "index_named", "string_length", "single_output"]


def golden_header(case):
    return {"inputs": [{"name": name, "datatype": t["datatype"], "shape": t["shape"], "data": t["data"]}
                       for name, t in case["inputs"].items()]}


def all_inputs_binary(case):
    return {name: encode_binary(t["datatype"], t["data"]) for name, t in case["inputs"].items()}


class BinaryInferTest(ServerTestCase):
    """Binary output and binary inputs are checked on every model of both repositories."""

    @classmethod
    def repository(cls):
        path = cls.temp_repository(merged_repository())
        cls.models = golden_models(path)
        return path

    def test_repository_has_the_issue_models(self):
        for name in REQUIRED_MODELS:
            self.assertIn(name, self.models)

    def check_outputs(self, where, case, header, values):
        outs = outputs_by_name(header)
        self.assertEqual(sorted(outs), sorted(case["outputs"]), where)
        for name, want in case["outputs"].items():
            self.assertEqual(outs[name]["datatype"], want["datatype"], "%s %s" % (where, name))
            self.assertEqual(outs[name]["shape"], want["shape"], "%s %s" % (where, name))
            assert_tensor_matches(self, "%s %s" % (where, name), want["datatype"], values[name], want["data"])

    def post(self, model, body, headers=None):
        return self.server.request("POST", "/v2/models/%s/infer" % model, body, headers)

    def test_goldens_binary_output_request_level(self):
        for model in self.models:
            for i, case in enumerate(load_goldens(model)):
                with self.subTest(model=model, case=i):
                    body = golden_header(case)
                    body["parameters"] = {"binary_data_output": True}
                    status, headers, raw = self.post(model, body)
                    self.assertEqual(status, 200, raw[:500])
                    self.assertIn("application/octet-stream", headers.get("content-type", ""))
                    header, values = parse_binary_response(self, headers, raw)
                    for out in header["outputs"]:
                        self.assertIn("binary_data_size", out.get("parameters", {}), out)
                    self.assertEqual(header["model_name"], model)
                    self.check_outputs("%s case %d" % (model, i), case, header, values)

    def test_goldens_binary_inputs_json_output(self):
        for model in self.models:
            for i, case in enumerate(load_goldens(model)):
                with self.subTest(model=model, case=i):
                    body, headers = build_binary_request(golden_header(case), all_inputs_binary(case))
                    status, resp_headers, raw = self.post(model, body, headers)
                    self.assertEqual(status, 200, raw[:500])
                    self.assertIn("application/json", resp_headers.get("content-type", ""))
                    resp = json.loads(raw)
                    values = {o["name"]: flatten(o["data"]) for o in resp["outputs"]}
                    self.check_outputs("%s case %d" % (model, i), case, resp, values)

    def test_goldens_binary_inputs_and_outputs(self):
        for model in self.models:
            for i, case in enumerate(load_goldens(model)):
                with self.subTest(model=model, case=i):
                    header = golden_header(case)
                    header["id"] = "bin-%s-%d" % (model, i)
                    header["outputs"] = [{"name": n, "parameters": {"binary_data": True}} for n in case["outputs"]]
                    body, headers = build_binary_request(header, all_inputs_binary(case))
                    status, resp_headers, raw = self.post(model, body, headers)
                    self.assertEqual(status, 200, raw[:500])
                    resp, values = parse_binary_response(self, resp_headers, raw)
                    self.assertEqual(resp.get("id"), "bin-%s-%d" % (model, i))
                    self.check_outputs("%s case %d" % (model, i), case, resp, values)

    def test_per_output_binary_data(self):
        body, want0, want1 = simple_request(
            values0=[i * 11 for i in range(16)], values1=[-i for i in range(16)],
            outputs=[{"name": "OUTPUT0", "parameters": {"binary_data": True}}, {"name": "OUTPUT1"}])
        status, headers, raw = self.post("simple", body)
        self.assertEqual(status, 200, raw[:500])
        header, values = parse_binary_response(self, headers, raw)
        outs = outputs_by_name(header)
        self.assertEqual(outs["OUTPUT0"]["parameters"]["binary_data_size"], 64)
        self.assertNotIn("data", outs["OUTPUT0"])
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), want1)
        self.assertEqual(values["OUTPUT0"], want0)
        # The raw bytes are little-endian INT32.
        n = int(headers["inference-header-content-length"])
        self.assertEqual(raw[n:n + 64], struct.pack("<16i", *want0))

    def test_binary_output_only_selected_output(self):
        body, want0, want1 = simple_request(
            batch=2, values0=list(range(32)), values1=[3] * 32,
            outputs=[{"name": "OUTPUT1", "parameters": {"binary_data": True}}])
        status, headers, raw = self.post("simple", body)
        self.assertEqual(status, 200, raw[:500])
        header, values = parse_binary_response(self, headers, raw)
        self.assertEqual([o["name"] for o in header["outputs"]], ["OUTPUT1"])
        self.assertEqual(header["outputs"][0]["shape"], [2, 16])
        self.assertEqual(values["OUTPUT1"], want1)

    def test_mixed_binary_and_json_inputs(self):
        values0 = [i * 5 for i in range(32)]
        values1 = [1000 - i for i in range(32)]
        header, want0, want1 = simple_request(values0, values1, batch=2)
        body, headers = build_binary_request(header, {"INPUT1": encode_binary("INT32", values1)})
        status, _, raw = self.post("simple", body, headers)
        self.assertEqual(status, 200, raw[:500])
        outs = outputs_by_name(json.loads(raw))
        self.assertEqual(flatten(outs["OUTPUT0"]["data"]), want0)
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), want1)

    def test_binary_bytes_input_and_output_lengths(self):
        text = ["h\u00e9llo", "", "\U0001F642\U0001F642", "twelve chars"]
        header = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [4]}],
                  "parameters": {"binary_data_output": True}}
        body, headers = build_binary_request(header, {"TEXT": encode_binary("BYTES", text)})
        status, resp_headers, raw = self.post("string_length", body, headers)
        self.assertEqual(status, 200, raw[:500])
        resp, values = parse_binary_response(self, resp_headers, raw)
        self.assertEqual(outputs_by_name(resp)["LENGTHS"]["parameters"]["binary_data_size"], 32)
        # TorchScript's len(str) counts UTF-8 bytes.
        self.assertEqual(values["LENGTHS"], [6, 0, 8, 12])

    def test_binary_request_with_json_content_type(self):
        # The Inference-Header-Content-Length header alone selects binary parsing.
        values0 = list(range(16))
        header, want0, _ = simple_request(values0, [2] * 16)
        body, headers = build_binary_request(header, {"INPUT0": encode_binary("INT32", values0),
                                                      "INPUT1": encode_binary("INT32", [2] * 16)})
        headers["Content-Type"] = "application/json"
        status, _, raw = self.post("simple", body, headers)
        self.assertEqual(status, 200, raw[:500])
        self.assertEqual(flatten(outputs_by_name(json.loads(raw))["OUTPUT0"]["data"]), want0)

    def test_binary_size_not_matching_shape(self):
        header, _, _ = simple_request()
        # INPUT0 [1,16] INT32 needs 64 bytes; send 60.
        body, headers = build_binary_request(header, {"INPUT0": encode_binary("INT32", list(range(15))),
                                                      "INPUT1": encode_binary("INT32", [1] * 16)})
        status, resp_headers, raw = self.post("simple", body, headers)
        self.assertError(status, resp_headers, raw, 400, "INPUT0")
        self.assertSimpleWorks()

    def test_binary_bytes_element_overruns(self):
        raw_text = struct.pack("<I", 100) + b"short"
        header = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [1]}]}
        body, headers = build_binary_request(header, {"TEXT": raw_text})
        status, resp_headers, raw = self.post("string_length", body, headers)
        self.assertError(status, resp_headers, raw, 400, "TEXT")
        self.assertSimpleWorks()


if __name__ == "__main__":
    unittest.main(verbosity=2)
