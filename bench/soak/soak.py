#!/usr/bin/python3
"""Soak test: many requests per route against one running inferd, RSS sampled.

Starts nothing: point it at a server started on the example repository
(`make serve`, or build/inferd serve --model-repository build/examples/model_repository)
and give it the server's PID so it can read its resident memory from /proc.
For each route in turn it sends --requests requests from --clients keep-alive
connections (standard library only), every --bad-every-th one a bad input
that must be answered 4xx, and samples the server's RSS every --sample
requests. A route passes when RSS after warm-up (the first sample) stays
within --tolerance (5%) of that first sample at every later sample; the
process must still answer /v2/health/live at the end.

    bench/soak/soak.py --url http://127.0.0.1:8000 --pid $(pgrep -n inferd) \
        --examples build/examples --requests 50000

Routes: v2 infer (simple), :predict text (sentiment), :predict image (shapes,
a 128x96 PNG as a raw body), /v1/embeddings (embedder), async jobs
(POST /v1/jobs on simple, polled to completion). Prints one JSON object per
route and exits 1 if any route grew past the tolerance, a good request
failed, a bad one was not a 4xx, or the server died.
"""

import argparse
import base64
import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS for pid %d" % pid)


class Conn:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.c = None

    def request(self, method, path, body=b"", headers=None):
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt:
                    raise


JSON = {"Content-Type": "application/json"}


def simple_body(i):
    a = [(i + k) % 100 for k in range(16)]
    b = [k for k in range(16)]
    return json.dumps({"inputs": [
        {"name": "INPUT0", "datatype": "INT32", "shape": [1, 16], "data": a},
        {"name": "INPUT1", "datatype": "INT32", "shape": [1, 16], "data": b}]}).encode()


def route_v2(conn, i, bad):
    if bad:
        # A lying shape (the crash of old) and an unknown input, in turn.
        body = (b'{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1000000,1000000],'
                b'"data":[[1]]}]}' if i % 2 else b'{"inputs":[{"name":"NOPE","datatype":"INT32",'
                b'"shape":[1],"data":[1]}]}')
        return conn.request("POST", "/v2/models/simple/infer", body, JSON)
    status, data = conn.request("POST", "/v2/models/simple/infer", simple_body(i), JSON)
    if status == 200:
        out = json.loads(data)["outputs"][0]["data"]
        if out != [(i + k) % 100 + k for k in range(16)]:
            return 599, b"wrong sum"
    return status, data


SENTENCES = ["What a wonderful, delightful evening!", "It was a dreadful, miserable affair.",
             "I fear the worst.", "She smiled at the happy news of the day."]


def route_predict_text(conn, i, bad):
    if bad:
        body = b'{"instances": "not a list"}' if i % 2 else b'{not json'
    else:
        body = json.dumps({"instances": [SENTENCES[i % 4], SENTENCES[(i + 1) % 4]]}).encode()
    status, data = conn.request("POST", "/v1/models/sentiment:predict", body, JSON)
    if status == 200 and not bad:
        if json.loads(data)["success_count"] != 2:
            return 599, data
    return status, data


def route_predict_image(png):
    def run(conn, i, bad):
        if bad:
            body, ctype = png[: len(png) // 3], "image/png"
            if i % 2:
                body, ctype = b'{"instances": [{"b64": "%%%"}]}', "application/json"
            status, data = conn.request("POST", "/v1/models/shapes:predict", body,
                                        {"Content-Type": ctype})
            return status, data
        status, data = conn.request("POST", "/v1/models/shapes:predict", png,
                                    {"Content-Type": "image/png"})
        if status == 200 and json.loads(data)["success_count"] != 1:
            return 599, data
        return status, data
    return run


def route_embeddings(conn, i, bad):
    if bad:
        body = b'{"model": "embedder", "input": []}' if i % 2 else b'{"model": "nope", "input": "a"}'
    else:
        body = json.dumps({"model": "embedder",
                           "input": [SENTENCES[i % 4], "the weather is cold today"]}).encode()
    status, data = conn.request("POST", "/v1/embeddings", body, JSON)
    if status == 200 and not bad and len(json.loads(data)["data"]) != 2:
        return 599, data
    return status, data


def route_jobs(conn, i, bad):
    if bad:
        body = b'{"model": "simple", "route": "infer", "input": {"inputs": 7}}' if i % 2 \
            else b'{"model": "simple"'
        status, data = conn.request("POST", "/v1/jobs", body, JSON)
        if status == 202:
            # Accepted bodies that only fail later are still a 4xx for the soak: the
            # job must end failed.
            job = json.loads(data)["id"]
            for _ in range(2000):
                s, d = conn.request("GET", "/v1/jobs/" + job)
                if json.loads(d)["status"] in ("failed", "succeeded", "cancelled"):
                    break
                time.sleep(0.002)
            return (422 if json.loads(d)["status"] == "failed" else 599), d
        return status, data
    req = {"model": "simple", "route": "infer", "input": json.loads(simple_body(i))}
    status, data = conn.request("POST", "/v1/jobs", json.dumps(req).encode(), JSON)
    if status != 202:
        return status, data
    job = json.loads(data)["id"]
    while True:
        s, d = conn.request("GET", "/v1/jobs/" + job)
        doc = json.loads(d)
        if doc["status"] == "succeeded":
            return 200, d
        if doc["status"] in ("failed", "cancelled"):
            return 599, d
        time.sleep(0.001)


def soak(name, fn, args, pid):
    u = urlsplit(args.url)
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "good_fail": 0, "bad_not_4xx": 0, "first_error": None}
    samples = []
    next_sample = [args.sample]

    def worker():
        conn = Conn(u.hostname, u.port)
        while True:
            with lock:
                i = state["next"]
                if i >= args.requests:
                    return
                state["next"] += 1
            bad = args.bad_every > 0 and i % args.bad_every == args.bad_every - 1
            try:
                status, data = fn(conn, i, bad)
            except Exception as e:  # the server went away
                status, data = 598, str(e).encode()
            with lock:
                state["done"] += 1
                if bad and not 400 <= status < 500:
                    state["bad_not_4xx"] += 1
                    state["first_error"] = state["first_error"] or (status, data[:200].decode("utf-8", "replace"))
                if not bad and status != 200:
                    state["good_fail"] += 1
                    state["first_error"] = state["first_error"] or (status, data[:200].decode("utf-8", "replace"))
                if state["done"] >= next_sample[0]:
                    samples.append((state["done"], round(rss_mb(pid), 1)))
                    next_sample[0] += args.sample

    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - start
    base = samples[0][1] if samples else rss_mb(pid)
    worst = max((s[1] for s in samples), default=base)
    growth = (worst - base) / base * 100.0
    ok = growth <= args.tolerance and state["good_fail"] == 0 and state["bad_not_4xx"] == 0
    return {"route": name, "requests": args.requests, "seconds": round(wall, 1),
            "req_per_s": round(args.requests / wall), "rss_mb_samples": samples,
            "rss_after_warmup_mb": base, "rss_max_mb": worst,
            "growth_pct": round(growth, 2), "good_failed": state["good_fail"],
            "bad_not_4xx": state["bad_not_4xx"], "first_error": state["first_error"],
            "pass": ok}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--pid", type=int, required=True, help="the server's process id")
    p.add_argument("--examples", default="build/examples")
    p.add_argument("--requests", type=int, default=50000, help="per route")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--sample", type=int, default=5000)
    p.add_argument("--bad-every", type=int, default=10, help="every Nth request is a bad input")
    p.add_argument("--tolerance", type=float, default=5.0, help="percent")
    p.add_argument("--routes", default="v2_infer,predict_text,predict_image,embeddings,jobs")
    args = p.parse_args()

    with open(os.path.join(args.examples, "goldens/images/shapes_128x96.png"), "rb") as f:
        png = f.read()
    routes = {"v2_infer": route_v2, "predict_text": route_predict_text,
              "predict_image": route_predict_image(png), "embeddings": route_embeddings,
              "jobs": route_jobs}
    results = []
    for name in args.routes.split(","):
        r = soak(name, routes[name], args, args.pid)
        print(json.dumps(r), flush=True)
        results.append(r)
    u = urlsplit(args.url)
    alive = Conn(u.hostname, u.port).request("GET", "/v2/health/live")[0] == 200
    print(json.dumps({"server_alive": alive, "rss_end_mb": round(rss_mb(args.pid), 1),
                      "all_pass": alive and all(r["pass"] for r in results)}))
    sys.exit(0 if alive and all(r["pass"] for r in results) else 1)


if __name__ == "__main__":
    main()
