"""Runs while another slot's run holds a token (argv[1]) in its /box and /tmp, and searches for it:
other processes, their working directories and roots, and every directory it can walk."""
import os
import sys

token = sys.argv[1].encode()
found = []
pids = [p for p in os.listdir("/proc") if p.isdigit()]
for pid in pids:
    # Its own root is searched below, and its own /proc/self/cmdline holds the token it was given.
    if int(pid) == os.getpid():
        continue
    for link in ("cwd", "root"):
        try:
            base = os.readlink(f"/proc/{pid}/{link}")
            for root, _, files in os.walk(f"/proc/{pid}/{link}"):
                for name in files:
                    with open(os.path.join(root, name), "rb") as f:
                        if token in f.read(4096):
                            found.append(f"/proc/{pid}/{link} ({base})")
                if root.count("/") > 6:
                    break
        except OSError:
            pass
for top in ["/box", "/tmp", "/dev/shm", "/run", "/var", "/mnt", "/srv", "/opt", "/sys"]:
    for root, _, files in os.walk(top):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    if token in f.read(4096):
                        found.append(os.path.join(root, name))
            except OSError:
                pass
other = [p for p in pids if int(p) not in (os.getpid(), os.getppid())]
print("other processes:", len(other))
print("token found in:", found)
