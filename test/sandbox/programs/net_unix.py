"""Connects to the host's unix sockets: Postgres, Redis, Docker, D-Bus, systemd, a socket the test
runner created in the host's /tmp (argv[1]) and an abstract socket the test runner listens on (argv[2])."""
import errno
import socket
import sys

paths = [
    "/var/run/postgresql/.s.PGSQL.5432",
    "/run/postgresql/.s.PGSQL.5432",
    "/tmp/.s.PGSQL.5432",
    "/run/redis/redis-server.sock",
    "/var/run/redis/redis-server.sock",
    "/var/run/docker.sock",
    "/run/dbus/system_bus_socket",
    "/run/systemd/private",
    sys.argv[1],
    "\0" + sys.argv[2],
]
for path in paths:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        result = "connected"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
    print(f"{path.replace(chr(0), '@')}: {result}")
