"""Helpers for the async-job end-to-end tests: submit, wait, read SSE."""

import http.client
import json
import time


def submit_infer(client, model, body, headers=None, version=None):
    """POST .../infer with Prefer: respond-async; returns (status, headers, parsed body)."""
    h = {"Prefer": "respond-async"}
    h.update(headers or {})
    path = "/v2/models/%s%s/infer" % (model, "" if version is None else "/versions/%s" % version)
    status, resp_headers, data = client.request("POST", path, body, h)
    return status, resp_headers, json.loads(data) if data else None


def wait_final(client, job_id, timeout=60.0):
    """Polls GET /v1/jobs/{id} until a final status; returns the document."""
    deadline = time.monotonic() + timeout
    while True:
        status, doc = client.json("GET", "/v1/jobs/" + job_id)
        if status != 200:
            raise AssertionError("GET /v1/jobs/%s: %s %r" % (job_id, status, doc))
        if doc["status"] in ("succeeded", "failed", "cancelled"):
            return doc
        if time.monotonic() > deadline:
            raise AssertionError("job %s not final after %.0f s: %r" % (job_id, timeout, doc))
        time.sleep(0.02)


def read_events(port, job_id, timeout=60.0):
    """Reads GET /v1/jobs/{id}/events to its end; returns (status, headers, [(event, data)])."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/v1/jobs/%s/events" % job_id)
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        text = resp.read().decode("utf-8")
    finally:
        conn.close()
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event, data = "", []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        events.append((event, json.loads("\n".join(data))))
    return resp.status, headers, events
