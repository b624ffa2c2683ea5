"""Listens on the run's loopback (TCP port argv[1]) and on an abstract unix socket (argv[2]) where a run
of another slot will try to reach it, and stays up for a while."""
import socket
import sys
import time

tcp = socket.socket()
tcp.bind(("127.0.0.1", int(sys.argv[1])))
tcp.listen(8)
unix = socket.socket(socket.AF_UNIX)
unix.bind("\0" + sys.argv[2])
unix.listen(8)
print("listening", flush=True)
time.sleep(2)
