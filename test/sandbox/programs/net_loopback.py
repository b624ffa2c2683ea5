"""Talks to itself over the run's own loopback, which must work (servers in tests need it)."""
import socket

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname(), timeout=1)
peer, _ = server.accept()
client.sendall(b"ping")
print("loopback:", peer.recv(4).decode())
