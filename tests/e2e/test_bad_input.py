"""Every bad request of issue 2 gets the right status and a JSON error naming what is
wrong, and the server keeps serving: each test ends with a good request."""

import json
import os
import socket
import time
import unittest

from .inferd_server import (ServerTestCase, build_binary_request, clone_model, copy_repository,
                            encode_binary, simple_request, test_repository)

MAX_BODY = 65536
READ_TIMEOUT_MS = 1000


def simple_inputs(**overrides):
    """The `inputs` of a valid simple request; overrides replace fields of INPUT0."""
    body, _, _ = simple_request()
    body["inputs"][0].update(overrides)
    return body


class BadInputTest(ServerTestCase):
    server_args = ["--max-body-bytes", str(MAX_BODY), "--read-timeout-ms", str(READ_TIMEOUT_MS)]

    @classmethod
    def repository(cls):
        repo = cls.temp_repository(copy_repository(test_repository()))
        broken = clone_model(repo, "simple", "broken")
        os.remove(os.path.join(broken, "1", "model.pt"))
        return repo

    def post_raw(self, path, raw, headers=None):
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        return self.server.request("POST", path, raw, headers)

    def check(self, status_headers_body, expected_status, *mentions):
        status, headers, body = status_headers_body
        message = self.assertError(status, headers, body, expected_status, *mentions)
        self.assertSimpleWorks()
        return message

    # -- request body ----------------------------------------------------

    def test_malformed_json(self):
        self.check(self.post_raw("/v2/models/simple/infer", b'{"inputs": [{"name": "INPUT0", '), 400,
                   ("json", "parse", "syntax", "malformed"))

    def test_malformed_json_trailing_garbage(self):
        body = json.dumps(simple_request()[0]).encode() + b" }{"
        self.check(self.post_raw("/v2/models/simple/infer", body), 400, ("json", "parse", "syntax", "malformed"))

    def test_empty_body(self):
        self.check(self.post_raw("/v2/models/simple/infer", b""), 400)

    def test_body_not_an_object(self):
        self.check(self.post_raw("/v2/models/simple/infer", b"[1, 2, 3]"), 400)

    def test_missing_inputs(self):
        self.check(self.infer("simple", {"id": "x"}), 400, "inputs")

    def test_inputs_not_a_list(self):
        self.check(self.infer("simple", {"inputs": {"name": "INPUT0"}}), 400, "inputs")

    def test_unknown_input_name(self):
        body = simple_request()[0]
        body["inputs"].append({"name": "INPUT9", "datatype": "INT32", "shape": [1, 16], "data": [0] * 16})
        self.check(self.infer("simple", body), 400, "INPUT9")

    def test_missing_required_input(self):
        body = simple_request()[0]
        del body["inputs"][1]
        self.check(self.infer("simple", body), 400, "INPUT1")

    def test_duplicate_input(self):
        body = simple_request()[0]
        body["inputs"].append(dict(body["inputs"][0]))
        self.check(self.infer("simple", body), 400, "INPUT0")

    def test_wrong_datatype(self):
        body = simple_inputs(datatype="FP32", data=[float(i) for i in range(16)])
        self.check(self.infer("simple", body), 400, "INPUT0")

    def test_unknown_datatype(self):
        self.check(self.infer("simple", simple_inputs(datatype="INT33")), 400, ("INT33", "datatype"))

    def test_shape_data_length_mismatch_too_few(self):
        self.check(self.infer("simple", simple_inputs(data=list(range(15)))), 400, "INPUT0")

    def test_shape_data_length_mismatch_too_many(self):
        self.check(self.infer("simple", simple_inputs(data=list(range(17)))), 400, "INPUT0")

    def test_nested_data_not_matching_shape(self):
        # 32 values nested as 4 x 8 for shape [2, 16].
        data = [list(range(i * 8, i * 8 + 8)) for i in range(4)]
        body = simple_request(batch=2, values0=list(range(32)), values1=[1] * 32)[0]
        body["inputs"][0]["data"] = data
        self.check(self.infer("simple", body), 400, "INPUT0")

    def test_wrong_rank(self):
        self.check(self.infer("simple", simple_inputs(shape=[16])), 400, "INPUT0")

    def test_wrong_rank_extra_dimension(self):
        self.check(self.infer("simple", simple_inputs(shape=[1, 1, 16])), 400, "INPUT0")

    def test_wrong_dims(self):
        body = simple_request(values0=list(range(15)), values1=[1] * 15)[0]
        for inp in body["inputs"]:
            inp["shape"] = [1, 15]
        self.check(self.infer("simple", body), 400, "INPUT0")

    def test_wrong_dims_fixed_shape_model(self):
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 2], "data": [1.0] * 6}]}
        self.check(self.infer("single_output", body), 400, "x")

    def test_negative_shape(self):
        self.check(self.infer("simple", simple_inputs(shape=[-1, 16])), 400, "INPUT0")

    def test_batch_above_max_batch_size(self):
        body = simple_request(batch=9, values0=list(range(144)), values1=[1] * 144)[0]
        self.check(self.infer("simple", body), 400, ("INPUT0", "batch"))

    def test_batch_sizes_disagree_between_inputs(self):
        body = simple_request(batch=2, values0=list(range(32)), values1=[1] * 32)[0]
        body["inputs"][1].update(shape=[1, 16], data=[1] * 16)
        self.check(self.infer("simple", body), 400, ("INPUT0", "INPUT1", "batch"))

    def test_bytes_where_numbers_expected(self):
        self.check(self.infer("simple", simple_inputs(data=["abc"] * 16)), 400, "INPUT0")

    def test_bytes_datatype_for_numeric_input(self):
        self.check(self.infer("simple", simple_inputs(datatype="BYTES", data=["abc"] * 16)), 400, "INPUT0")

    def test_numbers_where_bytes_expected(self):
        body = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [2], "data": [1, 2]}]}
        self.check(self.infer("string_length", body), 400, "TEXT")

    def test_unknown_output_requested(self):
        body = simple_request(outputs=[{"name": "NOPE_OUT"}])[0]
        self.check(self.infer("simple", body), 400, "NOPE_OUT")

    def test_duplicate_requested_output(self):
        # Each copy used to be computed and encoded again (10,000 copies: a 5x
        # larger answer than the request).
        for copies in (2, 2000):
            body = simple_request(outputs=[{"name": "OUTPUT1"}] + [{"name": "OUTPUT0"}] * copies)[0]
            message = self.check(self.infer("simple", body), 400, "OUTPUT0")
            self.assertNotIn("OUTPUT1", message)

    # -- shapes the data does not back up ----------------------------------

    HUGE_SHAPES = ([1000000, 1000000], [100000, 100000], [1, 12147483648],
                   [4294967296, 4294967296], [9223372036854775807, 2], [1099511627776, 1099511627776, 0],
                   [-1000000, 1000000])

    def test_huge_shape_nested_data(self):
        # [[1]] under shape [1000000, 1000000] made the decoder reserve 10^12
        # elements: std::bad_alloc ended the process.
        for shape in self.HUGE_SHAPES:
            with self.subTest(shape=shape):
                self.check(self.infer("simple", simple_inputs(shape=shape, data=[[1]])), 400, "INPUT0")

    def test_huge_shape_flat_data(self):
        for shape in self.HUGE_SHAPES:
            with self.subTest(shape=shape):
                self.check(self.infer("simple", simple_inputs(shape=shape, data=[1])), 400, "INPUT0")

    def test_huge_shape_binary_data(self):
        for shape in self.HUGE_SHAPES:
            with self.subTest(shape=shape):
                header = simple_inputs(shape=shape)
                body, headers = build_binary_request(header, {"INPUT0": encode_binary("INT32", [1]),
                                                              "INPUT1": encode_binary("INT32", [1] * 16)})
                self.check(self.post_raw("/v2/models/simple/infer", body, headers), 400, "INPUT0")

    def test_huge_shape_bytes_input(self):
        for shape in self.HUGE_SHAPES:
            for data in (["a"], [["a"]]):
                with self.subTest(shape=shape, data=data):
                    body = {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": shape, "data": data}]}
                    self.check(self.infer("string_length", body), 400, "TEXT")

    # -- values the model refuses ------------------------------------------

    def test_token_ids_outside_the_vocabulary(self):
        # text_classifier raises ValueError on ids outside its 2048-token
        # vocabulary. That is the client's mistake (400), and the answer keeps
        # the model's own words instead of libtorch's generic first line.
        good = {"inputs": [
            {"name": "input_ids", "datatype": "INT64", "shape": [1, 4], "data": [5, 17, 2047, 3]},
            {"name": "attention_mask", "datatype": "INT64", "shape": [1, 4], "data": [1, 1, 1, 1]}]}
        for ids in ([5, 17, 5000, 3], [5, -1, 2, 3]):
            bad = json.loads(json.dumps(good))
            bad["inputs"][0]["data"] = ids
            message = self.check(self.infer("text_classifier", bad), 400, "input_ids", "[0, 2048)")
            self.assertNotIn("TorchScript interpreter", message)
        status, _, raw = self.infer("text_classifier", good)
        self.assertEqual(status, 200, raw[:300])
        self.assertEqual(len(json.loads(raw)["outputs"][0]["data"]), 2)

    # -- binary extension ------------------------------------------------

    def test_binary_header_length_beyond_body(self):
        head = json.dumps(simple_request()[0]).encode()
        self.check(self.post_raw("/v2/models/simple/infer", head,
                                 {"Inference-Header-Content-Length": str(len(head) + 5000),
                                  "Content-Type": "application/octet-stream"}), 400,
                   ("Inference-Header-Content-Length", "header"))

    def test_binary_header_length_not_a_number(self):
        head = json.dumps(simple_request()[0]).encode()
        self.check(self.post_raw("/v2/models/simple/infer", head,
                                 {"Inference-Header-Content-Length": "twelve",
                                  "Content-Type": "application/octet-stream"}), 400,
                   "Inference-Header-Content-Length")

    def test_binary_data_size_beyond_body(self):
        header = simple_request()[0]
        body, headers = build_binary_request(header, {"INPUT0": encode_binary("INT32", list(range(16))),
                                                      "INPUT1": encode_binary("INT32", [1] * 16)})
        self.check(self.post_raw("/v2/models/simple/infer", body[:-10], headers), 400,
                   ("INPUT1", "binary_data_size"))

    # -- routing ---------------------------------------------------------

    def test_unknown_model(self):
        self.check(self.infer("no_such_model", simple_request()[0]), 404, "no_such_model")

    def test_model_name_with_nul_or_control_bytes_is_400(self):
        # %00 would cut the name at the NUL on its way to the folder ("simple").
        for quoted in ("simple%00x1", "simple%0A", "%2E%2E", "x" * 256):
            with self.subTest(name=quoted[:20]):
                self.check(self.infer(quoted, simple_request()[0]), 400, "model name")
                self.check(self.server.request("GET", "/v2/models/%s" % quoted), 400, "model name")
        message = self.check(self.infer("simple%00x1", simple_request()[0]), 400)
        self.assertIn("simple\\000x1", message)

    def test_bytes_that_are_not_utf8_come_back_as_replacement_characters(self):
        # A JSON body must be UTF-8: what the client sent is echoed with each
        # invalid sequence as U+FFFD (once the raw byte, which no strict JSON
        # parser reads), whatever the route and its error style.
        cases = [
            (self.server.request("GET", "/v1/models/%ff"), 404, "\ufffd"),
            (self.server.request("GET", "/v1/models/ch%ffat"), 404, "ch\ufffdat"),
            (self.post_raw("/api/show", b'{"model": "ch\xffat"}'), 404, "ch\ufffdat"),
            (self.post_raw("/api/embed", b'{"model": "ch\xffat", "input": "x"}'), 404,
             "ch\ufffdat"),
        ]
        for (status, headers, body), expected_status, echoed in cases:
            with self.subTest(echoed=echoed, body=body[:80]):
                self.assertEqual(status, expected_status, body)
                self.assertIn("application/json", headers.get("content-type", ""))
                document = json.loads(body.decode("utf-8"))  # strict: fails on a raw byte
                error = document["error"]
                self.assertIn(echoed, error["message"] if isinstance(error, dict) else error)
        self.assertSimpleWorks()

    def test_unknown_model_metadata(self):
        self.check(self.server.request("GET", "/v2/models/no_such_model"), 404, "no_such_model")

    def test_unknown_version(self):
        self.check(self.infer("simple", simple_request()[0], version="7"), 404, "7")

    def test_model_not_ready(self):
        self.check(self.infer("broken", simple_request()[0]), 503, "broken")

    def test_model_not_ready_endpoint(self):
        self.check(self.server.request("GET", "/v2/models/broken/ready"), 503, "broken")

    def test_unsupported_method_on_health(self):
        self.check(self.server.request("DELETE", "/v2/health/live"), 405)

    def test_unsupported_method_on_infer(self):
        self.check(self.server.request("GET", "/v2/models/simple/infer"), 405)

    def test_unsupported_method_on_server_metadata(self):
        self.check(self.server.request("POST", "/v2", b"{}"), 405)

    def test_unsupported_method_on_repository_index(self):
        self.check(self.server.request("GET", "/v2/repository/index"), 405)

    def test_unknown_path(self):
        self.check(self.server.request("GET", "/v3/models"), 404)

    def test_unknown_path_under_model(self):
        self.check(self.server.request("GET", "/v2/models/simple/frobnicate"), 404)

    def test_unknown_path_root(self):
        self.check(self.server.request("GET", "/no/such/path"), 404)

    # -- limits ----------------------------------------------------------

    def send_oversized(self, head, chunks):
        """Sends `head` then `chunks` as a client that writes the whole request before
        reading (curl, requests) does, tolerating a server that answers early; returns
        the bytes of the response it could read."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            try:
                s.sendall(head)
                for chunk in chunks:
                    s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered before reading everything: the answer must still arrive
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            except socket.timeout:
                self.fail("no complete response within 10 s; got %r" % data[:200])
        return data

    def check_413_response(self, data):
        self.assertTrue(data.startswith(b"HTTP/1.1 413"),
                        "client sending an oversized body got %r instead of a 413 response "
                        "(connection reset before the answer could be read?)" % data[:200])
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"application/json", head.lower())
        self.assertIn("error", json.loads(body))
        self.assertSimpleWorks()

    def test_body_above_max_body_bytes(self):
        body = json.dumps(simple_request()[0]).encode()
        body += b" " * (MAX_BODY + 1024 - len(body))
        self.check(self.post_raw("/v2/models/simple/infer", body), 413)

    def test_large_body_above_max_body_bytes_gets_413_not_reset(self):
        # 16x the limit: the server answers 413 from the headers; the client is still
        # writing and must be able to read that answer (lingering close, or reading
        # and discarding the rest), not get a TCP reset.
        size = 16 * MAX_BODY
        head = (b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size)
        self.check_413_response(self.send_oversized(head, [b" " * 8192] * (size // 8192)))

    def test_chunked_body_above_max_body_bytes(self):
        # No Content-Length: the limit applies to the bytes actually received.
        head = (b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"2000\r\n" + b" " * 8192 + b"\r\n"
        self.check_413_response(self.send_oversized(head, [chunk] * (4 * MAX_BODY // 8192) + [b"0\r\n\r\n"]))

    def test_body_just_below_max_body_bytes_is_served(self):
        body = json.dumps(simple_request()[0]).encode()
        body += b" " * (MAX_BODY - 64 - len(body))
        status, _, raw = self.post_raw("/v2/models/simple/infer", body)
        self.assertEqual(status, 200, raw[:300])
        self.assertSimpleWorks()

    def test_chunked_body_below_limit_is_served(self):
        body, want0, _ = simple_request(values0=list(range(16)), values1=[9] * 16)
        raw = json.dumps(body).encode()
        chunks = [raw[i:i + 100] for i in range(0, len(raw), 100)]
        status, _, data = self.server.request("POST", "/v2/models/simple/infer", iter(chunks),
                                              {"Content-Type": "application/json",
                                               "Transfer-Encoding": "chunked"})
        self.assertEqual(status, 200, data[:300])
        outs = {o["name"]: o for o in json.loads(data)["outputs"]}
        self.assertEqual(outs["OUTPUT0"]["data"], want0)

    def test_declared_content_length_far_above_limit(self):
        # The server must answer from the headers alone, without waiting for 10 GB.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n")
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except (socket.timeout, ConnectionResetError) as e:
                self.fail("no response to an oversized Content-Length: %r (got %r)" % (e, data))
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertSimpleWorks()

    def test_partial_request_closed_after_read_timeout(self):
        self.check_silent_client_closed(
            b"POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n" + b'{"inputs":')

    def test_partial_headers_closed_after_read_timeout(self):
        self.check_silent_client_closed(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ")

    def check_silent_client_closed(self, partial):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(partial)
            sent = time.monotonic()
            # Other clients are served while this one hangs.
            other = self.server.new_client()
            try:
                for _ in range(3):
                    self.assertSimpleWorks(client=other)
                    status, _, _ = other.request("GET", "/v2/health/live")
                    self.assertEqual(status, 200)
            finally:
                other.close()
            s.settimeout(0.2)
            data = b""
            closed_at = None
            while time.monotonic() - sent < 8.0:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    closed_at = time.monotonic()
                    break
                if not chunk:
                    closed_at = time.monotonic()
                    break
                data += chunk
        self.assertIsNotNone(closed_at, "connection still open 8 s after a partial request "
                                        "(--read-timeout-ms %d); got %r" % (READ_TIMEOUT_MS, data[:200]))
        elapsed = closed_at - sent
        self.assertLessEqual(elapsed, 5.0, "closed only after %.1f s" % elapsed)
        self.assertGreaterEqual(elapsed, 0.5, "closed after %.2f s, before the read timeout" % elapsed)
        if data:
            self.assertFalse(data.startswith(b"HTTP/1.1 2"), data[:200])
        self.assertSimpleWorks()

class RespondAsyncBadInputTest(BadInputTest):
    """Every bad request of BadInputTest again, each inference request also sent
    with `Prefer: respond-async`: refused at submission with the synchronous
    route's status and message, never accepted as a job that fails later. An
    error only running the model can find (a value the model refuses) is
    accepted, and its job must end failed with the route's answer as result."""

    replayed = 0
    accepted = []  # requests whose error only the model's run finds

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        client = cls.server.client
        sync_request = client.request

        def request(method, path, body=None, headers=None):
            answer = sync_request(method, path, body, headers)
            route = path.split("?")[0]
            if method == "POST" and (route.endswith("/infer") or route.endswith(":predict")) \
                    and 400 <= answer[0] < 500:
                cls.replayed += 1
                async_headers = dict(headers or {})
                async_headers["Prefer"] = "respond-async"
                status, _, data = sync_request(method, path, body, async_headers)
                if status == 202:
                    cls.accepted.append("%s %s" % (method, path))
                    job = json.loads(data)["id"]
                    deadline = time.monotonic() + 30
                    while True:
                        _, _, raw = sync_request("GET", "/v1/jobs/" + job)
                        doc = json.loads(raw)
                        if doc["status"] in ("succeeded", "failed", "cancelled"):
                            break
                        if time.monotonic() > deadline:
                            raise AssertionError("job %s never ended: %r" % (job, doc))
                        time.sleep(0.01)
                    if doc["status"] != "failed" or doc.get("result_status") != answer[0]:
                        raise AssertionError("%s %s: sync %d, job %r" % (method, path, answer[0], doc))
                    _, _, result = sync_request("GET", "/v1/jobs/%s/result" % job)
                    if json.loads(result).get("error") != json.loads(answer[2]).get("error"):
                        raise AssertionError("%s %s: job result %r != %r" % (method, path, result, answer[2]))
                elif (status, json.loads(data)) != (answer[0], json.loads(answer[2])):
                    raise AssertionError("%s %s with Prefer: respond-async answered %d %r; "
                                         "synchronously %d %r" % (method, path, status, data,
                                                                  answer[0], answer[2]))
            return answer

        client.request = request

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # The replay really ran (a test that cannot fail is a defect).
        assert cls.replayed >= 20, "only %d bad requests were replayed" % cls.replayed
        # Only an error that running the model finds may pass submission.
        assert set(cls.accepted) <= {"POST /v2/models/text_classifier/infer"}, cls.accepted


class MaxBodyFromEnvironmentTest(ServerTestCase):
    """INFERD_MAX_BODY_BYTES sets --max-body-bytes."""

    server_env = {"INFERD_MAX_BODY_BYTES": "4096"}

    @classmethod
    def repository(cls):
        return test_repository()

    def test_body_above_env_limit(self):
        body = json.dumps(simple_request()[0]).encode()
        small = body + b" " * (3500 - len(body))
        status, _, raw = self.server.request("POST", "/v2/models/simple/infer", small,
                                             {"Content-Type": "application/json"})
        self.assertEqual(status, 200, raw[:300])
        big = body + b" " * (8192 - len(body))
        status, headers, raw = self.server.request("POST", "/v2/models/simple/infer", big,
                                                   {"Content-Type": "application/json"})
        self.assertError(status, headers, raw, 413)
        self.assertSimpleWorks()


if __name__ == "__main__":
    unittest.main(verbosity=2)
