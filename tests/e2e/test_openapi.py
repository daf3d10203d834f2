"""The OpenAPI document at /openapi.json against the server's real answers.

Every documented operation is called at least once with the example models
(simple, single_output, embedder, slow and the committed tiny GGUF model),
and each answer is validated against the schema the document gives for its
status and content type (python3-jsonschema, Draft 2020-12, which OpenAPI
3.1 schemas are). Streams are checked item by item against the schema the
document names in `x-inferd-item-schema`. An operation without an example
here fails the test, so a new route needs one. The document itself is
validated as OpenAPI 3.1 by @apidevtools/swagger-parser (npm, test only).

The route table side (every registered route is documented) is the unit
test src/server/openapi_routes_test.cc.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import jsonschema

from .inferd_server import (REPO_ROOT, TINY_CHAT_TEMPLATE, InferdServer, ServerTestCase,
                            add_gguf_model, build_binary_request, model_repository,
                            parse_binary_response, simple_request, test_repository)
from .jobs_client import wait_final
from .test_auth import key_line, write_keys
from .test_backpressure import slow_body

VALIDATOR = os.path.join(REPO_ROOT, "tests", "e2e", "clients", "validate_openapi.cjs")
OPERATIONS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Routes whose success no example server can give: every answer is an error.
ALWAYS_REFUSED = {("post", "/v2/cudasharedmemory/region/{region}/register"): "no GPU",
                  ("get", "/v2/cudasharedmemory/region/{region}/status"): "no CUDA region"}


def media_type(content_type):
    return content_type.split(";")[0].strip().lower()


def sse_items(text):
    """The data of each Server-Sent Event in `text`, parsed; OpenAI's [DONE] left out."""
    items = []
    for block in text.split("\n\n"):
        data = [line[len("data:"):].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data and data != ["[DONE]"]:
            items.append(json.loads("\n".join(data)))
    return items


class Call:
    """One example request for the documented operation `method` `pattern`."""

    def __init__(self, method, pattern, path=None, body=None, headers=None, statuses=(200,),
                 raw=None):
        self.method = method
        self.pattern = pattern
        self.path = path or pattern
        self.body = body
        self.headers = headers or {}
        self.statuses = statuses
        self.raw = raw  # bytes sent as they are (binary tensor extension)

    def __repr__(self):
        return "%s %s" % (self.method, self.path)


def openapi_repository(test_case_class):
    repo = test_case_class.temp_repository(tempfile.mkdtemp(prefix="inferd-openapi-"))
    for model in ("simple", "embedder"):
        shutil.copytree(os.path.join(model_repository(), model), os.path.join(repo, model))
    for model in ("single_output", "slow"):
        shutil.copytree(os.path.join(test_repository(), model), os.path.join(repo, model))
    add_gguf_model(repo, "llm", {"context_length": 128, "threads": 1,
                                 "chat_template": "chat.jinja"},
                   files={"chat.jinja": TINY_CHAT_TEMPLATE})
    return repo


class OpenApiDocumentTest(ServerTestCase):
    server_args = ("--model-control-mode", "explicit", "--load-model", "simple",
                   "--load-model", "single_output", "--load-model", "embedder",
                   "--load-model", "slow", "--load-model", "llm")

    @classmethod
    def repository(cls):
        return openapi_repository(cls)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status, headers, data = cls.server.request("GET", "/openapi.json")
        if status != 200:
            raise AssertionError("GET /openapi.json: %s %r" % (status, data[:300]))
        cls.document = json.loads(data)
        cls.resolver = jsonschema.RefResolver.from_schema(cls.document)

    # -- validation ---------------------------------------------------------

    def validate(self, schema, instance, where):
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            self.fail("%s: %s at %s (%d errors)\ninstance: %s" % (
                where, e.message, "/".join(map(str, e.absolute_path)) or "the top",
                len(errors), json.dumps(instance)[:800]))

    def operation(self, method, pattern):
        item = self.document["paths"].get(pattern)
        self.assertIsNotNone(item, "%s is not in the document" % pattern)
        self.assertIn(method, item, "%s %s is not in the document" % (method, pattern))
        return item[method]

    def check_answer(self, call, status, headers, data):
        """Validates one answer against the document; returns the parsed body (or text)."""
        where = "%r answered %s" % (call, status)
        operation = self.operation(call.method.lower(), call.pattern)
        response = operation["responses"].get(str(status)) or operation["responses"].get("default")
        self.assertIsNotNone(response, "%s: status not documented" % where)
        if "content" not in response:
            self.assertEqual(data, b"", "%s: an undocumented body" % where)
            return None
        ctype = media_type(headers.get("content-type", ""))
        media = response["content"].get(ctype) or response["content"].get("*/*")
        self.assertIsNotNone(media, "%s: content type %s not documented (documented: %s)"
                             % (where, ctype, sorted(response["content"])))
        item_schema = media.get("x-inferd-item-schema")
        if ctype == "application/json":
            body = json.loads(data)
            self.validate(media["schema"], body, where)
            return body
        if ctype == "application/octet-stream" and item_schema is not None:
            header, _ = parse_binary_response(self, headers, data)
            self.validate(item_schema, header, where + " (binary header)")
            return header
        if ctype in ("text/event-stream", "application/x-ndjson"):
            text = data.decode("utf-8")
            self.validate(media["schema"], text, where)
            items = (sse_items(text) if ctype == "text/event-stream"
                     else [json.loads(line) for line in text.splitlines() if line.strip()])
            self.assertTrue(items, "%s: an empty stream" % where)
            self.assertIsNotNone(item_schema, "%s: the stream's items have no schema" % where)
            for i, item in enumerate(items):
                self.validate(item_schema, item, "%s, item %d" % (where, i))
            return items
        if ctype.startswith("text/"):
            self.validate(media["schema"], data.decode("utf-8"), where)
            return data.decode("utf-8")
        self.assertTrue(data, "%s: an empty file" % where)
        return data

    def run_call(self, call):
        client = self.server.client
        body = call.raw if call.raw is not None else call.body
        status, headers, data = client.request(call.method, call.path, body, call.headers)
        self.assertIn(status, call.statuses, "%r: %s %r" % (call, status, data[:500]))
        return self.check_answer(call, status, headers, data)

    # -- the examples -------------------------------------------------------

    def test_document_is_openapi_3_1_with_the_servers_version(self):
        self.assertEqual(self.document["openapi"], "3.1.0")
        _, health = self.server.json("GET", "/health")
        self.assertEqual(self.document["info"]["version"], health["version"])
        # Without --api-keys no route asks for a key.
        self.assertNotIn("securitySchemes", self.document["components"])

    @unittest.skipUnless(os.environ.get("INFERD_NODE_MODULES"), "needs the npm clients (ctest fixture)")
    def test_swagger_parser_validates_the_document_as_openapi_3_1(self):
        out = subprocess.run(["node", VALIDATOR], input=json.dumps(self.document).encode(),
                             capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout.decode() + out.stderr.decode())
        self.assertIn("valid OpenAPI 3.1.0", out.stdout.decode())

    def test_swagger_parser_refuses_a_broken_document(self):
        # The validator can fail: a parameter in no place OpenAPI knows.
        if not os.environ.get("INFERD_NODE_MODULES"):
            self.skipTest("needs the npm clients (ctest fixture)")
        broken = json.loads(json.dumps(self.document))
        broken["paths"]["/v2/models/{model}/infer"]["post"]["parameters"][0]["in"] = "nowhere"
        out = subprocess.run(["node", VALIDATOR], input=json.dumps(broken).encode(),
                             capture_output=True, timeout=120)
        self.assertNotEqual(out.returncode, 0, out.stdout.decode())

    def test_every_documented_route_answers_as_documented(self):
        infer_body, want_sum, _ = simple_request()
        binary_body, binary_headers = build_binary_request(infer_body, {})
        binary_headers["Content-Type"] = "application/octet-stream"
        binary_body_with_outputs = json.loads(binary_body)
        binary_body_with_outputs["outputs"] = [{"name": "OUTPUT0",
                                                "parameters": {"binary_data": True}}]
        binary_raw = json.dumps(binary_body_with_outputs).encode()
        binary_headers["Inference-Header-Content-Length"] = str(len(binary_raw))
        chat = {"model": "llm", "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 4, "temperature": 0}
        completion = {"model": "llm", "prompt": "Once", "max_tokens": 4, "temperature": 0}
        ollama_generate = {"model": "llm", "prompt": "Once", "options": {"num_predict": 4}}
        ollama_chat = {"model": "llm", "messages": [{"role": "user", "content": "hi"}],
                       "options": {"num_predict": 4}}
        shm_key = "/inferd-openapi-%d" % os.getpid()
        with open("/dev/shm" + shm_key, "wb") as f:
            f.truncate(128)
        self.addCleanup(os.unlink, "/dev/shm" + shm_key)
        async_header = {"Prefer": "respond-async"}

        calls = [
            Call("GET", "/v2/health/live"),
            Call("GET", "/v2/health/ready"),
            Call("GET", "/v2"),
            Call("GET", "/v2/models/{model}", "/v2/models/simple"),
            Call("GET", "/v2/models/{model}/versions/{version}", "/v2/models/simple/versions/1"),
            Call("GET", "/v2/models/{model}", "/v2/models/no_such_model", statuses=(404,)),
            Call("GET", "/v2/models/{model}/ready", "/v2/models/simple/ready"),
            Call("GET", "/v2/models/{model}/versions/{version}/ready",
                 "/v2/models/simple/versions/1/ready"),
            Call("GET", "/v2/models/{model}/config", "/v2/models/simple/config"),
            Call("GET", "/v2/models/{model}/versions/{version}/config",
                 "/v2/models/simple/versions/1/config"),
            Call("POST", "/v2/models/{model}/infer", "/v2/models/simple/infer", infer_body),
            Call("POST", "/v2/models/{model}/infer", "/v2/models/simple/infer",
                 raw=binary_raw, headers=binary_headers),
            Call("POST", "/v2/models/{model}/infer", "/v2/models/simple/infer", infer_body,
                 headers=async_header, statuses=(202,)),
            Call("POST", "/v2/models/{model}/infer", "/v2/models/simple/infer",
                 {"inputs": "no"}, statuses=(400,)),
            Call("POST", "/v2/models/{model}/versions/{version}/infer",
                 "/v2/models/simple/versions/1/infer", infer_body),
            Call("POST", "/v2/models/{model}/generate", "/v2/models/llm/generate",
                 {"text_input": "Once", "parameters": {"max_tokens": 4}}),
            Call("POST", "/v2/models/{model}/versions/{version}/generate",
                 "/v2/models/llm/versions/1/generate",
                 {"text_input": "Once", "parameters": {"max_tokens": 4}}),
            Call("POST", "/v2/models/{model}/generate_stream", "/v2/models/llm/generate_stream",
                 {"text_input": "Once", "parameters": {"max_tokens": 4}}),
            Call("POST", "/v2/models/{model}/versions/{version}/generate_stream",
                 "/v2/models/llm/versions/1/generate_stream",
                 {"text_input": "Once", "parameters": {"max_tokens": 4}}),
            Call("GET", "/v1/models"),
            Call("GET", "/v1/models/{model}", "/v1/models/llm"),
            Call("GET", "/v1/models/{model}", "/v1/models/no_such_model", statuses=(404,)),
            Call("POST", "/v1/chat/completions", body=chat),
            Call("POST", "/v1/chat/completions", body=dict(chat, stream=True)),
            Call("POST", "/v1/chat/completions", body={"model": "llm"}, statuses=(400,)),
            Call("POST", "/v1/completions", body=completion),
            Call("POST", "/v1/completions", body=dict(completion, stream=True)),
            Call("POST", "/v1/embeddings", body={"model": "embedder", "input": ["a b", "c"]}),
            Call("POST", "/api/generate", body=dict(ollama_generate, stream=False)),
            Call("POST", "/api/generate", body=ollama_generate),
            Call("POST", "/api/chat", body=dict(ollama_chat, stream=False)),
            Call("POST", "/api/chat", body=ollama_chat),
            Call("POST", "/api/embed", body={"model": "embedder", "input": ["a b", "c"]}),
            Call("POST", "/api/embeddings", body={"model": "embedder", "prompt": "a b"}),
            Call("GET", "/api/tags"),
            Call("POST", "/api/show", body={"model": "llm"}),
            Call("GET", "/api/ps"),
            Call("GET", "/api/version"),
            Call("POST", "/api/pull", body={"model": "llm", "stream": False}),
            Call("POST", "/api/pull", body={"model": "llm"}),
            Call("POST", "/v1/models/{model}:predict", "/v1/models/embedder:predict",
                 {"instances": ["a b", "c"]}),
            Call("POST", "/v1/models/{model}/versions/{version}:predict",
                 "/v1/models/embedder/versions/1:predict", {"instances": ["a b"]}),
            Call("POST", "/v1/models/{model}:predict", "/v1/models/embedder:predict",
                 {"instances": ["a b"]}, headers=async_header, statuses=(202,)),
            Call("GET", "/v1/jobs"),
            Call("GET", "/v1/jobs", "/v1/jobs?status=succeeded&limit=5&include=result"),
            Call("GET", "/v1/jobs", "/v1/jobs?limit=0", statuses=(400,)),
            Call("POST", "/v2/repository/index"),
            Call("POST", "/v2/repository/index", body={"ready": True}),
            Call("POST", "/v2/repository/models/{model}/unload",
                 "/v2/repository/models/single_output/unload"),
            Call("POST", "/v2/repository/models/{model}/load",
                 "/v2/repository/models/single_output/load"),
            Call("GET", "/health"),
            Call("GET", "/metrics"),
            Call("GET", "/v2/models/stats"),
            Call("GET", "/v2/models/{model}/stats", "/v2/models/simple/stats"),
            Call("GET", "/v2/models/{model}/versions/{version}/stats",
                 "/v2/models/simple/versions/1/stats"),
            Call("POST", "/v2/systemsharedmemory/region/{region}/register",
                 "/v2/systemsharedmemory/region/r0/register",
                 {"key": shm_key, "offset": 0, "byte_size": 128}),
            Call("GET", "/v2/systemsharedmemory/status"),
            Call("GET", "/v2/systemsharedmemory/region/{region}/status",
                 "/v2/systemsharedmemory/region/r0/status"),
            Call("POST", "/v2/systemsharedmemory/region/{region}/unregister",
                 "/v2/systemsharedmemory/region/r0/unregister"),
            Call("POST", "/v2/systemsharedmemory/unregister"),
            Call("GET", "/v2/cudasharedmemory/status"),
            Call("GET", "/v2/cudasharedmemory/region/{region}/status",
                 "/v2/cudasharedmemory/region/g0/status", statuses=(400,)),
            Call("POST", "/v2/cudasharedmemory/region/{region}/register",
                 "/v2/cudasharedmemory/region/g0/register",
                 {"raw_handle": {"b64": "AAAA"}, "device_id": 0, "byte_size": 16},
                 statuses=(400,)),
            Call("POST", "/v2/cudasharedmemory/region/{region}/unregister",
                 "/v2/cudasharedmemory/region/g0/unregister"),
            Call("POST", "/v2/cudasharedmemory/unregister"),
            Call("GET", "/v2/logging"),
            Call("POST", "/v2/logging", body={"log_verbose_level": 0}),
            Call("GET", "/v2/trace/setting"),
            Call("POST", "/v2/trace/setting", body={"trace_level": ["OFF"]}),
            Call("GET", "/openapi.json"),
            Call("GET", "/docs", statuses=(200, 503)),
            Call("GET", "/docs/assets/{file}", "/docs/assets/swagger-ui.css", statuses=(200, 503)),
            Call("GET", "/docs/assets/{file}", "/docs/assets/no-such-file.js", statuses=(404,)),
        ]
        succeeded = set()
        for call in calls:
            with self.subTest(call=repr(call)):
                answer = self.run_call(call)
                if call.statuses[0] < 300:
                    succeeded.add((call.method.lower(), call.pattern))
                if call.pattern == "/v2/models/{model}/infer" and call.statuses == (200,) \
                        and call.raw is None:
                    out = {o["name"]: o["data"] for o in answer["outputs"]}
                    self.assertEqual(out["OUTPUT0"], want_sum)

        # Jobs: submit, read, stream, fetch the result, cancel.
        submission = Call("POST", "/v1/jobs", body={"model": "simple", "input": infer_body},
                          headers={"Idempotency-Key": "openapi-%d" % os.getpid(),
                                   "Job-Priority": "high"}, statuses=(202,))
        job = self.run_call(submission)
        again = self.run_call(submission)  # the same job back, whatever its status now
        self.assertEqual((again["id"], again.get("created")), (job["id"], False))
        wait_final(self.server.client, job["id"])
        job_path = "/v1/jobs/" + job["id"]
        for call in (Call("GET", "/v1/jobs/{id}", job_path),
                     Call("GET", "/v1/jobs/{id}/result", job_path + "/result"),
                     Call("GET", "/v1/jobs/{id}/events", job_path + "/events"),
                     Call("DELETE", "/v1/jobs/{id}", job_path, statuses=(409,)),
                     Call("GET", "/v1/jobs/{id}", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA", statuses=(404,))):
            with self.subTest(call=repr(call)):
                self.run_call(call)
        busy = self.run_call(Call("POST", "/v1/jobs", body={"model": "slow",
                                                            "input": slow_body(3000, 1)},
                                  statuses=(202,)))
        self.run_call(Call("DELETE", "/v1/jobs/{id}", "/v1/jobs/" + busy["id"], statuses=(200, 202)))
        wait_final(self.server.client, busy["id"])
        succeeded |= {("post", "/v1/jobs"), ("get", "/v1/jobs/{id}"),
                      ("get", "/v1/jobs/{id}/result"), ("get", "/v1/jobs/{id}/events"),
                      ("delete", "/v1/jobs/{id}")}

        documented = {(method, pattern) for pattern, item in self.document["paths"].items()
                      for method in item if method in OPERATIONS}
        missing = sorted(documented - succeeded - set(ALWAYS_REFUSED))
        self.assertEqual(missing, [], "documented operations without a successful example")
        self.assertEqual(sorted(succeeded - documented), [], "examples of undocumented routes")


class OpenApiWithKeysTest(ServerTestCase):
    """With --api-keys the document and its page stay open, like the health
    probes: they show the API's shape, no model, job or data; the document
    then says which routes need a key and with which scope."""

    @classmethod
    def setUpClass(cls):
        folder = cls.temp_folder(tempfile.mkdtemp(prefix="inferd-openapi-keys-"))
        cls.key_file = os.path.join(folder, "keys.jsonl")
        write_keys(cls.key_file, [key_line("alice", "alice-secret-0123456789", ["infer"])])
        cls.server_args = ("--api-keys", cls.key_file)
        super().setUpClass()

    @classmethod
    def repository(cls):
        return test_repository()

    def test_document_and_page_need_no_key_and_say_who_does(self):
        status, doc = self.server.json("GET", "/openapi.json")
        self.assertEqual(status, 200, doc)
        self.assertEqual(set(doc["components"]["securitySchemes"]), {"bearer", "apiKey"})
        self.assertEqual(doc["paths"]["/v2/health/ready"]["get"]["security"], [])
        self.assertEqual(doc["paths"]["/openapi.json"]["get"]["security"], [])
        infer = doc["paths"]["/v2/models/{model}/infer"]["post"]
        self.assertEqual(infer["security"], [{"bearer": []}, {"apiKey": []}])
        self.assertIn("`infer` scope", infer["description"])
        self.assertIn("`admin` scope",
                      doc["paths"]["/v2/repository/index"]["post"]["description"])
        status, _, _ = self.server.request("GET", "/docs")
        self.assertIn(status, (200, 503))  # open; 503 only where the page is not installed
        # While inference does need the key.
        status, _, _ = self.server.request("POST", "/v2/models/simple/infer", simple_request()[0])
        self.assertEqual(status, 401)


class DocsWithoutAssetsTest(ServerTestCase):
    """--docs-assets pointing nowhere: /docs is a clear 503, the rest works."""

    server_args = ("--docs-assets", "/nonexistent/docs-ui")

    @classmethod
    def repository(cls):
        return test_repository()

    def test_docs_is_503_with_a_json_message_and_the_server_works(self):
        status, headers, data = self.server.request("GET", "/docs")
        self.assertError(status, headers, data, 503, "/nonexistent/docs-ui", "--docs-assets",
                         "/openapi.json")
        status, headers, data = self.server.request("GET", "/docs/assets/swagger-ui-bundle.js")
        self.assertError(status, headers, data, 503, "not installed")
        status, doc = self.server.json("GET", "/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(doc["openapi"], "3.1.0")
        body, want, _ = simple_request()
        status, resp = self.server.json("POST", "/v2/models/simple/infer", body)
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["outputs"][0]["data"], want)
        self.assertIn("/docs answers 503", self.server.log())


if __name__ == "__main__":
    unittest.main()
