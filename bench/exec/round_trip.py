#!/usr/bin/python3
"""serve exec's input path beside its output path: a client sends a line to a program that echoes it (`cat`) and times
until the line is back, N times after 100 warm-up ones; prints p50/p99 of the round trip. One blocking client, so
each round trip crosses the server twice (client to program's stdin, program's stdout to client).
Usage: round_trip.py PORT [N]   (against `sockcat serve exec tcp://127.0.0.1:PORT -- cat` or
`ncat -l -k 127.0.0.1 PORT --exec /bin/cat`)"""
import socket, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2000
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
for i in range(n + 100):
    t = time.monotonic_ns()
    s.sendall(b"%d\n" % i)
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(100)
    if i >= 100:
        lat.append(time.monotonic_ns() - t)
lat.sort()
print("p50 %.0f p99 %.0f us" % (lat[len(lat) // 2] / 1e3, lat[int(len(lat) * .99)] / 1e3))
