"""Async jobs over HTTP: Prefer: respond-async, /v1/jobs submit, poll, SSE
events, cancel, list with cursors, idempotency, retries with a model that
fails on purpose, webhooks, validation and metrics (issue 5)."""

import base64
import http.server
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

from tests.e2e.inferd_server import (InferdServer, ServerTestCase, clone_model, copy_repository,
                                     model_repository, simple_request, test_repository)
from tests.e2e.jobs_client import read_events, submit_infer, wait_final


def failing_body(negative):
    value = -1.0 if negative else 1.0
    return {"inputs": [{"name": "INPUT0", "datatype": "FP32", "shape": [1, 4],
                        "data": [value, 2.0, 3.0, 4.0]}]}


def repository_with_broken_model(cls):
    """The test repository plus `sentiment` (a task model, for :predict jobs)
    and `broken`: simple without its model file, so it stays unavailable (a
    retryable failure, as a model that is loading is)."""
    repo = cls.temp_repository(copy_repository(test_repository()))
    shutil.copytree(os.path.join(model_repository(), "sentiment"), os.path.join(repo, "sentiment"))
    broken = clone_model(repo, "simple", "broken")
    os.remove(os.path.join(broken, "1", "model.pt"))
    return repo


class JobsTest(ServerTestCase):
    # Retries come fast so the retry tests stay short; the backoff doubles.
    server_args = ("--job-retry-backoff-ms", "100", "--job-workers", "4")

    @classmethod
    def repository(cls):
        return repository_with_broken_model(cls)

    def test_prefer_respond_async_answers_202_and_the_result_is_the_sync_answer(self):
        body, want0, want1 = simple_request([3 * i for i in range(16)], [i for i in range(16)])
        status, headers, accepted = submit_infer(self.server.client, "simple", body)
        self.assertEqual(status, 202, accepted)
        self.assertEqual(accepted["status"], "queued")
        self.assertEqual(headers["location"], "/v1/jobs/" + accepted["id"])
        self.assertEqual(headers.get("preference-applied"), "respond-async")
        doc = wait_final(self.server.client, accepted["id"])
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertEqual((doc["model"], doc["route"], doc["priority"]), ("simple", "infer", "normal"))
        self.assertEqual(len(doc["attempts"]), 1)
        for key in ("created_at", "started_at", "finished_at"):
            self.assertRegex(doc[key], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        sync_status, _, sync_body = self.server.client.request(
            "POST", "/v2/models/simple/infer", body)
        self.assertEqual(sync_status, 200)
        self.assertEqual(doc["result"], json.loads(sync_body))
        outs = {o["name"]: o["data"] for o in doc["result"]["outputs"]}
        self.assertEqual(outs["OUTPUT0"], want0)
        self.assertEqual(outs["OUTPUT1"], want1)
        # The stored answer, byte for byte.
        status, headers, raw = self.server.client.request("GET", "/v1/jobs/%s/result" % doc["id"])
        self.assertEqual(status, 200)
        self.assertEqual(raw, sync_body)
        self.assertEqual(headers["job-result-status"], "200")

    def test_binary_request_and_response_survive_the_job(self):
        header = {"inputs": [{"name": "INPUT0", "datatype": "INT32", "shape": [1, 16],
                              "data": list(range(16))},
                             {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16],
                              "data": [2] * 16}],
                  "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}}]}
        body = json.dumps(header).encode()
        headers = {"Content-Type": "application/octet-stream",
                   "Inference-Header-Content-Length": str(len(body))}
        status, _, accepted = submit_infer(self.server.client, "simple", body, headers)
        self.assertEqual(status, 202, accepted)
        doc = wait_final(self.server.client, accepted["id"])
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertIn("result_base64", doc)
        sync = self.server.client.request("POST", "/v2/models/simple/infer", body, headers)
        status, got_headers, raw = self.server.client.request(
            "GET", "/v1/jobs/%s/result" % doc["id"])
        self.assertEqual(raw, sync[2])
        self.assertEqual(got_headers["inference-header-content-length"],
                         sync[1]["inference-header-content-length"])

    def test_post_v1_jobs_with_explicit_body(self):
        body, want0, _ = simple_request([5] * 16, [6] * 16)
        status, accepted = self.server.client.json(
            "POST", "/v1/jobs", {"model": "simple", "version": "1", "route": "infer",
                                 "input": body, "priority": "high"})
        self.assertEqual(status, 202, accepted)
        doc = wait_final(self.server.client, accepted["id"])
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertEqual(doc["priority"], "high")
        self.assertEqual(doc["version"], "1")
        self.assertEqual({o["name"]: o["data"] for o in doc["result"]["outputs"]}["OUTPUT0"], want0)

    def test_retries_then_failed_with_every_attempts_error(self):
        # An unavailable model is worth retrying (it may be loading); each
        # attempt's error is kept.
        body, _, _ = simple_request()
        status, _, accepted = submit_infer(self.server.client, "broken", body)
        self.assertEqual(status, 202, accepted)
        doc = wait_final(self.server.client, accepted["id"])
        self.assertEqual(doc["status"], "failed", doc)
        self.assertEqual(doc["max_attempts"], 3)
        self.assertEqual(len(doc["attempts"]), 3, doc)
        for attempt in doc["attempts"]:
            self.assertIn("has no available versions", attempt["error"])
        self.assertIn("503: Request for unknown model: 'broken' has no available versions", doc["error"])

    def test_a_model_failure_fails_at_once_without_retries(self):
        # The model raising on an input is not transient: one attempt, and the
        # route's 500 answer is the result.
        status, _, accepted = submit_infer(self.server.client, "fails_on_negative", failing_body(True))
        self.assertEqual(status, 202, accepted)
        doc = wait_final(self.server.client, accepted["id"])
        self.assertEqual(doc["status"], "failed", doc)
        self.assertEqual(len(doc["attempts"]), 1, doc)
        self.assertIn("500: model execution failed", doc["error"])
        self.assertEqual(doc["result_status"], 500)

    def test_a_bad_request_is_refused_at_submission_as_the_route_refuses_it(self):
        for body in ({"inputs": "nope"}, b"{not json"):
            sync = self.server.client.request("POST", "/v2/models/simple/infer", body)
            status, _, answer = submit_infer(self.server.client, "simple", body)
            self.assertEqual(status, 400, answer)
            self.assertEqual((status, answer), (sync[0], json.loads(sync[2])))
        status, accepted = self.server.client.json(
            "POST", "/v1/jobs", {"model": "simple", "route": "infer", "input": {"inputs": "nope"}})
        self.assertEqual(status, 400, accepted)
        self.assertIn('"inputs" must be an array', accepted["error"])
        _, listing = self.server.client.json("GET", "/v1/jobs?model=simple&status=failed")
        self.assertFalse(any(job["route"] == "infer" and job.get("result_status") == 400
                             for job in listing["jobs"]), listing)

    def test_a_huge_shape_is_refused_at_submission(self):
        # A shape of 10^12 elements once made the decoder throw std::bad_alloc
        # in the job's worker (retried three times); it is now refused at
        # submission exactly as the synchronous route refuses it.
        huge = {"inputs": [{"name": "INPUT0", "datatype": "INT32", "shape": [1000000, 1000000],
                            "data": [[1]]},
                           {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16],
                            "data": [1] * 16}]}
        sync = self.server.client.request("POST", "/v2/models/simple/infer", huge)
        status, _, answer = submit_infer(self.server.client, "simple", huge)
        self.assertEqual(status, 400, answer)
        self.assertEqual((status, answer), (sync[0], json.loads(sync[2])))
        self.assertSimpleWorks()

    def test_events_stream_every_change_until_final(self):
        body, _, _ = simple_request()
        status, _, accepted = submit_infer(self.server.client, "broken", body)
        self.assertEqual(status, 202)
        status, headers, events = read_events(self.server.port, accepted["id"])
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"))
        self.assertTrue(events)
        self.assertTrue(all(name == "status" for name, _ in events))
        statuses = [doc["status"] for _, doc in events]
        self.assertEqual(statuses[-1], "failed", statuses)
        # Every document is newer than the one before; nothing repeats.
        attempts = [len(doc["attempts"]) for _, doc in events]
        self.assertEqual(attempts, sorted(attempts))
        self.assertEqual(events[-1][1]["attempts"][-1]["number"], 3)
        # A finished job's stream is its final document, once.
        status, _, again = read_events(self.server.port, accepted["id"])
        self.assertEqual([doc["status"] for _, doc in again], ["failed"])

    def test_idempotency_key_returns_the_existing_job(self):
        body, _, _ = simple_request()
        key = {"Idempotency-Key": "order-%d" % time.monotonic_ns()}
        s1, _, first = submit_infer(self.server.client, "simple", body, key)
        s2, _, second = submit_infer(self.server.client, "simple", body, key)
        self.assertEqual((s1, s2), (202, 202))
        self.assertEqual(first["id"], second["id"])
        self.assertNotIn("created", first)
        self.assertIs(second["created"], False)
        doc = wait_final(self.server.client, first["id"])
        self.assertEqual(doc["idempotency_key"], key["Idempotency-Key"])
        other_status, _, other = submit_infer(self.server.client, "simple", body)
        self.assertNotEqual(other["id"], first["id"])

    def test_idempotency_key_reused_for_a_different_request_is_422(self):
        c = self.server.client
        body, _, _ = simple_request([1] * 16, [2] * 16)
        key = "reuse-%d" % time.monotonic_ns()
        status, _, first = submit_infer(c, "simple", body, {"Idempotency-Key": key})
        self.assertEqual(status, 202, first)
        changed_body, _, _ = simple_request([1] * 16, [3] * 16)
        # A different body, another model, another route, another version.
        reuses = [
            lambda: c.request("POST", "/v2/models/simple/infer", changed_body,
                              {"Prefer": "respond-async", "Idempotency-Key": key}),
            lambda: c.request("POST", "/v2/models/fails_on_negative/infer", failing_body(False),
                              {"Prefer": "respond-async", "Idempotency-Key": key}),
            lambda: c.request("POST", "/v1/models/sentiment:predict", {"instances": ["good"]},
                              {"Prefer": "respond-async", "Idempotency-Key": key}),
            lambda: c.request("POST", "/v2/models/simple/versions/1/infer", body,
                              {"Prefer": "respond-async", "Idempotency-Key": key}),
            lambda: c.request("POST", "/v1/jobs", {"model": "simple", "input": changed_body},
                              {"Idempotency-Key": key}),
        ]
        for i, reuse in enumerate(reuses):
            status, headers, data = reuse()
            message = self.assertError(status, headers, data, 422, key, "different request")
            self.assertIn(first["id"], message, i)
        # The same request again still answers with the original job.
        status, _, again = submit_infer(c, "simple", body, {"Idempotency-Key": key})
        self.assertEqual(status, 202, again)
        self.assertEqual(again["id"], first["id"])
        self.assertIs(again["created"], False)
        doc = wait_final(c, first["id"])
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertEqual(doc["result"]["outputs"][0]["data"], [3] * 16)

    def test_list_filters_and_cursor_pagination(self):
        model = "simple"
        ids = []
        for i in range(5):
            body, _, _ = simple_request([i] * 16, [0] * 16)
            _, _, accepted = submit_infer(self.server.client, model, body)
            ids.append(accepted["id"])
        for job_id in ids:
            wait_final(self.server.client, job_id)
        seen, cursor, pages = [], None, 0
        while True:
            path = "/v1/jobs?model=simple&status=succeeded&limit=2" + (
                "&cursor=" + cursor if cursor else "")
            status, page = self.server.client.json("GET", path)
            self.assertEqual(status, 200, page)
            pages += 1
            self.assertLessEqual(len(page["jobs"]), 2)
            for doc in page["jobs"]:
                self.assertEqual((doc["model"], doc["status"]), ("simple", "succeeded"))
                self.assertNotIn("result", doc)
            seen += [doc["id"] for doc in page["jobs"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        self.assertEqual(len(seen), len(set(seen)), "a job listed twice")
        self.assertTrue(set(ids) <= set(seen))
        self.assertGreaterEqual(pages, 3)
        # Newest first.
        self.assertLess(seen.index(ids[-1]), seen.index(ids[0]))
        status, page = self.server.client.json("GET", "/v1/jobs?status=failed&model=simple&limit=1000")
        self.assertEqual(status, 200)
        self.assertTrue(all(doc["status"] == "failed" for doc in page["jobs"]))

    def test_bad_submissions_are_400_naming_the_field(self):
        c = self.server.client
        cases = [
            ({"input": {}}, "model"),
            ({"model": "simple"}, "input"),
            ({"model": "simple", "input": []}, "input"),
            ({"model": "simple", "input": {}, "route": "generate"}, "route"),
            ({"model": "simple", "input": {}, "priority": "urgent"}, "priority"),
            ({"model": "simple", "input": {}, "webhook": "ftp://x/y"}, "webhook"),
            ({"model": "simple", "input": {}, "max_attempts": 0}, "max_attempts"),
            ({"model": "simple", "input": {}, "colour": "red"}, "colour"),
        ]
        for body, field in cases:
            status, headers, data = c.request("POST", "/v1/jobs", body)
            self.assertError(status, headers, data, 400, field)
        status, headers, data = c.request("POST", "/v1/jobs", "{not json")
        self.assertError(status, headers, data, 400, "json")
        status, headers, data = c.request("POST", "/v1/jobs", {"model": "nope", "input": {}})
        self.assertError(status, headers, data, 404, "nope")
        status, headers, data = c.request(
            "POST", "/v2/models/simple/infer", simple_request()[0],
            {"Prefer": "respond-async", "Job-Priority": "asap"})
        self.assertError(status, headers, data, 400, "job-priority")
        for path in ("/v1/jobs/not-a-job", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA",
                     "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA/events"):
            status, headers, data = c.request("GET", path)
            self.assertError(status, headers, data, 404, "job")
        status, headers, data = c.request("DELETE", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA")
        self.assertError(status, headers, data, 404, "")
        for query, field in (("status=done", "status"), ("limit=0", "limit"), ("sort=x", "sort")):
            status, headers, data = c.request("GET", "/v1/jobs?" + query)
            self.assertError(status, headers, data, 400, field)

    def test_job_metrics(self):
        body, _, _ = simple_request()
        _, _, accepted = submit_infer(self.server.client, "simple", body)
        wait_final(self.server.client, accepted["id"])
        status, _, data = self.server.client.request("GET", "/metrics")
        text = data.decode()
        self.assertEqual(status, 200)
        for name in ('inferd_jobs_submitted_total{model="simple"}',
                     'inferd_job_attempts_total{model="simple",outcome="succeeded"}',
                     'inferd_jobs{model="simple",status="succeeded"}',
                     "inferd_job_queue_depth", "inferd_job_queued_seconds_bucket",
                     "inferd_job_running_seconds_count"):
            self.assertIn(name, text)


class CancelTest(ServerTestCase):
    server_args = ("--job-retry-backoff-ms", "60000")

    @classmethod
    def repository(cls):
        return repository_with_broken_model(cls)

    def test_cancel_a_queued_job(self):
        # After its first failure the job waits out a one-minute backoff,
        # queued: DELETE cancels it.
        status, accepted = self.server.client.json(
            "POST", "/v1/jobs", {"model": "broken", "input": simple_request()[0],
                                 "max_attempts": 2})
        self.assertEqual(status, 202)
        job_id = accepted["id"]
        deadline = time.monotonic() + 30
        while True:
            _, doc = self.server.client.json("GET", "/v1/jobs/" + job_id)
            if doc["status"] == "queued" and doc["attempts"]:
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.005)
        status, doc = self.server.client.json("DELETE", "/v1/jobs/" + job_id)
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["status"], "cancelled")
        self.assertEqual(wait_final(self.server.client, job_id)["status"], "cancelled")
        status, body = self.server.client.json("DELETE", "/v1/jobs/" + job_id)
        self.assertEqual(status, 409, body)
        self.assertIn("already cancelled", body["error"])
        self.assertEqual(body["job"]["status"], "cancelled")


class _Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        _Receiver.received.append((self.path, self.headers.get("Job-Id"),
                                   json.loads(self.rfile.read(length))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class _CredentialReceiver(http.server.BaseHTTPRequestHandler):
    """Records each delivery's path, Authorization header and document."""
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        _CredentialReceiver.received.append((self.path, self.headers.get("Authorization"),
                                             json.loads(self.rfile.read(length))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class WebhookTest(ServerTestCase):
    # The receivers listen on loopback, which webhooks may not reach unless allowed.
    server_args = ("--webhook-allow", "127.0.0.1")

    @classmethod
    def repository(cls):
        return test_repository()

    def test_webhook_credentials_are_used_for_delivery_but_never_shown(self):
        receiver = http.server.HTTPServer(("127.0.0.1", 0), _CredentialReceiver)
        thread = threading.Thread(target=receiver.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(receiver.server_close)
        self.addCleanup(receiver.shutdown)
        port = receiver.server_address[1]
        url = "http://hookuser:s3cret-pw@127.0.0.1:%d/hooks/done?token=tok-s3cret&x=1" % port
        shown = "http://hookuser:***@127.0.0.1:%d/hooks/done?token=***&x=1" % port
        c = self.server.client
        status, _, accepted = submit_infer(c, "simple", simple_request()[0], {"Job-Webhook": url})
        self.assertEqual(status, 202, accepted)
        deadline = time.monotonic() + 30
        while not _CredentialReceiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(_CredentialReceiver.received), 1)
        path, authorization, delivered = _CredentialReceiver.received[0]
        # Delivery uses the stored URL: its query as given, its userinfo as
        # Basic authentication.
        self.assertEqual(path, "/hooks/done?token=tok-s3cret&x=1")
        self.assertEqual(authorization,
                         "Basic " + base64.b64encode(b"hookuser:s3cret-pw").decode())
        self.assertEqual(delivered["webhook"]["url"], shown)
        while time.monotonic() < deadline:
            doc = wait_final(c, accepted["id"])
            if doc["webhook"]["status"] == "delivered":
                break
            time.sleep(0.02)
        self.assertEqual(doc["webhook"], {"url": shown, "status": "delivered", "attempts": 1})

        # An unreachable one with credentials: its recorded error hides them.
        probe = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
        dead_port = probe.server_address[1]
        probe.server_close()
        dead = "http://hookuser:s3cret-pw@127.0.0.1:%d/hook?api_key=k-s3cret" % dead_port
        status, failing = c.json("POST", "/v1/jobs", {"model": "simple", "webhook": dead,
                                                       "input": simple_request()[0]})
        self.assertEqual(status, 202, failing)
        while time.monotonic() < deadline:
            failed_doc = wait_final(c, failing["id"])
            if failed_doc["webhook"]["attempts"] >= 1:
                break
            time.sleep(0.05)
        self.assertTrue(failed_doc["webhook"]["last_error"], failed_doc)
        self.assertIn("hookuser:***@", failed_doc["webhook"]["last_error"])

        # A refused webhook's error names it without its secret.
        status, headers, data = c.request("POST", "/v1/jobs", {
            "model": "simple", "input": {}, "webhook": "ftp://hookuser:s3cret-pw@h/x"})
        self.assertError(status, headers, data, 400, "webhook", "hookuser:***@h")

        # Nowhere shown: documents, listing, events, errors, the server log.
        seen = [json.dumps(doc), json.dumps(failed_doc), data.decode()]
        seen.append(c.request("GET", "/v1/jobs?limit=1000")[2].decode())
        seen.append(json.dumps(read_events(self.server.port, accepted["id"])[2]))
        seen.append(self.server.log())
        for text in seen:
            self.assertNotIn("s3cret", text)

    def test_webhook_receives_the_final_document(self):
        receiver = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
        thread = threading.Thread(target=receiver.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(receiver.server_close)
        self.addCleanup(receiver.shutdown)
        url = "http://127.0.0.1:%d/hooks/done?x=1" % receiver.server_address[1]
        body, want0, _ = simple_request([9] * 16, [1] * 16)
        status, _, accepted = submit_infer(self.server.client, "simple", body, {"Job-Webhook": url})
        self.assertEqual(status, 202, accepted)
        deadline = time.monotonic() + 30
        while not _Receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(_Receiver.received), 1)
        path, job_id, doc = _Receiver.received[0]
        self.assertEqual(path, "/hooks/done?x=1")
        self.assertEqual(job_id, accepted["id"])
        self.assertEqual(doc["status"], "succeeded")
        self.assertEqual({o["name"]: o["data"] for o in doc["result"]["outputs"]}["OUTPUT0"], want0)
        while time.monotonic() < deadline:
            final = wait_final(self.server.client, accepted["id"])
            if final["webhook"]["status"] == "delivered":
                break
            time.sleep(0.02)
        self.assertEqual(final["webhook"], {"url": url, "status": "delivered", "attempts": 1})

    def test_an_unreachable_webhook_is_recorded_without_blocking_the_job(self):
        probe = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
        port = probe.server_address[1]
        probe.server_close()  # nothing listens there now
        url = "http://127.0.0.1:%d/hook" % port
        status, _, accepted = submit_infer(self.server.client, "simple", simple_request()[0],
                                           {"Job-Webhook": url})
        self.assertEqual(status, 202)
        self.assertEqual(wait_final(self.server.client, accepted["id"])["status"], "succeeded")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            doc = wait_final(self.server.client, accepted["id"])
            if doc["webhook"]["attempts"] >= 1:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(doc["webhook"]["attempts"], 1)
        self.assertIn(doc["webhook"]["status"], ("pending", "failed"))
        self.assertTrue(doc["webhook"]["last_error"])


class DamagedDatabaseTest(ServerTestCase):
    """A job database that is garbage costs the async routes, not the server."""

    @classmethod
    def setUpClass(cls):
        # Not ServerTestCase's: the data directory is prepared first.
        cls.data_dir = tempfile.mkdtemp(prefix="inferd-e2e-jobs-")
        cls.addClassCleanup(shutil.rmtree, cls.data_dir, True)
        cls.db_path = os.path.join(cls.data_dir, "jobs.db")
        cls.garbage = bytes((i * 7919 + 13) % 251 for i in range(16384))
        with open(cls.db_path, "wb") as f:
            f.write(cls.garbage)
        cls.server = InferdServer(test_repository(), data_dir=cls.data_dir)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    def test_sync_inference_serves_async_routes_answer_503_naming_the_file(self):
        c = self.server.client
        status, health = c.json("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(health["status"], "degraded", health)
        self.assertEqual(health["jobs"]["status"], "unavailable", health)
        self.assertMentions(health["jobs"]["reason"], self.db_path, "move it away", "restart")
        self.assertEqual(c.json("GET", "/v2/health/ready")[0], 200)
        self.assertSimpleWorks()

        job_id = "AAAAAAAAAAAAAAAAAAAAAA"
        body = simple_request()[0]
        calls = [
            ("POST", "/v1/jobs", {"model": "simple", "input": body}, None),
            ("POST", "/v2/models/simple/infer", body, {"Prefer": "respond-async"}),
            ("POST", "/v1/models/simple:predict", body, {"Prefer": "respond-async"}),
            ("GET", "/v1/jobs", None, None),
            ("GET", "/v1/jobs/" + job_id, None, None),
            ("GET", "/v1/jobs/%s/result" % job_id, None, None),
            ("GET", "/v1/jobs/%s/events" % job_id, None, None),
            ("DELETE", "/v1/jobs/" + job_id, None, None),
        ]
        for method, path, payload, headers in calls:
            status, resp_headers, data = c.request(method, path, payload, headers)
            self.assertError(status, resp_headers, data, 503, self.db_path, "move it away",
                             "restart")
        self.assertIn(self.db_path, self.server.log())
        with open(self.db_path, "rb") as f:
            self.assertEqual(f.read(), self.garbage, "the damaged file was changed")

        # The remedy the message gives works: move it away, restart.
        self.server.stop()
        os.rename(self.db_path, self.db_path + ".damaged")
        fixed = InferdServer(test_repository(), data_dir=self.data_dir)
        self.addCleanup(fixed.kill)
        health = fixed.start().json("GET", "/health")[1]
        self.assertEqual((health["status"], health["jobs"]), ("ready", {"status": "available"}))
        status, _, accepted = submit_infer(fixed.client, "simple", body)
        self.assertEqual(status, 202, accepted)
        self.assertEqual(wait_final(fixed.client, accepted["id"])["status"], "succeeded")
        fixed.stop()


class ResultTtlTest(ServerTestCase):
    server_args = ("--job-result-ttl", "1")

    @classmethod
    def repository(cls):
        return test_repository()

    def test_finished_jobs_are_purged_after_the_ttl(self):
        _, _, accepted = submit_infer(self.server.client, "simple", simple_request()[0])
        self.assertEqual(wait_final(self.server.client, accepted["id"])["status"], "succeeded")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, _ = self.server.client.json("GET", "/v1/jobs/" + accepted["id"])
            if status == 404:
                break
            time.sleep(0.1)
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)


class PredictBatchJobTest(ServerTestCase):
    """The seed's batch sentiment job: many instances in one :predict job,
    each item's outcome in the result."""

    @classmethod
    def repository(cls):
        from tests.e2e.inferd_server import model_repository
        return model_repository()

    def test_batch_predict_job_reports_each_item(self):
        texts = ["a wonderful, delightful and happy day", "",
                 "a miserable, dreadful and wretched evening"]
        body = {"instances": texts}
        sync_status, sync = self.server.client.json("POST", "/v1/models/sentiment:predict", body)
        self.assertEqual(sync_status, 200, sync)
        status, _, data = self.server.client.request(
            "POST", "/v1/models/sentiment:predict", body, {"Prefer": "respond-async"})
        self.assertEqual(status, 202, data)
        job_id = json.loads(data)["id"]
        doc = wait_final(self.server.client, job_id)
        self.assertEqual((doc["status"], doc["route"]), ("succeeded", "predict"), doc)
        result = doc["result"]
        self.assertEqual(len(result["predictions"]), 3)
        # The empty text is answered in place with its own error; the others
        # match the synchronous answer.
        self.assertIn("error", result["predictions"][1])
        for i in (0, 2):
            got, want = result["predictions"][i], sync["predictions"][i]
            self.assertEqual(got["label"], want["label"])
            # Batched with other rows, float sums may differ in the last bit.
            self.assertAlmostEqual(got["score"], want["score"], places=6)
