"""Opens raw IPv4, raw IPv6, packet and ICMP sockets, which would let it forge traffic."""
import errno
import socket

attempts = [
    ("raw ipv4", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    ("raw ipv6", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    ("raw tcp", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP),
    ("packet", socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)),
]
for name, family, kind, proto in attempts:
    try:
        socket.socket(family, kind, proto).close()
        result = "opened"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    print(f"{name}: {result}")
