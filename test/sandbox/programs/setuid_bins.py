"""Runs the host's setuid-root programs; with no_new_privs none of them may gain root."""
import os
import subprocess

os.mkdir("/box/mnt")
attempts = [
    ("su", ["/usr/bin/su", "-c", "id -u", "root"]),
    ("passwd", ["/usr/bin/passwd", "-d", "root"]),
    ("mount", ["/usr/bin/mount", "-t", "tmpfs", "none", "/box/mnt"]),
    ("newgrp", ["/usr/bin/newgrp", "root"]),
    ("chsh", ["/usr/bin/chsh", "-s", "/bin/sh", "root"]),
]
for name, argv in attempts:
    if not os.path.exists(argv[0]):
        print(f"{name}: absent")
        continue
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=2)
    became_root = p.returncode == 0 or p.stdout.strip() == b"0"
    print(f"{name}: {'ROOT' if became_root else 'refused'}")
print("mounted:", os.path.ismount("/box/mnt"))
