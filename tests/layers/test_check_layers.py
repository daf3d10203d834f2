"""The layer check catches an include that breaks the table, and passes the real tree."""

import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "check_layers.py")


def run(root):
    return subprocess.run(["/usr/bin/python3", SCRIPT, "--root", root],
                          capture_output=True, text=True)


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.root, "docs"))
        shutil.copy(os.path.join(ROOT, "docs", "architecture.md"), os.path.join(self.root, "docs"))
        for layer in ("tensor", "scheduling", "common"):
            os.makedirs(os.path.join(self.root, "src", layer))

    def tearDown(self):
        shutil.rmtree(self.root)

    def write(self, path, text):
        with open(os.path.join(self.root, "src", path), "w") as f:
            f.write(text)

    def test_upward_include_fails_naming_file_include_and_rule(self):
        self.write("tensor/tensor.h", '#pragma once\n#include "common/strings.h"\n'
                   '#include "scheduling/model_scheduler.h"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn('src/tensor/tensor.h:3: includes "scheduling/model_scheduler.h": '
                      'tensor/ may include only common', result.stdout)

    def test_transitive_and_own_layer_includes_pass(self):
        self.write("scheduling/a.cc", '#include "scheduling/a.h"\n#include "tensor/tensor.h"\n'
                   '#include "common/clock.h"\n#include "absl/status/status.h"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_tests_and_fakes_are_exempt(self):
        self.write("tensor/tensor_test.cc", '#include "scheduling/model_scheduler.h"\n')
        os.makedirs(os.path.join(self.root, "src", "tensor", "testing"))
        self.write("tensor/testing/fake.h", '#include "scheduling/model_scheduler.h"\n')
        self.assertEqual(run(self.root).returncode, 0)

    def test_unknown_folder_is_a_violation(self):
        os.makedirs(os.path.join(self.root, "src", "misc"))
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("src/misc: folder is not a layer", result.stdout)

    def test_the_source_tree_follows_the_table(self):
        result = run(ROOT)
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    unittest.main()
