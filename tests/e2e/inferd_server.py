"""Starts the real `inferd` binary on a free loopback port and talks HTTP to it.

Used by every end-to-end test in this folder. Standard library only; run the
suite with /usr/bin/python3 from the repository root:

    /usr/bin/python3 -m unittest -v tests.e2e.test_infer_json

Environment:
  INFERD_BIN       the server binary (default build/inferd)
  INFERD_EXAMPLES  the output folder of examples/build_model_repository.py
                   (default build/examples)
Relative paths are taken from the repository root.
"""

import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0

# Float tolerance for comparisons with PyTorch goldens: |got - want| <= ABS + REL * |want|.
ABS_TOL = 1e-5
REL_TOL = 1e-4

INT_TYPES = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
FLOAT_TYPES = {"FP16", "FP32", "FP64", "BF16"}

# struct format characters for the binary tensor extension (little-endian).
STRUCT_FORMAT = {
    "BOOL": "?",
    "INT8": "b",
    "INT16": "h",
    "INT32": "i",
    "INT64": "q",
    "UINT8": "B",
    "UINT16": "H",
    "UINT32": "I",
    "UINT64": "Q",
    "FP16": "e",
    "FP32": "f",
    "FP64": "d",
}


def _from_root(path):
    return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


def inferd_bin():
    return _from_root(os.environ.get("INFERD_BIN", "build/inferd"))


def examples_dir():
    return _from_root(os.environ.get("INFERD_EXAMPLES", "build/examples"))


def model_repository():
    return os.path.join(examples_dir(), "model_repository")


# The committed tiny random-weight GGUF model, and a small chat template in
# the style of real ones (role markers, a generation prompt, a refusal of
# roles it does not know) that the language-model tests serve it with.
TINY_GGUF = os.path.join(REPO_ROOT, "tests", "data", "llm", "tiny-llama-f32.gguf")
TINY_CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}"
                      "{% if m.role not in ['system', 'user', 'assistant', 'tool'] %}"
                      "{{ raise_exception('unknown role') }}{% endif %}"
                      "<{{ m.role }}> {{ m.content | trim }}\n{% endfor %}"
                      "{% if add_generation_prompt %}<assistant>{% endif %}")


def add_gguf_model(repo, name, parameters, files=None, gguf=TINY_GGUF):
    """Writes repository model `name`: `gguf` as version 1, a config.pbtxt of
    backend "gguf" with `parameters` (a dict of strings), and `files` (name ->
    text) beside the config."""
    os.makedirs(os.path.join(repo, name, "1"))
    shutil.copy(gguf, os.path.join(repo, name, "1", "model.gguf"))
    for file, text in (files or {}).items():
        with open(os.path.join(repo, name, file), "w") as f:
            f.write(text)
    with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
        f.write('backend: "gguf"\n')
        for key, value in parameters.items():
            f.write('parameters { key: "%s" value { string_value: "%s" } }\n' % (key, value))


def test_repository():
    return os.path.join(examples_dir(), "test_repository")


# Models whose outputs depend on how often they ran (slow counts executions,
# and the server runs a model once while loading): their tensor goldens are
# the builder's own check, not something a server can reproduce.
STATEFUL_MODELS = {"slow"}


def golden_models(repository):
    """The models in `repository` that have tensor-level goldens to replay
    (image-task models have goldens of their own, checked by their tests)."""
    return [name for name in sorted(os.listdir(repository))
            if name not in STATEFUL_MODELS
            and os.path.exists(os.path.join(examples_dir(), "goldens", name + ".json"))]


def load_goldens(model):
    """The golden cases for `model`: a list of {"inputs": {...}, "outputs": {...}}."""
    path = os.path.join(examples_dir(), "goldens", model + ".json")
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    if not isinstance(cases, list) or not cases:
        raise AssertionError("%s: expected a non-empty list of cases" % path)
    return cases


_ports_given = set()


def free_port():
    """A loopback port free now and not handed out before by this process.

    The kernel may give the same ephemeral port to two binds in a row once the
    first socket is closed, so two calls could otherwise name one port twice
    (say, the HTTP and the gRPC port of one server)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


# ---------------------------------------------------------------------------
# Tensor helpers


def flatten(data):
    if isinstance(data, list):
        out = []
        for item in data:
            out.extend(flatten(item))
        return out
    return [data]


def element_count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def encode_binary(datatype, data):
    """Raw little-endian bytes of flat `data` as the binary tensor extension wants."""
    if datatype == "BYTES":
        out = bytearray()
        for item in data:
            raw = item.encode("utf-8") if isinstance(item, str) else bytes(item)
            out += struct.pack("<I", len(raw)) + raw
        return bytes(out)
    return struct.pack("<%d%s" % (len(data), STRUCT_FORMAT[datatype]), *data)


def decode_binary(datatype, raw):
    """Inverse of encode_binary; BYTES elements come back as str (UTF-8)."""
    if datatype == "BYTES":
        out = []
        pos = 0
        while pos < len(raw):
            if pos + 4 > len(raw):
                raise AssertionError("BYTES tensor: truncated length prefix at byte %d" % pos)
            (n,) = struct.unpack_from("<I", raw, pos)
            pos += 4
            if pos + n > len(raw):
                raise AssertionError("BYTES tensor: element of %d bytes overruns the data" % n)
            out.append(raw[pos:pos + n].decode("utf-8"))
            pos += n
        return out
    fmt = STRUCT_FORMAT[datatype]
    size = struct.calcsize("<" + fmt)
    if len(raw) % size:
        raise AssertionError("%s tensor: %d bytes is not a multiple of %d" % (datatype, len(raw), size))
    return list(struct.unpack("<%d%s" % (len(raw) // size, fmt), raw))


def values_close(datatype, got, want):
    if datatype in FLOAT_TYPES:
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        if isinstance(want, float) and math.isnan(want):
            return isinstance(got, float) and math.isnan(got)
        if isinstance(want, float) and math.isinf(want):
            return got == want
        return abs(got - want) <= ABS_TOL + REL_TOL * abs(want)
    if datatype == "BOOL":
        return isinstance(got, bool) and got == bool(want)
    if datatype in INT_TYPES:
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    return got == want


def assert_tensor_matches(tc, where, datatype, got, want):
    """Asserts flat lists `got` and `want` agree elementwise within tolerance."""
    got = flatten(got)
    want = flatten(want)
    tc.assertEqual(len(got), len(want), "%s: %d elements, want %d" % (where, len(got), len(want)))
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not values_close(datatype, g, w)]
    if bad:
        i = bad[0]
        tc.fail("%s: %d of %d elements differ; first at [%d]: got %r, want %r"
                % (where, len(bad), len(want), i, got[i], want[i]))


def parse_binary_response(tc, headers, body):
    """Splits a binary-extension infer response into (json_header, {name: flat data}).

    Outputs carrying parameters.binary_data_size are decoded from the bytes
    after the JSON header, in output order; the others keep their JSON data.
    """
    tc.assertIn("inference-header-content-length", headers,
                "binary response lacks Inference-Header-Content-Length")
    n = int(headers["inference-header-content-length"])
    tc.assertLessEqual(n, len(body), "Inference-Header-Content-Length beyond body")
    header = json.loads(body[:n].decode("utf-8"))
    pos = n
    values = {}
    for out in header.get("outputs", []):
        size = (out.get("parameters") or {}).get("binary_data_size")
        if size is None:
            values[out["name"]] = flatten(out.get("data"))
            continue
        tc.assertNotIn("data", out, "binary output %s also carries JSON data" % out["name"])
        tc.assertLessEqual(pos + size, len(body), "output %s: binary data beyond body" % out["name"])
        values[out["name"]] = decode_binary(out["datatype"], body[pos:pos + size])
        pos += size
    tc.assertEqual(pos, len(body), "bytes left over after the binary outputs")
    return header, values


def build_binary_request(header, binary_inputs):
    """Body for a binary-extension request.

    `header` is the JSON request; `binary_inputs` maps input name -> raw bytes for
    inputs that must be sent as binary (their "data" is dropped and
    parameters.binary_data_size set). Returns (body, headers).
    """
    header = json.loads(json.dumps(header))
    tail = b""
    for inp in header["inputs"]:
        raw = binary_inputs.get(inp["name"])
        if raw is None:
            continue
        inp.pop("data", None)
        inp.setdefault("parameters", {})["binary_data_size"] = len(raw)
        tail += raw
    head = json.dumps(header).encode("utf-8")
    return head + tail, {
        "Inference-Header-Content-Length": str(len(head)),
        "Content-Type": "application/octet-stream",
    }


# ---------------------------------------------------------------------------
# HTTP client


class Client:
    """One keep-alive HTTP/1.1 connection to the server. Not thread-safe: one per thread."""

    def __init__(self, port, timeout=60.0, ssl_context=None):
        """With `ssl_context` (an ssl.SSLContext), the connection is HTTPS."""
        self.port = port
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._conn = None
        self._reused = False

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, headers=None):
        """Sends one request; returns (status, headers with lower-case names, body bytes).

        A request on a kept-alive connection that the server closed in the
        meantime (idle timeout) is retried once on a fresh connection, as every
        HTTP client does; a failure on a fresh connection is raised.
        """
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, (bytes, bytearray)):
            body = list(body)  # chunks for Transfer-Encoding: chunked; a list survives a retry
        for attempt in range(2):
            if self._conn is None and self.ssl_context is not None:
                self._conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                         context=self.ssl_context)
                self._reused = False
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self._reused = False
            reused = self._reused
            try:
                self._conn.request(method, path, body=body, headers=headers,
                                   encode_chunked="transfer-encoding" in (k.lower() for k in headers))
                resp = self._conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            self._reused = True
            if resp.will_close:
                self.close()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, headers=None):
        """Like request(), but returns (status, parsed JSON body or None if not JSON)."""
        status, _, data = self.request(method, path, body, headers)
        try:
            return status, json.loads(data.decode("utf-8")) if data else None
        except (ValueError, UnicodeDecodeError):
            return status, None


# ---------------------------------------------------------------------------
# Server process


class InferdServer:
    """The inferd binary running as a subprocess on a free loopback port."""

    def __init__(self, repository, extra_args=(), env=None, port=None, data_dir=None,
                 ssl_context=None, grpc=False):
        """`data_dir` is the job database folder; by default a fresh one beside
        the log, removed with it. Pass one to restart a server on the same jobs.
        `ssl_context`: the server serves HTTPS (--tls-cert); clients use it.
        gRPC is off (--grpc-port 0) unless `grpc`: then it listens on a free
        port, `grpc_port`."""
        self.ssl_context = ssl_context
        self.repository = repository
        self.extra_args = list(extra_args)
        self.env = env
        self._ports_picked = port is None
        self.port = port or free_port()
        self.grpc_port = free_port() if grpc else 0
        self.proc = None
        self._log_dir = tempfile.mkdtemp(prefix="inferd-e2e-")
        self.log_path = os.path.join(self._log_dir, "inferd.log")
        self.data_dir = data_dir or os.path.join(self._log_dir, "data")
        self._log_file = None
        self.client = Client(self.port, ssl_context=ssl_context)

    @property
    def argv(self):
        return [inferd_bin(), "serve", "--model-repository", self.repository,
                "--host", "127.0.0.1", "--http-port", str(self.port),
                "--grpc-port", str(self.grpc_port),
                "--data-dir", self.data_dir] + self.extra_args

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, chars=6000):
        text = self.log()
        return text[-chars:]

    def start(self, wait=True):
        binary = inferd_bin()
        if not os.path.exists(binary):
            raise AssertionError("inferd binary not found at %s (set INFERD_BIN)" % binary)
        if not os.path.isdir(self.repository):
            raise AssertionError("model repository %s not found (run examples/build_model_repository.py "
                                 "or set INFERD_EXAMPLES)" % self.repository)
        env = dict(os.environ)
        env.update(self.env or {})
        for attempt in range(3):
            self._log_file = open(self.log_path, "wb")
            self.proc = subprocess.Popen(self.argv, stdout=self._log_file, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, cwd=REPO_ROOT)
            if not wait:
                return self
            try:
                self.wait_started()
                return self
            except AssertionError:
                # Another process on this machine (a test running beside this
                # one) may have taken a port between free_port() and the bind.
                if not (self._ports_picked and self._lost_a_port_race()) or attempt == 2:
                    raise
                self._log_file.close()
                self.port = free_port()
                self.grpc_port = free_port() if self.grpc_port else 0
                self.client = Client(self.port, ssl_context=self.ssl_context)
        return self

    def _lost_a_port_race(self):
        log = self.log()
        return self.proc.poll() is not None and ("Address already in use" in log
                                                 or "port is in use" in log)

    def wait_started(self, timeout=START_TIMEOUT_S):
        """Polls GET /health until it answers 200 with a status other than "loading"."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("inferd exited with %s during start-up\nargv: %s\n--- log ---\n%s"
                                     % (self.proc.returncode, self.argv, self.log_tail()))
            probe = Client(self.port, timeout=5.0, ssl_context=self.ssl_context)
            try:
                status, body = probe.json("GET", "/health")
                last = "%s %r" % (status, body)
                if status == 200 and isinstance(body, dict) and body.get("status") != "loading":
                    return body
            except OSError as e:
                last = repr(e)
            finally:
                probe.close()
            time.sleep(0.1)
        tail = self.log_tail()
        self.kill()
        raise AssertionError("inferd not started within %.0f s (last /health: %s)\n--- log ---\n%s"
                             % (timeout, last, tail))

    def new_client(self, timeout=60.0):
        return Client(self.port, timeout=timeout, ssl_context=self.ssl_context)

    def request(self, method, path, body=None, headers=None):
        return self.client.request(method, path, body, headers)

    def json(self, method, path, body=None, headers=None):
        return self.client.json(method, path, body, headers)

    def signal(self, signum):
        self.proc.send_signal(signum)

    def wait_exit(self, timeout=STOP_TIMEOUT_S):
        """Waits for the process to exit; returns its code, or None on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then asserts the process exits with code 0 within `timeout` seconds."""
        self.client.close()
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit(timeout)
        tail = self.log_tail()
        if code is None:
            self.kill()
        self._close_log()
        if code != 0:
            raise AssertionError("inferd did not exit with code 0 within %.0f s of SIGTERM (got %s)\n"
                                 "argv: %s\n--- log ---\n%s"
                                 % (timeout, "timeout" if code is None else code, self.argv, tail))
        shutil.rmtree(self._log_dir, ignore_errors=True)

    def kill(self):
        """Final cleanup: SIGKILL if still running, then remove the log (failure
        messages already carry its tail)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()
        shutil.rmtree(self._log_dir, ignore_errors=True)

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


# ---------------------------------------------------------------------------
# Test-case base


def simple_request(values0=None, values1=None, batch=1, **extra):
    """A JSON infer request for `simple`; returns (body, expected OUTPUT0, expected OUTPUT1)."""
    if values0 is None:
        values0 = [i for i in range(16 * batch)]
    if values1 is None:
        values1 = [1] * (16 * batch)
    body = {
        "inputs": [
            {"name": "INPUT0", "datatype": "INT32", "shape": [batch, 16], "data": values0},
            {"name": "INPUT1", "datatype": "INT32", "shape": [batch, 16], "data": values1},
        ]
    }
    body.update(extra)
    return (body, [a + b for a, b in zip(values0, values1)], [a - b for a, b in zip(values0, values1)])


def copy_repository(src, models=None):
    """Copies `src` (or only `models` of it) into a fresh temp dir; returns its path."""
    dst = tempfile.mkdtemp(prefix="inferd-e2e-repo-")
    for name in sorted(os.listdir(src)):
        if models is not None and name not in models:
            continue
        path = os.path.join(src, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(dst, name))
    return dst


def clone_model(repository, src, dst, source_repository=None):
    """Copies model folder `src` to `dst` inside `repository` (from `source_repository`
    if given), renaming it in config.pbtxt; returns the new folder."""
    origin = os.path.join(source_repository or repository, src)
    target = os.path.join(repository, dst)
    shutil.copytree(origin, target)
    config = os.path.join(target, "config.pbtxt")
    with open(config, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r'^name:\s*"[^"]*"', 'name: "%s"' % dst, text, count=1, flags=re.M)
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    return target


def merged_repository():
    """Every example model (both repositories) in one temp repository."""
    path = copy_repository(model_repository())
    for name in sorted(os.listdir(test_repository())):
        if not os.path.exists(os.path.join(path, name)):
            shutil.copytree(os.path.join(test_repository(), name), os.path.join(path, name))
    return path


class ServerTestCase(unittest.TestCase):
    """One inferd per TestCase class, started in setUpClass and stopped (exit 0 asserted) after it.

    Subclasses set `server_args` and `server_env`, and override `repository()`
    (default: the example model repository).
    """

    server_args = ()
    server_env = None
    server_grpc = False  # True: the server also listens for gRPC (server.grpc_port)
    server = None

    @classmethod
    def repository(cls):
        return model_repository()

    @classmethod
    def temp_folder(cls, path):
        """Registers temp folder `path` for removal after the class; returns it."""
        cls.addClassCleanup(shutil.rmtree, path, True)
        return path

    temp_repository = temp_folder

    def metric(self, name):
        """The sum of metric `name` over its labels in the server's /metrics."""
        status, _, body = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = InferdServer(cls.repository(), cls.server_args, env=cls.server_env,
                                  grpc=cls.server_grpc)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.addClassCleanup(cls.server.stop)

    # -- assertions -------------------------------------------------------

    def assertError(self, status, headers, body, expected_status, *mentions):
        """Asserts a JSON {"error": "..."} answer with `expected_status`.

        Each mention is a string that the message must contain, or a tuple of
        alternatives of which it must contain one (case-insensitive).
        """
        self.assertEqual(status, expected_status, "body: %r" % body[:500])
        ctype = headers.get("content-type", "")
        self.assertIn("application/json", ctype, "error body content type")
        try:
            obj = json.loads(body.decode("utf-8"))
        except ValueError:
            self.fail("error body is not JSON: %r" % body[:500])
        self.assertIsInstance(obj, dict, "error body: %r" % obj)
        self.assertIn("error", obj, "error body: %r" % obj)
        message = obj["error"]
        self.assertIsInstance(message, str)
        self.assertTrue(message.strip(), "empty error message")
        self.assertMentions(message, *mentions)
        return message

    def assertMentions(self, message, *mentions):
        low = message.lower()
        for m in mentions:
            options = m if isinstance(m, tuple) else (m,)
            if not any(o.lower() in low for o in options):
                self.fail("message %r should mention %s" % (message, " or ".join(repr(o) for o in options)))

    def assertVersionsReady(self, versions, where):
        """A /health model's versions: exactly version "1", READY, empty reason."""
        self.assertEqual([{k: v.get(k) for k in ("version", "state", "reason")} for v in versions],
                         [{"version": "1", "state": "READY", "reason": ""}], where)

    def assertSimpleWorks(self, client=None, path="/v2/models/simple/infer"):
        """A good `simple` request answers 200 with the right sum and difference."""
        client = client or self.server.client
        values0 = [7 * i - 50 for i in range(16)]
        values1 = [3 * i + 2 for i in range(16)]
        body, want0, want1 = simple_request(values0, values1)
        status, resp = client.json("POST", path, body)
        self.assertEqual(status, 200, resp)
        outs = {o["name"]: o for o in resp["outputs"]}
        self.assertEqual(outs["OUTPUT0"]["data"], want0)
        self.assertEqual(outs["OUTPUT1"]["data"], want1)

    def infer(self, model, body, client=None, version=None, headers=None):
        client = client or self.server.client
        path = "/v2/models/%s%s/infer" % (model, "" if version is None else "/versions/%s" % version)
        return client.request("POST", path, body, headers)


def outputs_by_name(response):
    return {o["name"]: o for o in response["outputs"]}


def main():
    unittest.main(verbosity=2)


if __name__ == "__main__":
    sys.exit("run the test_*.py modules instead")
