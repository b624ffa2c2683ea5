"""Sends UDP datagrams out of the run (DNS servers, the host's address in argv[1], IPv6) and resolves a
name; nothing may leave the run's loopback-only network."""
import errno
import socket
import sys

targets = [
    (socket.AF_INET, "8.8.8.8", 53),
    (socket.AF_INET, sys.argv[1], 53),
    (socket.AF_INET6, "2001:4860:4860::8888", 53),
]
for family, host, port in targets:
    s = None
    try:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.sendto(b"remcode", (host, port))
        result = "sent"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        if s is not None:
            s.close()
    print(f"{host} {port}: {result}")
try:
    socket.getaddrinfo("deb.debian.org", 80)
    print("dns: resolved")
except OSError:
    print("dns: failed")
