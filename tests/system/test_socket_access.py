"""Who may connect to the unix socket (issue 18): a listen entry written as
Dovecot's unix_listener, { unix: PATH, user: U, group: G, mode: "0600" },
gives the socket that owner, group and mode before deskmaild listens, and
deskmaild gives up CAP_CHOWN once its sockets exist. The plain string form
keeps socket_mode and the daemon's own user."""
import grp
import os
import pwd
import subprocess
import unittest

from harness import DESKMAILD, Desk

as_root = unittest.skipUnless(os.geteuid() == 0, "needs root: gives the socket to another user")

# Connects to the socket given as argv[1] and prints the greeting's code, or
# the error's name.
CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print(s.recv(512).decode()[:3])
except OSError as e:
    print(type(e).__name__)
"""


def connect_as(user, path):
    p = subprocess.run(["runuser", "-u", user, "--", "python3", "-c", CONNECT, path],
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip() or p.stderr.strip()


def caps(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    raise AssertionError(field + " missing")


class SocketAccess(unittest.TestCase):
    def tearDown(self):
        self.desk.close()

    @as_root
    def test_owner_group_and_mode_from_the_mapping(self):
        self.desk = Desk(unix_listen='{{ unix: "{sock}", user: nobody, group: nogroup, mode: "0600" }}')
        os.chmod(self.desk.dir, 0o711)  # the socket alone decides who connects
        self.desk.start()
        st = os.stat(self.desk.sock)
        self.assertEqual(st.st_uid, pwd.getpwnam("nobody").pw_uid)
        self.assertEqual(st.st_gid, grp.getgrnam("nogroup").gr_gid)
        self.assertEqual(st.st_mode & 0o7777, 0o600)
        self.assertEqual(connect_as("nobody", self.desk.sock), "220")
        self.assertEqual(connect_as("daemon", self.desk.sock), "PermissionError")
        self.assertIn("listening on unix:" + self.desk.sock, self.desk.log())

    @as_root
    def test_chown_capability_is_given_up_once_listening(self):
        self.desk = Desk(unix_listen='{{ unix: "{sock}", group: nogroup, mode: "0660" }}').start()
        pid = self.desk.proc.pid
        cap_chown = 1 << 0
        self.assertEqual(caps(pid, "CapEff") & cap_chown, 0)
        self.assertEqual(caps(pid, "CapPrm") & cap_chown, 0)
        # Nothing else is taken from a daemon the admin runs as root.
        self.assertEqual(caps(pid, "CapEff") | cap_chown, caps(os.getpid(), "CapEff") | cap_chown)
        self.assertEqual(os.stat(self.desk.sock).st_gid, grp.getgrnam("nogroup").gr_gid)

    def start_as_nobody(self, ambient):
        """deskmaild as deskmaild.service runs it: not root, CAP_CHOWN ambient
        (or no capability at all)."""
        subprocess.run(["chown", "-R", "nobody:nogroup", self.desk.dir], check=True)
        os.chmod(self.desk.dir, 0o711)
        caps = ["--inh-caps=+chown", "--ambient-caps=+chown"] if ambient else ["--inh-caps=-all"]
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *caps,
                "--bounding-set=-all,+chown"]

    @as_root
    def test_a_daemon_that_is_not_root_gives_the_socket_away_with_cap_chown(self):
        self.desk = Desk(unix_listen='{{ unix: "{sock}", user: daemon, group: daemon, mode: "0600" }}')
        self.desk.start(wrapper=self.start_as_nobody(ambient=True))
        st = os.stat(self.desk.sock)
        self.assertEqual((st.st_uid, st.st_gid), (pwd.getpwnam("daemon").pw_uid, grp.getgrnam("daemon").gr_gid))
        self.assertEqual(st.st_mode & 0o7777, 0o600)
        pid = self.desk.proc.pid
        self.assertEqual((caps(pid, "CapEff"), caps(pid, "CapPrm"), caps(pid, "CapAmb")), (0, 0, 0))
        self.assertEqual(connect_as("daemon", self.desk.sock), "220")
        self.assertEqual(connect_as("nobody", self.desk.sock), "PermissionError")

    @as_root
    def test_without_cap_chown_the_start_says_what_is_missing(self):
        self.desk = Desk(unix_listen='{{ unix: "{sock}", user: daemon, mode: "0600" }}')
        p = subprocess.run([*self.start_as_nobody(ambient=False), DESKMAILD, "-c", self.desk.config],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"{self.desk.sock}: cannot give the socket to daemon: Operation not permitted "
                      "(deskmaild runs as nobody: another user needs CAP_CHOWN", p.stderr)

    def test_plain_form_keeps_socket_mode_and_the_daemons_user(self):
        self.desk = Desk('socket_mode: "0640"\n').start()
        st = os.stat(self.desk.sock)
        self.assertEqual(st.st_mode & 0o7777, 0o640)
        self.assertEqual(st.st_uid, os.geteuid())

    def test_a_user_that_does_not_exist_stops_the_start(self):
        self.desk = Desk(unix_listen='{{ unix: "{sock}", user: no-such-deskmail-user }}')
        p = subprocess.run([DESKMAILD, "-c", self.desk.config], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"cannot listen: {self.desk.sock}: no user 'no-such-deskmail-user' to own the socket",
                      p.stderr)


if __name__ == "__main__":
    unittest.main()
