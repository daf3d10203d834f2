#!/usr/bin/python3
"""Submit-and-poll load on a jobs API: inferd's /v1/jobs or its Celery peer.

C clients (asyncio tasks over keep-alive HTTP/1.1 connections, split over P
client processes) share N jobs, each `POST /v1/jobs` with
{"model","route":"infer","input": <v2 body>} and then `GET /v1/jobs/{id}`
every --poll-interval until the status is final. Two phases, one after the
other on the same server:

  submit  each client submits its share back to back, no polling: durable
          submissions/s = N / (last 202 - first send), and submit latency.
          Then every job is polled until final ("drain"): drain jobs/s =
          N / (last result seen - first send).
  e2e     each client submits one job, polls it until final, then the next:
          end-to-end jobs/s = N / wall, submit latency and completion
          latency (send of the POST -> the GET that shows the result).

A job counts only when it ended `succeeded` with OUTPUT0 = INPUT0 + INPUT1;
anything else is counted in `errors` and the run exits 1.

    bench/jobs/submit_poll.py --url http://127.0.0.1:8000 --jobs 20000 --clients 64 --json
"""

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from urllib.parse import urlsplit

FINAL = ("succeeded", "failed", "cancelled")


class Conn:
    """One keep-alive HTTP/1.1 connection; responses need Content-Length."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=b""):
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = ("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n" % (method, path, self.host, len(body)))
            self.writer.write(head.encode() + body)
            try:
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                length, close = None, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                if length is None:
                    raise ConnectionError("no Content-Length in %r" % status_line)
                data = await self.reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt == 1:
                    raise
                continue
            if close:
                self.writer.close()
                self.writer = None
            return int(status_line.split()[1]), data
        raise AssertionError("unreachable")


def expected_output0(body):
    by_name = {i["name"]: i["data"] for i in body["inputs"]}
    flat = lambda d: [v for row in d for v in row] if d and isinstance(d[0], list) else d
    return [a + b for a, b in zip(flat(by_name["INPUT0"]), flat(by_name["INPUT1"]))]


class Worker:
    def __init__(self, args, index):
        u = urlsplit(args.url)
        self.host, self.port = u.hostname, u.port or 80
        self.args = args
        with open(args.input_file, "rb") as f:
            self.body = json.loads(f.read())
        self.want = expected_output0(self.body)
        self.payload = json.dumps({"model": args.model, "route": "infer",
                                   "input": self.body}).encode()
        self.submit_lat, self.done_lat = [], []
        self.errors = []
        self.first_send = self.last_submit = self.last_done = None

    def stamp_send(self):
        t = time.perf_counter()
        if self.first_send is None or t < self.first_send:
            self.first_send = t
        return t

    def check(self, doc):
        if doc.get("status") != "succeeded":
            self.errors.append("job %s: %s" % (doc.get("id"), str(doc)[:200]))
            return False
        outputs = {o["name"]: o["data"] for o in doc["result"]["outputs"]}
        got = outputs["OUTPUT0"]
        if got and isinstance(got[0], list):
            got = [v for row in got for v in row]
        if got != self.want:
            self.errors.append("job %s: OUTPUT0 %r" % (doc.get("id"), got))
            return False
        return True

    async def submit(self, conn):
        t0 = self.stamp_send()
        status, data = await conn.request("POST", "/v1/jobs", self.payload)
        t1 = time.perf_counter()
        if status != 202:
            self.errors.append("submit: %d %r" % (status, data[:200]))
            return None, t0
        self.submit_lat.append(t1 - t0)
        self.last_submit = max(self.last_submit or t1, t1)
        return json.loads(data)["id"], t0

    async def poll(self, conn, job_id, t0):
        deadline = time.monotonic() + self.args.timeout
        while True:
            status, data = await conn.request("GET", "/v1/jobs/" + job_id)
            t = time.perf_counter()
            doc = json.loads(data) if data else {}
            if status != 200:
                self.errors.append("poll %s: %d %r" % (job_id, status, data[:200]))
                return
            if doc.get("status") in FINAL:
                if self.check(doc):
                    self.done_lat.append(t - t0)
                    self.last_done = max(self.last_done or t, t)
                return
            if time.monotonic() > deadline:
                self.errors.append("job %s not final after %.0f s" % (job_id, self.args.timeout))
                return
            await asyncio.sleep(self.args.poll_interval)

    async def client(self, phase, count):
        conn = Conn(self.host, self.port)
        if phase == "submit":
            submitted = []
            for _ in range(count):
                job_id, t0 = await self.submit(conn)
                if job_id:
                    submitted.append((job_id, t0))
            return submitted
        for _ in range(count):
            job_id, t0 = await self.submit(conn)
            if job_id:
                await self.poll(conn, job_id, t0)
        return []

    async def drain(self, submitted):
        conns = [Conn(self.host, self.port) for _ in range(self.args.clients_here)]

        async def run(conn, share):
            for job_id, t0 in share:
                await self.poll(conn, job_id, t0)
        n = len(conns)
        await asyncio.gather(*(run(c, submitted[i::n]) for i, c in enumerate(conns)))

    async def run(self, phase, shares):
        results = await asyncio.gather(*(self.client(phase, k) for k in shares))
        if phase == "submit":
            self.submit_end = time.perf_counter()
            await self.drain([s for r in results for s in r])


def process_main(args, phase, shares, barrier, queue):
    w = Worker(args, 0)
    args.clients_here = len(shares)
    barrier.wait()
    asyncio.run(w.run(phase, shares))
    queue.put({"submit_lat": w.submit_lat, "done_lat": w.done_lat, "errors": w.errors[:20],
               "error_count": len(w.errors), "first_send": w.first_send,
               "last_submit": w.last_submit, "last_done": w.last_done})


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_phase(args, phase):
    per_client = [args.jobs // args.clients + (1 if i < args.jobs % args.clients else 0)
                  for i in range(args.clients)]
    splits = [per_client[p::args.procs] for p in range(args.procs)]
    barrier = multiprocessing.Barrier(args.procs)
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=process_main, args=(args, phase, s, barrier, queue))
             for s in splits]
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    submit_lat = [v for r in parts for v in r["submit_lat"]]
    done_lat = [v for r in parts for v in r["done_lat"]]
    first = min(r["first_send"] for r in parts if r["first_send"] is not None)
    last_submit = max((r["last_submit"] for r in parts if r["last_submit"]), default=first)
    last_done = max((r["last_done"] for r in parts if r["last_done"]), default=first)
    ms = lambda v: None if v is None else round(v * 1e3, 3)
    out = {"phase": phase, "jobs": args.jobs, "clients": args.clients, "procs": args.procs,
           "submitted": len(submit_lat), "succeeded": len(done_lat),
           "errors": sum(r["error_count"] for r in parts),
           "error_samples": [e for r in parts for e in r["errors"]][:5],
           "submit_p50_ms": ms(percentile(submit_lat, 0.50)),
           "submit_p99_ms": ms(percentile(submit_lat, 0.99)),
           "completion_p50_ms": ms(percentile(done_lat, 0.50)),
           "completion_p99_ms": ms(percentile(done_lat, 0.99))}
    if phase == "submit":
        out["submit_wall_s"] = round(last_submit - first, 3)
        out["submissions_per_s"] = round(len(submit_lat) / (last_submit - first), 1)
        out["drain_wall_s"] = round(last_done - first, 3)
        out["drain_jobs_per_s"] = round(len(done_lat) / (last_done - first), 1)
    else:
        out["wall_s"] = round(last_done - first, 3)
        out["e2e_jobs_per_s"] = round(len(done_lat) / (last_done - first), 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--model", default="simple")
    parser.add_argument("--input-file", default="bench/requests/simple.json")
    parser.add_argument("--jobs", type=int, default=10000, help="N jobs per phase")
    parser.add_argument("--clients", type=int, default=64, help="C concurrent clients")
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument("--poll-interval", type=float, default=0.005, help="seconds")
    parser.add_argument("--timeout", type=float, default=300.0, help="per job, seconds")
    parser.add_argument("--phases", default="submit,e2e")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", action="store_true", help="one JSON line per phase")
    args = parser.parse_args()
    if args.clients < args.procs or args.jobs < 1:
        parser.error("--clients must be >= --procs and --jobs >= 1")
    failed = False
    for phase in args.phases.split(","):
        out = run_phase(args, phase)
        out["label"] = args.label
        failed |= out["errors"] > 0
        print(json.dumps(out) if args.json else json.dumps(out, indent=1), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
