"""Jobs are never lost (issue 5): submit a few hundred jobs, SIGKILL the
server while they run, restart it on the same --data-dir, and check that
every accepted job finishes with exactly its right result."""

import os
import shutil
import signal
import tempfile
import time
import unittest

from tests.e2e.inferd_server import InferdServer, simple_request, test_repository
from tests.e2e.jobs_client import submit_infer

JOBS = 300


class CrashTest(unittest.TestCase):
    def test_kill_9_mid_run_loses_nothing(self):
        data_dir = tempfile.mkdtemp(prefix="inferd-e2e-jobs-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        # One worker keeps most jobs queued or running when the kill lands.
        args = ("--job-workers", "1")
        first = InferdServer(test_repository(), args, data_dir=data_dir)
        self.addCleanup(first.kill)
        first.start()
        # A long job on the one worker keeps the others queued, so the kill
        # lands with one job running and the rest queued.
        blocker = {"inputs": [{"name": "LOOPS", "datatype": "INT64", "shape": [1, 1],
                               "data": [20000]},
                              {"name": "TAG", "datatype": "INT64", "shape": [1, 1], "data": [99]}],
                   "outputs": [{"name": "TAG_OUT"}]}
        status, _, accepted = submit_infer(first.client, "slow", blocker)
        self.assertEqual(status, 202, accepted)
        blocker_id = accepted["id"]
        expected = {}
        for i in range(JOBS):
            body, want0, want1 = simple_request([i] * 16, list(range(16)))
            status, _, accepted = submit_infer(first.client, "simple", body)
            self.assertEqual(status, 202, accepted)
            expected[accepted["id"]] = (want0, want1)
        status, page = first.client.json("GET", "/v1/jobs?status=succeeded&limit=1000")
        self.assertLess(len(page["jobs"]), JOBS, "every job finished before the kill")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
        first.client.close()

        second = InferdServer(test_repository(), ("--job-workers", "4"), data_dir=data_dir)
        self.addCleanup(second.kill)
        second.start()
        deadline = time.monotonic() + 120
        remaining = set(expected)
        while remaining and time.monotonic() < deadline:
            for job_id in list(remaining):
                status, doc = second.client.json("GET", "/v1/jobs/" + job_id)
                self.assertEqual(status, 200, "job %s lost: %r" % (job_id, doc))
                if doc["status"] in ("queued", "running"):
                    continue
                self.assertEqual(doc["status"], "succeeded", doc)
                outs = {o["name"]: o["data"] for o in doc["result"]["outputs"]}
                self.assertEqual((outs["OUTPUT0"], outs["OUTPUT1"]), expected[job_id])
                remaining.discard(job_id)
            time.sleep(0.1)
        self.assertFalse(remaining, "%d jobs never finished" % len(remaining))
        while time.monotonic() < deadline:
            status, doc = second.client.json("GET", "/v1/jobs/" + blocker_id)
            if doc["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        self.assertEqual(doc["status"], "succeeded", doc)
        self.assertEqual(doc["result"]["outputs"][0]["data"], [99])
        status, page = second.client.json("GET", "/v1/jobs?limit=1000")
        self.assertEqual(len(page["jobs"]), JOBS + 1, "no job twice, none extra")
        second.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
