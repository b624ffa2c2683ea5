"""Tries TCP connections out of the run: the host's Redis and Postgres over loopback, the host's own
address (argv[1]), the cloud metadata address, the internet over IPv4 and IPv6."""
import errno
import socket
import sys

targets = [
    (socket.AF_INET, "127.0.0.1", 6379),
    (socket.AF_INET, "127.0.0.1", 5432),
    (socket.AF_INET, sys.argv[1], 5432),
    (socket.AF_INET, "169.254.169.254", 80),
    (socket.AF_INET, "1.1.1.1", 443),
    (socket.AF_INET6, "::1", 6379),
    (socket.AF_INET6, "2606:4700:4700::1111", 443),
]
for family, host, port in targets:
    s = None
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect((host, port))
        result = "connected"
    except socket.timeout:
        result = "timeout"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        if s is not None:
            s.close()
    print(f"{host} {port}: {result}")
