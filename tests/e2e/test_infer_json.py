"""POST .../infer with JSON tensors: goldens for every model, and the JSON features."""

import json
import os
import socket
import unittest

from .inferd_server import (ServerTestCase, golden_models, assert_tensor_matches, flatten, load_goldens,
                            model_repository, outputs_by_name, simple_request, test_repository)


def golden_request(case, request_id=None):
    body = {"inputs": [{"name": name, "datatype": t["datatype"], "shape": t["shape"], "data": t["data"]}
                       for name, t in case["inputs"].items()]}
    if request_id is not None:
        body["id"] = request_id
    return body


class GoldenMixin:
    """Checks every golden case of every model in the class's repository."""

    def check_response_against_golden(self, where, model, case, resp, request_id=None):
        self.assertEqual(resp["model_name"], model, where)
        self.assertEqual(resp["model_version"], "1", where)
        if request_id is not None:
            self.assertEqual(resp.get("id"), request_id, where)
        outs = outputs_by_name(resp)
        self.assertEqual(sorted(outs), sorted(case["outputs"]), where)
        for name, want in case["outputs"].items():
            got = outs[name]
            self.assertEqual(got["datatype"], want["datatype"], "%s %s" % (where, name))
            self.assertEqual(got["shape"], want["shape"], "%s %s" % (where, name))
            assert_tensor_matches(self, "%s %s" % (where, name), want["datatype"], got["data"], want["data"])

    def check_all_goldens_json(self):
        models = golden_models(self.server.repository)
        self.assertTrue(models)
        for model in models:
            for i, case in enumerate(load_goldens(model)):
                where = "%s case %d" % (model, i)
                with self.subTest(model=model, case=i):
                    request_id = "golden-%s-%d" % (model, i)
                    status, resp = self.server.json("POST", "/v2/models/%s/infer" % model,
                                                    golden_request(case, request_id))
                    self.assertEqual(status, 200, "%s: %r" % (where, resp))
                    self.check_response_against_golden(where, model, case, resp, request_id)


class GoldenModelRepositoryJsonTest(GoldenMixin, ServerTestCase):
    @classmethod
    def repository(cls):
        return model_repository()

    def test_goldens_json(self):
        self.check_all_goldens_json()

    def test_digits_probabilities_consistent(self):
        case = load_goldens("digits")[-1]
        status, resp = self.server.json("POST", "/v2/models/digits/infer", golden_request(case))
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        batch = outs["logits"]["shape"][0]
        self.assertEqual(outs["probabilities"]["shape"], [batch, 10])
        logits, probs = outs["logits"]["data"], outs["probabilities"]["data"]
        for b in range(batch):
            row_l, row_p = logits[b * 10:(b + 1) * 10], probs[b * 10:(b + 1) * 10]
            self.assertAlmostEqual(sum(row_p), 1.0, places=4)
            self.assertEqual(row_l.index(max(row_l)), row_p.index(max(row_p)))

    def test_digits_full_batch(self):
        # 64 = max_batch_size: the goldens' images repeated; every row must equal its golden row.
        case = load_goldens("digits")[-1]
        n = case["inputs"]["input"]["shape"][0]
        pixels = case["inputs"]["input"]["data"]
        per = len(pixels) // n
        rows = [pixels[(i % n) * per:(i % n + 1) * per] for i in range(64)]
        body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [64, 1, 8, 8],
                            "data": [x for r in rows for x in r]}]}
        status, resp = self.server.json("POST", "/v2/models/digits/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(outs["logits"]["shape"], [64, 10])
        want = case["outputs"]["logits"]["data"]
        expected = [x for i in range(64) for x in want[(i % n) * 10:(i % n + 1) * 10]]
        assert_tensor_matches(self, "digits batch 64 logits", "FP32", outs["logits"]["data"], expected)


class GoldenTestRepositoryJsonTest(GoldenMixin, ServerTestCase):
    @classmethod
    def repository(cls):
        return test_repository()

    def test_goldens_json(self):
        self.check_all_goldens_json()

    def test_goldens_json_versioned_path(self):
        for model in golden_models(self.server.repository):
            case = load_goldens(model)[0]
            with self.subTest(model=model):
                status, resp = self.server.json("POST", "/v2/models/%s/versions/1/infer" % model,
                                                golden_request(case))
                self.assertEqual(status, 200, resp)
                self.check_response_against_golden(model, model, case, resp)

    def test_id_echoed(self):
        body, want0, _ = simple_request(id="my-request-42")
        status, headers, raw = self.server.request("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, raw)
        self.assertIn("application/json", headers.get("content-type", ""))
        self.assertNotIn("inference-header-content-length", headers)
        resp = json.loads(raw)
        self.assertEqual(resp["id"], "my-request-42")
        self.assertEqual(resp["model_name"], "simple")
        self.assertEqual(resp["model_version"], "1")
        self.assertEqual(outputs_by_name(resp)["OUTPUT0"]["data"], want0)

    def test_response_tensors_have_shape_and_datatype(self):
        body, want0, want1 = simple_request(batch=3, values0=list(range(48)), values1=list(range(100, 148)))
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        for name, want in (("OUTPUT0", want0), ("OUTPUT1", want1)):
            self.assertEqual(outs[name]["datatype"], "INT32")
            self.assertEqual(outs[name]["shape"], [3, 16])
            self.assertEqual(flatten(outs[name]["data"]), want)

    def test_nested_data(self):
        values0 = [i * 3 for i in range(32)]
        values1 = [5 - i for i in range(32)]
        body = {"inputs": [
            {"name": "INPUT0", "datatype": "INT32", "shape": [2, 16], "data": [values0[:16], values0[16:]]},
            {"name": "INPUT1", "datatype": "INT32", "shape": [2, 16], "data": [values1[:16], values1[16:]]},
        ]}
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(outs["OUTPUT0"]["shape"], [2, 16])
        self.assertEqual(flatten(outs["OUTPUT0"]["data"]), [a + b for a, b in zip(values0, values1)])
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), [a - b for a, b in zip(values0, values1)])

    def test_nested_data_bare_tensor_model(self):
        x = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3], "data": x}]}
        status, resp = self.server.json("POST", "/v2/models/single_output/infer", body)
        self.assertEqual(status, 200, resp)
        y = outputs_by_name(resp)["y"]
        self.assertEqual(y["shape"], [3, 2])
        assert_tensor_matches(self, "y", "FP32", y["data"], [2.0, 8.0, 4.0, 10.0, 6.0, 12.0])

    def test_output_selection(self):
        body, want0, want1 = simple_request(outputs=[{"name": "OUTPUT1"}])
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        self.assertEqual([o["name"] for o in resp["outputs"]], ["OUTPUT1"])
        self.assertEqual(flatten(resp["outputs"][0]["data"]), want1)

        body, want0, want1 = simple_request(outputs=[{"name": "OUTPUT0"}])
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        self.assertEqual([o["name"] for o in resp["outputs"]], ["OUTPUT0"])
        self.assertEqual(flatten(resp["outputs"][0]["data"]), want0)

    def test_output_selection_dict_model(self):
        case = load_goldens("all_dtypes")[0]
        body = golden_request(case)
        body["outputs"] = [{"name": "OUT_BOOL"}, {"name": "OUT_FP16"}]
        status, resp = self.server.json("POST", "/v2/models/all_dtypes/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(sorted(outs), ["OUT_BOOL", "OUT_FP16"])
        self.assertEqual(outs["OUT_BOOL"]["data"], case["outputs"]["OUT_BOOL"]["data"])
        assert_tensor_matches(self, "OUT_FP16", "FP16", outs["OUT_FP16"]["data"],
                              case["outputs"]["OUT_FP16"]["data"])

    def test_all_dtypes_json_types(self):
        # FP16 travels as JSON numbers, BOOL as true/false, integers exactly (INT64 extremes too).
        case = load_goldens("all_dtypes")[1]
        status, _, raw = self.server.request("POST", "/v2/models/all_dtypes/infer", golden_request(case))
        self.assertEqual(status, 200, raw)
        outs = outputs_by_name(json.loads(raw))
        self.assertEqual(outs["OUT_INT64"]["data"], [-9223372036854775808, 9223372036854775807])
        self.assertIn(b"9223372036854775807", raw)
        self.assertEqual(outs["OUT_BOOL"]["data"], [False, True])
        for v in outs["OUT_BOOL"]["data"]:
            self.assertIs(type(v), bool)
        for v in outs["OUT_FP16"]["data"]:
            self.assertIn(type(v), (int, float))
        assert_tensor_matches(self, "OUT_FP16", "FP16", outs["OUT_FP16"]["data"], [-65504.0, 0.0009765625])

    def test_all_dtypes_inputs_of_different_lengths(self):
        lengths = {"INT8": 1, "INT16": 2, "INT32": 3, "INT64": 4, "UINT8": 5,
                   "FP16": 6, "FP32": 7, "FP64": 8, "BOOL": 9}
        inputs, want = [], {}
        for t, n in lengths.items():
            if t == "BOOL":
                data = [i % 3 == 0 for i in range(n)]
            elif t.startswith("FP"):
                data = [i * 0.5 - 1.0 for i in range(n)]
            else:
                data = [i * 2 for i in range(n)]
            inputs.append({"name": "IN_" + t, "datatype": t, "shape": [n], "data": data})
            want["OUT_" + t] = (t, data)
        status, resp = self.server.json("POST", "/v2/models/all_dtypes/infer", {"inputs": inputs})
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        for name, (t, data) in want.items():
            self.assertEqual(outs[name]["datatype"], t)
            self.assertEqual(outs[name]["shape"], [len(data)])
            assert_tensor_matches(self, name, t, outs[name]["data"], data)

    def test_bytes_unicode_strings(self):
        text = ["h\u00e9llo", "\u65e5\u672c\u8a9e", "\U0001F642", "", "plain ascii"]
        body = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [len(text)], "data": text}]}
        status, resp = self.server.json("POST", "/v2/models/string_length/infer", body)
        self.assertEqual(status, 200, resp)
        out = outputs_by_name(resp)["LENGTHS"]
        self.assertEqual(out["datatype"], "INT64")
        self.assertEqual(out["shape"], [5])
        # TorchScript's len(str) counts UTF-8 bytes (torch.jit.load of the model gives the same).
        self.assertEqual(out["data"], [len(t.encode("utf-8")) for t in text])
        self.assertEqual(out["data"], [6, 9, 4, 0, 11])

    def test_index_named_inputs_mapped_by_position(self):
        a = [1.0, 2.0, -3.0, 0.5, 4.0, 4.0, 4.0, 4.0]
        b = [2.0, 0.25, 3.0, 8.0, -1.0, 0.0, 1.0, 2.0]
        body = {"inputs": [
            # Inputs given in the opposite order of the config: names decide, not order.
            {"name": "INPUT__1", "datatype": "FP32", "shape": [2, 4], "data": b},
            {"name": "INPUT__0", "datatype": "FP32", "shape": [2, 4], "data": a},
        ]}
        status, resp = self.server.json("POST", "/v2/models/index_named/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        assert_tensor_matches(self, "OUTPUT__0", "FP32", outs["OUTPUT__0"]["data"], [x * y for x, y in zip(a, b)])
        assert_tensor_matches(self, "OUTPUT__1", "FP32", outs["OUTPUT__1"]["data"], [x + y for x, y in zip(a, b)])

    def test_simple_inputs_in_reverse_order(self):
        body, want0, want1 = simple_request(values0=list(range(16)), values1=[100] * 16)
        body["inputs"].reverse()
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(flatten(outs["OUTPUT0"]["data"]), want0)
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), want1)

    def test_simple_max_batch(self):
        values0 = [i - 64 for i in range(128)]
        values1 = [(i * 37) % 101 for i in range(128)]
        body, want0, want1 = simple_request(values0, values1, batch=8)
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(outs["OUTPUT0"]["shape"], [8, 16])
        self.assertEqual(flatten(outs["OUTPUT0"]["data"]), want0)
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), want1)

    def test_expect_100_continue(self):
        # curl sends "Expect: 100-continue" for larger bodies; the README's examples use curl.
        body, want0, _ = simple_request(values0=list(range(16)), values1=[40] * 16)
        payload = json.dumps(body).encode()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload))
            interim = s.recv(4096)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim[:100])
            s.sendall(payload)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 100"):
            head, _, rest = rest.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
        self.assertEqual(flatten(outputs_by_name(json.loads(rest))["OUTPUT0"]["data"]), want0)

    def test_int32_extremes_exact(self):
        values0 = [2147483647, -2147483648, 0, 1] * 4
        values1 = [0] * 16
        body, want0, want1 = simple_request(values0, values1)
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        outs = outputs_by_name(resp)
        self.assertEqual(flatten(outs["OUTPUT0"]["data"]), want0)
        self.assertEqual(flatten(outs["OUTPUT1"]["data"]), want1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
