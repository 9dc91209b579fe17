"""The README's first command, as a newcomer runs it: contrib/dev/run builds,
creates the demo desk and starts deskmaild; the swaks command it prints
creates an issue."""
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
import unittest

from harness import BUILD, free_port

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class QuickStart(unittest.TestCase):
    def test_dev_run_then_printed_swaks_creates_an_issue(self):
        var = tempfile.mkdtemp(prefix="deskmail-quickstart-")
        port = free_port()
        env = dict(os.environ, DM_VAR=var, DM_PORT=str(port),
                   BUILD_DIR=os.path.relpath(os.path.abspath(BUILD), TOP))
        out_path = os.path.join(var, "run.out")
        with open(out_path, "wb") as out:
            p = subprocess.Popen([os.path.join(TOP, "contrib/dev/run")], cwd=TOP, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            text = ""
            while time.time() < deadline and "ready" not in text:
                self.assertIsNone(p.poll(), open(out_path).read())
                time.sleep(0.2)
                text = open(out_path).read()
            self.assertIn("ready", text)
            # The swaks command as printed, continuation line joined.
            m = re.search(r"^\s*(swaks .*?\\\n.*?)$", text, re.M)
            self.assertIsNotNone(m, text)
            cmd = shlex.split(m.group(1).replace("\\\n", " "))
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn("demo/support#1 created", r.stdout)
            listing = re.search(r"^\s*(\S+/deskmail -c \S+ issue list)$", text, re.M).group(1)
            ls = subprocess.run(shlex.split(listing), capture_output=True, text=True, cwd=TOP)
            self.assertIn("demo/support#1", ls.stdout)
            self.assertIn("Printer on fire", ls.stdout)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(15)
            subprocess.run(["rm", "-rf", var])


if __name__ == "__main__":
    unittest.main()
