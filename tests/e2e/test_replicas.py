"""Several replicas on one Redis lose nothing: a real redis-server (append-only
file on), three inferd replicas sharing it and one model repository, haproxy in
front, all on loopback. Thousands of async jobs go in through the balancer;
one replica is SIGKILLed while it runs jobs (test 1), or Redis itself is
restarted (test 2). Every job must end succeeded with its exact result,
readable from every live replica, none lost, none twice; the jobs that were
running on the killed replica ran again elsewhere (counted).

INFERD_REPLICA_JOBS sets the job count (default 3,000 for the kill test, a
third of it for the Redis restart)."""

import datetime
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from tests.e2e.inferd_server import InferdServer, free_port, simple_request, test_repository

JOBS = int(os.environ.get("INFERD_REPLICA_JOBS", "3000"))
LEASE_MS = 2000
REDIS = "/usr/bin/redis-server"
HAPROXY = "/usr/sbin/haproxy"


def wait_port(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.connect()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nothing listens on port %d" % port)


class Redis:
    """redis-server with appendonly on (appendfsync always) in a temp dir."""

    def __init__(self, workdir):
        self.port = free_port()
        self.dir = workdir
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                           capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SHUTDOWN: the AOF is fsynced already (always)
            self.proc.wait(timeout=30)

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port


class Balancer:
    """haproxy round-robin over the replicas, dropping dead ones by health check."""

    def __init__(self, workdir, ports):
        self.port = free_port()
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        servers = "\n".join(
            "    server r%d 127.0.0.1:%d check inter 200ms fall 2 rise 2" % (i, p)
            for i, p in enumerate(ports))
        with open(self.cfg, "w") as f:
            f.write("""global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend jobs
    bind 127.0.0.1:%d
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /v2/health/live
%s
""" % (self.port, servers))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([HAPROXY, "-f", self.cfg, "-db"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def call(port, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection; (status, parsed JSON or None).
    Connection errors come back as status 0."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        conn.request(method, path, data, h)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, None
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


@unittest.skipUnless(os.path.exists(REDIS) and os.path.exists(HAPROXY),
                     "needs redis-server and haproxy (scripts/install-deps.sh)")
class ReplicasTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="inferd-e2e-replicas-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.redis = Redis(self.workdir)
        self.redis.start()
        self.addCleanup(self.redis.stop)
        self.replicas = []
        for i in range(3):
            r = InferdServer(test_repository(),
                             ("--redis", self.redis.url, "--replica-name", "r%d" % i,
                              "--job-lease-ms", str(LEASE_MS), "--job-workers", "4",
                              "--job-retry-backoff-ms", "100"))
            self.addCleanup(r.kill)
            r.start()
            self.replicas.append(r)
        self.balancer = Balancer(self.workdir, [r.port for r in self.replicas])
        self.balancer.start()
        self.addCleanup(self.balancer.stop)
        self.expected = {}  # job id -> (OUTPUT0, OUTPUT1)
        self.slow = {}  # job id -> TAG (long jobs of the `slow` model)
        self.lock = threading.Lock()

    def submit_all(self, count, threads=6, on_progress=None):
        """Submits `count` jobs through the balancer, each with its own
        Idempotency-Key, retrying 5xx and lost connections until accepted."""
        def work(start):
            for i in range(start, count, threads):
                body, want0, want1 = simple_request([i] * 16, list(range(16)))
                key = "job-%d" % i
                for _ in range(2000):
                    status, doc = call(self.balancer.port, "POST", "/v2/models/simple/infer", body,
                                       {"Prefer": "respond-async", "Idempotency-Key": key})
                    if status in (200, 202):
                        break
                    self.assertIn(status, (0, 502, 503, 504), doc)
                    time.sleep(0.05)
                else:
                    self.fail("job %d never accepted" % i)
                with self.lock:
                    self.expected[doc["id"]] = (want0, want1)
                    n = len(self.expected)
                if on_progress:
                    on_progress(n)
        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.assertEqual(len(self.expected), count, "two jobs share an id, or one is missing")

    def list_all(self, port, status=None):
        jobs, cursor = [], ""
        while True:
            path = "/v1/jobs?limit=1000&include=result"
            if status:
                path += "&status=" + status
            if cursor:
                path += "&cursor=" + cursor
            code, page = call(port, "GET", path)
            self.assertEqual(code, 200, page)
            jobs.extend(page["jobs"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return jobs

    def wait_all_succeeded(self, live, timeout=75):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, page = call(live[0].port, "GET", "/v1/jobs?status=succeeded&limit=1")
            counts = self.queue_counts(live[0])
            if counts.get("succeeded", 0) >= len(self.expected) + len(self.slow) and counts.get("queued", 0) == 0 \
                    and counts.get("running", 0) == 0:
                return
            time.sleep(0.2)
        self.fail("not every job finished: %r" % self.queue_counts(live[0]))

    def queue_counts(self, replica):
        code, text = None, ""
        conn = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        counts = {}
        for line in text.splitlines():
            if line.startswith("inferd_jobs{"):
                status = line.split('status="')[1].split('"')[0]
                counts[status] = counts.get(status, 0) + int(float(line.rsplit(" ", 1)[1]))
        return counts

    def check_every_result(self, live):
        """Every job, read from every live replica: succeeded, exact result."""
        for replica in live:
            jobs = self.list_all(replica.port)
            by_id = {j["id"]: j for j in jobs}
            self.assertEqual(set(by_id), set(self.expected) | set(self.slow),
                             "lost or extra jobs on %s" % replica.port)
            for job_id, tag in self.slow.items():
                doc = by_id[job_id]
                self.assertEqual(doc["status"], "succeeded", doc)
                self.assertEqual(doc["result"]["outputs"][0]["data"], [tag], doc)
            for job_id, (want0, want1) in self.expected.items():
                doc = by_id[job_id]
                self.assertEqual(doc["status"], "succeeded", doc)
                outs = {o["name"]: o["data"] for o in doc["result"]["outputs"]}
                self.assertEqual((outs["OUTPUT0"], outs["OUTPUT1"]), (want0, want1), doc)
        return by_id

    def submit_slow(self, count, loops):
        for tag in range(count):
            body = {"inputs": [{"name": "LOOPS", "datatype": "INT64", "shape": [1, 1],
                                "data": [loops]},
                               {"name": "TAG", "datatype": "INT64", "shape": [1, 1], "data": [tag]}],
                    "outputs": [{"name": "TAG_OUT"}]}
            status, doc = call(self.balancer.port, "POST", "/v2/models/slow/infer", body,
                               {"Prefer": "respond-async"})
            self.assertEqual(status, 202, doc)
            self.slow[doc["id"]] = tag

    def test_sigkill_of_a_replica_loses_no_job(self):
        victim = self.replicas[2]
        # Long jobs, so the kill surely lands while the victim runs some.
        self.submit_slow(12, 3000)
        killed = threading.Event()
        kill_at = {}

        def maybe_kill(n):
            # Once a third is in, kill the victim as soon as it runs jobs.
            if killed.is_set() or n < min(JOBS // 3, 100):
                return
            with self.lock:
                if killed.is_set():
                    return
                code, page = call(victim.port, "GET", "/v1/jobs?status=running&limit=1000", timeout=5)
                running = [j["id"] for j in (page or {}).get("jobs", [])
                           if j.get("worker", "").startswith("r2-")]
                if not running:
                    return
                victim.proc.send_signal(signal.SIGKILL)
                victim.proc.wait()
                kill_at["time"] = time.monotonic()
                kill_at["wall"] = time.time()
                kill_at["running"] = running
                killed.set()

        self.submit_all(JOBS, on_progress=maybe_kill)
        self.assertTrue(killed.is_set(), "the victim never ran a job")
        live = self.replicas[:2]
        self.wait_all_succeeded(live)
        took_over = time.monotonic() - kill_at["time"]
        by_id = self.check_every_result(live)
        # The jobs running on the victim at the kill ran again elsewhere.
        rerun = [j for j in by_id.values()
                 if any(a.get("interrupted") for a in j["attempts"])]
        self.assertGreaterEqual(len(rerun), 1)
        for job_id in kill_at["running"]:
            doc = by_id[job_id]
            self.assertTrue(doc["attempts"][0].get("interrupted"), doc)
            self.assertFalse(doc["worker"].startswith("r2-"), doc)
        # From the kill to the first of its jobs starting again elsewhere
        # (bounded below by the lease; a measurement, not an assertion).
        restarted = min(datetime.datetime.strptime(j["attempts"][1]["started_at"],
                                                   "%Y-%m-%dT%H:%M:%S.%fZ")
                        .replace(tzinfo=datetime.timezone.utc).timestamp() for j in rerun)
        print("\n%d jobs through 3 replicas; %d were running on the killed replica and ran "
              "again elsewhere, the first %.2f s after the kill (lease %d ms); all done %.1f s "
              "after the kill" % (JOBS, len(rerun), restarted - kill_at["wall"], LEASE_MS,
                                  took_over))

    def test_redis_restart_loses_no_job(self):
        count = max(30, JOBS // 3)
        restarted = threading.Event()

        def maybe_restart(n):
            if restarted.is_set() or n < count // 2:
                return
            with self.lock:
                if restarted.is_set():
                    return
                restarted.set()
            self.redis.stop()
            time.sleep(0.5)  # replicas see it gone: 503s, reconnect attempts
            code, _ = call(self.replicas[0].port, "POST", "/v2/models/simple/infer",
                           simple_request()[0], {"Prefer": "respond-async"})
            self.assertEqual(code, 503)
            code, health = call(self.replicas[0].port, "GET", "/health")
            self.assertEqual(health["redis"]["status"], "down", health)
            # Synchronous inference does not need Redis.
            code, doc = call(self.replicas[0].port, "POST", "/v2/models/simple/infer",
                             simple_request()[0])
            self.assertEqual(code, 200, doc)
            self.redis.start()

        self.submit_all(count, on_progress=maybe_restart)
        self.assertTrue(restarted.is_set())
        self.wait_all_succeeded(self.replicas)
        self.check_every_result(self.replicas)
        code, health = call(self.replicas[1].port, "GET", "/health")
        self.assertEqual(health["redis"]["status"], "up", health)


if __name__ == "__main__":
    unittest.main(verbosity=2)
