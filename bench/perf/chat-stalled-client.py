#!/usr/bin/env python3
# Delivery latency to the members who read while one member of the room never reads, on `sockcat serve chat` at
# 127.0.0.1:PORT (run it with --flood 0): READERS (20) users who read and one stalled user in #r; a sender sends 200-byte lines at
# RATE lines a second for SECONDS; prints each reader-side latency percentile before and after the stalled user is cut.
#   /usr/bin/python3 bench/perf/chat-stalled-client.py PORT [RATE=500] [SECONDS=10] [READERS=20]
# The stalled user is cut once its queue passes twice --max-queue on top of what the kernel buffers for it (megabytes).
import selectors, socket, sys, time
port = int(sys.argv[1]); rate = float(sys.argv[2]) if len(sys.argv) > 2 else 500; seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
n = int(sys.argv[4]) if len(sys.argv) > 4 else 20

def user(nick, rcvbuf=None):
    s = socket.create_connection(("127.0.0.1", port))
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.sendall(f"/nick {nick}\n/join r\n".encode())
    return s

stalled = user("stalled", 4096)
readers = [user(f"reader{i}") for i in range(n)]
sender = user("sender")
time.sleep(1)
sel = selectors.DefaultSelector()
buffers = {}
for r in readers:
    r.setblocking(False); sel.register(r, selectors.EVENT_READ); buffers[r] = b""
latencies = []; cut_at = None; start = time.monotonic(); sent = 0
pad = "z" * 160
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    while sent < due:
        sender.sendall(f"t={time.monotonic():.6f} {pad}\n".encode()); sent += 1
    for key, _ in sel.select(timeout=0.001):
        s = key.fileobj; data = s.recv(1 << 20)
        buffers[s] += data; now = time.monotonic()
        *lines, buffers[s] = buffers[s].split(b"\n")
        for line in lines:
            if b"> t=" in line:
                latencies.append((now, now - float(line.split(b"> t=")[1].split(b" ")[0])))
            elif b"stalled quit" in line and cut_at is None:
                cut_at = now; print("readers told:", line.decode())

def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000 if xs else float("nan")
before = [l for t, l in latencies if cut_at is None or t < cut_at]; after = [l for t, l in latencies if cut_at is not None and t >= cut_at]
print(f"{sent} lines sent at {rate:g}/s, {len(latencies)} deliveries to {len(readers)} readers; stalled user cut after {cut_at - start:.1f} s" if cut_at else "stalled user never cut")
print(f"before the cut: p50 {pct(before, 50):.1f} ms  p99 {pct(before, 99):.1f} ms  max {pct(before, 100):.1f} ms  ({len(before)})")
print(f"after the cut:  p50 {pct(after, 50):.1f} ms  p99 {pct(after, 99):.1f} ms  max {pct(after, 100):.1f} ms  ({len(after)})")
