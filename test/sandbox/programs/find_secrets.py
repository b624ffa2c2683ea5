"""Looks everywhere it can for the executor's secret (read from stdin, so that it is not in this
process's own command line): its own environment, every visible
process's environment and command line, and the files of /etc, /box, /tmp, /dev/shm, /run, /var, /home
and /root. Also reports host users (argv[1:]) found in /etc/passwd, and whether host-only files exist."""
import json
import os
import socket
import sys

secret = sys.stdin.buffer.read().strip()
host_users = sys.argv[1:]
found = []


def scan(path):
    try:
        with open(path, "rb") as f:
            if secret in f.read(1 << 20):
                found.append(path)
    except OSError:
        pass


if any(secret in (k + "=" + v).encode() for k, v in os.environ.items()):
    found.append("os.environ")
for pid in os.listdir("/proc"):
    if pid.isdigit():
        scan(f"/proc/{pid}/environ")
        scan(f"/proc/{pid}/cmdline")
for top in ["/etc", "/box", "/tmp", "/dev/shm", "/run", "/var", "/home", "/root"]:
    for root, dirs, files in os.walk(top):
        for name in files:
            scan(os.path.join(root, name))


def status(path):
    try:
        os.stat(path)
        try:
            with open(path, "rb"):
                return "readable"
        except IsADirectoryError:
            return "directory " + ",".join(sorted(os.listdir(path)))
    except OSError as e:
        return os.strerror(e.errno)


try:
    with open("/etc/passwd") as f:
        names = {line.split(":")[0] for line in f}
except OSError:
    names = set()
print(
    json.dumps(
        {
            "secret_found_in": found,
            "host_users_in_passwd": sorted(set(host_users) & names),
            "/etc/shadow": status("/etc/shadow"),
            "/etc/gshadow": status("/etc/gshadow"),
            "/root": status("/root"),
            "hostname": socket.gethostname(),
        }
    )
)
