"""Poll control mode: new versions and config changes swap in under load.

The server follows a temp copy of `simple` (--model-control-mode poll
--repository-poll-secs 1) while client threads send requests without pause.
The test swaps versions 20 times, by copying a new version folder into place
(staged under a hidden name, then renamed, as the README advises) or by
changing config.pbtxt, and checks that no request failed, that every answer
came from a version the test had made good, and that the final version serves.
A version with a garbage model file leaves the old one serving and shows as
UNAVAILABLE in /v2/repository/index and /health.
"""

import os
import shutil
import threading
import time
import unittest

from .inferd_server import (InferdServer, copy_repository, model_repository, outputs_by_name,
                            simple_request)

SWAPS = 20
CLIENTS = 4
# Each wait for a swap to show: far above a 1 s poll plus a TorchScript load.
SWAP_WAIT_S = 60.0
GARBAGE = bytes((i * 131 + 7) % 256 for i in range(4096))


class HotReloadTest(unittest.TestCase):

    def setUp(self):
        self.repo = copy_repository(model_repository(), ["simple"])
        self.addCleanup(shutil.rmtree, self.repo, True)
        self.model_dir = os.path.join(self.repo, "simple")
        self.server = InferdServer(self.repo, ["--model-control-mode", "poll",
                                               "--repository-poll-secs", "1"])
        self.addCleanup(self.server.kill)
        self.server.start()

    def served_version(self, client):
        body, _, _ = simple_request()
        status, resp = client.json("POST", "/v2/models/simple/infer", body)
        return resp.get("model_version") if status == 200 else None

    def index_states(self, client):
        status, index = client.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200, index)
        return {(m.get("version", ""), m["state"]): m.get("reason", "")
                for m in index if m["name"] == "simple"}

    def add_version(self, version, model_bytes=None):
        """Stages version folder `version` under a hidden name, then renames it into place."""
        staged = os.path.join(self.model_dir, ".incoming-%d" % version)
        shutil.copytree(os.path.join(self.model_dir, "1"), staged)
        if model_bytes is not None:
            with open(os.path.join(staged, "model.pt"), "wb") as f:
                f.write(model_bytes)
        os.rename(staged, os.path.join(self.model_dir, str(version)))

    def set_config(self, extra):
        """Rewrites config.pbtxt (a new file renamed over the old) with `extra` appended."""
        path = os.path.join(self.model_dir, "config.pbtxt")
        with open(path) as f:
            base = f.read().split("# reload:")[0]
        with open(path + ".new", "w") as f:
            f.write(base + "# reload:\n" + extra)
        os.replace(path + ".new", path)

    def wait_until(self, what, check):
        deadline = time.monotonic() + SWAP_WAIT_S
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        self.fail("waited %.0f s for %s\n--- log ---\n%s" % (SWAP_WAIT_S, what,
                                                              self.server.log_tail()))

    def test_swaps_under_load_fail_no_request(self):
        good = {"1"}          # versions the test made with a working model
        failures = []
        answers = {}          # version -> answers
        stop = threading.Event()
        lock = threading.Lock()

        def load(worker):
            client = self.server.new_client()
            values0 = [worker * 100 + i for i in range(16)]
            values1 = [i - 3 for i in range(16)]
            body, want0, want1 = simple_request(values0, values1)
            while not stop.is_set():
                try:
                    status, resp = client.json("POST", "/v2/models/simple/infer", body)
                except OSError as e:
                    status, resp = None, repr(e)
                with lock:
                    if status != 200:
                        failures.append((status, resp))
                        continue
                    outs = outputs_by_name(resp)
                    if outs["OUTPUT0"]["data"] != want0 or outs["OUTPUT1"]["data"] != want1:
                        failures.append(("wrong values", resp))
                    version = resp.get("model_version")
                    answers[version] = answers.get(version, 0) + 1
            client.close()

        threads = [threading.Thread(target=load, args=(w,)) for w in range(CLIENTS)]
        for t in threads:
            t.start()
        probe = self.server.new_client()
        try:
            version = 1
            for swap in range(SWAPS):
                if swap % 2 == 0:
                    # A new version folder: the default policy serves the latest.
                    version += 1
                    self.add_version(version)
                    good.add(str(version))
                    self.wait_until("version %d to serve" % version,
                                    lambda: self.served_version(probe) == str(version))
                else:
                    # A config change: the same version loads again.
                    self.set_config("dynamic_batching { max_queue_delay_microseconds: %d }\n"
                                    % (100 * swap))
                    self.wait_until("the config change of swap %d to load" % swap,
                                    lambda: self.config_delay(probe) == 100 * swap)
            # A broken version: the last good one keeps serving, the broken one is reported.
            broken = version + 1
            self.add_version(broken, GARBAGE)
            self.wait_until("version %d to be reported UNAVAILABLE" % broken,
                            lambda: (str(broken), "UNAVAILABLE") in self.index_states(probe))
            states = self.index_states(probe)
            self.assertIn((str(version), "READY"), states)
            self.assertTrue(states[(str(broken), "UNAVAILABLE")], "no reason given")
            self.assertIn("version %d" % broken, states[(str(version), "READY")])
            status, health = probe.json("GET", "/health")
            self.assertEqual(status, 200)
            simple = [m for m in health["models"] if m["name"] == "simple"][0]
            by_version = {v["version"]: v for v in simple["versions"]}
            self.assertEqual(by_version[str(broken)]["state"], "UNAVAILABLE")
            self.assertTrue(by_version[str(broken)]["reason"])
            self.assertEqual(by_version[str(version)]["state"], "READY")
            self.assertEqual(health["status"], "degraded")
            status, _, _ = probe.request("GET", "/v2/health/ready")
            self.assertEqual(status, 200, "the model still serves: the server stays ready")
            # Load keeps running a little on the kept version.
            time.sleep(1.0)
            self.assertEqual(self.served_version(probe), str(version))
        finally:
            stop.set()
            for t in threads:
                t.join()
            probe.close()
        self.assertEqual(failures[:5], [], "%d failed requests" % len(failures))
        self.assertTrue(answers, "no requests were answered")
        self.assertLessEqual(set(answers), good, "answers from versions never made good")
        self.assertGreater(len(answers), SWAPS // 4, "the load saw few of the versions: %r"
                           % answers)
        self.server.stop()

    def config_delay(self, client):
        status, config = client.json("GET", "/v2/models/simple/config")
        if status != 200:
            return None
        return int((config.get("dynamic_batching") or {}).get("max_queue_delay_microseconds", -1))

    def test_removed_model_is_unloaded(self):
        client = self.server.new_client()
        self.assertEqual(self.served_version(client), "1")
        shutil.rmtree(self.model_dir)
        self.wait_until("simple to be unloaded",
                        lambda: client.request("POST", "/v2/models/simple/infer",
                                               simple_request()[0])[0] == 404)
        status, index = client.json("POST", "/v2/repository/index", {})
        self.assertEqual([m for m in index if m["name"] == "simple"], [])
        status, _, body = client.request("POST", "/v2/repository/models/simple/load")
        self.assertEqual(status, 409, body)
        self.assertIn(b"poll", body)
        client.close()
        self.server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
