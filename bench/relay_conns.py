"""Short connections one after another to 127.0.0.1:PORT: connect, send 32 bytes, half-close, read the echo to its
end, close. Prints connections per second. Used by bench/run-relay.sh."""
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
payload = b"x" * 32
start = time.perf_counter()
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    if got != payload:
        sys.exit(f"relay_conns.py: got {len(got)} bytes back, not {len(payload)}")
print(f"{count / (time.perf_counter() - start):.0f}")
