"""Tries to reach another slot's run over loopback TCP (port argv[1]) and an abstract unix socket (argv[2])."""
import errno
import socket
import sys

for name, family, address in [
    ("tcp", socket.AF_INET, ("127.0.0.1", int(sys.argv[1]))),
    ("abstract", socket.AF_UNIX, "\0" + sys.argv[2]),
]:
    s = socket.socket(family)
    s.settimeout(1)
    try:
        s.connect(address)
        result = "connected"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    print(f"{name}: {result}")
