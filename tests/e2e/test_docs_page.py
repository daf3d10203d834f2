"""The /docs page in a real browser: headless Chromium (Debian's `chromium`),
driven over WebDriver by Debian's `chromium-driver` with the standard library.

The page must load with the server's own Swagger UI assets (no CDN: the
browser is offline here anyway), list every route of /openapi.json, and
"Try it out" on simple's infer must come back with the right sum.

ctest runs it as `python3 -m tests.e2e.test_docs_page`, which exits 77 (the
test's SKIP_RETURN_CODE) when chromium or chromedriver is not installed;
scripts/install-deps.sh installs both, so CI runs it. Set
INFERD_SCREENSHOT_DIR to keep a screenshot of the page after the test.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from .inferd_server import ServerTestCase, free_port, simple_request, test_repository

SKIP_RETURN_CODE = 77
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key
WAIT_S = 60.0  # an upper bound for the page to react; never a measured time


def browser_binaries():
    """(chromium, chromedriver) paths, or None for each that is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    return chromium, driver


class WebDriver:
    """A minimal W3C WebDriver client over chromedriver's HTTP port."""

    def __init__(self, chromium, driver):
        self.port = free_port()
        self._log = tempfile.NamedTemporaryFile(prefix="chromedriver-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([driver, "--port=%d" % self.port], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.session = None
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                if self._call("GET", "/status").get("ready"):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("chromedriver did not start")
            time.sleep(0.1)
        self.profile = tempfile.mkdtemp(prefix="inferd-chromium-")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1200",
                         "--user-data-dir=" + self.profile, "--no-first-run"]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_S) as response:
                return json.loads(response.read()).get("value")
        except urllib.error.HTTPError as e:
            raise AssertionError("WebDriver %s %s: %s" % (method, path, e.read()[:1000]))

    def call(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self.call("POST", "/url", {"url": url})

    def find_all(self, selector, using="css selector", within=None):
        base = "" if within is None else "/element/%s" % within
        return [e[ELEMENT] for e in self.call("POST", base + "/elements",
                                              {"using": using, "value": selector})]

    def wait_for(self, selector, using="css selector", within=None, what=None):
        """The elements matching `selector` once there is at least one."""
        deadline = time.monotonic() + WAIT_S
        while True:
            found = self.find_all(selector, using, within)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("the page never showed %s" % (what or selector))
            time.sleep(0.1)

    def click(self, element):
        self.call("POST", "/element/%s/click" % element, {})

    def type(self, element, text):
        self.call("POST", "/element/%s/clear" % element, {})
        self.call("POST", "/element/%s/value" % element, {"text": text})

    def text(self, element):
        return self.call("GET", "/element/%s/text" % element)

    def attribute(self, element, name):
        return self.call("GET", "/element/%s/attribute/%s" % (element, name))

    def script(self, source, *args):
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", "/screenshot")))

    def quit(self):
        try:
            if self.session is not None:
                self.call("DELETE", "")
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
            os.unlink(self._log.name)
            shutil.rmtree(getattr(self, "profile", ""), ignore_errors=True)


class DocsPageTest(ServerTestCase):

    @classmethod
    def repository(cls):
        return test_repository()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        chromium, driver = browser_binaries()
        if chromium is None or driver is None:
            raise unittest.SkipTest("chromium and chromium-driver are not installed")
        cls.browser = WebDriver(chromium, driver)
        cls.addClassCleanup(cls.browser.quit)

    def tearDown(self):
        folder = os.environ.get("INFERD_SCREENSHOT_DIR")
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.browser.screenshot(os.path.join(folder, self._testMethodName + ".png"))

    def open_page(self):
        status, _, data = self.server.request("GET", "/docs")
        self.assertEqual(status, 200, "GET /docs: %r (is swagger-ui-dist installed?)" % data[:300])
        self.browser.get("http://127.0.0.1:%d/docs" % self.server.port)
        self.browser.wait_for(".opblock", what="the list of operations")

    def operation_block(self, method, path):
        xpath = ("//div[contains(@class, 'opblock-%s')][.//*[@data-path='%s']]"
                 % (method.lower(), path))
        return self.browser.wait_for(xpath, using="xpath", what="%s %s" % (method, path))[0]

    def test_page_loads_and_lists_every_route_of_the_document(self):
        self.open_page()
        title = self.browser.text(self.browser.wait_for(".info .title")[0])
        self.assertIn("inferd", title)
        _, document = self.server.json("GET", "/openapi.json")
        want = {(method.upper(), path) for path, item in document["paths"].items()
                for method in item}
        shown = set()
        for block in self.browser.find_all(".opblock"):
            method = self.browser.text(self.browser.find_all(".opblock-summary-method",
                                                             within=block)[0])
            path = self.browser.attribute(self.browser.find_all(".opblock-summary-path",
                                                                within=block)[0], "data-path")
            shown.add((method.strip().upper(), path))
        self.assertGreater(len(want), 60)
        self.assertEqual(sorted(want - shown), [], "routes of the document missing on the page")

    def test_try_it_out_on_simple_infer_returns_the_sum(self):
        self.open_page()
        browser = self.browser
        block = self.operation_block("POST", "/v2/models/{model}/infer")
        browser.click(browser.find_all(".opblock-summary", within=block)[0])
        browser.click(browser.wait_for(".try-out__btn", within=block, what="Try it out")[0])
        model = browser.wait_for(".//tr[@data-param-name='model']//input", using="xpath",
                                 within=block, what="the model field")[0]
        browser.type(model, "simple")
        body, want_sum, want_difference = simple_request(values0=list(range(100, 116)),
                                                         values1=list(range(16)))
        editor = browser.wait_for("textarea.body-param__text", within=block,
                                  what="the request body editor")[0]
        browser.type(editor, json.dumps(body))
        browser.click(browser.wait_for(".execute", within=block, what="Execute")[0])
        # The live response: its status cell, then its body.
        status_cell = browser.wait_for(".live-responses-table tr.response .response-col_status",
                                       within=block, what="the response")[0]
        self.assertEqual(browser.text(status_cell).strip().split()[0], "200")
        text = browser.text(browser.wait_for(
            ".live-responses-table tr.response .response-col_description pre", within=block,
            what="the response body")[0])
        answer = json.loads(text)
        outputs = {o["name"]: o["data"] for o in answer["outputs"]}
        self.assertEqual(outputs["OUTPUT0"], want_sum)
        self.assertEqual(outputs["OUTPUT1"], want_difference)


def main():
    chromium, driver = browser_binaries()
    if chromium is None or driver is None:
        print("test_docs_page: skipped: chromium and chromium-driver are not installed "
              "(scripts/install-deps.sh installs them)")
        sys.exit(SKIP_RETURN_CODE)
    unittest.main(module=__name__, verbosity=2)


if __name__ == "__main__":
    main()
